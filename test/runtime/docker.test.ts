// The docker runtime against the local Docker Engine: the shared compliance suite, then what
// only real containers can show (localhost inside a pod, shared mounts, published ports, limits).
// Needs Docker (scripts/setup); when Docker cannot be reached every test FAILS with the reason.
// Every container carries a node label unique to this run and is removed in `after` hooks.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Docker from 'dockerode';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { ImagePullError, RuntimeError } from '../../src/errors.ts';
import { DockerRuntime } from '../../src/runtime/docker.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { LABELS } from '../../src/runtime/types.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';
import {
  collectLogs,
  containerSpec,
  newPod,
  runtimeCompliance,
  sleep,
  text,
  waitFor,
} from './compliance.ts';
import type { RuntimeHarness } from './compliance.ts';

// STARLING_DOCKER_SOCKET overrides the socket (e.g. to see how the suite fails without Docker)
const SOCKET = process.env.STARLING_DOCKER_SOCKET || '/var/run/docker.sock';
const RUN = `starling-test-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
const docker = new Docker({ socketPath: SOCKET });
const realTime: Pick<RuntimeHarness, 'advance'> = {};

/** Removes every container of this test run (all node names start with RUN). */
async function removeRunContainers(nodeName?: string): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [nodeName ? `${LABELS.node}=${nodeName}` : LABELS.node] },
  });
  const mine = list.filter((c) => (c.Labels[LABELS.node] ?? '').startsWith(nodeName ?? RUN));
  await Promise.all(
    mine.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})),
  );
  return mine.length;
}

let nodes = 0;
async function makeDocker(): Promise<RuntimeHarness> {
  const nodeName = `${RUN}-n${++nodes}`;
  const runtime = new DockerRuntime({ nodeName, socketPath: SOCKET, pullTimeoutMs: 15000 });
  try {
    await runtime.start();
  } catch (e) {
    throw new Error(
      `Docker is not reachable at ${SOCKET} (start it with scripts/setup): ${(e as Error).message}`,
    );
  }
  return {
    runtime,
    cleanup: async () => {
      await runtime.stop();
      await removeRunContainers(nodeName);
    },
    kill: async (id) => {
      await docker.getContainer(id).kill();
    },
  };
}

runtimeCompliance('docker', makeDocker);

// ------------------------------------------------------------------ docker only

const s = suite('docker runtime');
let h: RuntimeHarness | undefined;
let setupError: unknown;
let tmpDir: string | undefined;
const images: string[] = [];
const rt = (): DockerRuntime => {
  if (!h) throw new Error(`docker runtime could not be set up: ${(setupError as Error)?.message}`);
  return h.runtime as DockerRuntime;
};

s.before(async () => {
  try {
    h = await makeDocker();
  } catch (e) {
    setupError = e;
  }
});
s.after(async () => {
  await h?.cleanup();
  for (const image of images) await docker.getImage(image).remove({ force: true }).catch(() => {});
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});

/** A raw HTTP/1.0 GET over node:net (loopback only); resolves with the whole response. */
function httpGet(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`GET http://${host}:${port}/ timed out`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    sock.on('data', (b) => (data += b.toString()));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

s('start() against a missing socket is RuntimeUnavailable', async () => {
  const bad = new DockerRuntime({ nodeName: `${RUN}-bad`, socketPath: '/nonexistent/docker.sock' });
  try {
    await bad.start();
    assert.unreachable('start() should fail');
  } catch (e) {
    assert.instance(e, RuntimeError);
    assert.is((e as RuntimeError).code, 'RuntimeUnavailable');
    assert.match((e as Error).message, 'cannot reach Docker at /nonexistent/docker.sock');
  }
});

