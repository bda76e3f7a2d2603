// WsTransport over real WebSockets on 127.0.0.1: three members on three servers. Sends,
// requests and replies both ways on one link per pair; timeouts and unreachable peers; a peer
// with the wrong cluster secret gets nothing and is closed; block/unblock; a restarted peer on a
// new port; many messages in order on one link.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StarlingError } from '../../src/errors.ts';
import { linkProof, linkProofKey, newClusterSecret, newNonce } from '../../src/cluster/peer-auth.ts';
import { WsTransport } from '../../src/cluster/transport-ws.ts';
import type { PeerMessage } from '../../src/cluster/types.ts';
import { freePort, type PeerServer, RawPeer, rejection, sleep, startPeerServer, waitFor, within } from './support-ws.ts';

const test = suite('cluster: WebSocket transport');

const SECRET = newClusterSecret();

interface Member {
  name: string;
  t: WsTransport;
  server: PeerServer;
  got: { from: string; msg: PeerMessage }[];
  logs: string[];
}

const members = new Map<string, Member>();
const others: { stop(): Promise<void> }[] = [];
const raws: RawPeer[] = [];

async function startMember(name: string, secret = SECRET): Promise<Member> {
  const logs: string[] = [];
  const t = new WsTransport({ self: name, clusterSecret: secret, log: (m) => logs.push(m), connectTimeoutMs: 1500 });
  const server = await startPeerServer({ transport: t });
  const m: Member = { name, t, server, got: [], logs };
  t.onMessage((from, msg, reply) => {
    m.got.push({ from, msg });
    if (msg.t === 'ping') reply?.({ t: 'pong', n: msg.n, by: name });
    if (msg.t === 'echo-later') setTimeout(() => reply?.({ t: 'echo', n: msg.n }), 5);
    // 'ignore' gets no reply
  });
  return m;
}

function wire(list: Member[]) {
  for (const a of list) for (const b of list) if (a !== b) a.t.setAddress(b.name, b.server.addr);
}

const M = (name: string) => members.get(name)!;
const received = (m: Member, t: string, from?: string) => m.got.filter((g) => g.msg.t === t && (!from || g.from === from));

test.before(async () => {
  for (const n of ['a', 'b', 'c']) members.set(n, await startMember(n));
  wire([...members.values()]);
});

test.after(async () => {
  for (const r of raws) r.terminate();
  for (const m of members.values()) {
    await m.t.close();
    await m.server.stop();
  }
  for (const o of others) await o.stop();
});

test('send reaches the peer in both directions, over one link per pair', async () => {
  M('a').t.send('b', { t: 'hi', n: 1 });
  assert.ok(await waitFor(() => received(M('b'), 'hi', 'a').length === 1));
  M('b').t.send('a', { t: 'hi', n: 2 });
  M('c').t.send('a', { t: 'hi', n: 3 });
  assert.ok(await waitFor(() => received(M('a'), 'hi').length === 2));
  assert.equal(received(M('a'), 'hi', 'b')[0].msg, { t: 'hi', n: 2 });
  assert.equal(received(M('a'), 'hi', 'c')[0].msg, { t: 'hi', n: 3 });
  // b answered on the link a opened
  assert.equal(M('b').t.linkStates().filter((l) => l.peer === 'a'), [{ peer: 'a', outbound: false, state: 'open', current: true }]);
  assert.is(M('b').t.counters.linksOpened, 0);
  assert.is(M('a').t.counters.linksAccepted, 1, 'from c');
});

test('request and reply, both directions', async () => {
  const r1 = await M('a').t.request('b', { t: 'ping', n: 10 }, 2000);
  assert.equal(r1, { t: 'pong', n: 10, by: 'b' });
  const r2 = await M('b').t.request('a', { t: 'ping', n: 11 }, 2000);
  assert.equal(r2, { t: 'pong', n: 11, by: 'a' });
  const r3 = await M('c').t.request('b', { t: 'echo-later', n: 12 }, 2000);
  assert.equal(r3, { t: 'echo', n: 12 });
  // concurrent requests are told apart
  const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => M('b').t.request('c', { t: 'ping', n }, 2000)));
  assert.equal(replies.map((r) => r.n), [1, 2, 3, 4, 5]);
  // to itself: delivered locally
  assert.equal(await M('a').t.request('a', { t: 'ping', n: 13 }, 500), { t: 'pong', n: 13, by: 'a' });
});

