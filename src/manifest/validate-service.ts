// Service validation and defaults (Kubernetes pkg/apis/core/validation validateService,
// validateServicePort; pkg/apis/core/v1 SetDefaults_Service), with Kubernetes' paths and wording,
// and Starling's refusals named: UDP and SCTP ports (the proxy balances TCP only) and
// ExternalName Services (there is no cluster DNS). Values of the wrong JSON type were already
// reported by the shape check (schema.ts); they are skipped here.
//
// Validation runs before defaulting in Starling (Kubernetes defaults first), so an absent
// `protocol`, `type`, `targetPort` or `sessionAffinityConfig` is judged as its default.
// The node port range (30000–32767) is checked here; whether a port is already allocated needs
// the cluster's Services and is checked when the Service is applied (src/proxy/node-ports.ts).

import type { FieldError } from '../errors.ts';
import { validateLabels } from './labels.ts';
import { duplicate, forbidden, invalid, notSupported, required } from './messages.ts';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './names.ts';
import type { Findings } from './validate-pod.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const absent = (v: unknown) => v === undefined || v === null || v === '';

export const NODE_PORT_RANGE = { min: 30000, max: 32767 };
/** Kubernetes' DefaultClientIPServiceAffinitySeconds (3 h) and MaxClientIPServiceAffinitySeconds (1 day). */
export const DEFAULT_AFFINITY_SECONDS = 10800;
export const MAX_AFFINITY_SECONDS = 86400;

/** The types Starling serves (Kubernetes also has ExternalName). */
const SERVICE_TYPES = ['ClusterIP', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const TCP_ONLY = 'supported values: "TCP" (the Starling Service proxy balances TCP connections only)';

/** Go's JSON of the internal ServicePort key Kubernetes reports duplicates with. */
const portKey = (protocol: string, port: number) =>
  `{"Name":"","Protocol":${JSON.stringify(protocol)},"AppProtocol":null,"Port":${port},"TargetPort":0,"NodePort":0}`;

export function validateServiceSpec(spec: unknown, path = 'spec'): Findings {
  const out: Findings = { errors: [], warnings: [] };
  const s = isObject(spec) ? spec : {};
  const e = (err: FieldError) => out.errors.push(err);

  const type = absent(s.type) ? 'ClusterIP' : s.type;
  if (typeof type === 'string' && !SERVICE_TYPES.includes(type)) {
    e(notSupported(`${path}.type`, type, SERVICE_TYPES, type === 'ExternalName'
      ? `supported values: ${SERVICE_TYPES.map((t) => `"${t}"`).join(', ')} (Starling has no cluster DNS, so ExternalName Services are not supported)`
      : undefined));
  }

  const headless = s.clusterIP === 'None';
  if (typeof s.clusterIP === 'string' && s.clusterIP !== '' && !headless) {
    out.warnings.push(`${path}.clusterIP: not supported by Starling; ignored (a Service is reached at the address of every node)`);
  }
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    e(invalid(`${path}.clusterIPs[0]`, 'None', `may not be set to 'None' for ${type} services`));
  }

  const ports = Array.isArray(s.ports) ? s.ports : [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') e(required(`${path}.ports`));
  const names = new Set<string>();
  const pairs = new Set<string>();
  const nodePorts = new Set<number>();
  ports.forEach((raw, i) => {
    if (!isObject(raw)) return;
    const p = `${path}.ports[${i}]`;
    const name = raw.name;
    if (absent(name)) {
      if (ports.length > 1) e(required(`${p}.name`));
    } else if (typeof name === 'string') {
      const msgs = isDNS1123Label(name);
      for (const m of msgs) e(invalid(`${p}.name`, name, m));
      if (msgs.length === 0) {
        if (names.has(name)) e(duplicate(`${p}.name`, name));
        names.add(name);
      }
    }
    const port = isInt(raw.port) ? raw.port : absent(raw.port) ? 0 : undefined;
    if (port !== undefined) for (const m of isValidPortNum(port)) e(invalid(`${p}.port`, port, m));
    const protocol = absent(raw.protocol) ? 'TCP' : raw.protocol;
    if (typeof protocol === 'string' && protocol !== 'TCP') e(notSupported(`${p}.protocol`, protocol, ['TCP'], TCP_ONLY));
    const target = raw.targetPort;
    if (isInt(target) && target !== 0) {
      for (const m of isValidPortNum(target)) e(invalid(`${p}.targetPort`, target, m));
    } else if (typeof target === 'string' && target !== '') {
      for (const m of isValidPortName(target)) e(invalid(`${p}.targetPort`, target, m));
    }
    const nodePort = raw.nodePort;
    if (isInt(nodePort) && nodePort !== 0) {
      if (type === 'ClusterIP') e(forbidden(`${p}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max) {
        e(invalid(`${p}.nodePort`, nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      } else if (nodePorts.has(nodePort)) e(duplicate(`${p}.nodePort`, nodePort));
      nodePorts.add(nodePort);
    }
    if (port !== undefined && typeof protocol === 'string') {
      const key = portKey(protocol, port);
      if (pairs.has(key)) e({ field: p, message: `Duplicate value: ${key}` });
      pairs.add(key);
    }
  });

  if (isObject(s.selector)) out.errors.push(...validateLabels(s.selector, `${path}.selector`));

  const affinity = absent(s.sessionAffinity) ? 'None' : s.sessionAffinity;
  const config = s.sessionAffinityConfig;
  if (typeof affinity === 'string' && !AFFINITIES.includes(affinity)) {
    e(notSupported(`${path}.sessionAffinity`, affinity, AFFINITIES));
  } else if (affinity === 'None' && isObject(config)) {
    e(forbidden(`${path}.sessionAffinityConfig`, 'must not be set when session affinity is None'));
  } else if (affinity === 'ClientIP' && isObject(config) && isObject(config.clientIP)) {
    const t = config.clientIP.timeoutSeconds;
    if (isInt(t) && (t <= 0 || t > MAX_AFFINITY_SECONDS)) {
      e(invalid(`${path}.sessionAffinityConfig.clientIP.timeoutSeconds`, t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
    }
  }
  return out;
}

/** Kubernetes' SetDefaults_Service (the parts Starling implements), in place. */
export function defaultServiceSpec(spec: Obj): void {
  if (absent(spec.type)) spec.type = 'ClusterIP';
  if (absent(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const config = isObject(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : {};
    const clientIP = isObject(config.clientIP) ? config.clientIP : {};
    if (absent(clientIP.timeoutSeconds)) clientIP.timeoutSeconds = DEFAULT_AFFINITY_SECONDS;
    config.clientIP = clientIP;
    spec.sessionAffinityConfig = config;
  }
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isObject(p)) continue;
    if (absent(p.protocol)) p.protocol = 'TCP';
    if (absent(p.targetPort) || p.targetPort === 0) p.targetPort = p.port;
  }
}
