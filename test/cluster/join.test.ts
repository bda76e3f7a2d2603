// Joining over real WebSockets on 127.0.0.1: a seed serving /peer with acceptPeerSocket, the
// joiner's joinCluster. Good tokens get the sealed payload; wrong, unknown, expired and revoked
// ones the same refusal, fast; a seed that does not know the token gets no proof; garbage closes
// only its own socket; an unreachable seed is reported within the timeout.

import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer, type Server } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer } from 'ws';
import { StarlingError } from '../../src/errors.ts';
import { joinCluster, type JoinPayload, type JoinServerOptions } from '../../src/cluster/join.ts';
import { newClusterSecret, newNonce, peerPackr } from '../../src/cluster/peer-auth.ts';
import { newJoinToken, type TokenRecord } from '../../src/cluster/tokens.ts';
import { acceptPeerSocket } from '../../src/cluster/transport-ws.ts';
import { freePort, RawPeer, rejection, startPeerServer, type PeerServer, waitFor, within } from './support-ws.ts';

const test = suite('cluster: join');

const NOW = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const tokens = new Map<string, TokenRecord>();
const good = newJoinToken(NOW, HOUR, 'good');
const expired = newJoinToken(NOW - 2 * HOUR, HOUR, 'expired');
const revoked = newJoinToken(NOW, HOUR, 'revoked');
for (const t of [good, expired, revoked]) tokens.set(t.id, { id: t.id, secret: t.secret, expires: t.expires });
tokens.get(revoked.id)!.revoked = true;

const clusterSecret = newClusterSecret();
const payload: JoinPayload = {
  clusterId: 'cluster-1',
  clusterSecret,
  adminToken: 'admin-token-123',
  members: [{ name: 'seed', addr: '127.0.0.1:1' }],
};
const joined: [string, string][] = [];
const seedLog: string[] = [];
const joinOpts: JoinServerOptions = {
  registry: { find: (id) => tokens.get(id) },
  payload: () => payload,
  now: () => NOW,
  onJoined: (name, addr) => joined.push([name, addr]),
  log: (m) => seedLog.push(m),
};

let seed: PeerServer;
const extra: { close(): Promise<void> | void }[] = [];
const raws: RawPeer[] = [];

test.before(async () => {
  seed = await startPeerServer({ join: joinOpts });
});
test.after(async () => {
  for (const r of raws) r.terminate();
  for (const x of extra) await x.close();
  await seed?.stop();
});

const join = (token: string, over: Partial<Parameters<typeof joinCluster>[0]> = {}) =>
  joinCluster({ seedAddr: seed.addr, token, name: 'node-b', addr: '127.0.0.1:7001', timeoutMs: 3000, ...over });

async function raw(addr = seed.addr) {
  const r = await RawPeer.open(addr);
  raws.push(r);
  return r;
}

test('a good token gets the cluster payload, and the seed is told who joined', async () => {
  const started = Date.now();
  const p = await join(good.token);
  assert.ok(Date.now() - started < 1000);
  assert.is(p.clusterId, 'cluster-1');
  assert.instance(p.clusterSecret, Uint8Array);
  assert.equal([...p.clusterSecret], [...clusterSecret]);
  assert.is(p.adminToken, 'admin-token-123');
  assert.equal(p.members, [{ name: 'seed', addr: '127.0.0.1:1' }]);
  assert.ok(await waitFor(() => joined.length === 1, 1000));
  assert.equal(joined[0], ['node-b', '127.0.0.1:7001']);
  assert.ok(seedLog.some((l) => l.includes(`admitted node-b (127.0.0.1:7001) with join token ${good.id}`)), seedLog.join('\n'));
});

test('wrong secret, unknown id, expired and revoked tokens are refused the same way, fast', async () => {
  const before = joined.length;
  const cases = {
    'wrong secret': `${good.id}.0000000000000000`,
    'unknown id': 'zzzzzz.0123456789abcdef',
    expired: expired.token,
    revoked: revoked.token,
  };
  const messages = new Set<string>();
  for (const [what, token] of Object.entries(cases)) {
    const started = Date.now();
    const e = await rejection(join(token));
    assert.instance(e, StarlingError, what);
    assert.is(e.code, 'Unauthorized', `${what}: ${e.message}`);
    assert.ok(e.message.startsWith(`the join token was refused by ${seed.addr}: `), e.message);
    assert.ok(Date.now() - started < 1000, `${what} took ${Date.now() - started} ms`);
    messages.add(e.message);
  }
  assert.is(messages.size, 1, [...messages].join('\n'));
  assert.is(joined.length, before, 'nobody joined');
  // the seed's own log says what was wrong
  assert.ok(await waitFor(() => seedLog.some((l) => l.includes('is revoked')), 1000), seedLog.join('\n'));
  assert.ok(seedLog.some((l) => l.includes('expired at')));
  assert.ok(seedLog.some((l) => l.includes('unknown token id')));
});