test('a request with no answer times out with RuntimeUnavailable', async () => {
  const started = Date.now();
  const e = await rejection(M('a').t.request('c', { t: 'ignore' }, 200));
  const took = Date.now() - started;
  assert.instance(e, StarlingError);
  assert.is(e.code, 'RuntimeUnavailable');
  assert.match(e.message, 'c did not answer ignore within 200 ms');
  assert.ok(took >= 190 && took < 1000, `took ${took}`);
  assert.ok(await waitFor(() => received(M('c'), 'ignore', 'a').length === 1));
});

test('unreachable peers: requests fail fast, sends never throw', async () => {
  const a = M('a').t;
  let e = await rejection(a.request('nobody', { t: 'ping' }, 1000));
  assert.is(e.code, 'RuntimeUnavailable');
  assert.match(e.message, 'no address');
  a.setAddress('ghost', `127.0.0.1:${await freePort()}`);
  const started = Date.now();
  e = await rejection(a.request('ghost', { t: 'ping' }, 2000));
  assert.is(e.code, 'RuntimeUnavailable');
  assert.match(e.message, 'ghost is unreachable');
  assert.ok(Date.now() - started < 1000);
  const dropped = a.counters.dropped;
  for (let i = 0; i < 200; i++) a.send('ghost', { t: 'hi', i });
  a.send('nobody', { t: 'hi' });
  assert.ok(await waitFor(() => a.counters.dropped > dropped + 100, 2000), 'beyond the small queue, sends are dropped');
  assert.is(M('a').logs.filter((l) => l.includes('cannot link to ghost')).length, 1, M('a').logs.join('\n'));
});

test('a peer with the wrong cluster secret gets nothing and is closed', async () => {
  const x = await startMember('x', newClusterSecret());
  others.push({ stop: async () => (await x.t.close(), await x.server.stop()) });
  x.t.setAddress('a', M('a').server.addr);
  M('a').t.setAddress('x', x.server.addr);
  const before = M('a').got.length;

  // x calls a: x sees a's proof fail, a never hears from x
  let e = await rejection(x.t.request('a', { t: 'ping' }, 2000));
  assert.is(e.code, 'RuntimeUnavailable', e.message);
  assert.match(e.message, 'could not prove it knows the cluster secret');
  // a calls x: the same, the other way round
  e = await rejection(M('a').t.request('x', { t: 'ping' }, 2000));
  assert.is(e.code, 'RuntimeUnavailable', e.message);
  assert.is(x.got.length, 0);
  await sleep(50);
  assert.is(M('a').got.length, before, 'a delivered nothing from x');
  assert.ok(M('a').t.counters.authFailures >= 1);

  // a raw client that says hello and fakes the proof: one challenge, then closed 4001
  const r = await RawPeer.open(M('a').server.addr);
  raws.push(r);
  r.send({ t: 'hello', v: 1, from: 'mallory', to: 'a', nonce: newNonce() });
  const ch = await r.frame(0);
  assert.is(ch.t, 'challenge');
  r.send({ t: 'auth', proof: newNonce() });
  r.send({ msg: { t: 'hi' } });
  const closed = await within(r.whenClosed, 2000);
  assert.is((closed as any).code, 4001);
  assert.is(r.frames.length, 1);
  assert.ok(M('a').logs.some((l) => l.includes('refused a peer link from mallory')));

  // data without a hello, a hello for another node, garbage: closed
  for (const [frame, code] of [[{ msg: { t: 'hi' } }, 4400], [{ t: 'hello', v: 1, from: 'b2', to: 'zz', nonce: newNonce() }, 4404], [{ t: 'hello', v: 1, from: 'a', to: 'a', nonce: newNonce() }, 4409], ['text', 4400]] as const) {
    const g = await RawPeer.open(M('a').server.addr);
    raws.push(g);
    if (typeof frame === 'string') g.sendRaw(frame);
    else g.send(frame);
    const c = await within(g.whenClosed, 2000);
    assert.is((c as any).code, code, JSON.stringify(frame));
    assert.is(g.frames.length, 0);
  }
  await sleep(20);
  assert.is(M('a').got.length, before);
});

