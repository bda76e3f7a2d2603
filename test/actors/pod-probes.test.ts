import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { probeTiming } from '../../actors/probes.ts';
import { PodHarness } from './pod-harness.ts';

const test = suite('pod machine: probes');

const timing = (over: Record<string, number> = {}) => probeTiming({ periodSeconds: 10, ...over });

/** Answers every pending probe of `kind` with `ok`. */
function answer(h: PodHarness, kind: string, ok: boolean) {
  const due = h.probes.filter((p) => p.kind === kind);
  h.probes = h.probes.filter((p) => p.kind !== kind);
  for (const p of due) h.send({ type: 'PROBE_RESULT', container: p.container, id: p.id, kind: p.kind, ok, message: ok ? undefined : 'HTTP probe failed with statuscode: 500' });
  h.settle();
  return due.length;
}

test('Kubernetes defaults: delay 0, period 10 s, timeout 1 s, thresholds 1 and 3', () => {
  assert.equal(probeTiming({}), { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
});

test('readiness: not ready until the probe passes; ready; unready after 3 failures', () => {
  const h = new PodHarness([{ name: 'c', probes: { readiness: timing({ initialDelaySeconds: 5 }) } }]);
  h.schedule();
  assert.is(h.state, 'Running.NotReady', 'running but not ready before the first probe');
  assert.is(h.probes.length, 0, 'initial delay');
  h.advance(5000);
  assert.is(answer(h, 'readiness', true), 1);
  assert.is(h.state, 'Running.Ready');
  for (let i = 0; i < 2; i++) {
    h.advance(10_000);
    answer(h, 'readiness', false);
    assert.is(h.state, 'Running.Ready', `still ready after ${i + 1} failure(s)`);
  }
  h.advance(10_000);
  answer(h, 'readiness', false);
  assert.is(h.state, 'Running.NotReady');
  assert.is(h.container().restartCount, 0, 'readiness never restarts');
  h.advance(10_000);
  answer(h, 'readiness', true);
  assert.is(h.state, 'Running.Ready');
});

test('liveness: 3 failures in a row kill the container, which is restarted', () => {
  const h = new PodHarness([{ name: 'c', probes: { liveness: timing() } }]);
  h.schedule();
  const first = h.container().id!;
  answer(h, 'liveness', false);
  h.advance(10_000);
  answer(h, 'liveness', true);
  for (let i = 0; i < 3; i++) {
    h.advance(10_000);
    answer(h, 'liveness', false);
  }
  assert.equal(h.killed, [first]);
  h.exit('c', 137);
  assert.is(h.container().restartCount, 1);
  assert.is.not(h.container().id, first);
});

test('startup probe holds liveness and readiness back until it succeeds', () => {
  const h = new PodHarness([{ name: 'c', probes: { startup: timing({ periodSeconds: 1, failureThreshold: 30 }), liveness: timing(), readiness: timing() } }]);
  h.schedule();
  assert.equal(h.probes.map((p) => p.kind), ['startup']);
  answer(h, 'startup', false);
  h.advance(1000);
  answer(h, 'startup', true);
  assert.equal(h.probes.map((p) => p.kind).sort(), ['liveness', 'readiness']);
  answer(h, 'readiness', true);
  assert.is(h.state, 'Running.Ready');
});

test('a result for an old container is ignored; probe deadlines survive a restore', () => {
  const h = new PodHarness([{ name: 'c', probes: { readiness: timing() } }]);
  h.schedule();
  h.send({ type: 'PROBE_RESULT', container: 'c', id: 'old', kind: 'readiness', ok: true });
  assert.is(h.state, 'Running.NotReady');
  answer(h, 'readiness', true);
  const wake = h.ctx.wakeAt;
  assert.is(wake, h.now + 10_000);
  const r = new PodHarness([], 'Always', JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())));
  r.now = h.now;
  assert.is(r.ctx.wakeAt, wake);
  r.advance(10_000);
  assert.equal(r.probes.map((p) => p.kind), ['readiness'], 'the next probe runs on time after a restore');
});

test.run();
