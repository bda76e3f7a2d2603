// The node's store: every object, actor record and recent event, cached in memory and written
// through to a KV (LevelDB) in atomic batches. Readers see a commit as soon as commit() is
// called; commit() resolves once the batch is on disk. Concurrent commits are grouped into one
// write batch (group commit), which keeps each commit atomic.

import type { KEvent, KObject, ObjectKey } from '../objects/types.ts';
import { keyOf, parseKey } from '../objects/types.ts';
import type { KV, KVOp } from './kv.ts';

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

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatchListener = (type: WatchType, obj: KObject) => void;

export interface StoreOptions {
  eventsPerObject: number;
}

export class Store {
  private objects = new Map<ObjectKey, KObject>();
  private byKind = new Map<string, Map<ObjectKey, KObject>>();
  private actorRecords = new Map<ObjectKey, ActorRecord>();
  /** events grouped by involved object key, oldest first */
  private eventLog = new Map<ObjectKey, { id: string; event: KEvent }[]>();
  private meta = new Map<string, unknown>();
  private listeners = new Set<WatchListener>();
  private noticeQueue: [WatchType, KObject][] = [];
  private notifying = false;
  private rv = 0;
  private eventSeq = 0;
  private pending: KVOp[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private kv: KV, private opts: StoreOptions = { eventsPerObject: 50 }) {}

  async open() {
    await this.kv.open();
    for await (const [k, v] of this.kv.entries('objects')) this.index(k, v as KObject);
    for await (const [k, v] of this.kv.entries('actors')) this.actorRecords.set(k, v as ActorRecord);
    for await (const [k, v] of this.kv.entries('meta')) this.meta.set(k, v);
    for await (const [k, v] of this.kv.entries('events')) {
      const ev = v as KEvent;
      const involved = k.slice(0, k.lastIndexOf('|'));
      const list = this.eventLog.get(involved) ?? [];
      list.push({ id: k, event: ev });
      this.eventLog.set(involved, list);
      this.eventSeq = Math.max(this.eventSeq, Number(k.slice(k.lastIndexOf('|') + 1)) || 0);
    }
    this.rv = Number(this.meta.get('resourceVersion') ?? 0);
  }

  async close() {
    await this.flush();
    await this.kv.close();
  }

  // ---- reads -------------------------------------------------------------------------------

  get(key: ObjectKey): KObject | undefined {
    return this.objects.get(key);
  }
  list(kind: string, namespace?: string): KObject[] {
    const all = [...(this.byKind.get(kind)?.values() ?? [])];
    return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? '') === namespace);
  }
  kinds(): string[] {
    return [...this.byKind.keys()];
  }
  actor(key: ObjectKey): ActorRecord | undefined {
    return this.actorRecords.get(key);
  }
  actors(): ActorRecord[] {
    return [...this.actorRecords.values()];
  }
  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }
  /** Events about one object (by key), or all events; oldest first. */
  events(involvedKey?: ObjectKey): KEvent[] {
    if (involvedKey) return (this.eventLog.get(involvedKey) ?? []).map((e) => e.event);
    return [...this.eventLog.values()].flat().map((e) => e.event)
      .sort((a, b) => a.lastTimestamp.localeCompare(b.lastTimestamp));
  }
  resourceVersion() {
    return this.rv;
  }

  watch(listener: WatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- writes ------------------------------------------------------------------------------

  async setMeta(key: string, value: unknown) {
    this.meta.set(key, value);
    this.pending.push({ type: 'put', section: 'meta', key, value });
    await this.schedule();
  }

  /** Applies a change to the cache now and to disk in one atomic batch; resolves when durable. */
  commit(change: Change): Promise<void> {
    const ops: KVOp[] = [];
    const notices: [WatchType, KObject][] = [];
    for (const obj of change.put ?? []) {
      const key = keyOf(obj);
      const existed = this.objects.has(key);
      obj.metadata.resourceVersion = String(++this.rv);
      this.index(key, obj);
      ops.push({ type: 'put', section: 'objects', key, value: obj });
      notices.push([existed ? 'MODIFIED' : 'ADDED', obj]);
    }
    for (const key of change.del ?? []) {
      const obj = this.objects.get(key);
      if (!obj) continue;
      this.unindex(key);
      ops.push({ type: 'del', section: 'objects', key });
      for (const e of this.eventLog.get(key) ?? []) ops.push({ type: 'del', section: 'events', key: e.id });
      this.eventLog.delete(key);
      notices.push(['DELETED', obj]);
      ++this.rv;
    }
    for (const rec of change.actors ?? []) {
      this.actorRecords.set(rec.key, rec);
      ops.push({ type: 'put', section: 'actors', key: rec.key, value: rec });
    }
    for (const key of change.dropActors ?? []) {
      if (!this.actorRecords.delete(key)) continue;
      ops.push({ type: 'del', section: 'actors', key });
    }
    for (const ev of change.events ?? []) ops.push(...this.recordEvent(ev));
    if (ops.length === 0) return Promise.resolve();
    this.meta.set('resourceVersion', this.rv);
    ops.push({ type: 'put', section: 'meta', key: 'resourceVersion', value: this.rv });
    this.pending.push(...ops);
    // register for durability first: a watcher may commit from inside the notification, and
    // that nested commit's write takes these ops with it
    const durable = this.schedule();
    this.notify(notices);
    return durable;
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

  /** Resolves when everything committed so far is on disk. */
  async flush() {
    while (this.flushing || this.pending.length) {
      if (this.flushing) await this.flushing.catch(() => {});
      else await this.schedule();
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
        await this.kv.batch(ops);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  private recordEvent(ev: KEvent): KVOp[] {
    const involvedKey = `${ev.involvedObject.kind}/${ev.involvedObject.namespace ?? ''}/${ev.involvedObject.name}`;
    const list = this.eventLog.get(involvedKey) ?? [];
    this.eventLog.set(involvedKey, list);
    // Like Kubernetes' event aggregation: a repeat of an event (same type, reason and message
    // about the same object) bumps its count and lastTimestamp instead of adding a new one.
    const same = list.find((e) => e.event.reason === ev.reason && e.event.message === ev.message && e.event.type === ev.type);
    if (same) {
      same.event = { ...same.event, count: same.event.count + 1, lastTimestamp: ev.lastTimestamp };
      return [{ type: 'put', section: 'events', key: same.id, value: same.event }];
    }
    const id = `${involvedKey}|${String(++this.eventSeq).padStart(12, '0')}`;
    list.push({ id, event: ev });
    const ops: KVOp[] = [{ type: 'put', section: 'events', key: id, value: ev }];
    while (list.length > this.opts.eventsPerObject) {
      ops.push({ type: 'del', section: 'events', key: list.shift()!.id });
    }
    return ops;
  }

  private index(key: ObjectKey, obj: KObject) {
    this.objects.set(key, obj);
    const kind = parseKey(key).kind;
    let m = this.byKind.get(kind);
    if (!m) this.byKind.set(kind, m = new Map());
    m.set(key, obj);
  }
  private unindex(key: ObjectKey) {
    this.objects.delete(key);
    this.byKind.get(parseKey(key).kind)?.delete(key);
  }
}
