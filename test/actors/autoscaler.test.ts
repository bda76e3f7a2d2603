import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { autoscalerMachine, decide, metricRecommendation } from '../../actors/autoscaler.ts';
import { statePath } from '../../actors/reducer-machine.ts';

const test = suite('autoscaler: Kubernetes\' algorithm');

test('desired = ceil(current × current / target), with a 0.1 tolerance', () => {
  assert.is(metricRecommendation(2, 85, 50), 4);
  assert.is(metricRecommendation(3, 54, 50), 3, 'within tolerance');
  assert.is(metricRecommendation(3, 56, 50), 4);
  assert.is(metricRecommendation(4, 10, 50), 1);
  assert.is(metricRecommendation(0, 90, 50), 0, 'scaled to zero stays there');
});

const base = { minReplicas: 1, maxReplicas: 10, recommendations: [], events: [], now: 1_000_000 };

test('clamped to min and max', () => {
  assert.is(decide({ ...base, current: 5, recommendation: 50 }).replicas, 10);
  assert.is(decide({ ...base, current: 5, recommendation: 0, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }).replicas, 1);
});

test('scale-down stabilisation: the highest recommendation of the window wins', () => {
  const recs = [{ at: base.now - 100_000, replicas: 6 }, { at: base.now - 400_000, replicas: 9 }];
  assert.is(decide({ ...base, current: 6, recommendation: 2, recommendations: recs }).replicas, 6, 'a 6 within 300 s holds it');
  assert.is(decide({ ...base, current: 6, recommendation: 2, recommendations: [recs[1]] }).replicas, 2, 'older ones do not count');
});

test('policies limit the rate: default scale-up max(100 %, 4 pods) per 15 s', () => {
  assert.is(decide({ ...base, current: 2, recommendation: 10 }).replicas, 6, 'max(2 + 100 %, 2 + 4)');
  assert.is(decide({ ...base, current: 8, recommendation: 30, maxReplicas: 30 }).replicas, 16);
  const events = [{ at: base.now - 5_000, change: 4 }];
  assert.is(decide({ ...base, current: 6, recommendation: 10, events }).replicas, 6, 'the 4 added in the period count: the limit is taken from the 2 it started with');
  assert.is(decide({ ...base, current: 6, recommendation: 10, behavior: { scaleUp: { selectPolicy: 'Disabled' } } }).replicas, 6);
  assert.is(decide({ ...base, current: 6, recommendation: 2, behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } }).replicas, 5);
});

test('machine: measure on each sync, scale, wake-up kept in context; round trip', () => {
  const commands: any[] = [];
  const m = autoscalerMachine.provide({ actions: { execute: ({ context }: any) => commands.push(...context.commands) } } as any);
  const a = createActor(m, { input: { syncMs: 15_000, at: 0 } });
  a.start();
  assert.is(statePath(a.getSnapshot().value), 'Waiting');
  a.send({ type: 'TICK', at: 0 });
  assert.equal(commands, [{ type: 'measure' }]);
  assert.is(a.getSnapshot().context.wakeAt, 15_000);
  a.send({ type: 'METRICS', at: 1, currentReplicas: 1, utilization: 200, target: 50, minReplicas: 1, maxReplicas: 5 });
  assert.is(statePath(a.getSnapshot().value), 'ScalingUp');
  assert.equal(commands[1], { type: 'scale', replicas: 4, reason: 'cpu resource utilization (percentage of request) above target' });
  const r = createActor(m, { snapshot: JSON.parse(JSON.stringify(a.getPersistedSnapshot())) });
  r.start();
  assert.is(r.getSnapshot().context.wakeAt, 15_000);
  r.send({ type: 'METRICS', at: 15_000, currentReplicas: 4, utilization: 50, target: 50, minReplicas: 1, maxReplicas: 5 });
  assert.is(statePath(r.getSnapshot().value), 'Stable');
});

test.run();
