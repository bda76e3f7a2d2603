// Replication of the store to every member: eager push of each local commit to all alive
// members, and anti-entropy — every antiEntropyIntervalMs, and when a member joins or comes
// back — comparing bucket digests with one member and exchanging only what differs. Merging is
// per part with hybrid-logical-clock versions (see store/store.ts), so order does not matter.

import type { Clock, TimerHandle } from '../clock.ts';
import type { ReplicationConfig } from '../config.ts';
import type { Rec, Store } from '../store/store.ts';
import type { PeerMessage, Transport } from './types.ts';

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

export class Replicator {
  private outbox: Rec[] = [];
  private flushTimer?: TimerHandle;
  private aeTimer?: TimerHandle;
  private stopped = false;
  private unsubscribe?: () => void;
  /** counters, for benchmarks */
  readonly stats = { pushed: 0, merged: 0, antiEntropyRounds: 0 };

  constructor(private d: ReplicatorDeps) {}

  start() {
    this.unsubscribe = this.d.store.onReplicate((recs) => {
      this.outbox.push(...recs);
      this.flushTimer ??= this.d.clock.setTimeout(() => this.flush(), 0);
    });
    this.d.transport.onMessage((from, msg, reply) => this.receive(from, msg, reply));
    this.scheduleAntiEntropy();
  }

  stop() {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.flushTimer) this.d.clock.clearTimeout(this.flushTimer);
    if (this.aeTimer) this.d.clock.clearTimeout(this.aeTimer);
  }

  /** Sends what was committed locally since the last flush to every alive member. */
  flush() {
    this.flushTimer = undefined;
    if (this.outbox.length === 0) return;
    const recs = this.outbox;
    this.outbox = [];
    for (const peer of this.d.peers()) {
      for (let i = 0; i < recs.length; i += CHUNK) this.d.transport.send(peer, { t: 'rep', recs: recs.slice(i, i + CHUNK) });
    }
    this.stats.pushed += recs.length;
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
    for (let i = 0; i < recs.length; i += CHUNK) this.d.transport.send(peer, { t: 'rep', recs: recs.slice(i, i + CHUNK) });
    for (let i = 0; i < pull.length; i += CHUNK) {
      const got = await this.d.transport.request(peer, { t: 'ae-pull', keys: pull.slice(i, i + CHUNK) }, timeoutMs);
      if (got.t === 'rep' && Array.isArray(got.recs)) await this.merge(got.recs as Rec[]);
    }
    this.stats.antiEntropyRounds++;
  }

  private async merge(recs: Rec[]) {
    this.stats.merged += recs.length;
    await this.d.store.merge(recs);
  }

  private receive(_from: string, msg: PeerMessage, reply?: (m: PeerMessage) => void) {
    switch (msg.t) {
      case 'rep':
        if (Array.isArray(msg.recs)) this.merge(msg.recs as Rec[]).catch((e) => this.d.log(`replication: ${e}`));
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
