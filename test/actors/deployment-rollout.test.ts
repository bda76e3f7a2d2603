// The rolling-update planner: Kubernetes' surge/unavailable arithmetic (numbers, percentages,
// rounding), the steps of a rollout as tables, and a property test over random interleavings of
// planner runs, ReplicaSet reconciles and pods becoming ready: never more than replicas +
// maxSurge pods, never fewer than replicas - maxUnavailable available, and it always finishes.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type DeploymentCommand,
  type DeploymentStrategy,
  fenceposts,
  planRollout,
  type ReplicaSetSummary,
  type RolloutInput,
  scaledValue,
} from '../../actors/deployment-logic.ts';

const test = suite('deployment: rolling update planner');

const rs = (name: string, hash: string, over: Partial<ReplicaSetSummary> = {}): ReplicaSetSummary => ({
  name, hash, revision: 1, replicas: 3, current: 3, ready: 3, available: 3, ...over,
});
const rolling = (maxSurge?: number | string, maxUnavailable?: number | string): DeploymentStrategy => ({
  type: 'RollingUpdate',
  rollingUpdate: { maxSurge, maxUnavailable },
});
const plan = (input: Partial<RolloutInput> & { sets: ReplicaSetSummary[] }) =>
  planRollout({ name: 'web', hash: 'new', replicas: 3, ...input });

test('scaledValue: numbers as is, percentages rounded up or down', () => {
  const table: [number | string, number, boolean, number][] = [
    [2, 10, true, 2],
    [2, 10, false, 2],
    ['25%', 3, true, 1], // 0.75 up
    ['25%', 3, false, 0], // 0.75 down
    ['25%', 4, true, 1],
    ['25%', 4, false, 1],
    ['25%', 10, true, 3], // 2.5 up
    ['25%', 10, false, 2], // 2.5 down
    ['100%', 3, true, 3],
    ['150%', 2, true, 3],
    ['0%', 5, true, 0],
    ['1%', 1, true, 1],
    ['1%', 1, false, 0],
    ['33%', 0, true, 0],
  ];
  for (const [v, total, up, want] of table) assert.is(scaledValue(v, total, up), want, `${v} of ${total} ${up ? 'up' : 'down'}`);
});

test('fenceposts: defaults 25%, both 0 → maxUnavailable 1, clamped to replicas, none for Recreate', () => {
  assert.equal(fenceposts(undefined, 4), { maxSurge: 1, maxUnavailable: 1 });
  assert.equal(fenceposts(undefined, 3), { maxSurge: 1, maxUnavailable: 0 });
  assert.equal(fenceposts(undefined, 10), { maxSurge: 3, maxUnavailable: 2 });
  assert.equal(fenceposts(rolling(0, '10%'), 3), { maxSurge: 0, maxUnavailable: 1 }, 'both resolve to 0: one may go');
  assert.equal(fenceposts(rolling(0, 0), 5), { maxSurge: 0, maxUnavailable: 1 });
  assert.equal(fenceposts(rolling(2, 10), 3), { maxSurge: 2, maxUnavailable: 3 }, 'at most replicas');
  assert.equal(fenceposts(rolling('50%', '50%'), 0), { maxSurge: 0, maxUnavailable: 0 });
  assert.equal(fenceposts({ type: 'Recreate' }, 3), { maxSurge: 0, maxUnavailable: 0 });
});

