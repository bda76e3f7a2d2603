// The shared compliance suite that every ContainerRuntime must pass (docker and sim).
// Time-dependent checks go through `advance` when the harness has one (the sim's simulated
// clock); otherwise they wait in real time in short, bounded steps.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { ImagePullError, StarlingError } from '../../src/errors.ts';
import { SANDBOX_CONTAINER } from '../../src/runtime/types.ts';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  PodRef,
  RuntimeEvent,
} from '../../src/runtime/types.ts';

export interface RuntimeHarness {
  /** a started runtime with a node name of its own (each make() call: a new node name) */
  runtime: ContainerRuntime;
  /** stops the runtime and removes every container it made */
  cleanup(): Promise<void>;
  /** moves simulated time forward (sim); absent: real time is used */
  advance?(ms: number): Promise<void>;
  /** kills a container from outside Starling (`docker kill`; the sim's kill()) */
  kill(id: string): Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy; bounded in wall time and in count. */
export async function waitFor<T>(
  h: Pick<RuntimeHarness, 'advance'>,
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 2000; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) break;
    if (h.advance) await h.advance(100);
    else await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function newPod(prefix: string): PodRef {
  const uid = randomUUID();
  return { uid, name: `${prefix}-${uid.slice(0, 6)}`, namespace: 'default' };
}

export function containerSpec(
  pod: PodRef,
  name: string,
  command?: string[],
  args?: string[],
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return {
    pod,
    name,
    image: 'busybox:latest',
    command,
    args,
    env: [],
    mounts: [],
    attempt: 0,
    ...extra,
  };
}

const decoder = new TextDecoder();
export const text = (b: Uint8Array) => decoder.decode(b);

export async function collectLogs(
  rt: ContainerRuntime,
  id: string,
  opts: { follow?: boolean; tail?: number } = {},
): Promise<string> {
  let out = '';
  for await (const chunk of rt.logs(id, opts)) out += decoder.decode(chunk, { stream: true });
  return out;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

const samePod = (a: PodRef, b: PodRef) =>
  a.uid === b.uid && a.name === b.name && a.namespace === b.namespace;

export function runtimeCompliance(name: string, make: () => Promise<RuntimeHarness>) {
  const s = suite(`${name} runtime compliance`);
  let harness: RuntimeHarness | undefined;
  let setupError: unknown;
  const h = (): RuntimeHarness => {
    if (!harness) {
      const why = setupError instanceof Error ? setupError.message : String(setupError);
      throw new Error(`${name} runtime could not be set up: ${why}`);
    }
    return harness;
  };

  s.before(async () => {
    try {
      harness = await make();
    } catch (e) {
      setupError = e;
    }
  });
  s.after(async () => {
    await harness?.cleanup();
  });

  const sandbox = (pod: PodRef, ports = [{ containerPort: 8080, protocol: 'TCP' as const }]) =>
    h().runtime.createSandbox({ pod, hostIP: '127.0.0.1', ports });

  s('kind and node name', () => {
    const { runtime } = h();
    assert.is(runtime.kind, name);
    assert.ok(runtime.nodeName.length > 0);
  });

  s('sandbox and container lifecycle', async () => {
    const { runtime: rt } = h();
    await rt.ensureImage('busybox', 'IfNotPresent');
    const pod = newPod('life');
    const sbx = await sandbox(pod);
    assert.is(sbx.state, 'running');
    assert.is(sbx.name, SANDBOX_CONTAINER);
    assert.is(sbx.node, rt.nodeName);
    assert.ok(samePod(sbx.pod, pod), 'sandbox carries the pod labels');
    assert.is(sbx.ports?.length, 1);
    assert.is(sbx.ports![0]!.containerPort, 8080);
    assert.is(sbx.ports![0]!.hostIP, '127.0.0.1');
    assert.ok(sbx.ports![0]!.hostPort > 0, 'a host port was chosen');

    const c = await rt.startContainer(
      sbx.id,
      containerSpec(pod, 'main', ['sleep', '3600'], undefined, { attempt: 2 }),
    );
    assert.is(c.state, 'running');
    assert.is(c.name, 'main');
    assert.is(c.attempt, 2);
    assert.is(c.node, rt.nodeName);
    assert.ok(samePod(c.pod, pod));
    assert.type(c.startedAt, 'string');
    assert.is(c.ports, undefined, 'only the sandbox has ports');

    const listed = await rt.listContainers();
    const lc = listed.find((x) => x.id === c.id);
    const ls = listed.find((x) => x.id === sbx.id);
    assert.ok(lc, 'the container is listed');
    assert.ok(ls, 'the sandbox is listed');
    assert.is(lc!.state, 'running');
    assert.is(lc!.name, 'main');
    assert.is(lc!.attempt, 2);
    assert.is(lc!.node, rt.nodeName);
    assert.ok(samePod(lc!.pod, pod));
    assert.is(ls!.name, SANDBOX_CONTAINER);

    await rt.stopContainer(c.id, 1);
    const stopped = await rt.inspect(c.id);
    assert.is(stopped?.state, 'exited');
    assert.type(stopped?.exitCode, 'number');
    assert.type(stopped?.finishedAt, 'string');
    await rt.stopContainer(c.id, 1); // already stopped: no error

    await rt.removeContainer(c.id);
    assert.is(await rt.inspect(c.id), undefined);
    assert.not.ok(
      (await rt.listContainers()).some((x) => x.id === c.id),
      'removed container is not listed',
    );
    await rt.removeContainer(c.id); // already gone: no error

    await rt.stopContainer(sbx.id, 5);
    const sStopped = await rt.inspect(sbx.id);
    assert.is(sStopped?.state, 'exited');
    assert.is(sStopped?.exitCode, 0, 'the sandbox exits 0 on SIGTERM');
    await rt.removeContainer(sbx.id);
    assert.is(await rt.inspect(sbx.id), undefined);
  });

  s('a container without a sandbox holds its own network: ports, and the port it had before', async () => {
    const { runtime: rt } = h();
    const pod = newPod('own');
    const network = (preferHostPort?: number) => ({
      hostIP: '127.0.0.1',
      ports: [{ containerPort: 8080, protocol: 'TCP' as const, preferHostPort }],
      hostname: pod.name,
    });
    const first = await rt.startContainer(undefined, containerSpec(pod, 'app', ['sleep', '3600'], undefined, { network: network() }));
    assert.is(first.state, 'running');
    assert.is(first.ports?.length, 1, 'it publishes the pod port itself');
    const port = first.ports![0]!.hostPort;
    assert.ok(port > 0, 'a host port was chosen');
    assert.is(first.ports![0]!.hostIP, '127.0.0.1');
    assert.equal((await rt.listContainers()).find((x) => x.id === first.id)?.ports, first.ports, 'listed with its ports');

    await rt.stopContainer(first.id, 1);
    const again = await rt.startContainer(undefined, containerSpec(pod, 'app', ['sleep', '3600'], undefined, { attempt: 1, network: network(port) }));
    assert.is(again.ports![0]!.hostPort, port, 'the restarted container takes the port it had');

    // the port is in use by the running one: another container asking for it gets a free one
    const other = newPod('own2');
    const second = await rt.startContainer(undefined, containerSpec(other, 'app', ['sleep', '3600'], undefined, { network: network(port) }));
    assert.ok(second.ports![0]!.hostPort > 0 && second.ports![0]!.hostPort !== port, 'a taken port is not asked for twice');

    const err = await rejection(rt.startContainer(undefined, containerSpec(pod, 'app', ['true'], undefined, { attempt: 2 })));
    assert.instance(err, StarlingError);
    assert.match((err as Error).message, /neither a sandbox nor a network of its own/);
    for (const c of [first, again, second]) await rt.removeContainer(c.id);
  });

  s('exit codes and die events', async () => {
    const hh = h();
    const rt = hh.runtime;
    const events: RuntimeEvent[] = [];
    const unsubscribe = rt.onEvent((e) => events.push(e));
    try {
      const pod = newPod('exit');
      const sbx = await sandbox(pod, []);
      const c = await rt.startContainer(
        sbx.id,
        containerSpec(pod, 'three', ['sh', '-c', 'exit 3']),
      );
      const f = await rt.startContainer(sbx.id, containerSpec(pod, 'false', ['false']));
      const die = await waitFor(
        hh,
        'die event with exit code 3',
        () => events.find((e) => e.type === 'die' && e.id === c.id),
      );
      assert.is(die.exitCode, 3);
      assert.is(die.name, 'three');
      assert.ok(samePod(die.pod, pod));
      assert.type(die.at, 'string');
      const start = events.findIndex((e) => e.type === 'start' && e.id === c.id);
      assert.ok(start >= 0, 'a start event arrived');
      assert.ok(start < events.indexOf(die), 'start comes before die');
      const info = await rt.inspect(c.id);
      assert.is(info?.state, 'exited');
      assert.is(info?.exitCode, 3);
      assert.is(info?.oomKilled ?? false, false);
      const dieF = await waitFor(
        hh,
        'die event of `false`',
        () => events.find((e) => e.type === 'die' && e.id === f.id),
      );
      assert.is(dieF.exitCode, 1);
    } finally {
      unsubscribe();
    }
    // after unsubscribing, nothing more is delivered
    const before = events.length;
    const pod = newPod('unsub');
    const sbx = await sandbox(pod, []);
    const c = await rt.startContainer(sbx.id, containerSpec(pod, 'quick', ['true']));
    await waitFor(
      hh,
      'the container to exit',
      async () => (await rt.inspect(c.id))?.state === 'exited',
    );
    assert.is(events.length, before);
  });

  s('an external kill produces a die event', async () => {
    const hh = h();
    const rt = hh.runtime;
    const events: RuntimeEvent[] = [];
    const unsubscribe = rt.onEvent((e) => events.push(e));
    try {
      const pod = newPod('kill');
      const sbx = await sandbox(pod, []);
      const c = await rt.startContainer(sbx.id, containerSpec(pod, 'victim', ['sleep', '3600']));
      await hh.kill(c.id);
      const die = await waitFor(
        hh,
        'die event after kill',
        () => events.find((e) => e.type === 'die' && e.id === c.id),
      );
      assert.is(die.exitCode, 137);
      assert.is((await rt.inspect(c.id))?.state, 'exited');
    } finally {
      unsubscribe();
    }
  });

  s('a missing image with IfNotPresent is ErrImagePull, quickly', async () => {
    const rt = h().runtime;
    // a registry on loopback that is not there: the pull fails at once, with no outside traffic
    const image = `127.0.0.1:1/starling-missing/img-${randomUUID().slice(0, 8)}:v1`;
    const t0 = Date.now();
    const err = await rejection(rt.ensureImage(image, 'IfNotPresent'));
    assert.instance(err, ImagePullError);
    assert.is((err as ImagePullError).code, 'ErrImagePull');
    assert.match((err as Error).message, image);
    assert.ok(Date.now() - t0 < 20000, 'bounded in time');

    const pod = newPod('noimg');
    const sbx = await sandbox(pod, []);
    const err2 = await rejection(
      rt.startContainer(sbx.id, { ...containerSpec(pod, 'app', ['true']), image }),
    );
    assert.instance(
      err2,
      ImagePullError,
      'starting a container with a missing image is ErrImagePull',
    );
  });

  s('pull policy Never', async () => {
    const rt = h().runtime;
    const image = `127.0.0.1:1/starling-missing/never-${randomUUID().slice(0, 8)}:v1`;
    const err = await rejection(rt.ensureImage(image, 'Never'));
    assert.instance(err, ImagePullError);
    assert.is((err as ImagePullError).code, 'ErrImagePull');
    assert.match(
      (err as Error).message,
      `Container image "${image}" is not present with pull policy of Never`,
    );
    await rt.ensureImage('busybox:latest', 'Never'); // present: fine
    await rt.ensureImage('busybox', 'Never'); // `busybox` is `busybox:latest`
  });

  s("listContainers shows only this node's containers", async () => {
    const rt = h().runtime;
    const other = await make();
    try {
      assert.is.not(other.runtime.nodeName, rt.nodeName);
      const p1 = newPod('mine');
      const p2 = newPod('theirs');
      const s1 = await sandbox(p1, []);
      const s2 = await other.runtime.createSandbox({ pod: p2, hostIP: '127.0.0.1', ports: [] });
      const l1 = await rt.listContainers();
      const l2 = await other.runtime.listContainers();
      assert.ok(l1.some((c) => c.id === s1.id));
      assert.not.ok(l1.some((c) => c.id === s2.id), "the other node's sandbox is not listed");
      assert.ok(l2.some((c) => c.id === s2.id));
      assert.not.ok(l2.some((c) => c.id === s1.id));
      assert.ok(l1.every((c: ContainerInfo) => c.node === rt.nodeName));
      assert.ok(l2.every((c: ContainerInfo) => c.node === other.runtime.nodeName));
    } finally {
      await other.cleanup();
    }
  });

  s('exec returns the exit code and the output', async () => {
    const rt = h().runtime;
    const pod = newPod('exec');
    const sbx = await sandbox(pod, []);
    const c = await rt.startContainer(sbx.id, containerSpec(pod, 'main', ['sleep', '3600']));
    const r = await rt.exec(c.id, ['sh', '-c', 'echo out; echo err >&2; exit 4']);
    assert.is(r.exitCode, 4);
    assert.is(text(r.stdout), 'out\n');
    assert.is(text(r.stderr), 'err\n');
    const r2 = await rt.exec(c.id, ['echo', 'hello', 'world']);
    assert.is(r2.exitCode, 0);
    assert.is(text(r2.stdout), 'hello world\n');
    assert.is(r2.stderr.length, 0);
    const err = await rejection(rt.exec('starlingnosuchcontainer0', ['true']));
    assert.instance(err, StarlingError);
    await rt.stopContainer(c.id, 0);
    const err2 = await rejection(rt.exec(c.id, ['true']));
    assert.instance(err2, StarlingError, 'exec in a stopped container fails');
  });

  s('stats of a running container: cumulative CPU and memory; none once stopped', async () => {
    const rt = h().runtime;
    const pod = newPod('stats');
    const sbx = await sandbox(pod, []);
    const c = await rt.startContainer(sbx.id, containerSpec(pod, 'main', ['sleep', '3600']));
    const st = await rt.stats(c.id);
    assert.ok(st, 'a running container has stats');
    assert.ok(st!.cpuNanos >= 0 && st!.memoryBytes >= 0 && st!.at > 0);
    await rt.stopContainer(c.id, 0);
    assert.is(await rt.stats(c.id), undefined);
    assert.is(await rt.stats('starlingnosuchcontainer0'), undefined);
  });

  s('logs return the output; tail; env is honoured', async () => {
    const hh = h();
    const rt = hh.runtime;
    const pod = newPod('logs');
    const sbx = await sandbox(pod, []);
    const c = await rt.startContainer(
      sbx.id,
      containerSpec(
        pod,
        'talker',
        ['sh', '-c', 'echo one; echo "$GREETING"; echo three'],
        undefined,
        {
          env: [{ name: 'GREETING', value: 'two words' }],
        },
      ),
    );
    await waitFor(
      hh,
      'the container to exit',
      async () => (await rt.inspect(c.id))?.state === 'exited',
    );
    const all = await collectLogs(rt, c.id);
    assert.match(all, /one\ntwo words\nthree\n$/);
    assert.is(await collectLogs(rt, c.id, { tail: 1 }), 'three\n');
    assert.is(await collectLogs(rt, c.id, { tail: 2 }), 'two words\nthree\n');
    // stderr is in the logs too (its order relative to stdout is not guaranteed by docker)
    const e = await rt.startContainer(
      sbx.id,
      containerSpec(pod, 'stderr', ['sh', '-c', 'echo to-stderr >&2']),
    );
    await waitFor(
      hh,
      'the container to exit',
      async () => (await rt.inspect(e.id))?.state === 'exited',
    );
    assert.match(await collectLogs(rt, e.id), /to-stderr\n$/);
    const err = await rejection(collectLogs(rt, 'starlingnosuchcontainer0'));
    assert.instance(err, StarlingError);
  });

  s('logs follow until the container exits', async () => {
    const hh = h();
    const rt = hh.runtime;
    const pod = newPod('follow');
    const sbx = await sandbox(pod, []);
    const c = await rt.startContainer(
      sbx.id,
      containerSpec(pod, 'slow', ['sh', '-c', 'echo a; sleep 1; echo b']),
    );
    let out = '';
    let done = false;
    let failed: unknown;
    const reader = (async () => {
      for await (const chunk of rt.logs(c.id, { follow: true })) out += text(chunk);
    })().then(
      () => (done = true),
      (e) => {
        failed = e;
        done = true;
      },
    );
    await waitFor(hh, 'the followed log to end', () => done);
    await reader;
    if (failed) throw failed;
    assert.match(out, /a\nb\n$/);
  });

  s('stop, remove and inspect of an unknown id', async () => {
    const rt = h().runtime;
    const id = 'starlingnosuchcontainer0';
    await rt.stopContainer(id, 1);
    await rt.removeContainer(id);
    assert.is(await rt.inspect(id), undefined);
  });

  s('startContainer in a missing sandbox fails clearly', async () => {
    const rt = h().runtime;
    const pod = newPod('nosbx');
    const err = await rejection(
      rt.startContainer('starlingnosuchcontainer0', containerSpec(pod, 'app', ['true'])),
    );
    assert.instance(err, StarlingError);
    assert.match((err as Error).message, /sandbox/);
  });

  s.run();
}