test('a good token can still be refused by admit(), with its reason', async () => {
  const other = await startPeerServer({
    join: { ...joinOpts, admit: (name) => (name === 'seed' ? 'a live member is named seed' : undefined) },
  });
  extra.push({ close: () => other.stop() });
  const before = joined.length;
  const e = await rejection(join(good.token, { seedAddr: other.addr, name: 'seed' }));
  assert.is(e.code, 'Conflict', e.message);
  assert.is(e.message, `${other.addr} refused to admit seed: a live member is named seed`);
  const p = await join(good.token, { seedAddr: other.addr, name: 'node-d' });
  assert.is(p.clusterId, 'cluster-1');
  assert.ok(await waitFor(() => joined.length === before + 1, 1000));
  assert.equal(joined.at(-1), ['node-d', '127.0.0.1:7001']);
});

test('a malformed token is refused before anything is sent', async () => {
  const upgrades = seed.upgrades;
  const e = await rejection(join('not-a-token'));
  assert.is(e.code, 'Invalid');
  assert.match(e.message, 'abcdef.0123456789abcdef');
  assert.is(seed.upgrades, upgrades);
});

test('a prober cannot tell a known token id from an unknown one', async () => {
  const shapes: string[] = [];
  for (const id of [good.id, 'zzzzzz', revoked.id]) {
    const r = await raw();
    r.send({ t: 'join', v: 1, id, nonce: newNonce(), name: 'prober', addr: '127.0.0.1:9' });
    const ch = await r.frame(0);
    shapes.push(JSON.stringify(Object.keys(ch).sort().map((k) => [k, typeof ch[k], ch[k]?.length])));
    assert.is(ch.t, 'join-challenge');
    r.send({ t: 'join-proof', proof: newNonce() });
    assert.equal(await r.frame(1), { t: 'join-refused', message: 'the join token was refused' });
    assert.is((await within(r.whenClosed, 2000) as any).code, 4001);
  }
  assert.is(new Set(shapes).size, 1, shapes.join('\n'));
});

test('the token secret never crosses the wire', async () => {
  const sent: Uint8Array[] = [];
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (d) => sent.push(new Uint8Array(d as Uint8Array)));
      void acceptPeerSocket(ws, { join: joinOpts });
    })
  );
  const port = await listen(http);
  extra.push({ close: () => closeHttp(http, wss) });
  const p = await join(good.token, { seedAddr: `127.0.0.1:${port}` });
  assert.is(p.clusterId, 'cluster-1');
  assert.is(sent.length, 2, 'join + proof');
  const secretBytes = new TextEncoder().encode(good.secret);
  for (const frame of sent) {
    assert.not.ok(indexOf(frame, secretBytes) >= 0, 'secret in a frame');
    assert.not.ok(JSON.stringify(peerPackr.unpack(frame)).includes(good.secret));
  }
});

test('a seed that does not know the token gets no proof from the joiner', async () => {
  const received: any[] = [];
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (d) => {
        const f = peerPackr.unpack(d as Uint8Array) as any;
        received.push(f);
        // an impostor answers with a made-up proof
        if (f.t === 'join') ws.send(peerPackr.pack({ t: 'join-challenge', v: 1, nonce: newNonce(), proof: newNonce() }));
      });
    })
  );
  const port = await listen(http);
  extra.push({ close: () => closeHttp(http, wss) });
  const e = await rejection(join(good.token, { seedAddr: `127.0.0.1:${port}` }));
  assert.is(e.code, 'Unauthorized', e.message);
  assert.match(e.message, `the join token was refused by 127.0.0.1:${port}`);
  await waitFor(() => received.length >= 2, 500);
  assert.equal(received.map((f) => f.t), ['join', 'join-abort']);

  // a real seed whose registry holds another secret under the same id: the same
  const other = await startPeerServer({
    join: { ...joinOpts, registry: { find: (id) => (id === good.id ? { ...tokens.get(id)!, secret: 'ffffffffffffffff' } : undefined) } },
  });
  extra.push({ close: () => other.stop() });
  const e2 = await rejection(join(good.token, { seedAddr: other.addr }));
  assert.is(e2.code, 'Unauthorized');
});