test('a new template: the new ReplicaSet starts at maxSurge, old ones go down by maxUnavailable', () => {
  const old = rs('web-old', 'old', { replicas: 4, current: 4, ready: 4, available: 4 });
  // 25%/25% of 4: surge 1, unavailable 1
  assert.equal(plan({ replicas: 4, sets: [old] }).commands, [
    { type: 'createReplicaSet', hash: 'new', replicas: 1, revision: 2 },
    { type: 'scaleReplicaSet', name: 'web-old', replicas: 3 },
  ]);
  // maxSurge 1, maxUnavailable 0: only up
  assert.equal(plan({ replicas: 4, strategy: rolling(1, 0), sets: [old] }).commands, [
    { type: 'createReplicaSet', hash: 'new', replicas: 1, revision: 2 },
  ]);
  // maxSurge 0, maxUnavailable 2: the new one is created empty, two old pods go first
  assert.equal(plan({ replicas: 4, strategy: rolling(0, 2), sets: [old] }).commands, [
    { type: 'createReplicaSet', hash: 'new', replicas: 0, revision: 2 },
    { type: 'scaleReplicaSet', name: 'web-old', replicas: 2 },
  ]);
  // percentages of 10: surge 30% → 3 (up), unavailable 25% → 2 (down)
  const ten = rs('web-old', 'old', { replicas: 10, current: 10, ready: 10, available: 10 });
  assert.equal(plan({ replicas: 10, strategy: rolling('30%', '25%'), sets: [ten] }).commands, [
    { type: 'createReplicaSet', hash: 'new', replicas: 3, revision: 2 },
    { type: 'scaleReplicaSet', name: 'web-old', replicas: 8 },
  ]);
});

test('mid-rollout: scale down only what new available pods allow; unavailable old pods go first', () => {
  const strategy = rolling(1, 0);
  // new has 1 pod, not yet available: nothing moves
  let p = plan({ strategy, sets: [rs('web-old', 'old', { revision: 1 }), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 0, available: 0 })] });
  assert.equal(p.commands, []);
  assert.is(p.newReplicaSet, 'web-new');
  // it becomes available: one old pod goes, and (in the same plan) no room to surge yet
  p = plan({ strategy, sets: [rs('web-old', 'old', { revision: 1 }), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 1, available: 1 })] });
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 2 }]);
  // the old ReplicaSet has gone down to 2: the new one grows to 2
  p = plan({ strategy, sets: [rs('web-old', 'old', { revision: 1, replicas: 2, current: 2, ready: 2, available: 2 }), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 1, available: 1 })] });
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-new', replicas: 2 }]);
  // an old ReplicaSet still reporting pods it is deleting: no surge over them
  p = plan({ strategy, sets: [rs('web-old', 'old', { revision: 1, replicas: 2, current: 3, ready: 3, available: 3 }), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 1, available: 1 })] });
  assert.equal(p.commands, [], 'pods = max(spec, status) = 3 + 1 = replicas + maxSurge');
  // cleanup: an old ReplicaSet with unavailable pods loses those first (here 2 of them)
  p = plan({ strategy: rolling(1, 1), sets: [rs('web-old', 'old', { revision: 1, available: 1, ready: 1 }), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 1, available: 1 })] });
  // allPods 4 - minAvailable 2 - newUnavailable 0 = 2 may go: both unhealthy ones
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 1 }]);
});

test('the oldest ReplicaSet goes down first; a scaled-up new ReplicaSet above replicas comes down', () => {
  const p = plan({
    strategy: rolling(0, 2),
    replicas: 4,
    sets: [
      rs('web-b', 'b', { revision: 2, replicas: 2, current: 2, ready: 2, available: 2 }),
      rs('web-a', 'a', { revision: 1, replicas: 2, current: 2, ready: 2, available: 2 }),
      rs('web-new', 'new', { revision: 3, replicas: 0, current: 0, ready: 0, available: 0 }),
    ],
  });
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-a', replicas: 0 }]);
  assert.equal(plan({ replicas: 2, sets: [rs('web-new', 'new', { replicas: 3 })] }).commands, [{ type: 'scaleReplicaSet', name: 'web-new', replicas: 2 }]);
});

test('revision: a new ReplicaSet gets max + 1; a rollback renumbers the one it reuses', () => {
  const sets = [rs('web-a', 'a', { revision: 1, replicas: 0, current: 0, ready: 0, available: 0 }), rs('web-b', 'b', { revision: 2 })];
  const back = plan({ hash: 'a', sets });
  assert.equal(back.commands[0], { type: 'updateReplicaSet', name: 'web-a', revision: 3 });
  assert.is(back.revision, 3);
  assert.is(back.created, false);
  const fresh = plan({ hash: 'c', sets });
  assert.equal(fresh.commands[0], { type: 'createReplicaSet', hash: 'c', replicas: 1, revision: 3 });
  assert.is(fresh.newReplicaSet, 'web-c');
  // minReadySeconds follows the Deployment
  assert.equal(plan({ hash: 'b', minReadySeconds: 5, sets: [rs('web-b', 'b', { minReadySeconds: 0 })] }).commands, [
    { type: 'updateReplicaSet', name: 'web-b', minReadySeconds: 5 },
  ]);
});

