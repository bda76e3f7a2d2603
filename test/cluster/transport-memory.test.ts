// The in-memory network: asynchronous, cloned delivery; request/reply and its timeout on the
// Clock; partitions, isolation, kills; latency, jitter and seeded drops.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock } from '../../src/clock.ts';
import { seededRandom } from '../../src/cluster/swim-random.ts';
import { MemoryNetwork, TransportError } from '../../src/cluster/transport-memory.ts';
import type { PeerMessage } from '../../src/cluster/types.ts';

const test = suite('cluster: in-memory transport');

function setup(options: { latencyMs?: number; jitterMs?: number; dropRate?: number } = {}) {
  const clock = new SimulatedClock();
  const net = new MemoryNetwork({ clock, random: seededRandom(42), ...options });
  const inbox = new Map<string, { from: string; msg: PeerMessage; at: number }[]>();
  const endpoint = (name: string) => {
    const t = net.transport(name);
    inbox.set(name, []);
    t.onMessage((from, msg, reply) => {
      inbox.get(name)!.push({ from, msg, at: clock.now() });
      if (reply && msg.t === 'echo') reply({ t: 'echoed', body: msg.body, by: name });
    });
    return t;
  };
  return { clock, net, inbox, endpoint };
}

/** Lets promise callbacks run. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

test('delivery is asynchronous and the receiver gets its own copy', () => {
  const { clock, inbox, endpoint } = setup();
  const a = endpoint('a');
  endpoint('b');
  const msg = { t: 'hello', body: { n: 1, list: [1, 2] } };
  a.send('b', msg);
  assert.is(inbox.get('b')!.length, 0, 'not delivered inside send');
  msg.body.n = 2; // the sender's later change does not travel
  clock.advance(0);
  const got = inbox.get('b')!;
  assert.is(got.length, 1);
  assert.is(got[0].from, 'a');
  assert.equal(got[0].msg, { t: 'hello', body: { n: 1, list: [1, 2] } });
  assert.is.not(got[0].msg.body, msg.body);
});

test('messages on one link arrive in order', () => {
  const { clock, inbox, endpoint } = setup({ latencyMs: 5 });
  const a = endpoint('a');
  endpoint('b');
  for (let i = 0; i < 20; i++) a.send('b', { t: 'n', i });
  clock.advance(5);
  assert.equal(inbox.get('b')!.map((m) => m.msg.i), [...Array(20).keys()]);
});

test('request and reply', async () => {
  const { clock, endpoint } = setup({ latencyMs: 10 });
  const a = endpoint('a');
  endpoint('b');
  let answer: PeerMessage | undefined;
  a.request('b', { t: 'echo', body: 'ping' }, 1000).then((m) => (answer = m));
  clock.advance(19);
  await settle();
  assert.is(answer, undefined, 'a round trip takes two latencies');
  clock.advance(1);
  await settle();
  assert.equal(answer, { t: 'echoed', body: 'ping', by: 'b' });
});

test('a request with no answer times out on the clock', async () => {
  const { clock, endpoint } = setup();
  const a = endpoint('a');
  const b = endpoint('b');
  b.onMessage(() => {}); // never replies
  let error: unknown;
  a.request('b', { t: 'echo' }, 500).catch((e) => (error = e));
  clock.advance(499);
  await settle();
  assert.is(error, undefined);
  clock.advance(1);
  await settle();
  assert.instance(error, TransportError);
  assert.is((error as TransportError).reason, 'timeout');
});

test('a request to a name with no endpoint is unreachable', async () => {
  const { endpoint } = setup();
  const a = endpoint('a');
  try {
    await a.request('nobody', { t: 'echo' }, 500);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TransportError);
    assert.is((e as TransportError).reason, 'unreachable');
  }
});

test('partition and heal', async () => {
  const { clock, net, inbox, endpoint } = setup();
  const [a, b, c] = ['a', 'b', 'c'].map(endpoint);
  net.partition(['a'], ['b']);
  assert.not.ok(net.reachable('a', 'b'));
  assert.not.ok(net.reachable('b', 'a'));
  assert.ok(net.reachable('a', 'c'));
  a.send('b', { t: 'x' });
  b.send('a', { t: 'x' });
  a.send('c', { t: 'x' });
  c.send('b', { t: 'x' });
  clock.advance(0);
  assert.is(inbox.get('a')!.length, 0);
  assert.equal(inbox.get('b')!.map((m) => m.from), ['c']);
  assert.equal(inbox.get('c')!.map((m) => m.from), ['a']);
  let error: unknown;
  a.request('b', { t: 'echo' }, 100).catch((e) => (error = e));
  clock.advance(100);
  await settle();
  assert.is((error as TransportError).reason, 'timeout', 'a cut link looks like lost packets');

  net.heal();
  a.send('b', { t: 'after' });
  clock.advance(0);
  assert.equal(inbox.get('b')!.map((m) => m.msg.t), ['x', 'after']);
  const answer = a.request('b', { t: 'echo', body: 1 }, 100);
  clock.advance(0);
  assert.is((await answer).body, 1);
});

test('a message in flight is lost when the link is cut before it arrives', () => {
  const { clock, net, inbox, endpoint } = setup({ latencyMs: 50 });
  const a = endpoint('a');
  endpoint('b');
  a.send('b', { t: 'x' });
  clock.advance(20);
  net.partition(['a'], ['b']);
  clock.advance(30);
  assert.is(inbox.get('b')!.length, 0);
  assert.is(net.stats.dropped, 1);
});

test('isolate cuts one member off from everyone', () => {
  const { clock, net, inbox, endpoint } = setup();
  const [a, b] = ['a', 'b', 'c'].map(endpoint);
  net.isolate('c');
  a.send('c', { t: 'x' });
  b.send('c', { t: 'x' });
  a.send('b', { t: 'x' });
  clock.advance(0);
  assert.is(inbox.get('c')!.length, 0);
  assert.is(inbox.get('b')!.length, 1);
  net.heal();
  a.send('c', { t: 'x' });
  clock.advance(0);
  assert.is(inbox.get('c')!.length, 1);
});

test('a killed endpoint neither sends nor receives until revived', () => {
  const { clock, net, inbox, endpoint } = setup();
  const [a, b] = ['a', 'b'].map(endpoint);
  net.kill('b');
  a.send('b', { t: 'to-dead' });
  b.send('a', { t: 'from-dead' });
  clock.advance(0);
  assert.is(inbox.get('a')!.length, 0);
  assert.is(inbox.get('b')!.length, 0);
  net.heal(); // heal does not raise the dead
  a.send('b', { t: 'still-dead' });
  clock.advance(0);
  assert.is(inbox.get('b')!.length, 0);
  net.revive('b');
  a.send('b', { t: 'alive' });
  b.send('a', { t: 'alive' });
  clock.advance(0);
  assert.equal(inbox.get('b')!.map((m) => m.msg.t), ['alive']);
  assert.equal(inbox.get('a')!.map((m) => m.msg.t), ['alive']);
});

test('latency and jitter are on the clock', () => {
  const { clock, net, inbox, endpoint } = setup({ latencyMs: 50 });
  const a = endpoint('a');
  endpoint('b');
  a.send('b', { t: 'x' });
  clock.advance(49);
  assert.is(inbox.get('b')!.length, 0);
  clock.advance(1);
  assert.is(inbox.get('b')!.length, 1);

  net.setLatency(20, 10);
  const sentAt = clock.now();
  for (let i = 0; i < 50; i++) a.send('b', { t: 'j', i });
  clock.advance(100);
  const delays = inbox.get('b')!.slice(1).map((m) => m.at - sentAt);
  assert.is(delays.length, 50);
  assert.ok(delays.every((d) => d >= 20 && d < 30), `delays in [20, 30): ${delays}`);
  assert.ok(new Set(delays).size > 1, 'jitter varies');
});

test('drops follow the seeded probability', () => {
  const run = () => {
    const { clock, net, inbox, endpoint } = setup({ dropRate: 0.3 });
    const a = endpoint('a');
    endpoint('b');
    for (let i = 0; i < 1000; i++) a.send('b', { t: 'x', i });
    clock.advance(0);
    return { got: inbox.get('b')!.map((m) => m.msg.i as number), stats: { ...net.stats } };
  };
  const first = run();
  assert.ok(first.got.length > 630 && first.got.length < 770, `about 700 of 1000 arrive: ${first.got.length}`);
  assert.equal(first.stats, { sent: 1000, delivered: first.got.length, dropped: 1000 - first.got.length });
  assert.equal(run().got, first.got, 'same seed, same drops');
});

test('a per-node drop rate applies to its messages both ways', () => {
  const { clock, net, inbox, endpoint } = setup();
  const [a, b] = ['a', 'b', 'c'].map(endpoint);
  net.setNodeDropRate('c', 1);
  a.send('c', { t: 'x' });
  a.send('b', { t: 'x' });
  b.send('a', { t: 'x' });
  clock.advance(0);
  assert.is(inbox.get('c')!.length, 0);
  assert.is(inbox.get('b')!.length, 1);
  assert.is(inbox.get('a')!.length, 1);
  net.setNodeDropRate('c', 0);
  a.send('c', { t: 'x' });
  clock.advance(0);
  assert.is(inbox.get('c')!.length, 1);
});

test('close rejects pending requests and frees the name', async () => {
  const { clock, net, endpoint } = setup();
  const a = endpoint('a');
  const b = endpoint('b');
  b.onMessage(() => {});
  let error: unknown;
  a.request('b', { t: 'echo' }, 1000).catch((e) => (error = e));
  await a.close();
  await settle();
  assert.is((error as TransportError).reason, 'closed');
  assert.is(clock.pending() <= 1, true, 'the request timer is cleared (at most the delivery is pending)');
  assert.throws(() => net.transport('b'), /already open/);
  await b.close();
  const b2 = net.transport('b');
  assert.is(b2.self, 'b');
  a.send('b', { t: 'after-close' }); // a closed endpoint sends nothing and does not throw
});

test('a throwing handler loses only that message', () => {
  const clock = new SimulatedClock();
  const errors: string[] = [];
  const net = new MemoryNetwork({ clock, onHandlerError: (e, at) => errors.push(`${at}: ${(e as Error).message}`) });
  const a = net.transport('a');
  const b = net.transport('b');
  const got: unknown[] = [];
  b.onMessage((_from, msg) => {
    if (msg.t === 'bad') throw new Error('boom');
    got.push(msg.t);
  });
  a.send('b', { t: 'bad' });
  a.send('b', { t: 'good' });
  clock.advance(0);
  assert.equal(got, ['good']);
  assert.equal(errors, ['b: boom']);
});

test('setAddress is recorded; networks are independent instances', () => {
  const clock = new SimulatedClock();
  const one = new MemoryNetwork({ clock });
  const two = new MemoryNetwork({ clock });
  const a = one.transport('a');
  two.transport('a'); // the same name on another network is fine
  a.setAddress('b', '127.0.0.12:7000');
  assert.is(a.addressOf('b'), '127.0.0.12:7000');
  assert.equal(one.names(), ['a']);
});

test.run();