s(
  'containers of a pod talk over localhost; the published port is reachable on loopback',
  async () => {
    const r = rt();
    const pod = newPod('web');
    const sbx = await r.createSandbox({
      pod,
      hostIP: '127.0.0.1',
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
    });
    const port = sbx.ports!.find((p) => p.containerPort === 8080)!;
    assert.is(port.hostIP, '127.0.0.1');
    await r.startContainer(
      sbx.id,
      containerSpec(pod, 'web', [
        'sh',
        '-c',
        'mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
      ]),
    );
    const client = await r.startContainer(sbx.id, containerSpec(pod, 'client', ['sleep', '3600']));
    const got = await waitFor(
      realTime,
      'wget from the other container over localhost',
      async () => {
        // (no `-T`: the static busybox's wget crashes with it; httpd answers or refuses at once)
        const res = await r.exec(client.id, ['wget', '-q', '-O', '-', 'http://localhost:8080/']);
        return res.exitCode === 0 && text(res.stdout);
      },
      10000,
    );
    assert.is(got, 'hello-from-web\n');
    const raw = await r.exec(client.id, [
      'sh',
      '-c',
      'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 127.0.0.1 8080',
    ]);
    assert.is(raw.exitCode, 0);
    assert.match(text(raw.stdout), /^HTTP\/1\.[01] 200[^]*hello-from-web/);
    // nc from busybox as well (connect, send nothing, read the reply of an nc server)
    await r.startContainer(
      sbx.id,
      containerSpec(pod, 'ncserver', ['sh', '-c', 'echo nc-reply | nc -l -p 9090']),
    );
    const nc = await waitFor(realTime, 'nc over localhost', async () => {
      const res = await r.exec(client.id, ['sh', '-c', 'nc -w 2 127.0.0.1 9090 </dev/null']);
      return res.exitCode === 0 && text(res.stdout).includes('nc-reply') && text(res.stdout);
    }, 10000);
    assert.match(nc, 'nc-reply');
    // and from this process, through the port published on 127.0.0.1
    const resp = await waitFor(realTime, 'the published port', async () => {
      const body = await httpGet('127.0.0.1', port.hostPort).catch(() => '');
      return body.includes('hello-from-web') && body;
    }, 10000);
    assert.match(resp, /^HTTP\/1\.[01] 200/);
  },
);

s('a requested host port is used; a taken one is refused and nothing is left behind', async () => {
  const r = rt();
  // find a free loopback port by letting Docker choose, then ask for it again
  const p1 = newPod('hp1');
  const first = await r.createSandbox({
    pod: p1,
    hostIP: '127.0.0.1',
    ports: [{ containerPort: 80, protocol: 'TCP' }],
  });
  const hostPort = first.ports![0]!.hostPort;
  await r.removeContainer(first.id);
  const p2 = newPod('hp2');
  const second = await r.createSandbox({
    pod: p2,
    hostIP: '127.0.0.1',
    ports: [{ containerPort: 80, protocol: 'TCP', hostPort }],
  });
  assert.is(second.ports![0]!.hostPort, hostPort);
  const p3 = newPod('hp3');
  try {
    await r.createSandbox({
      pod: p3,
      hostIP: '127.0.0.1',
      ports: [{ containerPort: 80, protocol: 'TCP', hostPort }],
    });
    assert.unreachable('the port is taken');
  } catch (e) {
    assert.instance(e, RuntimeError);
    assert.match((e as Error).message, /already allocated|address already in use/);
  }
  const left = (await r.listContainers()).filter((c) => c.pod.uid === p3.uid);
  assert.is(left.length, 0, 'the sandbox that could not start was removed');
});

s('a shared bind mount (emptyDir style); readOnly is enforced', async () => {
  const r = rt();
  tmpDir = mkdtempSync(join(tmpdir(), 'starling-runtime-'));
  const pod = newPod('vol');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  await r.startContainer(
    sbx.id,
    containerSpec(
      pod,
      'writer',
      ['sh', '-c', 'echo shared-data > /data/f && exec sleep 3600'],
      undefined,
      {
        mounts: [{ hostPath: tmpDir, containerPath: '/data', readOnly: false }],
      },
    ),
  );
  const reader = await r.startContainer(
    sbx.id,
    containerSpec(pod, 'reader', ['sleep', '3600'], undefined, {
      mounts: [{ hostPath: tmpDir, containerPath: '/data', readOnly: true }],
    }),
  );
  const content = await waitFor(realTime, 'the shared file', async () => {
    const res = await r.exec(reader.id, ['cat', '/data/f']);
    return res.exitCode === 0 && text(res.stdout);
  }, 10000);
  assert.is(content, 'shared-data\n');
  assert.is(readFileSync(join(tmpDir, 'f'), 'utf8'), 'shared-data\n');
  const ro = await r.exec(reader.id, ['sh', '-c', 'echo x > /data/g']);
  assert.is.not(ro.exitCode, 0, 'a readOnly mount cannot be written');
});

s('cpu/memory limits, labels, network and restart policy in the HostConfig', async () => {
  const r = rt();
  const pod = newPod('limits');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const c = await r.startContainer(
    sbx.id,
    containerSpec(pod, 'limited', ['sleep', '3600'], undefined, {
      cpuMillis: 250,
      memoryBytes: 64 * 1024 * 1024,
      attempt: 3,
    }),
  );
  const d = await docker.getContainer(c.id).inspect();
  assert.is(d.HostConfig.NanoCpus, 250_000_000);
  assert.is(d.HostConfig.Memory, 64 * 1024 * 1024);
  assert.is(d.HostConfig.NetworkMode, `container:${sbx.id}`);
  assert.ok(
    ['no', ''].includes(d.HostConfig.RestartPolicy?.Name ?? ''),
    'no docker restart policy',
  );
  assert.equal(d.Config.Labels, {
    [LABELS.podName]: pod.name,
    [LABELS.podNamespace]: pod.namespace,
    [LABELS.podUid]: pod.uid,
    [LABELS.node]: r.nodeName,
    [LABELS.container]: 'limited',
    [LABELS.attempt]: '3',
  });
  assert.is(
    d.Name,
    `/starling_default_${pod.name}_limited_${pod.uid.replace(/-/g, '').slice(0, 8)}_3`,
  );
  const s2 = await docker.getContainer(sbx.id).inspect();
  assert.is(s2.Config.Labels[LABELS.container], 'POD');
  assert.is(s2.HostConfig.RestartPolicy?.Name ?? 'no', 'no');
});