test('revisionHistoryLimit: once complete, the oldest idle ReplicaSets beyond the limit go', () => {
  const idle = (name: string, revision: number, over: Partial<ReplicaSetSummary> = {}) =>
    rs(name, name, { revision, replicas: 0, current: 0, ready: 0, available: 0, ...over });
  const sets = [idle('a', 1), idle('b', 2), idle('c', 3), rs('web-new', 'new', { revision: 4 })];
  assert.equal(plan({ sets, revisionHistoryLimit: 1 }).commands, [{ type: 'deleteReplicaSet', name: 'a' }, { type: 'deleteReplicaSet', name: 'b' }]);
  assert.equal(plan({ sets, revisionHistoryLimit: 0 }).commands.length, 3);
  assert.equal(plan({ sets, revisionHistoryLimit: 10 }).commands, []);
  // not before the rollout is complete, never one with pods left or an unobserved spec
  const busy = [idle('a', 1), idle('b', 2, { observed: false }), idle('c', 3, { pods: 1 }), rs('web-new', 'new', { revision: 4 })];
  assert.equal(plan({ sets: busy, revisionHistoryLimit: 0 }).commands, [{ type: 'deleteReplicaSet', name: 'a' }]);
  const rolling = [idle('a', 1), rs('web-new', 'new', { revision: 2, available: 2 })];
  assert.equal(plan({ sets: rolling, revisionHistoryLimit: 0 }).commands, []);
});

test('Recreate: old ones to 0, wait for their pods to go, then the new one at full size', () => {
  const strategy: DeploymentStrategy = { type: 'Recreate' };
  let p = plan({ strategy, sets: [rs('web-old', 'old', { pods: 3 })] });
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 0 }]);
  assert.is(p.waitingForOldPods, false);
  p = plan({ strategy, sets: [rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0, pods: 2 })] });
  assert.equal(p.commands, [], 'terminating pods still there');
  assert.is(p.waitingForOldPods, true);
  assert.is(p.newReplicaSet, '');
  p = plan({ strategy, sets: [rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0, pods: 0 })] });
  assert.equal(p.commands, [{ type: 'createReplicaSet', hash: 'new', replicas: 3, revision: 2 }]);
  assert.is(p.waitingForOldPods, false);
  p = plan({ strategy, sets: [rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0, pods: 0 }), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1 })] });
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-new', replicas: 3 }]);
});

test('paused: no new ReplicaSet, no rollout; scaling still happens; history is cleaned', () => {
  const old = rs('web-old', 'old');
  let p = plan({ paused: true, sets: [old] });
  assert.equal(p.commands, []);
  assert.is(p.newReplicaSet, '');
  p = plan({ paused: true, replicas: 5, sets: [old] });
  assert.equal(p.commands, [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 5 }]);
  p = plan({ paused: true, revisionHistoryLimit: 0, sets: [rs('a', 'a', { replicas: 0, current: 0, ready: 0, available: 0 }), old] });
  assert.equal(p.commands, [{ type: 'deleteReplicaSet', name: 'a' }]);
});