test('block drops everything to and from a peer until unblock', async () => {
  const a = M('a');
  const b = M('b');
  a.t.block('b');
  const hiBefore = received(b, 'blocked-hi').length;
  a.t.send('b', { t: 'blocked-hi' });
  b.t.send('a', { t: 'blocked-hi' });
  let e = await rejection(a.t.request('b', { t: 'ping' }, 150));
  assert.is(e.code, 'RuntimeUnavailable');
  e = await rejection(b.t.request('a', { t: 'ping' }, 150));
  assert.is(e.code, 'RuntimeUnavailable');
  assert.is(received(b, 'blocked-hi').length, hiBefore);
  assert.is(received(a, 'blocked-hi').length, 0);
  // c is not affected
  assert.equal(await a.t.request('c', { t: 'ping', n: 1 }, 1000), { t: 'pong', n: 1, by: 'c' });
  a.t.unblock('b');
  assert.equal(await a.t.request('b', { t: 'ping', n: 2 }, 1000), { t: 'pong', n: 2, by: 'b' });
  assert.equal(await b.t.request('a', { t: 'ping', n: 3 }, 1000), { t: 'pong', n: 3, by: 'a' });
});

test('many messages arrive in order on one link', async () => {
  const a = M('a');
  const b = M('b');
  const N = 5000;
  const sentBefore = a.t.counters.sentFrames;
  const started = Date.now();
  for (let i = 0; i < N; i++) a.t.send('b', { t: 'seq', i, body: 'x'.repeat(100) });
  assert.ok(await waitFor(() => received(b, 'seq').length === N, 10_000), `${received(b, 'seq').length} of ${N}`);
  const ms = Date.now() - started;
  assert.equal(received(b, 'seq').map((g) => g.msg.i), Array.from({ length: N }, (_, i) => i));
  assert.is(a.t.counters.sentFrames - sentBefore, N);
  // and as many requests in flight at once
  const replies = await Promise.all(Array.from({ length: 1000 }, (_, n) => b.t.request('a', { t: 'ping', n }, 5000)));
  assert.ok(replies.every((r, n) => r.n === n));
  assert.ok(ms < 8000, `${N} messages took ${ms} ms`);
});

test('a restarted peer on a new port is reached again', async () => {
  const old = M('b');
  await old.t.close();
  await old.server.stop();
  const e = await rejection(M('a').t.request('b', { t: 'ping' }, 1000));
  assert.is(e.code, 'RuntimeUnavailable');

  const b = await startMember('b');
  members.set('b', b);
  wire([...members.values()]);
  let reply: PeerMessage | undefined;
  for (let i = 0; i < 20 && !reply; i++) {
    try {
      reply = await M('a').t.request('b', { t: 'ping', n: 1 }, 500);
    } catch {
      await sleep(50);
    }
  }
  assert.equal(reply, { t: 'pong', n: 1, by: 'b' });
  assert.equal(await b.t.request('c', { t: 'ping', n: 2 }, 1000), { t: 'pong', n: 2, by: 'c' });
  M('c').t.send('b', { t: 'hi-again' });
  assert.ok(await waitFor(() => received(b, 'hi-again', 'c').length === 1));
});

