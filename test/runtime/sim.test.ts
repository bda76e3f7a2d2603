import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock } from '../../src/clock.ts';
import { ImagePullError, RuntimeError } from '../../src/errors.ts';
import { deriveProgram, SimRuntime } from '../../src/runtime/sim.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';
import { collectLogs, containerSpec, newPod, runtimeCompliance, text } from './compliance.ts';

let n = 0;
const flush = () => new Promise<void>((r) => setTimeout(r, 0));

runtimeCompliance('sim', async () => {
  const clock = new SimulatedClock();
  const runtime = new SimRuntime({ nodeName: `sim-node-${++n}`, clock });
  await runtime.start();
  return {
    runtime,
    cleanup: async () => {
      await runtime.stop();
    },
    advance: async (ms) => {
      clock.advance(ms);
      await flush();
    },
    kill: (id) => Promise.resolve(runtime.kill(id)),
  };
});

const s = suite('sim runtime');

s('deriveProgram: exit codes, sleeps, echo, anything else runs', () => {
  assert.equal(deriveProgram(['sh', '-c', 'exit 3']), {
    outputs: [],
    exitAfterMs: 0,
    exitCode: 3,
    cpu: 0,
  });
  assert.is(deriveProgram(['false']).exitCode, 1);
  assert.is(deriveProgram(['/bin/false']).exitAfterMs, 0);
  assert.is(deriveProgram(['true']).exitCode, 0);
  assert.is(deriveProgram(['true']).exitAfterMs, 0);
  assert.is(deriveProgram(['sleep', '5']).exitAfterMs, 5000);
  assert.is(deriveProgram(['sleep', '0.5']).exitAfterMs, 500);
  assert.is(deriveProgram(['sleep', '2m']).exitAfterMs, 120000);
  assert.is(deriveProgram(['sleep', 'infinity']).exitAfterMs, undefined);
  assert.is(deriveProgram(['nginx']).exitAfterMs, undefined);
  assert.is(deriveProgram([]).exitAfterMs, undefined, 'the image default (sh) runs until stopped');
  const p = deriveProgram(['sh', '-c', 'echo a; sleep 2 && echo "$X-y" >&2; false || exit 7'], {
    X: 'x',
  });
  assert.equal(p.outputs, [
    { atMs: 0, stream: 1, text: 'a\n' },
    { atMs: 2000, stream: 2, text: 'x-y\n' },
  ]);
  assert.is(p.exitAfterMs, 2000);
  assert.is(p.exitCode, 7);
  assert.is(deriveProgram(['sh', '-c', 'false && echo no']).exitCode, 1);
  assert.is(deriveProgram(['sh', '-c', 'false && echo no']).outputs.length, 0);
  const server = deriveProgram(['sh', '-c', 'echo starting; httpd -f -p 8080']);
  assert.is(server.exitAfterMs, undefined, 'an unknown command blocks');
  assert.is(server.outputs.length, 1);
  assert.is(deriveProgram(['sh', '-c', 'while :; do sleep 1; done']).exitAfterMs, undefined);
  assert.is(deriveProgram(['sh', '-c', 'sleep 1 | cat']).exitAfterMs, undefined);
  assert.is(deriveProgram(['sh', '-c', "echo 'single $NOPE'"]).outputs[0]!.text, 'single $NOPE\n');
});

s('spec.sim drives the behaviour, with simulated time', async () => {
  const clock = new SimulatedClock();
  const rt = new SimRuntime({ nodeName: 'n1', clock });
  await rt.start();
  const events: RuntimeEvent[] = [];
  rt.onEvent((e) => events.push(e));
  const pod = newPod('simb');
  const sbx = await rt.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const c = await rt.startContainer(
    sbx.id,
    containerSpec(pod, 'app', ['whatever'], undefined, { sim: { exitAfterMs: 5000, exitCode: 2 } }),
  );
  clock.advance(4999);
  assert.is((await rt.inspect(c.id))?.state, 'running');
  clock.advance(1);
  const info = await rt.inspect(c.id);
  assert.is(info?.state, 'exited');
  assert.is(info?.exitCode, 2);
  assert.is(
    info?.finishedAt,
    new Date(Date.UTC(2026, 0, 1, 0, 0, 5)).toISOString().replace('.000', ''),
  );
  assert.equal(
    events.filter((e) => e.id === c.id).map((e) => [e.type, e.exitCode]),
    [['start', undefined], ['die', 2]],
  );
  assert.is(clock.pending(), 0, 'no timers left behind');
});

