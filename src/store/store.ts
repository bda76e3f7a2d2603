// The node's store: every object, actor record and recent event, cached in memory and written
// through to a KV (LevelDB) in atomic batches. Readers see a commit as soon as commit() is
// called; commit() resolves once the batch is on disk. Concurrent commits are grouped into one
// write batch (group commit), which keeps each commit atomic.
//
// Replication: every object carries two versions from a hybrid logical clock — `sv` for its
// metadata and spec (any node may write them) and `tv` for its status (only the actor's host
// writes it). A delete leaves a tombstone. Local commits are handed to the replicator as
// records; records from other nodes are merged part by part, the newer version winning, so
// every node ends in the same state whatever order the records arrive in.
//
// Events can be read from disk in the background, once the node has started (on a restart they
// are a third of the data and only `describe` and `get events` read them): until they are in,
// event writes and merges wait in order and readers await eventsLoaded().

import type { KEvent, KObject, ObjectKey } from '../objects/types.ts';
import { keyOf } from '../objects/types.ts';
import { Turns } from '../clock.ts';
import { HLC, versionTime, ZERO } from './hlc.ts';
import type { KV, KVOp } from './kv.ts';
import { compareText } from '../../actors/canonical.ts';
import { fnv1a as fnv } from '../../actors/hash.ts';

export interface Transition {
  event: string;
  from: string;
  to: string;
  at: string;
}

/** What a node keeps about one actor: its persisted snapshot and where its state machine is. */
export interface ActorRecord {
  key: ObjectKey;
  /** which node hosts it */
  node: string;
  /** state value as a dotted path, e.g. `Running.Ready` */
  state: string;
  /** when it entered that state (ISO time) */
  since: string;
  /** xstate persisted snapshot */
  snapshot: unknown;
  /** schema version of the snapshot's context (see actors/*.ts SCHEMA) */
  schema: number;
  transitions: Transition[];
}

export interface Change {
  put?: KObject[];
  del?: ObjectKey[];
  actors?: ActorRecord[];
  dropActors?: ObjectKey[];
  events?: KEvent[];
}

/** A replicated record: an object (null: tombstone), an actor record (null: dropped), an event. */
export type Rec =
  | { k: 'o'; key: string; obj: KObject | null; sv: string; tv: string }
  | { k: 'a'; key: string; rec: ActorRecord | null; v: string }
  | { k: 'e'; key: string; ev: KEvent; v: string };

/**
 * Whether an actor record is kept on a few nodes only (its pod's node and replicas, see
 * cluster/replicator.ts) and so left out of the anti-entropy digest: a Pod's. Each node drops
 * its copy when the pod is deleted.
 */
export const isPodActorKey = (key: string) => key.startsWith('Pod/');

/** The key of the object an event's id (`involvedKey|hlc`) is about. */
export const involvedKeyOf = (eventId: string): ObjectKey => eventId.slice(0, eventId.lastIndexOf('|'));

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatchListener = (type: WatchType, obj: KObject) => void;

export interface StoreOptions {
  eventsPerObject: number;
  /** this node's name (breaks version ties) */
  node?: string;
  now?: () => number;
  /** tombstones (deleted objects, dropped actor records) older than this are purged by
   * purgeTombstones() and not merged again, ms. Default: kept for ever */
  tombstoneTtlMs?: number;
}

interface ObjEntry {
  obj: KObject | null;
  sv: string;
  tv: string;
  /** the last live object, kept with a tombstone for DELETED notices */
  last?: KObject;
}
interface ActorEntry {
  rec: ActorRecord | null;
  v: string;
}

/**
 * A batch with only the last op on each key (section and key): what a batch of puts and deletes
 * leaves is the same, and a key written by several commits of one group commit — an actor's
 * record and its object's status at each step, the resourceVersion counter once per commit — is
 * encoded and written once.
 */
