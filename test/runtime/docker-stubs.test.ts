// The Docker runtime with dockerode loaded the way a node loads it: without docker-modem's SSH
// transport (ssh2) and BuildKit's gRPC session (src/runtime/docker-stubs.ts). Nothing in this
// file loads dockerode before a DockerRuntime does (docker.test.ts imports dockerode itself, so
// there the real packages are loaded first). Needs Docker (scripts/setup); every container is
// removed in the `after` hook.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import process from 'node:process';
import { DockerRuntime } from '../../src/runtime/docker.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';
import { collectLogs, containerSpec, newPod, text, waitFor } from './compliance.ts';

const SOCKET = process.env.STARLING_DOCKER_SOCKET || '/var/run/docker.sock';
const NODE = `starling-test-stubs-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
const realTime = {};

const s = suite('docker runtime without SSH/gRPC');
let rt: DockerRuntime | undefined;

s.before(() => {
  rt = new DockerRuntime({ nodeName: NODE, socketPath: SOCKET, pullTimeoutMs: 15000 });
});
s.after(async () => {
  if (!rt) return;
  await rt.stop().catch(() => {});
  for (const c of await rt.listContainers().catch(() => [])) await rt.removeContainer(c.id).catch(() => {});
});

/** require() as dockerode and docker-modem see it */
function requires() {
  const dockerode = createRequire(import.meta.url).resolve('dockerode');
  const fromDockerode = createRequire(dockerode);
  return { fromDockerode, fromModem: createRequire(fromDockerode.resolve('docker-modem')) };
}

/** The message of what fn throws ('' when it does not throw). */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

s('ssh2 and the gRPC packages are stand-ins that throw a clear error when used', () => {
  const { fromDockerode, fromModem } = requires();
  const ssh2 = fromModem('ssh2') as { Client: new () => unknown };
  assert.match(thrown(() => new ssh2.Client()), /SSH transport .*not available in Starling/);
  const grpc = fromDockerode('@grpc/grpc-js') as { Server: new () => unknown };
  assert.match(thrown(() => new grpc.Server()), /BuildKit session .*not available in Starling/);
  const protoLoader = fromDockerode('@grpc/proto-loader') as { loadSync: (p: string) => unknown };
  assert.match(thrown(() => protoLoader.loadSync('auth.proto')), /BuildKit session/);
  assert.not.ok(
    Object.keys(fromDockerode.cache).some((f) => f.includes('/node_modules/protobufjs/')),
    'protobufjs is not loaded',
  );
});

s('DOCKER_HOST=ssh://… fails with that error, not a crash', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'ssh://nobody@127.0.0.150';
  let ssh: DockerRuntime;
  try {
    ssh = new DockerRuntime({ nodeName: `${NODE}-ssh`, socketPath: SOCKET });
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
  const err = await ssh.start().then(() => undefined, (e: Error) => e);
  assert.ok(err, 'start() rejects');
  assert.match(err!.message, /SSH transport .*not available in Starling/);
});

s('a pod runs over the local socket: image, sandbox, container, logs, exec, events, removal', async () => {
  const r = rt!;
  await r.start();
  const events: RuntimeEvent[] = [];
  const off = r.onEvent((e) => events.push(e));
  await r.ensureImage('busybox:latest', 'IfNotPresent');
  const pod = newPod('stubs');
  const sandbox = await r.createSandbox({ pod, hostIP: '127.0.0.150', ports: [] });
  const app = await r.startContainer(
    sandbox.id,
    containerSpec(pod, 'app', ['sh', '-c', 'echo hello-from-stubs; exec sleep 60']),
  );
  assert.is(app.state, 'running');
  await waitFor(realTime, 'the log line', async () => (await collectLogs(r, app.id)).includes('hello-from-stubs'));
  const ex = await r.exec(app.id, ['echo', 'exec-ok']);
  assert.is(ex.exitCode, 0);
  assert.is(text(ex.stdout).trim(), 'exec-ok');
  assert.equal((await r.listContainers()).map((c) => c.id).sort(), [sandbox.id, app.id].sort());
  await r.stopContainer(app.id, 1);
  await waitFor(realTime, "the app container's die event", () => events.some((e) => e.type === 'die' && e.id === app.id));
  await r.removeContainer(app.id);
  await r.removeContainer(sandbox.id);
  assert.equal(await r.listContainers(), []);
  off();
});

s.run();
