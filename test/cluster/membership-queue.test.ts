// The broadcast queue (swim-broadcast-queue.ts): freshest first, a retransmit limit, replacement
// by key, and what happens when the limit changes.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BroadcastQueue } from '../../src/cluster/swim-broadcast-queue.ts';

const test = suite('cluster: broadcast queue');

test('fewest transmissions first, then newest first', () => {
  const q = new BroadcastQueue<string>(() => 3);
  q.push('a', 'a1');
  q.push('b', 'b1');
  q.push('c', 'c1');
  assert.equal(q.take(2), ['c1', 'b1']);
  // a1 has not been sent yet: it goes before the two that have
  assert.equal(q.take(2), ['a1', 'c1']);
  q.push('d', 'd1');
  assert.equal(q.take(10), ['d1', 'b1', 'a1', 'c1']);
  assert.equal(q.peek().map((e) => [e.key, e.transmits]), [['d', 1], ['b', 2], ['a', 2]]);
});

test('each update is sent limit times, then leaves the queue', () => {
  const q = new BroadcastQueue<string>(() => 3);
  let done = 0;
  q.push('a', 'a1', () => done++);
  const sent: string[][] = [];
  for (let i = 0; i < 5; i++) sent.push(q.take(5));
  assert.equal(sent, [['a1'], ['a1'], ['a1'], [], []]);
  assert.is(done, 1);
  assert.is(q.size, 0);
});

test('one message never carries the same update twice', () => {
  const q = new BroadcastQueue<string>(() => 5);
  q.push('a', 'a1');
  q.push('b', 'b1');
  assert.equal(q.take(10), ['b1', 'a1']);
});

test('a newer update about the same member replaces the queued one', () => {
  const q = new BroadcastQueue<string>(() => 4);
  const done: string[] = [];
  q.push('n1', 'n1 suspect', () => done.push('suspect'));
  q.take(1);
  q.push('n1', 'n1 alive (refuted)', () => done.push('alive'));
  assert.equal(done, ['suspect']);
  assert.is(q.size, 1);
  assert.equal(q.take(10), ['n1 alive (refuted)']);
});

test('a smaller limit (members left) retires updates already sent enough', () => {
  let limit = 8;
  const q = new BroadcastQueue<string>(() => limit);
  q.push('a', 'a1');
  for (let i = 0; i < 5; i++) q.take(1);
  limit = 4;
  assert.equal(q.take(1), []);
  assert.is(q.size, 0);
});

test('many replacements do not pile up (stale entries are compacted)', () => {
  const q = new BroadcastQueue<number>(() => 4);
  for (let i = 0; i < 10_000; i++) q.push(`k${i % 10}`, i);
  assert.is(q.size, 10);
  assert.equal(q.take(3), [9999, 9998, 9997]);
  let drained = 0;
  while (q.take(16).length) drained++;
  assert.is(drained, 4, 'ten updates, four transmissions each, sixteen per message');
  assert.is(q.size, 0);
});

test('clear runs every onDone', () => {
  const q = new BroadcastQueue<string>(() => 4);
  let done = 0;
  q.push('a', 'a', () => done++);
  q.push('b', 'b', () => done++);
  q.clear();
  assert.is(done, 2);
  assert.is(q.size, 0);
  assert.equal(q.take(4), []);
});

test.run();