/** Two transports p and q pinging every `pingIntervalMs`, each with its peer server; stopped after the suite. */
async function pingPair(pingIntervalMs: number) {
  const p = new WsTransport({ self: 'p', clusterSecret: SECRET, pingIntervalMs });
  const q = new WsTransport({ self: 'q', clusterSecret: SECRET, pingIntervalMs });
  const ps = await startPeerServer({ transport: p });
  const qs = await startPeerServer({ transport: q });
  others.push({ stop: async () => (await p.close(), await q.close(), await ps.stop(), await qs.stop()) });
  return { p, q, ps, qs };
}

test('pings keep an idle link up and close a link whose peer stopped answering', async () => {
  const { p, q, ps, qs } = await pingPair(50);
  q.onMessage((_from, msg, reply) => reply?.({ t: 'pong', n: msg.n }));
  p.setAddress('q', qs.addr);
  assert.equal(await p.request('q', { t: 'ping', n: 1 }, 1000), { t: 'pong', n: 1 });
  await sleep(400);
  assert.equal(await p.request('q', { t: 'ping', n: 2 }, 1000), { t: 'pong', n: 2 });
  assert.is(p.counters.linksOpened, 1, 'the idle link stayed up');

  // a member (it knows the secret) that stops reading: no pongs, p drops the link
  const r = await RawPeer.open(ps.addr);
  raws.push(r);
  const clientNonce = newNonce();
  r.send({ t: 'hello', v: 1, from: 'r', to: 'p', nonce: clientNonce });
  const ch = await r.frame(0);
  const input = { clientNonce, serverNonce: ch.nonce, clientName: 'r', serverName: 'p' };
  r.send({ t: 'auth', proof: linkProof(linkProofKey(SECRET), 'client', input) });
  assert.is((await r.frame(1)).t, 'ready');
  assert.ok(await waitFor(() => p.linkStates().some((l) => l.peer === 'r' && l.state === 'open'), 1000));
  p.send('r', { t: 'hi' });
  assert.equal((await r.frame(2)).msg, { t: 'hi' });
  r.ws.pause();
  assert.ok(await waitFor(() => !p.linkStates().some((l) => l.peer === 'r'), 2000), JSON.stringify(p.linkStates()));
});

test('a link that carries frames is not pinged; once silent it is, and stays up', async () => {
  const { p, q, ps, qs } = await pingPair(60);
  let got = 0;
  q.onMessage(() => got++);
  p.onMessage(() => got++);
  p.setAddress('q', qs.addr);
  q.setAddress('p', ps.addr);
  p.send('q', { t: 'hi' });
  assert.ok(await waitFor(() => got === 1, 1000));
  // frames both ways every 10 ms for 8 ping periods: neither side pings
  const pings = { p: p.counters.pings, q: q.counters.pings };
  for (let i = 0; i < 48; i++) {
    p.send('q', { t: 'tick' });
    q.send('p', { t: 'tick' });
    await sleep(10);
  }
  assert.ok(p.counters.pings - pings.p <= 1 && q.counters.pings - pings.q <= 1, JSON.stringify([pings, p.counters.pings, q.counters.pings]));
  // silent: both ping every period, the pongs keep the link up
  await sleep(400);
  assert.ok(p.counters.pings - pings.p >= 3, `p pinged ${p.counters.pings - pings.p} times`);
  assert.is(p.counters.linksOpened + q.counters.linksOpened, 1, 'one link, never reopened');
  assert.ok(p.linkStates().some((l) => l.peer === 'q' && l.state === 'open'));
});

test('close rejects pending requests and closes every link', async () => {
  const c = M('c');
  const pending = c.t.request('a', { t: 'ignore' }, 5000);
  await sleep(20);
  const closing = c.t.close();
  const e = await rejection(pending);
  assert.is(e.code, 'RuntimeUnavailable');
  await closing;
  assert.is(c.t.linkStates().length, 0);
  c.t.send('a', { t: 'after-close' }); // does not throw
  assert.ok(await waitFor(() => !M('a').t.linkStates().some((l) => l.peer === 'c'), 2000), JSON.stringify(M('a').t.linkStates()));
  const e2 = await rejection(c.t.request('a', { t: 'ping' }, 100));
  assert.is(e2.code, 'RuntimeUnavailable');
});

test.run();