s('env, workingDir, command and args are honoured', async () => {
  const r = rt();
  const pod = newPod('args');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const c = await r.startContainer(
    sbx.id,
    containerSpec(pod, 'main', ['sh', '-c'], ['echo "$FOO" && pwd'], {
      env: [{ name: 'FOO', value: 'bar baz' }],
      workingDir: '/tmp',
    }),
  );
  await waitFor(realTime, 'exit', async () => (await r.inspect(c.id))?.state === 'exited');
  assert.is(await collectLogs(r, c.id), 'bar baz\n/tmp\n');
});

s('Kubernetes command/args semantics against an image ENTRYPOINT and CMD', async () => {
  const r = rt();
  // an image with ENTRYPOINT ["echo","from-entrypoint"] and CMD ["default-cmd"], made locally
  const tag = `${RUN}-ep`;
  const repo = 'starling-test/entrypoint';
  const tmp = await docker.createContainer({
    Image: 'busybox:latest',
    Labels: { [LABELS.node]: `${RUN}-img` },
  });
  try {
    await tmp.commit({
      repo,
      tag,
      changes: ['ENTRYPOINT ["echo","from-entrypoint"]', 'CMD ["default-cmd"]'],
    });
  } finally {
    await tmp.remove({ force: true });
  }
  const image = `${repo}:${tag}`;
  images.push(image);
  await r.ensureImage(image, 'IfNotPresent');
  const pod = newPod('ep');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const cases: [string, string[] | undefined, string[] | undefined, string][] = [
    ['neither', undefined, undefined, 'from-entrypoint default-cmd\n'],
    ['args-only', undefined, ['x', 'y'], 'from-entrypoint x y\n'],
    ['command-only', ['echo', 'cmd-only'], undefined, 'cmd-only\n'],
    ['both', ['echo'], ['a', 'b'], 'a b\n'],
  ];
  for (const [name, command, args, expected] of cases) {
    const c = await r.startContainer(sbx.id, { ...containerSpec(pod, name, command, args), image });
    await waitFor(
      realTime,
      `${name} to exit`,
      async () => (await r.inspect(c.id))?.state === 'exited',
    );
    assert.is(await collectLogs(r, c.id), expected, name);
  }
});

s('pull policy Always falls back to a local image when the pull fails', async () => {
  const r = rt();
  // tag busybox under a loopback registry that does not exist: the pull fails at once
  const repo = `127.0.0.1:1/starling-test/busybox`;
  const tag = RUN;
  await docker.getImage('busybox:latest').tag({ repo, tag });
  images.push(`${repo}:${tag}`);
  await r.ensureImage(`${repo}:${tag}`, 'Always');
  const missing = `${repo}:missing-${RUN}`;
  try {
    await r.ensureImage(missing, 'Always');
    assert.unreachable('no local copy: the pull error is reported');
  } catch (e) {
    assert.instance(e, ImagePullError);
    assert.match((e as Error).message, `failed to pull image "${missing}"`);
  }
});

s('a pull that hangs is bounded by pullTimeoutMs', async () => {
  // a "registry" on loopback that accepts connections and never answers
  const { createServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const server = createServer((sock) => sockets.push(sock));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as import('node:net').AddressInfo).port;
  try {
    const slow = new DockerRuntime({
      nodeName: `${RUN}-slow`,
      socketPath: SOCKET,
      pullTimeoutMs: 1500,
    });
    const t0 = Date.now();
    try {
      await slow.ensureImage(`127.0.0.1:${port}/starling-test/hang:v1`, 'IfNotPresent');
      assert.unreachable('the pull cannot succeed');
    } catch (e) {
      assert.instance(e, ImagePullError);
    }
    assert.ok(Date.now() - t0 < 10000, `bounded (took ${Date.now() - t0} ms)`);
  } finally {
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((res) => server.close(() => res()));
  }
});