test('scaling during a rollout is proportional to the active ReplicaSets', () => {
  // 10 replicas, surge 3: old 8 + new 5 = 13 = 10 + 3. Scale to 20 (surge 5): 25 to share, +12
  const sets = [rs('web-old', 'old', { revision: 1, replicas: 8, current: 8, ready: 8, available: 8 }), rs('web-new', 'new', { revision: 2, replicas: 5, current: 5, ready: 0, available: 0 })];
  const up = plan({ replicas: 20, previousReplicas: 10, sets });
  const sizes = Object.fromEntries(up.commands.map((c) => [(c as { name: string }).name, (c as { replicas: number }).replicas]));
  assert.equal(sizes, { 'web-old': 15, 'web-new': 10 });
  // scale down to 5 (surge 2): 7 to share, older first on ties
  const down = plan({ replicas: 5, previousReplicas: 10, sets });
  const sizes2 = Object.fromEntries(down.commands.map((c) => [(c as { name: string }).name, (c as { replicas: number }).replicas]));
  assert.equal(sizes2, { 'web-old': 4, 'web-new': 3 });
  // no ReplicaSet at all (e.g. a Deployment replaced by a concurrent write): nothing to scale, so the rollout creates one
  assert.equal(plan({ replicas: 3, previousReplicas: 2, sets: [] }).commands, [{ type: 'createReplicaSet', hash: 'new', replicas: 3, revision: 1 }]);
  // none active: the newest takes the count
  assert.equal(plan({ hash: 'b', replicas: 2, previousReplicas: 3, sets: [rs('web-a', 'a', { replicas: 0 }), rs('web-b', 'b', { revision: 2, replicas: 0 })] }).commands[0], { type: 'scaleReplicaSet', name: 'web-b', replicas: 2 });
  // one active ReplicaSet takes the whole count
  assert.equal(plan({ hash: 'old', replicas: 5, previousReplicas: 3, sets: [rs('web-old', 'old')] }).commands, [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 5 }]);
});

// ---- property: random interleavings ---------------------------------------------------------

interface SimRS {
  name: string;
  hash: string;
  revision: number;
  spec: number;
  pods: { ready: boolean; id: number }[];
  status: { current: number; ready: number; available: number };
}

