// The API server on 127.0.0.1 with a sim node: every request needs the admin token; garbage
// frames get an error reply and the server keeps serving; an oversized frame closes only its own
// connection.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { packr, PROTOCOL_VERSION } from '../../src/api/protocol.ts';
import { RawConn } from '../support/raw-ws.ts';
import { type ApiFixture, startApiFixture } from '../support/sim-node.ts';

const test = suite('api: auth and frames');

// small enough that an oversized frame is cheap to make: the server refuses frames over 2×
const MAX_FRAME = 64 * 1024;
let fx: ApiFixture;
const raws: RawConn[] = [];

const NS = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
const POD = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers: [{ name: main, image: busybox:latest, imagePullPolicy: IfNotPresent }]\n`;

async function raw() {
  const r = await RawConn.open(fx.address);
  raws.push(r);
  return r;
}

/** The promise's value, or null when it takes longer than ms. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A valid request on the same connection still works. */
async function stillServes(r: RawConn, id: number) {
  r.request({ v: PROTOCOL_VERSION, id, token: fx.token, op: 'version', args: {} });
  const reply = await r.next() as any;
  assert.is(reply.id, id);
  assert.is(reply.ok, true, `valid request after garbage: ${JSON.stringify(reply)}`);
  assert.is(reply.result.node, 'auth-node');
}

test.before(async () => {
  fx = await startApiFixture({ name: 'auth-node', maxFrameBytes: MAX_FRAME });
});
test.after(async () => {
  for (const r of raws) r.terminate();
  await fx?.stop();
});

test('the right token is served', async () => {
  const c = await fx.client();
  const v = await c.request('version');
  assert.is(v.node, 'auth-node');
  assert.is(v.protocol, PROTOCOL_VERSION);
});

test('no token or a wrong token: Unauthorized, and nothing changes', async () => {
  const wrongSameLength = fx.token.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a'));
  for (const token of ['', 'nope', wrongSameLength, fx.token + 'x', fx.token.toUpperCase()]) {
    if (token === fx.token) continue;
    const c = await fx.client(token);
    const e = await c.refused('apply', { manifest: NS('sneaky') });
    assert.is(e.code, 'Unauthorized', `token ${JSON.stringify(token)}`);
    assert.match(e.message, /^Unauthorized/);
    if (token === '') assert.match(e.message, /no token/);
    const e2 = await c.refused('get', { kind: 'namespaces' });
    assert.is(e2.code, 'Unauthorized');
    const e3 = await c.refused('delete', { kind: 'namespace', name: 'default' });
    assert.is(e3.code, 'Unauthorized');
  }
  // a token that is not a string at all
  const r = await raw();
  for (const [i, token] of [undefined, null, 12345, ['x'], { t: fx.token }].entries()) {
    r.request({ v: PROTOCOL_VERSION, id: 100 + i, token, op: 'get', args: { kind: 'ns' } });
    const reply = await r.next() as any;
    assert.is(reply.id, 100 + i);
    assert.is(reply.ok, false);
    assert.is(reply.error.code, 'Unauthorized', `token ${JSON.stringify(token)}`);
  }
  // nothing was created or deleted
  const c = await fx.client();
  const e = await c.refused('get', { kind: 'namespace', name: 'sneaky' });
  assert.is(e.code, 'NotFound');
  assert.ok(fx.node.store.get('Namespace//default'));
  assert.not.ok(fx.node.store.get('Namespace//sneaky'));
});

test('garbage frames get an error reply and the connection keeps serving', async () => {
  const r = await raw();
  const cases: [string, Uint8Array | string][] = [
    ['bytes that are not msgpack', new Uint8Array([0xc1, 0xc1, 0x00, 0xff, 0x13, 0x37, 0xde, 0xad])],
    ['random bytes', Uint8Array.from({ length: 512 }, (_, i) => (i === 0 ? 0xc1 : (i * 7919 + 13) % 256))],
    ['an empty frame', new Uint8Array(0)],
    ['a text frame', JSON.stringify({ v: PROTOCOL_VERSION, id: 1, token: fx.token, op: 'version', args: {} })],
    ['msgpack of a number', packr.pack(42)],
    ['msgpack of a string', packr.pack('hello')],
    ['msgpack of null', packr.pack(null)],
    ['msgpack of an array', packr.pack([1, 2, 3])],
    ['a request with no id', packr.pack({ v: PROTOCOL_VERSION, token: fx.token, op: 'version', args: {} })],
    ['a request with a string id', packr.pack({ v: PROTOCOL_VERSION, id: '7', token: fx.token, op: 'version', args: {} })],
  ];
  let id = 1;
  for (const [what, frame] of cases) {
    r.send(frame);
    const reply = await r.next() as any;
    assert.is(reply.ok, false, `${what}: ${JSON.stringify(reply)}`);
    assert.is(reply.id, 0, what);
    assert.is(reply.error.code, 'BadRequest', what);
    assert.type(reply.error.message, 'string');
    await stillServes(r, id++);
  }
});

test('an unknown op, a wrong protocol version and bad args are refused by request id', async () => {
  const r = await raw();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown op', { v: PROTOCOL_VERSION, id: 11, token: fx.token, op: 'frobnicate', args: {} }, /unknown operation "frobnicate"/],
    ['op missing', { v: PROTOCOL_VERSION, id: 12, token: fx.token, args: {} }, /unknown operation/],
    ['protocol version 2', { v: 2, id: 13, token: fx.token, op: 'version', args: {} }, /unsupported protocol version 2/],
    ['no protocol version', { id: 14, token: fx.token, op: 'version', args: {} }, /unsupported protocol version/],
    ['args not an object', { v: PROTOCOL_VERSION, id: 15, token: fx.token, op: 'get', args: 'pods' }, /args\.kind/],
    ['a kind that is not a string', { v: PROTOCOL_VERSION, id: 16, token: fx.token, op: 'get', args: { kind: 7 } }, /args\.kind/],
    ['an apply with no manifest', { v: PROTOCOL_VERSION, id: 17, token: fx.token, op: 'apply', args: {} }, /args\.manifest/],
  ];
  for (const [what, msg, re] of cases) {
    r.request(msg);
    const reply = await r.next() as any;
    assert.is(reply.id, msg.id, what);
    assert.is(reply.ok, false, what);
    assert.is(reply.error.code, 'BadRequest', what);
    assert.match(reply.error.message, re, what);
    await stillServes(r, Number(msg.id) + 100);
  }
  // a wrong version is refused before the token is even looked at (and never executes)
  r.request({ v: 99, id: 30, token: 'wrong', op: 'apply', args: { manifest: NS('by-old-client') } });
  const reply = await r.next() as any;
  assert.is(reply.error.code, 'BadRequest');
  assert.not.ok(fx.node.store.get('Namespace//by-old-client'));
});

test('a frame over the limit closes that connection only; the node keeps serving', async () => {
  const victim = await raw();
  const bystander = await raw();
  const big = { v: PROTOCOL_VERSION, id: 1, token: fx.token, op: 'apply', args: { manifest: 'x'.repeat(MAX_FRAME * 2 + 1024) } };
  victim.request(big);
  const closed = await within(victim.closed, 5000);
  assert.ok(closed, 'the connection that sent the oversized frame is closed');
  assert.is(closed!.code, 1009, 'closed with 1009 (message too big)');
  assert.not.ok(victim.isOpen);
  // the other connection and new ones work
  await stillServes(bystander, 2);
  const c = await fx.client();
  assert.is((await c.request('version')).node, 'auth-node');
  const res = await c.request('apply', { manifest: POD('after-big') });
  assert.equal(res.results.map((x: any) => x.outcome), ['created']);
  assert.ok(fx.node.store.get('Pod/default/after-big'));
});

test('a frame between maxFrameBytes and the transport limit is read and answered', async () => {
  const r = await raw();
  // the frame arrives whole; the manifest in it is judged by the manifest rules (unknown kind)
  const manifest = `# ${'x'.repeat(MAX_FRAME + 10)}\napiVersion: v1\nkind: Gizmo\nmetadata:\n  name: padded\n`;
  r.request({ v: PROTOCOL_VERSION, id: 5, token: fx.token, op: 'apply', args: { manifest } });
  const reply = await r.next() as any;
  assert.is(reply.id, 5);
  assert.is(reply.ok, false);
  assert.is(reply.error.code, 'UnknownKind');
  assert.ok(r.isOpen);
  await stillServes(r, 6);
});

test('only the /api path upgrades', async () => {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://${fx.address}/other`);
  const outcome = await within(new Promise<string>((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('error', (e) => resolve(`error: ${(e as Error).message}`));
  }), 5000);
  ws.terminate();
  assert.match(String(outcome), /^error: .*404/);
});

test.run();