s('a missing executable exits 127 with the reason in its logs (Docker\'s init runs it)', async () => {
  const r = rt();
  const pod = newPod('bad');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const died = new Promise<RuntimeEvent>((resolve) => {
    const off = r.onEvent((e) => {
      if (e.type === 'die' && e.pod.uid === pod.uid && e.name === 'bad') {
        off();
        resolve(e);
      }
    });
  });
  const info = await r.startContainer(sbx.id, containerSpec(pod, 'bad', ['/no/such/binary']));
  const e = await died;
  assert.is(e.exitCode, 127);
  let text = '';
  for await (const chunk of r.logs(info.id, {})) text += new TextDecoder().decode(chunk);
  assert.match(text, /no\/such\/binary/);
});

s('the sandbox stops promptly with exit 0', async () => {
  const r = rt();
  const pod = newPod('stop');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const t0 = Date.now();
  await r.stopContainer(sbx.id, 10);
  assert.ok(Date.now() - t0 < 5000, 'the sandbox honours SIGTERM');
  assert.is((await r.inspect(sbx.id))?.exitCode, 0);
});

s('a container joined to a stopped or removed sandbox is refused, naming the sandbox', async () => {
  const r = rt();
  const pod = newPod('nosbx');
  const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  await r.stopContainer(sbx.id, 1);
  const stopped = await r.startContainer(sbx.id, containerSpec(pod, 'app', ['sleep', '60'])).then(() => 'started', (e: Error) => e.message);
  assert.match(stopped, /container "app" of pod .*: sandbox [0-9a-f]{12} is not running/);
  await r.removeContainer(sbx.id);
  const gone = await r.startContainer(sbx.id, containerSpec(pod, 'app', ['sleep', '60'])).then(() => 'started', (e: Error) => e.message);
  assert.match(gone, /sandbox [0-9a-f]{64} not found/);
  assert.equal((await r.listContainers()).filter((c) => c.pod.uid === pod.uid), [], 'nothing left behind');
});

s('the event stream reconnects when it ends', async () => {
  const r = rt();
  const events: RuntimeEvent[] = [];
  const off = r.onEvent((e) => events.push(e));
  try {
    const pod = newPod('recon');
    const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
    // cut the stream, then make an event while it is down
    (r as unknown as { eventStream?: { destroy(): void } }).eventStream?.destroy();
    const c = await r.startContainer(sbx.id, containerSpec(pod, 'five', ['sh', '-c', 'exit 5']));
    const die = await waitFor(
      realTime,
      'the die event after reconnecting',
      () => events.find((e) => e.type === 'die' && e.id === c.id),
      10000,
    );
    assert.is(die.exitCode, 5);
    const c2 = await r.startContainer(sbx.id, containerSpec(pod, 'six', ['sh', '-c', 'exit 6']));
    const die2 = await waitFor(
      realTime,
      'a live die event',
      () => events.find((e) => e.type === 'die' && e.id === c2.id),
      10000,
    );
    assert.is(die2.exitCode, 6);
    await sleep(300);
    assert.is(events.filter((e) => e.id === c.id && e.type === 'die').length, 1, 'no duplicates');
  } finally {
    off();
  }
});

s('an OOM kill is reported', async () => {
  const r = rt();
  const events: RuntimeEvent[] = [];
  const off = r.onEvent((e) => events.push(e));
  try {
    const pod = newPod('oom');
    const sbx = await r.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
    const c = await r.startContainer(
      sbx.id,
      containerSpec(
        pod,
        'hog',
        ['sh', '-c', 'a=xxxxxxxxxxxxxxxx; while :; do a="$a$a"; done'],
        undefined,
        {
          memoryBytes: 16 * 1024 * 1024,
        },
      ),
    );
    const die = await waitFor(
      realTime,
      'the OOM kill',
      () => events.find((e) => e.type === 'die' && e.id === c.id),
      20000,
    );
    assert.is(die.exitCode, 137);
    assert.is(die.oomKilled, true);
    assert.is((await r.inspect(c.id))?.oomKilled, true);
  } finally {
    off();
  }
});

s('a restarted node finds its containers by label (adoption)', async () => {
  const r = rt();
  const pod = newPod('adopt');
  const sbx = await r.createSandbox({
    pod,
    hostIP: '127.0.0.1',
    ports: [{ containerPort: 80, protocol: 'TCP' }],
  });
  const again = createRuntime('docker', { nodeName: r.nodeName });
  await again.start();
  try {
    const found = (await again.listContainers()).find((c) => c.id === sbx.id);
    assert.ok(found);
    assert.equal(found!.ports, sbx.ports);
    assert.equal(found!.pod, pod);
  } finally {
    await again.stop();
  }
});

s.run();

// Last: nothing of this run is left behind (the suites' after hooks removed everything).
const final = suite('docker runtime cleanup');
final('no containers of this test run are left', async () => {
  if (setupError) {
    throw new Error(`docker runtime could not be set up: ${(setupError as Error).message}`);
  }
  const left = await removeRunContainers();
  assert.is(left, 0, `${left} container(s) were left behind`);
});
final.run();
