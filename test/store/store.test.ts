// The store on a real LevelDB in a temp dir: commits are durable across close/reopen, atomic
// (a failed batch leaves nothing of its commit on disk), grouped when they arrive together;
// events are aggregated and capped per object and go with their object; watchers hear changes.

import { cpSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KEvent, KObject } from '../../src/objects/types.ts';
import { keyOf } from '../../src/objects/types.ts';
import { type KV, type KVOp, MemoryKV, type Section } from '../../src/store/kv.ts';
import { LevelKV } from '../../src/store/level.ts';
import { type ActorRecord, BUCKETS, Store, type WatchType } from '../../src/store/store.ts';
import { removeDir, tempDir } from '../support/sim-node.ts';

const test = suite('store: LevelDB');

/** A KV around LevelKV that counts batches and can be told to fail the next ones. */
class TestKV implements KV {
  readonly inner: LevelKV;
  batches = 0;
  opsWritten = 0;
  failNext = 0;
  /** when set, a batch waits for this before it is written */
  gate?: Promise<void>;
  /** resolved when a batch has started (and is waiting at the gate) */
  started?: () => void;
  constructor(dir: string) {
    this.inner = new LevelKV(dir);
  }
  open() {
    return this.inner.open();
  }
  close() {
    return this.inner.close();
  }
  async batch(ops: KVOp[]) {
    this.batches++;
    const fail = this.failNext > 0;
    if (fail) this.failNext--;
    this.started?.();
    if (this.gate) await this.gate;
    if (fail) throw new Error('simulated disk failure');
    this.opsWritten += ops.length;
    await this.inner.batch(ops);
  }
  entries(section: Section) {
    return this.inner.entries(section);
  }
}

const dirs: string[] = [];
const stores: Store[] = [];
function newDir() {
  const d = tempDir('store');
  dirs.push(d);
  return d;
}
async function open(dir: string, eventsPerObject = 50): Promise<{ store: Store; kv: TestKV }> {
  const kv = new TestKV(`${dir}/db`);
  const store = new Store(kv, { eventsPerObject });
  await store.open();
  stores.push(store);
  return { store, kv };
}
async function close(store: Store) {
  await store.close();
  stores.splice(stores.indexOf(store), 1);
}

test.after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  for (const d of dirs) removeDir(d);
});

const pod = (name: string, ns = 'default', extra: Partial<KObject> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, uid: `uid-${name}`, labels: { app: 'web' }, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { containers: [{ name: 'main', image: 'busybox:latest' }] },
  ...extra,
});
const namespace = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: `uid-ns-${name}` }, spec: {} });

const actorRecord = (key: string, state: string): ActorRecord => ({
  key,
  node: 'n1',
  state,
  since: '2026-01-01T00:00:01Z',
  snapshot: { status: 'active', value: state.split('.')[0], context: { nested: { list: [1, 2, 3], n: null } } },
  schema: 1,
  transitions: [{ event: 'SCHEDULED', from: 'Pending', to: state, at: '2026-01-01T00:00:01Z' }],
});

