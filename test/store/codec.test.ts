// The store's value encoding on a real LevelDB: values use record structures shared across the
// database, the structures are written atomically with the first values that use them (also
// after a failed batch), and a database written before them (plain msgpack maps) still reads.

import { Level } from 'level';
import { Packr } from 'msgpackr';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type KVOp, MAX_SHARED_STRUCTURES, type Section, StoreCodec } from '../../src/store/kv.ts';
import { LevelKV } from '../../src/store/level.ts';
import { removeDir, tempDir } from '../support/sim-node.ts';

const test = suite('store: shared record structures');

const dirs: string[] = [];
const kvs: LevelKV[] = [];
function newDir() {
  const d = tempDir('codec');
  dirs.push(d);
  return `${d}/db`;
}
async function openKV(dir: string) {
  const kv = new LevelKV(dir);
  await kv.open();
  kvs.push(kv);
  return kv;
}
async function closeKV(kv: LevelKV) {
  await kv.close();
  kvs.splice(kvs.indexOf(kv), 1);
}
async function all(kv: LevelKV, section: Section) {
  const out: Record<string, unknown> = {};
  for await (const [k, v] of kv.entries(section)) out[k] = v;
  return out;
}
/** Raw bytes of one sublevel, read with LevelDB directly. */
async function raw(dir: string, section: string) {
  const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  try {
    const out: Record<string, Uint8Array> = {};
    for await (const [k, v] of db.sublevel<string, Uint8Array>(section, { keyEncoding: 'utf8', valueEncoding: 'view' }).iterator()) out[k] = v;
    return out;
  } finally {
    await db.close();
  }
}

const pod = (i: number) => ({
  kind: 'Pod',
  metadata: { name: `web-${i}`, namespace: 'default', labels: { app: 'web' }, uid: `uid-${i}` },
  spec: { containers: [{ name: 'main', image: 'busybox:latest', command: ['sh', '-c', 'sleep 1000'] }], nodeName: 'n1' },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});
const put = (key: string, value: unknown, section: Section = 'objects'): KVOp => ({ type: 'put', section, key, value });

test.after(async () => {
  for (const kv of kvs) await kv.close().catch(() => {});
  for (const d of dirs) removeDir(d.replace(/\/db$/, ''));
});

test('values are written with shared structures, about half the size of plain msgpack, and read back after a reopen', async () => {
  const dir = newDir();
  let kv = await openKV(dir);
  const pods = Array.from({ length: 50 }, (_, i) => pod(i));
  await kv.batch(pods.map((p, i) => put(`Pod/default/web-${i}`, p)));
  await closeKV(kv);

  const bytes = await raw(dir, 'objects');
  const plain = new Packr({ useRecords: false, moreTypes: false });
  const stored = Object.values(bytes).reduce((n, b) => n + b.length, 0);
  const asMaps = pods.reduce((n, p) => n + plain.pack(p).length, 0);
  assert.ok(stored < asMaps * 0.6, `stored ${stored} bytes, as plain maps ${asMaps}`);
  assert.ok((await raw(dir, 'codec')).structures, 'the structures are stored');

  kv = await openKV(dir);
  const back = await all(kv, 'objects');
  assert.equal(Object.keys(back).length, 50);
  pods.forEach((p, i) => assert.equal(back[`Pod/default/web-${i}`], p));
});

test('past 32 structures (two-byte record ids) and past the shared limit, every value reads back after a reopen', async () => {
  const dir = newDir();
  let kv = await openKV(dir);
  // one shape per value: the ones past MAX_SHARED_STRUCTURES are written inline in their value
  const shaped = (i: number) => ({ [`k${i}`]: i, inner: { [`n${i % 40}`]: [i, { [`d${i}`]: true }] } });
  const n = MAX_SHARED_STRUCTURES + 100;
  for (let i = 0; i < n; i += 250) await kv.batch(Array.from({ length: Math.min(250, n - i) }, (_, j) => put(`v${i + j}`, shaped(i + j))));
  await closeKV(kv);
  kv = await openKV(dir);
  const back = await all(kv, 'objects');
  assert.is(Object.keys(back).length, n);
  for (let i = 0; i < n; i++) assert.equal(back[`v${i}`], shaped(i), `v${i}`);
  // and values written after the reopen use the same structures
  await kv.batch([put('again', shaped(3)), put('fresh', { brandNew: 1 })]);
  await closeKV(kv);
  kv = await openKV(dir);
  const again = await all(kv, 'objects');
  assert.equal(again.again, shaped(3));
  assert.equal(again.fresh, { brandNew: 1 });
});

test('a database written as plain msgpack maps (before shared structures) still reads, and takes new values', async () => {
  const dir = newDir();
  const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const plain = new Packr({ useRecords: false, moreTypes: false });
  await db.sublevel<string, Uint8Array>('objects', { keyEncoding: 'utf8', valueEncoding: 'view' }).put('Pod/default/old', plain.pack(pod(0)));
  await db.sublevel<string, Uint8Array>('meta', { keyEncoding: 'utf8', valueEncoding: 'view' }).put('resourceVersion', plain.pack(7));
  await db.close();

  let kv = await openKV(dir);
  assert.equal(await all(kv, 'objects'), { 'Pod/default/old': pod(0) });
  assert.equal(await all(kv, 'meta'), { resourceVersion: 7 });
  await kv.batch([put('Pod/default/new', pod(1))]);
  await closeKV(kv);
  kv = await openKV(dir);
  assert.equal(await all(kv, 'objects'), { 'Pod/default/new': pod(1), 'Pod/default/old': pod(0) });
});

test('structures first used by a batch that fails are written with the next batch that uses them', async () => {
  const dir = newDir();
  let kv = await openKV(dir);
  // LevelDB refuses the whole batch (a key that is not a string) after its values are encoded
  const bad = { type: 'put', section: 'objects', key: null, value: 0 } as unknown as KVOp;
  const shaped = { shape: 'new', with: { nested: ['keys'] } };
  await kv.batch([put('A', shaped), bad]).then(() => assert.unreachable('the batch should fail'), () => {});
  assert.equal(await all(kv, 'objects'), {}, 'nothing of the failed batch is written');
  // the same shapes again: no new structure is made, but the ones made above are still unwritten
  await kv.batch([put('B', shaped)]);
  await closeKV(kv);
  kv = await openKV(dir);
  assert.equal(await all(kv, 'objects'), { B: shaped });
});

test('StoreCodec: pending() until the batch carrying the newest structures is saved', () => {
  const c = new StoreCodec();
  c.pack({ a: 1 });
  const first = c.pending();
  assert.ok(first);
  c.pack({ b: 1 }); // a structure added while the first batch is in flight
  c.saved(first!.version);
  const second = c.pending();
  assert.ok(second, 'the structure added after the first pending() is still to be written');
  c.saved(second!.version);
  assert.is(c.pending(), undefined);
  c.pack({ a: 2 }); // a known shape adds nothing
  assert.is(c.pending(), undefined);
  const loaded = StoreCodec.load(second!.bytes);
  assert.equal(loaded.unpack(c.pack({ b: [{ a: 3 }] })), { b: [{ a: 3 }] });
});

test('StoreCodec.load refuses stored structures that are not lists of keys', () => {
  const plain = new Packr({ useRecords: false });
  assert.throws(() => StoreCodec.load(plain.pack({ not: 'a list' })), /not lists of keys/);
  assert.throws(() => StoreCodec.load(plain.pack([[1, 2]])), /not lists of keys/);
});

test.run();
