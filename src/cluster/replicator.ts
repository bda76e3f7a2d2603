// Replication of the store to every member: push of local commits to all alive members, and
// anti-entropy — every antiEntropyIntervalMs, and when a member joins or comes
// back — comparing bucket digests with one member and exchanging only what differs. Merging is
// per part with hybrid-logical-clock versions (see store/store.ts), so order does not matter.
//
// Pushes are batched: the commits of one pushBatchMs window (default 10 ms) go out as one
// message per chunk, encoded once for every member, and a record committed several times in the
// window (a pod going ContainerCreating → Running, its actor record with it) is sent once, at
// its newest version — the older ones would lose every merge anyway.
//
// Events and Pods' actor records are the exception to "every member" (docs/decisions.md, "Events
// and pod actor records on a few nodes"): they were three quarters of the records a pod costs
// every node. An event goes to the partialCopies − 1 members ranked first by rendezvous hashing
// of the object it is about; a Pod's record to its holders (placement.ts: its node, which
// resumes the actor from it and gets it with the bind request too, and the members ranked first
// for its key). Readers gather them from every member (gathered-reads.ts); anti-entropy leaves
// them out.
//
// A pod a controller's node is placing (placement.awaitsBinding) is not pushed to every member
// at its creation, only to the members ranked first for its controller's key (which take the
// controller over if its host goes): the node it is bound to pushes it to every member a few
// milliseconds later, bound (and usually Running, in the same push window), so the other
// members merge one record of it instead of two. If it is still unbound after
// unboundPodPushMs (found unschedulable, or its placing is slow) it goes to every member then.

import type { Clock, TimerHandle } from '../clock.ts';
import type { ReplicationConfig } from '../config.ts';
import type { ObjectKey, PodSpec } from '../objects/types.ts';
import { involvedKeyOf, isPodActorKey, type Rec, type Store } from '../store/store.ts';
import { awaitsBinding, podRecordHolders, rendezvousTop, unboundPodHolders } from './placement.ts';
import type { PeerMessage, Transport } from './types.ts';

type ObjectRec = Extract<Rec, { k: 'o' }>;

/** Records per message: keeps frames small when a whole store is exchanged. */
const CHUNK = 400;

export interface ReplicatorDeps {
  store: Store;
  transport: Transport;
  /** names of the alive members other than this node */
  peers(): string[];
  clock: Clock;
  random(): number;
  config: ReplicationConfig;
  log(msg: string): void;
}

/** The outbox key of a record: a newer record of the same key replaces the queued one. */
const outboxKey = (r: Rec) => `${r.k}${r.key}`;

export class Replicator {
  /** local commits not pushed yet, the newest record per key, in first-commit order */
  private outbox = new Map<string, Rec>();
  private flushTimer?: TimerHandle;
  /** unbound pods sent to their holders only, by key: pushed to every member when due */
  private heldBack = new Map<ObjectKey, { rec: ObjectRec; due: number }>();
  private heldTimer?: TimerHandle;
  private aeTimer?: TimerHandle;
  private stopped = false;
  private unsubscribe?: () => void;
  /** counters, for benchmarks */
  readonly stats = { pushed: 0, merged: 0, antiEntropyRounds: 0 };
  /** records merged by what they are and how they came — `o:KIND:push`, `a:KIND:ae` (actor
   * records), `e:push` (events), … — for benchmarks */
  readonly mergedBy: Record<string, number> = {};

  constructor(private d: ReplicatorDeps) {}

  start() {
    this.unsubscribe = this.d.store.onReplicate((recs) => {
      for (const r of recs) this.outbox.set(outboxKey(r), r);
      this.flushTimer ??= this.d.clock.setTimeout(() => this.flush(), this.d.config.pushBatchMs ?? 0);
    });
    this.d.transport.onMessage((from, msg, reply) => this.receive(from, msg, reply));
    this.scheduleAntiEntropy();
  }

