// The controllers' SYNC queue: pokes in one turn make one SYNC per key; a key whose SYNC took
// long to put together is held back nine times that (a tenth of the node's time), its pokes
// meanwhile making one SYNC when the hold ends; quick ones are never held; a long turn yields.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SyncQueue } from '../../src/host/sync-queue.ts';

const test = suite('host: SYNC queue');

/** a queue on simulated time: `cost` says how long each key's SYNC takes to put together */
function harness(cost: Record<string, number>, turnDue: () => boolean = () => false) {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const synced: [string, number][] = [];
  const q = new SyncQueue({
    sync: (key) => {
      synced.push([key, now]);
      now += cost[key] ?? 0;
      return cost[key] ?? 0;
    },
    now: () => now,
    later: (fn, ms) => timers.push({ at: now + ms, fn }),
    turnDue: () => turnDue,
  });
  /** runs every timer due up to `until` (ms), in order */
  const advance = (until: number) => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > until) break;
      timers.shift();
      now = Math.max(now, t.at);
      t.fn();
    }
    now = Math.max(now, until);
  };
  return { q, synced, advance, timers, now: () => now };
}

test('pokes in one turn make one SYNC per key', () => {
  const h = harness({});
  for (let i = 0; i < 5; i++) {
    h.q.poke('ReplicaSet/default/a');
    h.q.poke('Service/default/s');
  }
  h.advance(0);
  assert.equal(h.synced.map(([k]) => k), ['ReplicaSet/default/a', 'Service/default/s']);
});

test('a SYNC that took 10 ms holds its key 90 ms; the pokes meanwhile make one SYNC when it ends; others are not held', () => {
  const h = harness({ 'ReplicaSet/default/big': 10, 'ReplicaSet/default/small': 0.1 });
  h.q.poke('ReplicaSet/default/big');
  h.advance(0);
  assert.equal(h.synced, [['ReplicaSet/default/big', 0]]);
  // ends at 10 ms: held until 100 ms
  for (const at of [20, 40, 60]) {
    h.advance(at);
    h.q.poke('ReplicaSet/default/big');
    h.q.poke('ReplicaSet/default/small');
    h.advance(at);
  }
  assert.equal(h.synced.filter(([k]) => k === 'ReplicaSet/default/big').length, 1, 'held');
  assert.equal(h.synced.filter(([k]) => k === 'ReplicaSet/default/small').length, 3, 'a quick SYNC is never held');
  h.advance(99);
  assert.equal(h.synced.filter(([k]) => k === 'ReplicaSet/default/big').length, 1);
  h.advance(101);
  const big = h.synced.filter(([k]) => k === 'ReplicaSet/default/big');
  assert.equal(big.length, 2, 'one SYNC for the three pokes, when the hold ends');
  assert.ok(big[1][1] >= 100 && big[1][1] <= 101, `at ${big[1][1]}`);
  h.advance(10_000);
  assert.is(h.synced.filter(([k]) => k === 'ReplicaSet/default/big').length, 2, 'no SYNC without a poke');
});

test('a turn that has run long enough yields: the rest SYNC in the next turn, none lost', () => {
  let calls = 0;
  const h = harness({}, () => ++calls % 3 === 0);
  for (let i = 0; i < 10; i++) h.q.poke(`Service/default/s${i}`);
  h.advance(0);
  assert.equal(h.synced.map(([k]) => k).sort(), Array.from({ length: 10 }, (_, i) => `Service/default/s${i}`).sort());
  assert.ok(h.timers.length === 0);
});

test.run();