/** A seeded PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulate(seed: number) {
  const rnd = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const replicas = 1 + Math.floor(rnd() * 8);
  const values: (number | string)[] = [0, 1, 2, 3, '0%', '10%', '25%', '50%', '100%'];
  let maxSurge = pick(values);
  let maxUnavailable = pick(values);
  if (scaledValue(maxSurge, 1, true) === 0 && scaledValue(maxUnavailable, 1, false) === 0 && rnd() < 0.5) maxSurge = 1;
  if (String(maxSurge).replace('%', '') === '0' && String(maxUnavailable).replace('%', '') === '0') maxUnavailable = 1; // validation
  const strategy = rolling(maxSurge, maxUnavailable);
  const { maxSurge: surge, maxUnavailable: unavailable } = fenceposts(strategy, replicas);
  let nextId = 0;
  const sets: SimRS[] = [{
    name: 'web-h0',
    hash: 'h0',
    revision: 1,
    spec: replicas,
    pods: Array.from({ length: replicas }, () => ({ ready: true, id: nextId++ })),
    status: { current: replicas, ready: replicas, available: replicas },
  }];
  let hash = 'h1';
  let templates = 1;
  const where = (step: number, what: string) => `seed ${seed}, step ${step} (${what}): replicas ${replicas}, maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable}\n${JSON.stringify(sets.map((s) => ({ n: s.name, spec: s.spec, pods: s.pods.map((p) => (p.ready ? 'R' : '.')).join(''), st: s.status })))}`;
  const apply = (cmds: DeploymentCommand[]) => {
    for (const c of cmds) {
      if (c.type === 'createReplicaSet') sets.push({ name: `web-${c.hash}`, hash: c.hash, revision: c.revision, spec: c.replicas, pods: [], status: { current: 0, ready: 0, available: 0 } });
      else if (c.type === 'scaleReplicaSet') sets.find((s) => s.name === c.name)!.spec = c.replicas;
      else if (c.type === 'updateReplicaSet' && c.revision !== undefined) sets.find((s) => s.name === c.name)!.revision = c.revision;
      else if (c.type === 'deleteReplicaSet') {
        const i = sets.findIndex((s) => s.name === c.name);
        assert.is(sets[i].pods.length, 0, 'only empty ReplicaSets are deleted');
        sets.splice(i, 1);
      }
    }
  };
  const done = () => {
    const n = sets.find((s) => s.hash === hash);
    return !!n && n.pods.length === replicas && n.pods.every((p) => p.ready) && sets.every((s) => s === n || s.pods.length === 0);
  };
  for (let step = 0; step < 3000; step++) {
    const r = rnd();
    let what: string;
    if (r < 0.3) {
      what = 'deployment sync';
      const summaries = sets.map((s): ReplicaSetSummary => ({ name: s.name, hash: s.hash, revision: s.revision, replicas: s.spec, ...s.status, active: s.pods.length }));
      apply(planRollout({ name: 'web', hash, replicas, strategy, revisionHistoryLimit: 2, sets: summaries }).commands);
    } else if (r < 0.65) {
      // a ReplicaSet reconciles: its status is what it saw before acting (as Starling's does)
      const s = pick(sets);
      what = `reconcile ${s.name}`;
      s.status = { current: s.pods.length, ready: s.pods.filter((p) => p.ready).length, available: s.pods.filter((p) => p.ready).length };
      while (s.pods.length < s.spec) s.pods.push({ ready: false, id: nextId++ });
      if (s.pods.length > s.spec) {
        // the unready go first, then the newest
        const order = [...s.pods].sort((a, b) => Number(a.ready) - Number(b.ready) || b.id - a.id);
        const gone = new Set(order.slice(0, s.pods.length - s.spec));
        s.pods = s.pods.filter((p) => !gone.has(p));
      }
    } else if (r < 0.98) {
      const unready = sets.flatMap((s) => s.pods).filter((p) => !p.ready);
      what = 'a pod becomes ready';
      if (unready.length) pick(unready).ready = true;
    } else {
      what = 'a new template during the rollout';
      if (templates < 3) hash = `h${++templates}`;
    }
    const pods = sets.reduce((n, s) => n + s.pods.length, 0);
    const ready = sets.reduce((n, s) => n + s.pods.filter((p) => p.ready).length, 0);
    if (pods > replicas + surge) assert.unreachable(`${pods} pods > ${replicas} + ${surge}; ${where(step, what)}`);
    if (ready < replicas - unavailable) assert.unreachable(`${ready} available < ${replicas} - ${unavailable}; ${where(step, what)}`);
    if (done()) return step;
  }
  assert.unreachable(`the rollout did not finish; ${where(3000, 'end')}`);
}

test('property: any input gives a well-formed plan (a throw would stop the actor)', () => {
  const rnd = random(99);
  const n = (max: number) => Math.floor(rnd() * (max + 1));
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const values: (number | string | undefined)[] = [undefined, 0, 1, 3, '0%', '25%', '100%', '150%', 'junk'];
  for (let i = 0; i < 5000; i++) {
    const hashes = ['a', 'b', 'c', 'new'];
    const sets = hashes.slice(0, n(4)).map((h) => rs(`web-${h}`, h, {
      revision: n(5), replicas: n(6), current: n(6), ready: n(6), available: n(6), active: pick([undefined, n(6)]), pods: pick([undefined, n(6)]),
      observed: pick([undefined, true, false]), minReadySeconds: pick([undefined, 0, 5]),
    }));
    const input: RolloutInput = {
      name: 'web', hash: pick(hashes), replicas: n(8), sets, paused: rnd() < 0.2, previousReplicas: pick([undefined, n(8)]),
      revisionHistoryLimit: n(3), minReadySeconds: n(2) * 5,
      strategy: rnd() < 0.2 ? { type: 'Recreate' } : rolling(pick(values), pick(values)),
    };
    const p = planRollout(input);
    const scaled = new Set<string>();
    for (const c of p.commands) {
      if (c.type === 'scaleReplicaSet' || c.type === 'createReplicaSet') {
        assert.ok(Number.isInteger(c.replicas) && c.replicas >= 0, JSON.stringify({ input, c }));
      }
      if (c.type === 'scaleReplicaSet') {
        assert.not.ok(scaled.has(c.name), 'one scale per ReplicaSet');
        scaled.add(c.name);
        assert.ok(sets.some((s) => s.name === c.name));
      }
    }
    assert.ok(p.commands.filter((c) => c.type === 'createReplicaSet').length <= 1);
  }
});

test('property: random interleavings keep within maxSurge and maxUnavailable, and finish', () => {
  for (let seed = 1; seed <= 400; seed++) simulate(seed);
});

test.run();
