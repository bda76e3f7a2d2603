// The incarnation rules (swim-merge.ts) as tables: which update about a member wins, when a
// member refutes what it hears about itself, and how a push-pull entry is taken.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fromPushPull, mustRefute, refuteIncarnation, supersedes } from '../../src/cluster/swim-merge.ts';
import type { MemberState } from '../../src/cluster/types.ts';

const test = suite('cluster: incarnation merge rules');

type Row = [update: MemberState, i: number, current: MemberState, j: number, wins: boolean];

test('an update about another member wins as SWIM and memberlist say', () => {
  const rows: Row[] = [
    // alive(i) overrides suspect(j) iff i > j
    ['alive', 3, 'suspect', 2, true],
    ['alive', 2, 'suspect', 2, false],
    ['alive', 1, 'suspect', 2, false],
    // alive over alive only with a higher incarnation (a meta update or a refutation)
    ['alive', 3, 'alive', 2, true],
    ['alive', 2, 'alive', 2, false],
    // suspect(i) overrides alive(j) iff i >= j
    ['suspect', 2, 'alive', 2, true],
    ['suspect', 3, 'alive', 2, true],
    ['suspect', 1, 'alive', 2, false],
    // a repeated suspicion changes nothing; a newer one does
    ['suspect', 2, 'suspect', 2, false],
    ['suspect', 3, 'suspect', 2, true],
    // dead overrides alive and suspect at >=
    ['dead', 2, 'alive', 2, true],
    ['dead', 2, 'suspect', 2, true],
    ['dead', 1, 'alive', 2, false],
    ['dead', 1, 'suspect', 2, false],
    ['dead', 2, 'dead', 2, false],
    // a dead member comes back only with a higher incarnation
    ['alive', 2, 'dead', 2, false],
    ['alive', 3, 'dead', 2, true],
    ['suspect', 2, 'dead', 2, false],
    // left overrides alive, suspect and dead at >=, and is terminal for its incarnation
    ['left', 2, 'alive', 2, true],
    ['left', 2, 'suspect', 2, true],
    ['left', 2, 'dead', 2, true],
    ['left', 1, 'alive', 2, false],
    ['alive', 2, 'left', 2, false],
    ['suspect', 2, 'left', 2, false],
    ['dead', 2, 'left', 2, false],
    ['left', 2, 'left', 2, false],
    // a rejoin after leaving: a higher incarnation
    ['alive', 3, 'left', 2, true],
  ];
  for (const [s, i, c, j, wins] of rows) {
    assert.is(supersedes({ state: s, incarnation: i }, { state: c, incarnation: j }), wins, `${s}(${i}) over ${c}(${j})`);
  }
});

test('an unknown member is taken in any state', () => {
  for (const s of ['alive', 'suspect', 'dead', 'left'] as const) {
    assert.ok(supersedes({ state: s, incarnation: 0 }, undefined), s);
  }
});

test('a member refutes claims about itself at or above its incarnation', () => {
  const rows: [MemberState, number, number, boolean, boolean, boolean][] = [
    // state, claimed inc, own inc, leaving, same meta, refute?
    ['suspect', 4, 4, false, true, true],
    ['suspect', 5, 4, false, true, true],
    ['suspect', 3, 4, false, true, false], // stale
    ['dead', 4, 4, false, true, true],
    ['dead', 9, 4, false, true, true], // a restarted member learns its old death in the push-pull
    ['left', 4, 4, false, true, true], // a left from a previous life
    ['suspect', 4, 4, true, true, false], // leaving: no refutation
    ['dead', 4, 4, true, true, false],
    ['alive', 4, 4, false, true, false], // our own update echoed back
    ['alive', 4, 4, false, false, true], // same incarnation, other meta: a previous life
    ['alive', 5, 4, false, true, true], // a previous life got further
    ['alive', 3, 4, false, false, false],
  ];
  for (const [s, i, own, leaving, sameMeta, refute] of rows) {
    assert.is(
      mustRefute({ state: s, incarnation: i }, { incarnation: own, leaving }, sameMeta),
      refute,
      `${s}(${i}) at own ${own}${leaving ? ' leaving' : ''}${sameMeta ? '' : ' other meta'}`,
    );
  }
});

test('the refuting incarnation is above both', () => {
  assert.is(refuteIncarnation(4, 4), 5);
  assert.is(refuteIncarnation(4, 9), 10);
  assert.is(refuteIncarnation(7, 2), 8);
  assert.is(refuteIncarnation(0, 0), 1);
});

test('push-pull: a remote dead becomes suspect for a member we know', () => {
  assert.is(fromPushPull('dead', true), 'suspect');
  assert.is(fromPushPull('dead', false), 'dead');
  for (const s of ['alive', 'suspect', 'left'] as const) {
    assert.is(fromPushPull(s, true), s);
    assert.is(fromPushPull(s, false), s);
  }
});

test.run();
