// The randomness helpers of the gossip layer (swim-random.ts): a seeded generator, shuffling,
// sampling and the set with a random pick.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IndexedSet, sample, seededRandom, shuffle } from '../../src/cluster/swim-random.ts';

const test = suite('cluster: seeded randomness');

test('same seed, same sequence; values in [0, 1)', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.equal(Array.from({ length: 1000 }, () => b()), xs);
  assert.not.equal(Array.from({ length: 1000 }, () => c()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

test('shuffle is a permutation', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const out = shuffle([...items], seededRandom(1));
  assert.equal([...out].sort((x, y) => x - y), items);
  assert.not.equal(out, items);
});

test('sample: distinct, accepted, at most k — small and large inputs', () => {
  const random = seededRandom(3);
  for (const n of [0, 3, 10, 200]) {
    const items = Array.from({ length: n }, (_, i) => `m${i}`);
    for (let round = 0; round < 20; round++) {
      const got = sample(items, 3, random, (x) => x !== 'm1');
      assert.ok(got.length <= 3);
      assert.is(new Set(got).size, got.length, 'distinct');
      assert.ok(got.every((x) => x !== 'm1' && items.includes(x)));
      if (n >= 10) assert.is(got.length, 3);
    }
  }
  assert.equal(sample(['a', 'b'], 5, random).sort(), ['a', 'b']);
});

test('IndexedSet: add, delete, random pick', () => {
  const s = new IndexedSet();
  for (const x of ['a', 'b', 'c', 'd']) s.add(x);
  s.add('a');
  assert.is(s.size, 4);
  s.delete('b');
  s.delete('zz');
  assert.is(s.size, 3);
  assert.not.ok(s.has('b'));
  assert.equal([...s.items].sort(), ['a', 'c', 'd']);
  const random = seededRandom(5);
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) seen.add(s.random(random)!);
  assert.equal([...seen].sort(), ['a', 'c', 'd']);
  for (const x of ['a', 'c', 'd']) s.delete(x);
  assert.is(s.random(random), undefined);
});

test.run();