let evClock = Date.UTC(2026, 0, 1);
const event = (obj: KObject, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): KEvent => {
  const t = new Date(evClock += 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.metadata.name}.${evClock.toString(16)}`, namespace: obj.metadata.namespace ?? 'default', creationTimestamp: t },
    involvedObject: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid },
    reason,
    message,
    type,
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
};

test('objects, actor records, events and meta survive close and reopen', async () => {
  const dir = newDir();
  const { store } = await open(dir);
  const a = pod('a');
  const b = pod('b', 'team');
  const ns = namespace('team');
  await store.commit({
    put: [ns, a, b],
    actors: [actorRecord(keyOf(a), 'Running.Ready'), actorRecord(keyOf(ns), 'Active')],
    events: [event(a, 'Scheduled', 'Successfully assigned default/a to n1'), event(b, 'Pulled', 'image present')],
  });
  await store.setMeta('cluster', { clusterId: 'abc', adminToken: 'secret' });
  const rv = store.resourceVersion();
  assert.is(rv, 3);
  assert.is(store.get(keyOf(a))?.metadata.resourceVersion, '2');
  await close(store);

  const { store: again } = await open(dir);
  assert.equal(again.get('Pod/default/a'), { ...a, metadata: { ...a.metadata, resourceVersion: '2' } });
  assert.is(again.get('Pod/team/b')?.metadata.uid, 'uid-b');
  assert.is(again.get('Namespace//team')?.metadata.uid, 'uid-ns-team');
  assert.equal(again.list('Pod').map((p) => p.metadata.name).sort(), ['a', 'b']);
  assert.equal(again.list('Pod', 'team').map((p) => p.metadata.name), ['b']);
  assert.equal(again.kinds().sort(), ['Namespace', 'Pod']);
  assert.equal(again.actor('Pod/default/a'), actorRecord('Pod/default/a', 'Running.Ready'));
  assert.is(again.actor('Namespace//team')?.state, 'Active');
  assert.is(again.actors().length, 2);
  assert.equal(again.events('Pod/default/a').map((e) => e.reason), ['Scheduled']);
  assert.equal(again.events('Pod/team/b').map((e) => e.reason), ['Pulled']);
  assert.is(again.events().length, 2);
  assert.equal(again.getMeta('cluster'), { clusterId: 'abc', adminToken: 'secret' });
  assert.is(again.resourceVersion(), rv, 'the resourceVersion counter is restored');
  // and it keeps counting from there
  await again.commit({ put: [pod('c')] });
  assert.is(again.get('Pod/default/c')?.metadata.resourceVersion, String(rv + 1));
  await close(again);
});

test('after a reopen, new versions come after every stored one, even with the wall clock behind', async () => {
  const dir = newDir();
  const ahead = new Store(new TestKV(`${dir}/db`), { eventsPerObject: 50, now: () => Date.parse('2030-01-01T00:00:00Z') });
  await ahead.open();
  stores.push(ahead);
  await ahead.commit({ put: [pod('a'), pod('b')] });
  await ahead.commit({ put: [{ ...pod('b'), status: { phase: 'Running' } }] });
  const stored = ['Pod/default/a', 'Pod/default/b'].flatMap((k) => [ahead.versions(k)!.sv, ahead.versions(k)!.tv]);
  await close(ahead);

  const behind = new Store(new TestKV(`${dir}/db`), { eventsPerObject: 50, now: () => Date.parse('2020-01-01T00:00:00Z') });
  await behind.open();
  stores.push(behind);
  await behind.commit({ put: [pod('c')] });
  const v = behind.versions('Pod/default/c')!.sv;
  for (const s of stored) assert.ok(v > s, `${v} comes after ${s}`);
  await close(behind);
});

test('anti-entropy digest: the same after a reopen, and kept up to date by commits whether it was read before them or not', async () => {
  const dir = newDir();
  const { store } = await open(dir);
  await store.commit({ put: [pod('a'), pod('b', 'team')], actors: [actorRecord('Pod/default/a', 'Running.Ready')] });
  const before = store.digest();
  await close(store);
  const copy = newDir();
  cpSync(`${dir}/db`, `${copy}/db`, { recursive: true });

  // the same commits in both copies make the same versions (a fixed wall clock)
  const reopen = async (d: string) => {
    const st = new Store(new TestKV(`${d}/db`), { eventsPerObject: 50, now: () => Date.parse('2030-01-01T00:00:00Z') });
    await st.open();
    stores.push(st);
    return { store: st };
  };
  // read at once after the reopen, then a commit
  const { store: first } = await reopen(dir);
  assert.equal(first.digest(), before);
  await first.commit({ put: [pod('c')], actors: [actorRecord('Pod/default/a', 'Terminating')], del: ['Pod/team/b'] });
  const after = first.digest();
  assert.not.equal(after, before);
  await close(first);
  // the same commit before it is read
  const { store: second } = await reopen(copy);
  await second.commit({ put: [pod('c')], actors: [actorRecord('Pod/default/a', 'Terminating')], del: ['Pod/team/b'] });
  assert.equal(second.digest(), after);
  await close(second);
});

test('a commit whose batch fails leaves nothing of itself on disk; later commits still work', async () => {
  const dir = newDir();
  const { store, kv } = await open(dir);
  const a = pod('a');
  await store.commit({ put: [a], actors: [actorRecord(keyOf(a), 'Pending')], events: [event(a, 'Scheduled', 'assigned')] });
  const rvBefore = store.resourceVersion();

  kv.failNext = 1;
  const b = pod('b');
  const failed = store.commit({
    put: [b, { ...a, metadata: { ...a.metadata, labels: { app: 'changed' } } }],
    del: [],
    actors: [actorRecord(keyOf(b), 'Running.Ready'), actorRecord(keyOf(a), 'Running.Ready')],
    events: [event(b, 'Started', 'started'), event(a, 'Killing', 'stopping')],
  });
  let error: unknown;
  await failed.catch((e) => (error = e));
  assert.ok(error instanceof Error && /simulated disk failure/.test(error.message), 'commit() rejects with the write error');

  // a later commit is written normally
  const c = pod('c');
  await store.commit({ put: [c] });
  await close(store);

  const { store: again } = await open(dir);
  assert.not.ok(again.get('Pod/default/b'), 'the new object of the failed commit is not on disk');
  assert.equal(again.get('Pod/default/a')?.metadata.labels, { app: 'web' }, 'the update of the failed commit is not on disk');
  assert.is(again.actor('Pod/default/a')?.state, 'Pending');
  assert.not.ok(again.actor('Pod/default/b'));
  assert.equal(again.events('Pod/default/a').map((e) => e.reason), ['Scheduled']);
  assert.equal(again.events('Pod/default/b'), []);
  assert.ok(again.get('Pod/default/c'), 'the later commit is on disk');
  assert.ok(again.resourceVersion() > rvBefore);
  await close(again);
});

test('a failed delete leaves the object and its events on disk', async () => {
  const dir = newDir();
  const { store, kv } = await open(dir);
  const a = pod('a');
  await store.commit({ put: [a], actors: [actorRecord(keyOf(a), 'Running.Ready')], events: [event(a, 'Started', 'started')] });
  kv.failNext = 1;
  await store.commit({ del: [keyOf(a)], dropActors: [keyOf(a)] }).then(
    () => assert.unreachable('the commit should fail'),
    (e) => assert.match(String(e), /simulated disk failure/),
  );
  await close(store);
  const { store: again } = await open(dir);
  assert.ok(again.get('Pod/default/a'));
  assert.ok(again.actor('Pod/default/a'));
  assert.is(again.events('Pod/default/a').length, 1);
  await close(again);
});

test('group commit: many concurrent commits all resolve, share few batches and all persist', async () => {
  const dir = newDir();
  const { store, kv } = await open(dir);
  const N = 300;
  const before = kv.batches;
  const commits: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const p = pod(`p${String(i).padStart(3, '0')}`);
    commits.push(store.commit({ put: [p], actors: [actorRecord(keyOf(p), 'Pending')], events: [event(p, 'Scheduled', `assigned ${i}`)] }));
  }
  const settled = await Promise.allSettled(commits);
  assert.is(settled.filter((s) => s.status === 'fulfilled').length, N, 'every commit resolves');
  const batches = kv.batches - before;
  assert.ok(batches >= 1 && batches < N / 10, `commits were grouped into few batches (${batches} for ${N})`);
  assert.is(store.resourceVersion(), N);
  await close(store);

  const { store: again } = await open(dir);
  assert.is(again.list('Pod').length, N);
  assert.is(again.actors().length, N);
  assert.is(again.events().length, N);
  assert.is(again.resourceVersion(), N);
  const rvs = new Set(again.list('Pod').map((p) => p.metadata.resourceVersion));
  assert.is(rvs.size, N, 'every commit got its own resourceVersion');
  await close(again);
});

test('group commit: a failed batch rejects only the commits in it', async () => {
  const dir = newDir();
  const { store, kv } = await open(dir);
  // the first commit starts a write at once; the next ones wait for it and share the second batch
  const first = store.commit({ put: [pod('first')] });
  const rest: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) rest.push(store.commit({ put: [pod(`grouped${i}`)] }));
  await first;
  await Promise.all(rest);
  // a lead commit's write is in flight (held at a gate); the two commits that follow share the
  // next batch, which fails: both reject, while the lead and a later commit are written
  let release!: () => void;
  kv.gate = new Promise<void>((r) => (release = r));
  const inFlight = new Promise<void>((r) => (kv.started = r));
  const lead = store.commit({ put: [pod('lead')] });
  await inFlight;
  kv.started = undefined;
  kv.gate = undefined;
  kv.failNext = 1; // the lead's batch has started already: the next one fails
  const doomed = [store.commit({ put: [pod('x1')] }), store.commit({ put: [pod('x2')] })];
  const batchesBefore = kv.batches;
  release();
  await lead;
  const results = await Promise.allSettled(doomed);
  assert.equal(results.map((r) => r.status), ['rejected', 'rejected'], 'the commits of the failed batch reject');
  assert.is(kv.batches - batchesBefore, 1, 'the two commits shared one batch');
  await store.commit({ put: [pod('after')] });
  await store.flush();
  await close(store);
  const { store: again } = await open(dir);
  assert.equal(again.list('Pod').map((p) => p.metadata.name).sort(), ['after', 'first', 'grouped0', 'grouped1', 'grouped2', 'grouped3', 'grouped4', 'lead']);
  await close(again);
});

test('events: a repeat (same type, reason and message) bumps count and lastTimestamp', async () => {
  const dir = newDir();
  const { store } = await open(dir);
  const a = pod('a');
  await store.commit({ put: [a] });
  const first = event(a, 'BackOff', 'Back-off restarting failed container main', 'Warning');
  await store.commit({ events: [first] });
  const second = event(a, 'BackOff', 'Back-off restarting failed container main', 'Warning');
  const third = event(a, 'BackOff', 'Back-off restarting failed container main', 'Warning');
  await store.commit({ events: [second] });
  await store.commit({ events: [third] });
  await store.commit({ events: [event(a, 'BackOff', 'a different message', 'Warning'), event(a, 'BackOff', 'Back-off restarting failed container main', 'Normal')] });
  let evs = store.events('Pod/default/a');
  assert.is(evs.length, 3);
  assert.is(evs[0].count, 3);
  assert.is(evs[0].firstTimestamp, first.firstTimestamp);
  assert.is(evs[0].lastTimestamp, third.lastTimestamp);
  assert.equal(evs.map((e) => [e.message, e.type, e.count]), [
    ['Back-off restarting failed container main', 'Warning', 3],
    ['a different message', 'Warning', 1],
    ['Back-off restarting failed container main', 'Normal', 1],
  ]);
  await close(store);
  // aggregation is on disk, and keeps working after a reopen
  const { store: again } = await open(dir);
  evs = again.events('Pod/default/a');
  assert.equal(evs.map((e) => e.count), [3, 1, 1]);
  await again.commit({ events: [event(a, 'BackOff', 'Back-off restarting failed container main', 'Warning')] });
  assert.equal(again.events('Pod/default/a').map((e) => e.count), [4, 1, 1]);
  await close(again);
  const { store: reopened } = await open(dir);
  assert.equal(reopened.events('Pod/default/a').map((e) => e.count), [4, 1, 1]);
  await close(reopened);
});

test('events: at most eventsPerObject per object, the oldest dropped first (also on disk)', async () => {
  const dir = newDir();
  const cap = 5;
  const { store } = await open(dir, cap);
  const a = pod('a');
  const b = pod('b');
  await store.commit({ put: [a, b], events: [event(b, 'Scheduled', 'b assigned')] });
  for (let i = 0; i < 8; i++) await store.commit({ events: [event(a, 'Step', `step ${i}`)] });
  // several in one commit too
  await store.commit({ events: [event(a, 'Step', 'step 8'), event(a, 'Step', 'step 9')] });
  const expected = ['step 5', 'step 6', 'step 7', 'step 8', 'step 9'];
  assert.equal(store.events('Pod/default/a').map((e) => e.message), expected);
  assert.equal(store.events('Pod/default/b').map((e) => e.message), ['b assigned'], 'other objects keep theirs');
  await close(store);
  const { store: again } = await open(dir, cap);
  assert.equal(again.events('Pod/default/a').map((e) => e.message), expected);
  await again.commit({ events: [event(a, 'Step', 'step 10')] });
  assert.equal(again.events('Pod/default/a').map((e) => e.message), [...expected.slice(1), 'step 10']);
  await close(again);
  const { store: third } = await open(dir, cap);
  assert.equal(third.events('Pod/default/a').map((e) => e.message), [...expected.slice(1), 'step 10']);
  await close(third);
});

test('deleting an object removes it, its actor record when dropped, and its events (on disk too)', async () => {
  const dir = newDir();
  const { store } = await open(dir);
  const a = pod('a');
  const b = pod('b');
  await store.commit({
    put: [a, b],
    actors: [actorRecord(keyOf(a), 'Running.Ready'), actorRecord(keyOf(b), 'Running.Ready')],
    events: [event(a, 'Scheduled', 'a'), event(a, 'Started', 'a'), event(b, 'Scheduled', 'b')],
  });
  await store.commit({ del: [keyOf(a)], dropActors: [keyOf(a)] });
  assert.not.ok(store.get('Pod/default/a'));
  assert.not.ok(store.actor('Pod/default/a'));
  assert.equal(store.events('Pod/default/a'), []);
  assert.equal(store.list('Pod').map((p) => p.metadata.name), ['b']);
  // deleting what is not there changes nothing
  const rv = store.resourceVersion();
  await store.commit({ del: ['Pod/default/nope'], dropActors: ['Pod/default/nope'] });
  assert.is(store.resourceVersion(), rv);
  await close(store);
  const { store: again } = await open(dir);
  assert.not.ok(again.get('Pod/default/a'));
  assert.not.ok(again.actor('Pod/default/a'));
  assert.equal(again.events('Pod/default/a'), []);
  assert.equal(again.events().map((e) => e.involvedObject.name), ['b']);
  assert.ok(again.actor('Pod/default/b'));
  // an object re-created with the same name starts with no events
  await again.commit({ put: [pod('a')] });
  assert.equal(again.events('Pod/default/a'), []);
  await close(again);
});

test("a Pod's actor record: outside the anti-entropy digest, dropped with its pod when the delete is merged, and not merged without its pod", async () => {
  const { store } = await open(newDir());
  const { store: other } = await open(newDir());
  const a = pod('a');
  const ns = namespace('team');
  await store.commit({ put: [a, ns] });
  await other.merge(store.records([['o', keyOf(a)], ['o', keyOf(ns)]]));
  assert.equal(other.digest(), store.digest(), 'the same objects, the same digest');
  await store.commit({ actors: [actorRecord(keyOf(a), 'Running.Ready'), actorRecord(keyOf(ns), 'Active')] });
  await other.merge(store.records([['a', keyOf(ns)]]));
  assert.equal(other.digest(), store.digest(), 'a pod actor record held by one of them only: the same digest');
  assert.equal(store.versionsIn([...Array(BUCKETS).keys()]).filter((v) => v[0] === 'a').map((v) => v[1]), [keyOf(ns)]);
  assert.equal(store.podActorEntries().map(([, r]) => r.key), [keyOf(a)]);
  // merged beside its pod; forgotten locally (at a version, or at any); dropped on every node
  // when the pod's delete is merged (no drop record needed)
  const [rec] = store.records([['a', keyOf(a)]]) as { k: 'a'; v: string }[];
  await other.merge([rec as any]);
  assert.is(other.actor(keyOf(a))?.state, 'Running.Ready');
  other.forgetPodActor(keyOf(a), `${rec.v}x`);
  assert.ok(other.actor(keyOf(a)), 'another version is kept');
  other.forgetPodActor(keyOf(ns));
  assert.ok(other.actor(keyOf(ns)), 'only pods\' records are forgotten');
  other.forgetPodActor(keyOf(a), rec.v);
  assert.not.ok(other.actor(keyOf(a)), 'forgotten');
  await other.merge([rec as any]);
  assert.is(other.actor(keyOf(a))?.state, 'Running.Ready');
  await store.commit({ del: [keyOf(a)] });
  await other.merge(store.records([['o', keyOf(a)]]));
  assert.not.ok(store.actor(keyOf(a)), 'dropped where the pod was deleted');
  assert.not.ok(other.actor(keyOf(a)), 'dropped where the delete was merged');
  // a record arriving after its pod is gone (or before it exists) is not kept
  await other.merge([{ k: 'a', key: keyOf(a), rec: actorRecord(keyOf(a), 'Running.Ready'), v: store.hlc.tick() }]);
  await other.merge([{ k: 'a', key: 'Pod/default/unknown', rec: actorRecord('Pod/default/unknown', 'Pending'), v: store.hlc.tick() }]);
  assert.equal(other.podActorEntries(), []);
});

test('watch: listeners hear ADDED, MODIFIED and DELETED; a failing listener harms no one', async () => {
  const dir = newDir();
  const { store } = await open(dir);
  const heard: [WatchType, string, string | undefined][] = [];
  store.watch(() => {
    throw new Error('a broken listener');
  });
  const off = store.watch((type, obj) => heard.push([type, obj.metadata.name, obj.metadata.resourceVersion]));
  const a = pod('a');
  await store.commit({ put: [a] });
  await store.commit({ put: [{ ...a, metadata: { ...a.metadata, labels: { app: 'x' } } }] });
  await store.commit({ events: [event(a, 'Started', 'only an event')] });
  await store.commit({ del: [keyOf(a)] });
  await store.commit({ del: [keyOf(a)] }); // already gone: no notice
  off();
  await store.commit({ put: [pod('b')] });
  assert.equal(heard, [['ADDED', 'a', '1'], ['MODIFIED', 'a', '2'], ['DELETED', 'a', '2']]);
  await close(store);
});

// BUG (src/store/store.ts, Store.commit): watchers are notified before the commit registers its
// waiter (`return this.schedule()` comes after the listener loop). A watcher that commits from
// inside the notification (as ObjectService does: a new object starts its actor, whose first
// snapshot is committed at once) starts the write, which takes the outer commit's ops with it;
// the outer commit's waiter is pushed afterwards and is only resolved by some later write.
// With no later write, the outer commit() never resolves (e.g. `apply` of a lone Namespace).
test('a commit whose watcher commits from inside the notification still resolves', async () => {
  const dir = newDir();
  const { store } = await open(dir);
  store.watch((type, obj) => {
    if (type === 'ADDED' && obj.kind === 'Pod') {
      store.commit({ actors: [actorRecord(keyOf(obj), 'Pending')] }).catch(() => {});
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    store.commit({ put: [pod('a')] }).then(() => 'resolved'),
    new Promise<string>((r) => (timer = setTimeout(() => r('still pending after 3 s'), 3000))),
  ]);
  clearTimeout(timer);
  assert.is(outcome, 'resolved', 'the outer commit resolves once its batch is on disk');
  await close(store);
  const { store: again } = await open(dir);
  assert.ok(again.get('Pod/default/a'));
  assert.is(again.actor('Pod/default/a')?.state, 'Pending');
  await close(again);
});

test('eventsInBackground: open resolves before the events are read, which loadEvents() starts; event work meanwhile waits, in order', async () => {
  const dir = newDir();
  const { store } = await open(dir, 5000);
  const a = pod('a');
  const gone = pod('gone');
  await store.commit({ put: [a, gone] });
  const many = Array.from({ length: 3000 }, (_, i) => event(a, 'Tick', `event ${i}`));
  await store.commit({ events: [event(a, 'BackOff', 'Back-off restarting failed container main', 'Warning'), ...many, event(gone, 'Pulled', 'image present')] });
  await close(store);

  const kv = new TestKV(`${dir}/db`);
  const again = new Store(kv, { eventsPerObject: 5000 });
  stores.push(again);
  await again.open({ eventsInBackground: true });
  assert.ok(again.get('Pod/default/a'), 'objects are in at once');
  await new Promise((r) => setTimeout(r, 20));
  assert.is(again.events('Pod/default/a').length, 0, 'the events are not read until loadEvents()');
  again.loadEvents();
  await new Promise((r) => setImmediate(r));
  assert.ok(again.events('Pod/default/a').length < 3001, 'the events are still being read');
  // meanwhile: a repeat of an event on disk, and the deletion of an object with events
  const repeat = again.commit({ events: [event(a, 'BackOff', 'Back-off restarting failed container main', 'Warning')] });
  await again.commit({ del: ['Pod/default/gone'] });
  await repeat;
  await again.eventsLoaded();
  const evs = again.events('Pod/default/a');
  assert.is(evs.length, 3001, 'the repeat is aggregated with the event on disk, not added');
  assert.is(evs[0].count, 2);
  assert.equal(again.events('Pod/default/gone'), []);
  await close(again);
  const { store: reopened } = await open(dir, 5000);
  assert.is(reopened.events('Pod/default/a')[0].count, 2);
  assert.is(reopened.events().length, 3001, "the deleted pod's events are gone from disk too");
  await close(reopened);
});

test('tombstones older than tombstoneTtlMs are purged from memory, the digest and disk, and not merged back', async () => {
  let now = Date.UTC(2026, 0, 1);
  const ttl = 60_000;
  const openAt = async (dir: string) => {
    const kv = new TestKV(`${dir}/db`);
    const store = new Store(kv, { eventsPerObject: 50, node: 'n1', now: () => now, tombstoneTtlMs: ttl });
    await store.open();
    stores.push(store);
    return store;
  };
  const dir = newDir();
  const store = await openAt(dir);
  const kept = pod('kept');
  await store.commit({ put: [pod('gone'), kept, namespace('team')] });
  await store.commit({ actors: [actorRecord(keyOf(namespace('team')), 'Active')] });
  await store.commit({ del: [keyOf(pod('gone'))], dropActors: [keyOf(namespace('team'))] });
  const tombstone = store.records([['o', keyOf(pod('gone'))]]);
  assert.equal(await store.purgeTombstones(), 0, 'within the TTL: kept');
  assert.is(store.versions(keyOf(pod('gone')))?.deleted, true);

  now += ttl + 1;
  await store.commit({ del: [keyOf(kept)] }); // a fresh tombstone stays
  assert.equal(await store.purgeTombstones(), 2, 'the old tombstone and the old dropped actor record');
  assert.is(store.versions(keyOf(pod('gone'))), undefined);
  assert.is(store.versions(keyOf(kept))?.deleted, true);
  // the digest is that of a store that never had them
  const fresh = new Store(new MemoryKV(), { eventsPerObject: 50, node: 'n2', now: () => now, tombstoneTtlMs: ttl });
  await fresh.open();
  await fresh.merge(store.records([['o', keyOf(kept)], ['o', keyOf(namespace('team'))]]));
  assert.equal(fresh.digest(), store.digest());
  assert.equal(store.versionsIn([...Array(BUCKETS).keys()]).map((v) => v[1]).sort(), [keyOf(kept), keyOf(namespace('team'))].sort());
  // anti-entropy from a node that still has it does not bring it back
  await store.merge(tombstone);
  assert.is(store.versions(keyOf(pod('gone'))), undefined);
  // nor does a restart: it is gone from disk
  await close(store);
  const again = await openAt(dir);
  assert.is(again.versions(keyOf(pod('gone'))), undefined);
  assert.is(again.versions(keyOf(kept))?.deleted, true);
  assert.equal(again.digest(), fresh.digest());
});

test.run();
