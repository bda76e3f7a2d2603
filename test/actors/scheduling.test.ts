import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fitsOn, type NodeCandidate, place } from '../../actors/scheduling.ts';

const test = suite('scheduling: filter and score');

const node = (name: string, over: Partial<NodeCandidate> = {}): NodeCandidate => ({
  name, labels: {}, unschedulable: false, cpu: 2000, memory: 4 * 2 ** 30, requestedCpu: 0, requestedMemory: 0, sameOwner: 0, ...over,
});
const pod = (cpu: number, memory = 0, nodeSelector: Record<string, string> = {}, tieBreak = 'p') => ({ cpu, memory, nodeSelector, tieBreak });

test('filters by cpu, memory, selector and cordon, with Kubernetes\' message', () => {
  const nodes = [node('a', { requestedCpu: 1900 }), node('b', { unschedulable: true }), node('c', { labels: { disk: 'hdd' } })];
  assert.equal(place(pod(200, 0, { disk: 'ssd' }), nodes), {
    ranked: [],
    message: "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable, 3 node(s) didn't match Pod's node affinity/selector.",
  });
  assert.is(place(pod(500), [node('a', { cpu: 1000, requestedCpu: 600 })]).message, '0/1 nodes are available: 1 Insufficient cpu.');
  assert.is(place(pod(0, 2 * 2 ** 30), [node("a", { memory: 2 ** 30 })]).message, '0/1 nodes are available: 1 Insufficient memory.');
  assert.equal(place(pod(100, 0, { disk: 'hdd' }), nodes).ranked, ['c']);
});

test('scores: spread the pods of one owner first, then least allocated', () => {
  const nodes = [node('a', { sameOwner: 1 }), node('b', { requestedCpu: 1000 }), node('c')];
  assert.equal(place(pod(100), nodes).ranked, ['c', 'b', 'a']);
});

test('equal nodes: the tie-break spreads different pods', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));
  const firsts = new Set(Array.from({ length: 40 }, (_, i) => place(pod(100, 0, {}, `web-${i}`), nodes).ranked[0]));
  assert.ok(firsts.size >= 3, `picked ${[...firsts]}`);
});

test('fitsOn: the node\'s own check never overcommits', () => {
  let n = node('a', { cpu: 1000 });
  let bound = 0;
  for (let i = 0; i < 10; i++) {
    if (!fitsOn(pod(300), n)) {
      bound++;
      n = { ...n, requestedCpu: n.requestedCpu + 300 };
    }
  }
  assert.is(bound, 3);
  assert.ok(n.requestedCpu <= n.cpu);
});

test.run();
