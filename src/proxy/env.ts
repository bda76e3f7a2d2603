// Kubernetes' service environment variables (kubelet pkg/kubelet/envvars FromServices), for the
// Services of a pod's namespace that exist when its container starts. Where Kubernetes writes the
// Service's cluster IP, Starling writes the address containers reach their node's proxy at.
//
//   WEB_SERVICE_HOST=172.17.0.1           WEB_PORT=tcp://172.17.0.1:8080
//   WEB_SERVICE_PORT=8080                 WEB_PORT_8080_TCP=tcp://172.17.0.1:8080
//   WEB_SERVICE_PORT_HTTP=8080            WEB_PORT_8080_TCP_PROTO=tcp
//                                         WEB_PORT_8080_TCP_PORT=8080
//                                         WEB_PORT_8080_TCP_ADDR=172.17.0.1

import type { ServiceSpec } from '../host/service-binding.ts';
import type { KObject } from '../objects/types.ts';

export interface EnvVar {
  name: string;
  value: string;
}

/** `my-svc` → `MY_SVC` (Kubernetes' makeEnvVariableName). */
export const envName = (s: string) => s.replace(/-/g, '_').toUpperCase();

const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * The variables for `services` (headless Services and Services without ports give none), in
 * name order. `host` is where a container reaches the Service (see docs/services.md).
 */
export function serviceEnvVars(services: KObject[], host: string): EnvVar[] {
  const out: EnvVar[] = [];
  const sorted = [...services].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const svc of sorted) {
    const spec = (svc.spec ?? {}) as ServiceSpec;
    const ports = spec.ports ?? [];
    if (spec.clusterIP === 'None' || ports.length === 0) continue;
    const prefix = envName(svc.metadata.name);
    out.push({ name: `${prefix}_SERVICE_HOST`, value: host });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) {
      if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    }
    ports.forEach((p, i) => {
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${protocol}://${joinHostPort(host, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      out.push(
        { name: pp, value: url },
        { name: `${pp}_PROTO`, value: protocol },
        { name: `${pp}_PORT`, value: String(p.port) },
        { name: `${pp}_ADDR`, value: host },
      );
    });
  }
  return out;
}
