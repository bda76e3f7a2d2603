// Runs container probes for the Pod actors: exec in the container, or an HTTP GET / TCP connect
// to the container port — through the port Docker published on the node's address when the
// probed port is a declared container port (Starling reaches containers only through published
// ports), else from inside the container with busybox's wget / nc. Every probe is bounded by its
// timeoutSeconds. On the sim runtime, HTTP and TCP probes succeed (there is no network to probe).

import { request } from 'node:http';
import { connect } from 'node:net';
import type { PodContext, ProbeKind } from '../../actors/pod.ts';
import type { Container, KObject, PodSpec } from '../objects/types.ts';
import type { ContainerRuntime } from '../runtime/types.ts';

interface ProbeSpec {
  exec?: { command: string[] };
  httpGet?: { path?: string; port: number | string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string };
  timeoutSeconds?: number;
}

const FIELD: Record<ProbeKind, 'livenessProbe' | 'readinessProbe' | 'startupProbe'> = {
  liveness: 'livenessProbe',
  readiness: 'readinessProbe',
  startup: 'startupProbe',
};

export interface ProbeOutcome {
  ok: boolean;
  message?: string;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000}s`)), ms))),
  ]);
}

function httpGet(host: string, port: number, path: string, headers: Record<string, string>, ms: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', headers: { 'User-Agent': 'starling-probe/1.0', ...headers }, timeout: ms }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`Get "http://${host}:${port}${path}": context deadline exceeded`)));
    req.on('error', (e) => resolve({ ok: false, message: e.message }));
    req.end();
  });
}

function tcpConnect(host: string, port: number, ms: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, ms);
    s.once('connect', () => {
      clearTimeout(timer);
      s.end();
      resolve({ ok: true });
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` });
    });
  });
}

/** A port given by number or by the name of one of the container's ports. */
function portNumber(c: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export async function runProbe(runtime: ContainerRuntime, pod: KObject, ctx: PodContext, containerName: string, id: string, kind: ProbeKind): Promise<ProbeOutcome> {
  const c = (pod.spec as PodSpec).containers.find((x) => x.name === containerName);
  const probe = c?.[FIELD[kind]] as ProbeSpec | undefined;
  if (!c || !probe) return { ok: true };
  const ms = (probe.timeoutSeconds ?? 1) * 1000;
  const exec = async (command: string[]): Promise<ProbeOutcome> => {
    const r = await withTimeout(runtime.exec(id, command), ms, `command ${JSON.stringify(command)}`);
    const out = new TextDecoder().decode(r.stdout).trim() || new TextDecoder().decode(r.stderr).trim();
    return r.exitCode === 0 ? { ok: true } : { ok: false, message: out || `command ${JSON.stringify(command)} exited with ${r.exitCode}` };
  };
  try {
    if (probe.exec) return await exec(probe.exec.command);
    const port = portNumber(c, (probe.httpGet ?? probe.tcpSocket)!.port);
    if (port === undefined) return { ok: false, message: `port ${(probe.httpGet ?? probe.tcpSocket)!.port} is not a port of container ${c.name}` };
    if (runtime.kind === 'sim') return { ok: true };
    const published = ctx.ports.find((p) => p.containerPort === port);
    if (probe.httpGet) {
      const path = probe.httpGet.path ?? '/';
      const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
      if (published) return await httpGet(published.hostIP, published.hostPort, path, headers, ms);
      return await exec(['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}${path}`]);
    }
    if (published) return await tcpConnect(published.hostIP, published.hostPort, ms);
    return await exec(['nc', '-z', '127.0.0.1', String(port)]);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
