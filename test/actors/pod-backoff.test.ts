import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pullDelay, restartDelay } from '../../actors/backoff.ts';
import { resumeIsNoop } from '../../actors/pod-logic.ts';
import { BACKOFF, PodHarness } from './pod-harness.ts';

const test = suite('pod machine: CrashLoopBackOff and ImagePullBackOff timing');

test('restart delays: 0, 10 s, 20 s, 40 s ... capped at 5 min', () => {
  const delays = Array.from({ length: 9 }, (_, i) => restartDelay(BACKOFF, i) / 1000);
  assert.equal(delays, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  assert.equal([1, 2, 3, 6, 7].map((s) => pullDelay(BACKOFF, s) / 1000), [10, 20, 40, 300, 300]);
});

test('a container that keeps exiting goes to CrashLoopBackOff and restarts on the deadline', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  h.exit('c', 1); // immediate restart
  assert.is(h.container().restartCount, 1);
  h.now += 1000;
  h.exit('c', 1); // now 10 s back-off
  assert.is(h.container().reason, 'CrashLoopBackOff');
  assert.is(h.state, 'Running.NotReady');
  assert.is(h.ctx.wakeAt, h.now + 10_000);
  h.advance(9_999);
  assert.is(h.container().restartCount, 1, 'not before the deadline');
  h.advance(1);
  assert.is(h.container().restartCount, 2);
  assert.is(h.container().activity, 'running');
  h.exit('c', 1);
  assert.is(h.ctx.wakeAt, h.now + 20_000, 'doubles');
  for (let i = 0; i < 10; i++) {
    h.advance(h.ctx.wakeAt! - h.now);
    h.exit('c', 1);
  }
  assert.is(h.ctx.wakeAt! - h.now, 300_000, 'capped at 5 minutes');
});

test('back-off resets after the container ran for 10 minutes', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  for (let i = 0; i < 4; i++) {
    h.exit('c', 1);
    if (h.ctx.wakeAt) h.advance(h.ctx.wakeAt - h.now);
  }
  assert.ok(h.container().backoffStep >= 4);
  h.advance(600_000);
  h.exit('c', 1);
  assert.is(h.container().activity, 'running', 'restarted at once after a long run');
});

test('missing image: ErrImagePull, then ImagePullBackOff, retried with back-off', () => {
  const h = new PodHarness([{ name: 'c', image: 'nope:1' }]);
  h.schedule();
  assert.is(h.container().reason, 'ErrImagePull');
  assert.is(h.state, 'ContainerCreating');
  h.advance(1000);
  assert.is(h.container().reason, 'ImagePullBackOff');
  const retryAt = h.container().retryAt!;
  assert.is(retryAt, 10_000);
  h.advance(9_000);
  assert.is(h.container().reason, 'ErrImagePull', 'retried at 10 s, failed again');
  assert.is(h.container().retryAt, 10_000 + 20_000);
  h.images.add('nope:1');
  h.advance(21_000);
  assert.is(h.container().activity, 'running');
  assert.is(h.state, 'Running.Ready');
});

test('persisted snapshot round trip: a back-off deadline survives and fires after restore', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  h.exit('c', 1);
  h.exit('c', 1);
  const deadline = h.ctx.wakeAt!;
  const snapshot = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot()));
  h.actor.stop();
  const r = new PodHarness([], 'Always', snapshot);
  r.now = h.now;
  assert.is(r.state, 'Running.NotReady');
  assert.is(r.ctx.wakeAt, deadline);
  assert.is(r.container().reason, 'CrashLoopBackOff');
  r.advance(deadline - r.now);
  assert.is(r.container().restartCount, 2);
  assert.is(r.container().activity, 'running');
});

test('RESUMED after a node restart: running containers are adopted, dead ones restarted', () => {
  const h = new PodHarness([{ name: 'a' }, { name: 'b' }]);
  h.schedule();
  const snapshot = h.actor.getPersistedSnapshot();
  const r = new PodHarness([], 'Always', snapshot);
  r.nextId = 100;
  r.send({
    type: 'RESUMED',
    sandboxAlive: true,
    observed: [
      { name: 'a', id: h.container('a').id!, running: true },
      { name: 'b', id: h.container('b').id!, running: false, exitCode: 137 },
    ],
  });
  r.settle();
  assert.is(r.container('a').id, h.container('a').id, 'adopted, not replaced');
  assert.is(r.container('a').restartCount, 0);
  assert.is(r.container('b').restartCount, 1);
  assert.is(r.container('b').activity, 'running');
});

test('resumeIsNoop: only when the sandbox and every running container are as the actor left them', () => {
  const h = new PodHarness([{ name: 'a' }, { name: 'b' }]);
  h.schedule();
  const alive = [
    { name: 'a', id: h.container('a').id!, running: true },
    { name: 'b', id: h.container('b').id!, running: true },
  ];
  const ev = (sandboxAlive: boolean, observed: typeof alive) => ({ type: 'RESUMED' as const, at: h.now, sandboxAlive, observed });
  assert.ok(resumeIsNoop(h.ctx, ev(true, alive)));
  assert.not.ok(resumeIsNoop(h.ctx, ev(false, alive)), 'the sandbox died');
  assert.not.ok(resumeIsNoop(h.ctx, ev(true, [alive[0]!, { ...alive[1]!, running: false }])), 'a container died');
  assert.not.ok(resumeIsNoop(h.ctx, ev(true, [alive[0]!])), 'a container is gone');
  assert.not.ok(resumeIsNoop(h.ctx, ev(true, [alive[0]!, { ...alive[1]!, id: 'other' }])), 'another container');
  h.exit('b', 1);
  h.now += 1000;
  h.exit('b', 1); // waiting out a back-off, on its own timer
  assert.is(h.container('b').activity, 'exited');
  assert.ok(h.container('b').retryAt! > h.now);
  assert.ok(resumeIsNoop(h.ctx, ev(true, [alive[0]!])));
});

test.run();