export function lastPerKey(ops: KVOp[]): KVOp[] {
  if (ops.length < 2) return ops;
  const seen = new Set<string>();
  const out: KVOp[] = [];
  for (let i = ops.length - 1; i >= 0; i--) {
    const id = `${ops[i].section}\u0000${ops[i].key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(ops[i]);
  }
  return out.reverse();
}

/**
 * Anti-entropy compares this many digests: two nodes then exchange the versions of the buckets
 * that differ only. While pods come and go, records in flight make buckets differ; with 64 of
 * them every bucket did at 10,000 objects, and every round sent every version.
 */
export const BUCKETS = 1024;
export const bucketOf = (key: string) => fnv(key) % BUCKETS;
const objectHash = (key: string, e: ObjEntry) => fnv(`o${key}${e.sv}${e.tv}`);
const actorHash = (key: string, e: ActorEntry) => fnv(`a${key}${e.v}`);

/** The parts of an object that `sv` versions: everything but status and the local resourceVersion. */
function specPart(o: KObject): string {
  const { status: _s, metadata, ...rest } = o;
  const { resourceVersion: _rv, ...meta } = metadata;
  return JSON.stringify([meta, rest]);
}

/** Whether every part `sv` versions is the very same value in both (a status write: `{ ...obj, status }`). */
function sameSpecRefs(a: KObject, b: KObject): boolean {
  for (const k in a) if (k !== 'status' && (a as any)[k] !== (b as any)[k]) return false;
  for (const k in b) if (k !== 'status' && !(k in a)) return false;
  return true;
}

export class Store {
  readonly hlc: HLC;
  private entries = new Map<ObjectKey, ObjEntry>();
  private byKind = new Map<string, Map<ObjectKey, KObject>>();
  /** live objects by the uid of every owner their ownerReferences name (dependents without a scan) */
  private byOwner = new Map<string, Map<ObjectKey, KObject>>();
  private actorEntries = new Map<ObjectKey, ActorEntry>();
  /** events grouped by involved object key, oldest first */
  private eventLog = new Map<ObjectKey, { id: string; event: KEvent }[]>();
  private meta = new Map<string, unknown>();
  private listeners = new Set<WatchListener>();
  private replicaListeners = new Set<(recs: Rec[]) => void>();
  private noticeQueue: [WatchType, KObject][] = [];
  private notifying = false;
  /** per bucket, the XOR of the hashes of its entries' versions (anti-entropy digest) */
  private digests = new Uint32Array(BUCKETS);
  /** the keys of each bucket (objects, and the actor records in the digest), for versionsIn */
  private bucketKeys: Set<string>[] = Array.from({ length: BUCKETS }, () => new Set());
  private rv = 0;
  private pending: KVOp[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  /** event work that came while the events were being read (null: they are in) */
  private eventWork: (() => void)[] | null = null;
  private eventsLoad: Promise<void> = Promise.resolve();
  /** starts reading the events (open({ eventsInBackground }) until loadEvents()) */
  private startEvents?: () => void;

  constructor(private kv: KV, private opts: StoreOptions = { eventsPerObject: 50 }) {
    this.hlc = new HLC(opts.node ?? 'local', opts.now);
  }

  /**
   * Reads the KV into memory. `eventsInBackground`: resolve once objects, actor records and meta
   * are in; the events are read once loadEvents() is called (or a reader waits for them with
   * eventsLoaded(), or the store is closed).
   */
  async open(opts: { eventsInBackground?: boolean } = {}) {
    await this.kv.open();
    let newest = ZERO; // versions sort as strings in version order: the clock observes the newest
    for await (const [k, v] of this.kv.entries('objects')) {
      const e = v as ObjEntry;
      this.setEntry(k, e);
      if (e.sv > newest) newest = e.sv;
      if (e.tv > newest) newest = e.tv;
    }
    this.hlc.observe(newest);
    for await (const [k, v] of this.kv.entries('actors')) this.setActor(k, v as ActorEntry);
    for await (const [k, v] of this.kv.entries('meta')) this.meta.set(k, v);
    this.rv = Number(this.meta.get('resourceVersion') ?? 0);
    this.eventWork = [];
    if (!opts.eventsInBackground) return await (this.eventsLoad = this.readEvents());
    this.eventsLoad = new Promise<void>((resolve, reject) => {
      this.startEvents = () => {
        this.startEvents = undefined;
        this.readEvents().then(resolve, reject);
      };
    });
  }

  /** Starts reading the events in the background (after open({ eventsInBackground })). */
  loadEvents() {
    this.startEvents?.();
  }

  private async readEvents() {
    try {
      const turns = new Turns();
      for await (const [k, v] of this.kv.entries('events')) {
        // an event merged or recorded meanwhile is newer than the one on disk
        if (!this.eventLog.get(involvedKeyOf(k))?.some((e) => e.id === k)) this.indexEvent(k, v as KEvent);
        // in turns (LevelDB's reads are often done before they are awaited, and then nothing
        // else would run until the last event)
        if (turns.due) await turns.pause();
      }
    } finally {
      const work = this.eventWork ?? [];
      this.eventWork = null;
      for (const w of work) w();
    }
  }

  /** Resolves once the events on disk are read (readers of events() wait for it after a start). */
  eventsLoaded(): Promise<void> {
    this.loadEvents();
    return this.eventsLoad;
  }

  async close() {
    await this.eventsLoaded().catch(() => {}); // event work that waits for them is written too
    await this.flush();
    await this.kv.close();
  }

  // ---- reads -------------------------------------------------------------------------------

  get(key: ObjectKey): KObject | undefined {
    return this.entries.get(key)?.obj ?? undefined;
  }
  list(kind: string, namespace?: string): KObject[] {
    const all = [...(this.byKind.get(kind)?.values() ?? [])];
    return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? '') === namespace);
  }
  kinds(): string[] {
    return [...this.byKind.keys()];
  }
  /** Live objects whose ownerReferences name this uid (optionally only of one kind). */
  ownedBy(uid: string, kind?: string): KObject[] {
    const m = this.byOwner.get(uid);
    if (!m) return [];
    const all = [...m.values()];
    return kind === undefined ? all : all.filter((o) => o.kind === kind);
  }
  /** Versions of an object (also of a tombstone). */
  versions(key: ObjectKey): { sv: string; tv: string; deleted: boolean } | undefined {
    const e = this.entries.get(key);
    return e && { sv: e.sv, tv: e.tv, deleted: e.obj === null };
  }
  actor(key: ObjectKey): ActorRecord | undefined {
    return this.actorEntries.get(key)?.rec ?? undefined;
  }
  actors(): ActorRecord[] {
    return [...this.actorEntries.values()].flatMap((e) => (e.rec ? [e.rec] : []));
  }
  /**
   * Forgets this node's copy of a Pod's actor record (only at the given version, when one is
   * given). Nothing is replicated: pods' records are not in anti-entropy, and each holder keeps
   * or drops its own (the node that placed a pod drops its copy once the pod's node has it).
   */
  forgetPodActor(key: ObjectKey, version?: string) {
    const e = this.actorEntries.get(key);
    if (!e || !isPodActorKey(key) || (version !== undefined && e.v !== version)) return;
    this.actorEntries.delete(key);
    this.enqueue([{ type: 'del', section: 'actors', key }]).catch(() => {});
  }
  /**
   * Purges the tombstones older than tombstoneTtlMs — deleted objects and dropped actor records
   * — from memory, the digest and disk; returns how many. Every node purges its own (the node
   * runs this with its garbage collection), and merge() refuses a tombstone that old for a key it
   * does not hold, so anti-entropy does not bring one back. Like Cassandra's gc_grace: a node
   * that was down for longer than the TTL can bring back what was deleted meanwhile.
   */
  purgeTombstones(): Promise<number> {
    const ops: KVOp[] = [];
    for (const [key, e] of this.entries) {
      if (e.obj !== null || !this.expired(e.sv)) continue;
      this.digests[bucketOf(key)] ^= objectHash(key, e);
      this.entries.delete(key);
      if (!this.actorEntries.has(key)) this.bucketKeys[bucketOf(key)].delete(key);
      ops.push({ type: 'del', section: 'objects', key });
    }
    for (const [key, e] of this.actorEntries) {
      if (e.rec !== null || !this.expired(e.v)) continue;
      if (!isPodActorKey(key)) this.digests[bucketOf(key)] ^= actorHash(key, e);
      this.actorEntries.delete(key);
      if (!this.entries.has(key)) this.bucketKeys[bucketOf(key)].delete(key);
      ops.push({ type: 'del', section: 'actors', key });
    }
    const purged = ops.length;
    if (purged === 0) return Promise.resolve(0);
    return this.enqueue(ops).then(() => purged);
  }

  /** Whether a version is older than the tombstone TTL. */
  private expired(version: string): boolean {
    const ttl = this.opts.tombstoneTtlMs;
    return ttl !== undefined && versionTime(version) < (this.opts.now ?? Date.now)() - ttl;
  }

  /** The Pods' actor records this node holds, with their versions (one pod's, given its key). */
  podActorEntries(key?: ObjectKey): [string, ActorRecord][] {
    const entries = key ? [[key, this.actorEntries.get(key)] as const] : [...this.actorEntries];
    return entries.flatMap(([k, e]) => (e?.rec && isPodActorKey(k) ? [[e.v, e.rec] as [string, ActorRecord]] : []));
  }
  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }
  /** Events about one object (by key), or all events; oldest first. */
  events(involvedKey?: ObjectKey): KEvent[] {
    const events = this.eventEntries(involvedKey ? [involvedKey] : undefined).map(([, e]) => e);
    return involvedKey ? events : events.sort((a, b) => compareText(a.lastTimestamp, b.lastTimestamp));
  }
  /** Events with their ids (the same on every node that holds a copy): about the given objects, or all. */
  eventEntries(involvedKeys?: readonly ObjectKey[]): [string, KEvent][] {
    const lists = involvedKeys ? involvedKeys.map((k) => this.eventLog.get(k) ?? []) : [...this.eventLog.values()];
    return lists.flat().map((e) => [e.id, e.event]);
  }
  resourceVersion() {
    return this.rv;
  }

  watch(listener: WatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The replicator's hook: called with the records of every local commit. */
  onReplicate(listener: (recs: Rec[]) => void): () => void {
    this.replicaListeners.add(listener);
    return () => this.replicaListeners.delete(listener);
  }

  // ---- writes ------------------------------------------------------------------------------

  async setMeta(key: string, value: unknown) {
    this.meta.set(key, value);
    this.pending.push({ type: 'put', section: 'meta', key, value });
    await this.schedule();
  }

  /** Applies a local change to the cache now and to disk in one atomic batch; resolves when durable. */
  commit(change: Change): Promise<void> {
    const ops: KVOp[] = [];
    const notices: [WatchType, KObject][] = [];
    const recs: Rec[] = [];
    for (const obj of change.put ?? []) {
      const key = keyOf(obj);
      const old = this.entries.get(key);
      const prev = old?.obj ?? null;
      const specChanged = !prev || (!sameSpecRefs(prev, obj) && specPart(prev) !== specPart(obj));
      const statusChanged = !prev || (prev.status !== obj.status && JSON.stringify(prev.status ?? null) !== JSON.stringify(obj.status ?? null));
      if (!specChanged && !statusChanged) continue;
      const entry: ObjEntry = {
        obj,
        sv: specChanged ? this.hlc.tick() : old!.sv,
        tv: statusChanged ? this.hlc.tick() : old!.tv,
      };
      obj.metadata.resourceVersion = String(++this.rv);
      this.setEntry(key, entry);
      ops.push({ type: 'put', section: 'objects', key, value: entry });
      notices.push([prev ? 'MODIFIED' : 'ADDED', obj]);
      recs.push({ k: 'o', key, obj, sv: entry.sv, tv: entry.tv });
    }
    for (const key of change.del ?? []) {
      const old = this.entries.get(key);
      if (!old?.obj) continue;
      const entry: ObjEntry = { obj: null, sv: this.hlc.tick(), tv: old.tv, last: old.obj };
      this.tombstone(key, entry, ops, notices);
      recs.push({ k: 'o', key, obj: null, sv: entry.sv, tv: entry.tv });
    }
    for (const rec of change.actors ?? []) {
      const entry = { rec, v: this.hlc.tick() };
      this.setActor(rec.key, entry);
      ops.push({ type: 'put', section: 'actors', key: rec.key, value: entry });
      recs.push({ k: 'a', key: rec.key, rec, v: entry.v });
    }
    for (const key of change.dropActors ?? []) {
      if (!this.actorEntries.get(key)?.rec) continue;
      const entry = { rec: null, v: this.hlc.tick() };
      this.setActor(key, entry);
      ops.push({ type: 'put', section: 'actors', key, value: entry });
      recs.push({ k: 'a', key, rec: null, v: entry.v });
    }
    const events = change.events ?? [];
    let later: Promise<void> | undefined;
    if (events.length && this.eventWork) later = this.afterEvents(() => this.commit({ events }));
    for (const ev of this.eventWork ? [] : events) {
      const { id, event, ops: evOps } = this.recordEvent(ev);
      ops.push(...evOps);
      recs.push({ k: 'e', key: id, ev: event, v: id });
    }
    if (ops.length === 0) return later ?? Promise.resolve();
    const durable = later ? Promise.all([this.enqueue(ops), later]).then(() => {}) : this.enqueue(ops);
    for (const l of this.replicaListeners) l(recs);
    // register for durability first (enqueue): a watcher may commit from inside the
    // notification, and that nested commit's write takes these ops with it
    this.notify(notices);
    return durable;
  }

  /**
   * Merges records from another node: each part (spec, status, actor record) is taken when its
   * version is newer than ours. Resolves when the result is on disk.
   */
  merge(recs: Rec[]): Promise<void> {
    const ops: KVOp[] = [];
    const notices: [WatchType, KObject][] = [];
    let later: Promise<void> | undefined;
    if (this.eventWork && recs.some((r) => r.k === 'e')) {
      const events = recs.filter((r) => r.k === 'e');
      later = this.afterEvents(() => this.merge(events));
      recs = recs.filter((r) => r.k !== 'e');
    }
    for (const r of recs) {
      if (r.k === 'o') this.mergeObject(r, ops, notices);
      else if (r.k === 'a') {
        this.hlc.observe(r.v);
        const old = this.actorEntries.get(r.key);
        if (old && old.v >= r.v) continue;
        if (!old && r.rec === null && this.expired(r.v)) continue; // a purged drop
        // a pod's record only beside its live pod (a late one after the delete would stay forever)
        if (r.rec && isPodActorKey(r.key) && !this.entries.get(r.key)?.obj) continue;
        const entry = { rec: r.rec, v: r.v };
        this.setActor(r.key, entry);
        ops.push({ type: 'put', section: 'actors', key: r.key, value: entry });
      } else {
        const involved = involvedKeyOf(r.key);
        if (!this.entries.get(involved)?.obj) continue;
        const list = this.eventLog.get(involved);
        const known = list?.find((e) => e.id === r.key);
        if (known && known.event.count >= r.ev.count) continue;
        this.indexEvent(r.key, r.ev);
        ops.push({ type: 'put', section: 'events', key: r.key, value: r.ev });
        ops.push(...this.pruneEvents(involved));
      }
    }
    if (ops.length === 0) return later ?? Promise.resolve();
    const durable = later ? Promise.all([this.enqueue(ops), later]).then(() => {}) : this.enqueue(ops);
    this.notify(notices);
    return durable;
  }

  /** Runs event work once the events are read (at once when they are). */
  private afterEvents(work: () => Promise<void>): Promise<void> {
    if (!this.eventWork) return work();
    return new Promise((resolve, reject) => this.eventWork!.push(() => work().then(resolve, reject)));
  }

  private mergeObject(r: Extract<Rec, { k: 'o' }>, ops: KVOp[], notices: [WatchType, KObject][]) {
    this.hlc.observe(r.sv);
    this.hlc.observe(r.tv);
    const key = r.key;
    const old = this.entries.get(key);
    if (!old && r.obj === null && this.expired(r.sv)) return; // purged here already, or never known
    const newerSpec = !old || r.sv > old.sv;
    const newerStatus = !old || r.tv > old.tv;
    if (!newerSpec && !newerStatus) return;
    const sv = newerSpec ? r.sv : old!.sv;
    const tv = newerStatus ? r.tv : old!.tv;
    const specSource = newerSpec ? r.obj : old!.obj;
    if (specSource === null) {
      // deleted (a tombstone newer than our spec, or ours still newer than their update)
      if (old?.obj) this.tombstone(key, { obj: null, sv, tv, last: old.obj }, ops, notices);
      else {
        this.setEntry(key, { obj: null, sv, tv });
        ops.push({ type: 'put', section: 'objects', key, value: { obj: null, sv, tv } });
      }
      return;
    }
    const statusSource = newerStatus ? r.obj : old!.obj;
    const status = statusSource ? statusSource.status : old?.obj?.status;
    const obj: KObject = { ...specSource, metadata: { ...specSource.metadata, resourceVersion: String(++this.rv) } };
    if (status === undefined) delete obj.status;
    else obj.status = status;
    const entry: ObjEntry = { obj, sv, tv };
    this.setEntry(key, entry);
    ops.push({ type: 'put', section: 'objects', key, value: entry });
    notices.push([old?.obj ? 'MODIFIED' : 'ADDED', obj]);
  }

  private tombstone(key: ObjectKey, entry: ObjEntry, ops: KVOp[], notices: [WatchType, KObject][]) {
    this.setEntry(key, entry);
    ops.push({ type: 'put', section: 'objects', key, value: { obj: null, sv: entry.sv, tv: entry.tv } });
    if (this.eventWork) this.afterEvents(() => this.enqueue(this.dropEvents(key))).catch(() => {});
    else ops.push(...this.dropEvents(key));
    // a pod's actor record is on a few nodes, not repaired by anti-entropy: each drops its own
    if (isPodActorKey(key) && this.actorEntries.delete(key)) ops.push({ type: 'del', section: 'actors', key });
    notices.push(['DELETED', entry.last!]);
    ++this.rv;
  }

  // ---- anti-entropy ----------------------------------------------------------------------------

  /** One number per bucket summarising every object and actor version in it (Pods' actors aside). */
  digest(): number[] {
    return [...this.digests];
  }
  /** Every key with its versions in the given buckets: `[k, key, v1, v2]`. */
  versionsIn(buckets: number[]): [string, string, string, string][] {
    const out: [string, string, string, string][] = [];
    for (const b of new Set(buckets)) {
      for (const key of this.bucketKeys[b] ?? []) {
        const e = this.entries.get(key);
        if (e) out.push(['o', key, e.sv, e.tv]);
        const a = !isPodActorKey(key) && this.actorEntries.get(key);
        if (a) out.push(['a', key, a.v, '']);
      }
    }
    return out;
  }
  /** The records for these keys, as merge() takes them. */
  records(keys: [string, string][]): Rec[] {
    const out: Rec[] = [];
    for (const [k, key] of keys) {
      if (k === 'o') {
        const e = this.entries.get(key);
        if (e) out.push({ k: 'o', key, obj: e.obj, sv: e.sv, tv: e.tv });
      } else {
        const e = this.actorEntries.get(key);
        if (e) out.push({ k: 'a', key, rec: e.rec, v: e.v });
      }
    }
    return out;
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Resolves when everything committed so far is on disk. */
  async flush() {
    while (this.flushing || this.pending.length) {
      if (this.flushing) await this.flushing.catch(() => {});
      else await this.schedule();
    }
  }

  private enqueue(ops: KVOp[]): Promise<void> {
    this.meta.set('resourceVersion', this.rv);
    ops.push({ type: 'put', section: 'meta', key: 'resourceVersion', value: this.rv });
    this.pending.push(...ops);
    return this.schedule();
  }

  /**
   * Delivers change notices in commit order. A listener may commit (an actor writing status as
   * it starts): those notices queue behind the current ones instead of overtaking them.
   */
  private notify(notices: [WatchType, KObject][]) {
    this.noticeQueue.push(...notices);
    if (this.notifying) return;
    this.notifying = true;
    try {
      for (let n = this.noticeQueue.shift(); n; n = this.noticeQueue.shift()) {
        for (const l of this.listeners) {
          try {
            l(n[0], n[1]);
          } catch { /* a listener's failure is its own */ }
        }
      }
    } finally {
      this.notifying = false;
    }
  }

  private schedule(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) this.flushing = this.drain();
    return p;
  }

  private async drain() {
    // Group commit: everything pending when a write starts goes into that one batch.
    while (this.pending.length) {
      const ops = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.kv.batch(lastPerKey(ops));
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  private recordEvent(ev: KEvent): { id: string; event: KEvent; ops: KVOp[] } {
    const involvedKey = `${ev.involvedObject.kind}/${ev.involvedObject.namespace ?? ''}/${ev.involvedObject.name}`;
    const list = this.eventLog.get(involvedKey) ?? [];
    // Like Kubernetes' event aggregation: a repeat of an event (same type, reason and message
    // about the same object) bumps its count and lastTimestamp instead of adding a new one.
    const same = list.find((e) => e.event.reason === ev.reason && e.event.message === ev.message && e.event.type === ev.type);
    if (same) {
      same.event = { ...same.event, count: same.event.count + 1, lastTimestamp: ev.lastTimestamp };
      return { id: same.id, event: same.event, ops: [{ type: 'put', section: 'events', key: same.id, value: same.event }] };
    }
    const id = `${involvedKey}|${this.hlc.tick()}`;
    this.indexEvent(id, ev);
    return { id, event: ev, ops: [{ type: 'put', section: 'events', key: id, value: ev }, ...this.pruneEvents(involvedKey)] };
  }

  private indexEvent(id: string, ev: KEvent) {
    const involved = involvedKeyOf(id);
    const list = this.eventLog.get(involved) ?? [];
    const i = list.findIndex((e) => e.id === id);
    if (i >= 0) list[i].event = ev;
    else {
      const last = list.at(-1);
      list.push({ id, event: ev });
      if (last && last.id > id) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    this.eventLog.set(involved, list);
  }

  /** Forgets the events about an object (it is gone); the ops delete them on disk. */
  private dropEvents(key: ObjectKey): KVOp[] {
    const ops: KVOp[] = (this.eventLog.get(key) ?? []).map((e) => ({ type: 'del', section: 'events', key: e.id }));
    this.eventLog.delete(key);
    return ops;
  }

  private pruneEvents(involved: string): KVOp[] {
    const list = this.eventLog.get(involved) ?? [];
    const ops: KVOp[] = [];
    while (list.length > this.opts.eventsPerObject) ops.push({ type: 'del', section: 'events', key: list.shift()!.id });
    return ops;
  }

  private setEntry(key: ObjectKey, entry: ObjEntry) {
    const old = this.entries.get(key);
    const bucket = bucketOf(key);
    this.digests[bucket] ^= (old ? objectHash(key, old) : 0) ^ objectHash(key, entry);
    if (!old) this.bucketKeys[bucket].add(key);
    this.entries.set(key, entry);
    const kind = key.slice(0, key.indexOf('/'));
    let m = this.byKind.get(kind);
    if (!m) this.byKind.set(kind, m = new Map());
    if (entry.obj) m.set(key, entry.obj);
    else m.delete(key);
    const before = old?.obj?.metadata.ownerReferences;
    const after = entry.obj?.metadata.ownerReferences;
    if (!before?.length && !after?.length) return;
    for (const r of before ?? []) {
      const owned = this.byOwner.get(r.uid);
      owned?.delete(key);
      if (owned?.size === 0) this.byOwner.delete(r.uid);
    }
    for (const r of after ?? []) {
      let owned = this.byOwner.get(r.uid);
      if (!owned) this.byOwner.set(r.uid, owned = new Map());
      owned.set(key, entry.obj!);
    }
  }

  private setActor(key: ObjectKey, entry: ActorEntry) {
    const old = this.actorEntries.get(key);
    if (!isPodActorKey(key)) {
      const bucket = bucketOf(key);
      this.digests[bucket] ^= (old ? actorHash(key, old) : 0) ^ actorHash(key, entry);
      if (!old) this.bucketKeys[bucket].add(key);
    }
    this.actorEntries.set(key, entry);
  }
}