  stop() {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.flushTimer) this.d.clock.clearTimeout(this.flushTimer);
    if (this.heldTimer) this.d.clock.clearTimeout(this.heldTimer);
    if (this.aeTimer) this.d.clock.clearTimeout(this.aeTimer);
  }

  /** Sends what was committed locally since the last flush to every alive member. */
  flush() {
    if (this.flushTimer) this.d.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.outbox.size === 0) return;
    const recs = [...this.outbox.values()];
    this.outbox.clear();
    const peers = this.d.peers();
    const copies = this.d.config.partialCopies - 1;
    if (peers.length <= copies) this.sendChunks(peers, recs);
    else {
      const toAll: Rec[] = [];
      const some = new Map<string, Rec[]>(); // member → the records only a few members get
      const targets = new Map<ObjectKey, string[]>(); // events' objects → their members
      for (const r of recs) {
        let to: string[] | undefined;
        if (r.k === 'e') {
          const about = involvedKeyOf(r.key);
          to = targets.get(about);
          if (!to) targets.set(about, to = rendezvousTop(about, peers, copies));
        } else if (r.k === 'a' && isPodActorKey(r.key)) {
          to = this.podRecordTargets(r.key, peers);
        } else if (r.k === 'o' && awaitsBinding(r.obj)) {
          to = this.holdBack(r, peers);
        } else if (r.k === 'o') this.heldBack.delete(r.key);
        if (!to) {
          toAll.push(r);
          continue;
        }
        for (const m of to) {
          const list = some.get(m);
          if (list) list.push(r);
          else some.set(m, [r]);
        }
      }
      this.sendChunks(peers, toAll);
      for (const [m, list] of some) this.sendChunks([m], list);
    }
    this.stats.pushed += recs.length;
  }

  /** Where a Pod's actor record goes: to its holders (placement.ts), this node aside. */
  private podRecordTargets(key: ObjectKey, peers: string[]): string[] {
    const self = this.d.transport.self;
    const nodeName = (this.d.store.get(key)?.spec as PodSpec | undefined)?.nodeName;
    return podRecordHolders(key, nodeName, [self, ...peers], this.d.config.partialCopies).filter((m) => m !== self);
  }

  /**
   * An unbound pod being placed: now to the members ranked first for its controller's key (the
   * controller's host and the ones that take it over if it goes), to the others when due (if
   * still unbound).
   */
  private holdBack(r: ObjectRec, peers: string[]): string[] {
    const due = this.heldBack.get(r.key)?.due ?? this.d.clock.now() + this.d.config.unboundPodPushMs;
    this.heldBack.set(r.key, { rec: r, due });
    this.heldTimer ??= this.d.clock.setTimeout(() => this.pushHeldBack(), this.d.config.unboundPodPushMs);
    const self = this.d.transport.self;
    return unboundPodHolders(r.obj!, [self, ...peers], this.d.config.partialCopies).filter((m) => m !== self);
  }

  /**
   * The held-back pods that are due go to every member, unless a newer version of them is here:
   * the node that bound the pod (or this one, later) pushed that one, and this one would lose
   * every merge.
   */
  private pushHeldBack() {
    this.heldTimer = undefined;
    const now = this.d.clock.now();
    const due: Rec[] = [];
    let next = Infinity;
    for (const [key, h] of this.heldBack) {
      if (h.due > now) {
        next = Math.min(next, h.due);
        continue;
      }
      this.heldBack.delete(key);
      const v = this.d.store.versions(key);
      if (v && !v.deleted && v.sv === h.rec.sv && v.tv === h.rec.tv) due.push(h.rec);
    }
    this.sendChunks(this.d.peers(), due);
    if (next < Infinity) this.heldTimer = this.d.clock.setTimeout(() => this.pushHeldBack(), next - now);
  }

  private sendChunks(to: readonly string[], recs: Rec[]) {
    if (to.length === 0) return;
    for (let i = 0; i < recs.length; i += CHUNK) {
      const msg = { t: 'rep', recs: recs.slice(i, i + CHUNK) };
      if (to.length > 1 && this.d.transport.sendMany) this.d.transport.sendMany(to, msg);
      else for (const m of to) this.d.transport.send(m, msg);
    }
  }

  /** One anti-entropy exchange with a member: afterwards both hold the newer of every record. */
  async syncWith(peer: string, timeoutMs = 5000): Promise<void> {
    const answer = await this.d.transport.request(peer, { t: 'ae-digest', d: this.d.store.digest() }, timeoutMs);
    if (answer.t !== 'ae-versions') return;
    const theirs = answer.v as [string, string, string, string][];
    const buckets = answer.b as number[];
    if (buckets.length === 0) return;
    const mine = new Map(this.d.store.versionsIn(buckets).map((v) => [`${v[0]}${v[1]}`, v]));
    const theirMap = new Map(theirs.map((v) => [`${v[0]}${v[1]}`, v]));
    const push: [string, string][] = [];
    const pull: [string, string][] = [];
    for (const [id, m] of mine) {
      const t = theirMap.get(id);
      if (!t || m[2] > t[2] || m[3] > t[3]) push.push([m[0], m[1]]);
    }
    for (const [id, t] of theirMap) {
      const m = mine.get(id);
      if (!m || t[2] > m[2] || t[3] > m[3]) pull.push([t[0], t[1]]);
    }
    const recs = this.d.store.records(push);
    for (let i = 0; i < recs.length; i += CHUNK) this.d.transport.send(peer, { t: 'rep', recs: recs.slice(i, i + CHUNK), ae: 1 });
    for (let i = 0; i < pull.length; i += CHUNK) {
      const got = await this.d.transport.request(peer, { t: 'ae-pull', keys: pull.slice(i, i + CHUNK) }, timeoutMs);
      if (got.t === 'rep' && Array.isArray(got.recs)) await this.merge(got.recs as Rec[], 'ae');
    }
    this.stats.antiEntropyRounds++;
  }

  private async merge(recs: Rec[], via = 'push') {
    this.stats.merged += recs.length;
    for (const r of recs) {
      const what = r.k === 'e' ? `e:${via}` : `${r.k}:${r.key.slice(0, r.key.indexOf('/'))}:${via}`;
      this.mergedBy[what] = (this.mergedBy[what] ?? 0) + 1;
    }
    await this.d.store.merge(recs);
  }

  private receive(_from: string, msg: PeerMessage, reply?: (m: PeerMessage) => void) {
    switch (msg.t) {
      case 'rep':
        if (Array.isArray(msg.recs)) this.merge(msg.recs as Rec[], msg.ae ? 'ae' : 'push').catch((e) => this.d.log(`replication: ${e}`));
        return;
      case 'ae-digest': {
        if (!reply || !Array.isArray(msg.d)) return;
        const mine = this.d.store.digest();
        const theirs = msg.d as number[];
        const buckets = mine.flatMap((h, i) => (h !== theirs[i] ? [i] : []));
        reply({ t: 'ae-versions', b: buckets, v: this.d.store.versionsIn(buckets) });
        return;
      }
      case 'ae-pull':
        if (reply && Array.isArray(msg.keys)) reply({ t: 'rep', recs: this.d.store.records(msg.keys as [string, string][]) });
        return;
    }
  }

  private scheduleAntiEntropy() {
    if (this.stopped) return;
    this.aeTimer = this.d.clock.setTimeout(async () => {
      const peers = this.d.peers();
      if (peers.length) {
        const peer = peers[Math.floor(this.d.random() * peers.length)];
        await this.syncWith(peer).catch(() => {});
      }
      this.scheduleAntiEntropy();
    }, this.d.config.antiEntropyIntervalMs);
  }
}