s('startDelayMs: the container starts after the delay', async () => {
  const clock = new SimulatedClock();
  const rt = new SimRuntime({ nodeName: 'n1', clock, startDelayMs: 2000 });
  await rt.start();
  const pod = newPod('delay');
  let sbxDone = false;
  const p = rt.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] }).then((i) => {
    sbxDone = true;
    return i;
  });
  await flush();
  assert.is(sbxDone, false);
  const listed = await rt.listContainers();
  assert.is(listed.length, 1);
  assert.is(listed[0]!.state, 'created');
  clock.advance(2000);
  const sbx = await p;
  assert.is(sbx.state, 'running');
  assert.is(sbx.startedAt, '2026-01-01T00:00:02Z');
});

s('cpu use is tracked lazily and capped by the limit', async () => {
  const clock = new SimulatedClock();
  const rt = new SimRuntime({ nodeName: 'n1', clock });
  await rt.start();
  const pod = newPod('cpu');
  const sbx = await rt.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const a = await rt.startContainer(
    sbx.id,
    containerSpec(pod, 'a', undefined, undefined, { sim: { cpu: 0.5 } }),
  );
  const b = await rt.startContainer(
    sbx.id,
    containerSpec(pod, 'b', undefined, undefined, { sim: { cpu: 2 }, cpuMillis: 250 }),
  );
  clock.advance(10_000);
  assert.equal(rt.cpuUsage(a.id), { cores: 0.5, cpuSeconds: 5 });
  assert.equal(rt.cpuUsage(b.id), { cores: 0.25, cpuSeconds: 2.5 });
  rt.setCpu(a.id, 1);
  clock.advance(10_000);
  assert.equal(rt.cpuUsage(a.id), { cores: 1, cpuSeconds: 15 });
  await rt.stopContainer(a.id, 0);
  clock.advance(10_000);
  assert.equal(rt.cpuUsage(a.id), { cores: 0, cpuSeconds: 15 });
  assert.is(rt.cpuUsage('nope'), undefined);
});

s('images: present list, addImage, pulls fail', async () => {
  const rt = new SimRuntime({ nodeName: 'n1', images: ['nginx:1.27'] });
  await rt.ensureImage('nginx:1.27', 'Never');
  await rt.ensureImage('docker.io/library/nginx:1.27', 'Always'); // present: the local copy is used
  try {
    await rt.ensureImage('busybox', 'IfNotPresent');
    assert.unreachable('busybox is not in the list');
  } catch (e) {
    assert.instance(e, ImagePullError);
    assert.match((e as Error).message, 'failed to pull image "busybox"');
  }
  rt.addImage('busybox');
  await rt.ensureImage('busybox:latest', 'Never');
});

s('published ports: chosen or requested, conflicts refused, released on stop', async () => {
  const rt = new SimRuntime({ nodeName: 'n1', clock: new SimulatedClock() });
  await rt.start();
  const ports = [
    { containerPort: 80, protocol: 'TCP' as const, hostPort: 8080 },
    { containerPort: 53, protocol: 'UDP' as const },
  ];
  const a = await rt.createSandbox({ pod: newPod('pa'), hostIP: '127.0.0.1', ports });
  assert.is(a.ports![0]!.hostPort, 8080);
  assert.ok(a.ports![1]!.hostPort >= 32768);
  try {
    await rt.createSandbox({ pod: newPod('pb'), hostIP: '127.0.0.1', ports });
    assert.unreachable('port 8080 is taken');
  } catch (e) {
    assert.instance(e, RuntimeError);
    assert.match((e as Error).message, 'port is already allocated');
  }
  const other = await rt.createSandbox({ pod: newPod('pc'), hostIP: '127.0.0.2', ports });
  assert.is(other.ports![0]!.hostPort, 8080, 'another address has its own ports');
  await rt.stopContainer(a.id, 0);
  const b = await rt.createSandbox({ pod: newPod('pb'), hostIP: '127.0.0.1', ports });
  assert.is(b.ports![0]!.hostPort, 8080);
  assert.is(rt.size, 3, 'the failed sandbox was not kept');
});

s('events are delivered only while started', async () => {
  const clock = new SimulatedClock();
  const rt = new SimRuntime({ nodeName: 'n1', clock });
  const events: RuntimeEvent[] = [];
  rt.onEvent((e) => events.push(e));
  const pod = newPod('ev');
  const sbx = await rt.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  assert.is(events.length, 0);
  await rt.start();
  await rt.startContainer(sbx.id, containerSpec(pod, 'x', ['true']));
  clock.advance(0);
  assert.equal(events.map((e) => e.type), ['start', 'die']);
});