test('an unreachable seed is RuntimeUnavailable within the timeout', async () => {
  // nothing listens
  const port = await freePort();
  let started = Date.now();
  let e = await rejection(join(good.token, { seedAddr: `127.0.0.1:${port}`, timeoutMs: 2000 }));
  assert.is(e.code, 'RuntimeUnavailable', e.message);
  assert.match(e.message, `cannot reach the seed 127.0.0.1:${port}`);
  assert.ok(Date.now() - started < 1000);

  // a TCP server that never answers the upgrade
  const sockets: Socket[] = [];
  const silent: TcpServer = createTcpServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  extra.push({
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    },
  });
  const silentPort = (silent.address() as { port: number }).port;
  started = Date.now();
  e = await rejection(join(good.token, { seedAddr: `127.0.0.1:${silentPort}`, timeoutMs: 400 }));
  const took = Date.now() - started;
  assert.is(e.code, 'RuntimeUnavailable', e.message);
  assert.ok(took >= 350 && took < 1500, `took ${took} ms`);

  // a WebSocket server that accepts and then says nothing
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => {}));
  const mute = await listen(http);
  extra.push({ close: () => closeHttp(http, wss) });
  started = Date.now();
  e = await rejection(join(good.token, { seedAddr: `127.0.0.1:${mute}`, timeoutMs: 400 }));
  assert.is(e.code, 'RuntimeUnavailable', e.message);
  assert.match(e.message, 'did not answer the join within 400 ms');
  assert.ok(Date.now() - started < 1500);

  // a bad address
  e = await rejection(join(good.token, { seedAddr: 'no port here' }));
  assert.is(e.code, 'Invalid');
});

test('a node that does not admit joins says so', async () => {
  const member = await startPeerServer({});
  extra.push({ close: () => member.stop() });
  const e = await rejection(join(good.token, { seedAddr: member.addr }));
  assert.is(e.code, 'RuntimeUnavailable', e.message);
  assert.match(e.message, 'does not admit new nodes');
});

test('garbage frames close only their own socket, and the seed keeps admitting', async () => {
  const garbage: ((r: RawPeer) => void)[] = [
    (r) => r.sendRaw('hello as text'),
    (r) => r.sendRaw(new Uint8Array([0xc1, 0xff, 0x00])),
    (r) => r.send([1, 2, 3]),
    (r) => r.send('a string'),
    (r) => r.send({ t: 'nonsense' }),
    (r) => r.send({ t: 'join', v: 1, id: good.id, nonce: 'short', name: 'x', addr: '127.0.0.1:1' }),
    (r) => r.send({ t: 'join', v: 1, id: 'NOT-AN-ID', nonce: newNonce(), name: 'x', addr: '127.0.0.1:1' }),
    (r) => r.send({ t: 'join', v: 2, id: good.id, nonce: newNonce(), name: 'x', addr: '127.0.0.1:1' }),
    (r) => r.send({ t: 'join', v: 1, id: good.id, nonce: newNonce(), name: '', addr: '127.0.0.1:1' }),
    (r) => {
      r.send({ t: 'join', v: 1, id: good.id, nonce: newNonce(), name: 'x', addr: '127.0.0.1:1' });
      r.send({ t: 'join-proof', proof: 'not bytes' });
    },
    (r) => {
      r.send({ t: 'join', v: 1, id: good.id, nonce: newNonce(), name: 'x', addr: '127.0.0.1:1' });
      r.sendRaw(new Uint8Array([0x93]));
    },
  ];
  for (const [i, g] of garbage.entries()) {
    const r = await raw();
    g(r);
    const closed = await within(r.whenClosed, 2000);
    assert.ok(closed !== 'timeout', `garbage #${i} did not close the socket`);
    assert.is((closed as any).code, 4400, `garbage #${i}: ${JSON.stringify(closed)}`);
    assert.not.ok(r.frames.some((f) => f.t === 'join-ok'), `garbage #${i} got a payload`);
  }
  const p = await join(good.token, { name: 'node-c' });
  assert.is(p.clusterId, 'cluster-1');
});

function listen(http: Server): Promise<number> {
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
}

async function closeHttp(http: Server, wss: WebSocketServer) {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  await new Promise<void>((r) => http.close(() => r()));
  http.closeAllConnections?.();
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

test.run();