s('logs: a line per start, tail, removal ends a follow', async () => {
  const clock = new SimulatedClock();
  const rt = createRuntime('sim', { nodeName: 'n1', clock });
  await rt.start();
  const pod = newPod('lg');
  const sbx = await rt.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
  const c = await rt.startContainer(sbx.id, containerSpec(pod, 'web', ['httpd', '-f']));
  assert.is(await collectLogs(rt, c.id), 'sim: started web\n');
  assert.is(await collectLogs(rt, sbx.id), 'sim: started POD\n');
  let out = '';
  const follow = (async () => {
    for await (const chunk of rt.logs(c.id, { follow: true })) out += text(chunk);
  })();
  await flush();
  await rt.removeContainer(c.id);
  await follow;
  assert.is(out, 'sim: started web\n');
});

s('tens of thousands of containers are cheap', async () => {
  const clock = new SimulatedClock();
  const rt = new SimRuntime({ nodeName: 'big', clock });
  await rt.start();
  let dies = 0;
  rt.onEvent((e) => {
    if (e.type === 'die') dies++;
  });
  const t0 = Date.now();
  const N = 10_000;
  for (let i = 0; i < N; i++) {
    const pod = newPod('p');
    const sbx = await rt.createSandbox({ pod, hostIP: '127.0.0.1', ports: [] });
    // every tenth container exits after a while, the rest run until stopped
    const sim = i % 10 === 0 ? { exitAfterMs: 1000 + i, cpu: 0.1 } : { cpu: 0.1 };
    await rt.startContainer(sbx.id, containerSpec(pod, 'app', undefined, undefined, { sim }));
  }
  assert.is(rt.size, 2 * N);
  assert.is(clock.pending(), N / 10, 'timers only for containers that will exit');
  clock.advance(1000 + N);
  assert.is(dies, N / 10);
  assert.is((await rt.listContainers()).length, 2 * N);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 20_000, `took ${elapsed} ms`);
});

s('stateFile: the engine outlives the node process, as dockerd does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'starling-sim-state-'));
  try {
    const stateFile = join(dir, 'sim-engine');
    const clock = new SimulatedClock();
    const a = new SimRuntime({ nodeName: 'n1', clock, stateFile, saveEveryMs: 500 });
    await a.start();
    const pod = newPod('keep');
    const sbx = await a.createSandbox({ pod, hostIP: '127.0.0.1', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    const server = await a.startContainer(sbx.id, containerSpec(pod, 'server', ['httpd']));
    const job = await a.startContainer(sbx.id, containerSpec(pod, 'job', ['sleep', '10']));
    clock.advance(500); // the periodic write
    const late = await a.startContainer(sbx.id, containerSpec(pod, 'late', ['httpd']));
    // the node process dies (SIGKILL): what changed after the last write is lost with it
    const killed = join(dir, 'sim-engine-at-kill');
    copyFileSync(stateFile, killed);
    await a.stop();
    const b = new SimRuntime({ nodeName: 'n1', clock, stateFile: killed });
    clock.advance(20_000);
    await b.start();
    const byId = new Map((await b.listContainers()).map((c) => [c.id, c]));
    assert.is(byId.get(sbx.id)?.state, 'running', 'the sandbox kept running');
    assert.equal(byId.get(sbx.id)?.ports, sbx.ports, 'with its ports');
    assert.is(byId.get(server.id)?.state, 'running');
    assert.is(byId.get(server.id)?.startedAt, server.startedAt);
    assert.is(byId.get(job.id)?.state, 'exited', 'the job ended while the node was down');
    assert.is(byId.get(job.id)?.exitCode, 0);
    assert.is(byId.get(job.id)?.finishedAt, '2026-01-01T00:00:10Z', 'when it would have');
    assert.not.ok(byId.has(late.id), 'started after the last write');
    const clash = await b.createSandbox({ pod: newPod('clash'), hostIP: '127.0.0.1', ports: [{ containerPort: 80, protocol: 'TCP', hostPort: sbx.ports![0]!.hostPort }] })
      .then(() => 'created', (e: Error) => e.message);
    assert.match(clash, /already allocated/, 'the restored sandbox still holds its port');
    // a clean stop writes everything; the next engine carries on from it
    await b.removeContainer(job.id);
    await b.stop();
    const c = new SimRuntime({ nodeName: 'n1', clock, stateFile: killed });
    await c.start();
    assert.equal((await c.listContainers()).map((x) => x.id).sort(), [sbx.id, server.id].sort());
    await c.stop();
    writeFileSync(killed, 'not msgpack at all');
    const garbage = await new SimRuntime({ nodeName: 'n1', clock, stateFile: killed }).start().then(() => 'started', (e: Error) => e.message);
    assert.match(garbage, /sim-engine-at-kill/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

s.run();
