// Reads of what is not on every node: events and Pods' actor records, kept on a few nodes each
// (cluster/replicator.ts). A read asks every member for what it holds, in parallel, and merges
// the answers with this node's own: each event once (its highest count), each actor record at
// its newest version. A member that does not answer within the timeout is left out, so a read
// waits at most that long for a member that is suspected but not yet declared dead.

import { compareText } from '../../actors/canonical.ts';
import type { KEvent, ObjectKey } from '../objects/types.ts';
import { type ActorRecord, isPodActorKey, type Store } from '../store/store.ts';
import type { Transport } from './types.ts';

/** How long a read waits for a member's answer, ms. */
const ANSWER_TIMEOUT_MS = 2000;

export interface GatheredReadsDeps {
  store: Store;
  transport: Transport;
  /** names of the alive and suspect members other than this node */
  peers(): string[];
}

export class GatheredReads {
  constructor(private d: GatheredReadsDeps) {
    d.transport.onMessage((_from, msg, reply) => {
      if (!reply) return;
      if (msg.t === 'ev-q') {
        const keys = Array.isArray(msg.keys) ? (msg.keys as unknown[]).filter((k): k is string => typeof k === 'string') : undefined;
        d.store.eventsLoaded().then(
          () => reply({ t: 'ev-a', evs: d.store.eventEntries(keys) }),
          () => reply({ t: 'ev-a', evs: [] }),
        );
      } else if (msg.t === 'act-q') {
        reply({ t: 'act-a', recs: d.store.podActorEntries(typeof msg.key === 'string' ? msg.key : undefined) });
      }
    });
  }

  /** What every member answers to `msg` (`t` of the answer: `answer`, its list in `field`). */
  private async ask<T>(msg: { t: string; [k: string]: unknown }, answer: string, field: string): Promise<T[][]> {
    const answers = await Promise.allSettled(this.d.peers().map((m) => this.d.transport.request(m, msg, ANSWER_TIMEOUT_MS)));
    return answers.flatMap((a) => (a.status === 'fulfilled' && a.value.t === answer && Array.isArray(a.value[field]) ? [a.value[field] as T[]] : []));
  }

  /**
   * The events the cluster holds: about the given objects, or all (of one namespace), each once
   * (its highest count), oldest first.
   */
  async events(q: { keys?: ObjectKey[]; namespace?: string }): Promise<KEvent[]> {
    await this.d.store.eventsLoaded();
    const all = new Map<string, KEvent>();
    for (const entries of [this.d.store.eventEntries(q.keys), ...await this.ask<[string, KEvent]>({ t: 'ev-q', keys: q.keys }, 'ev-a', 'evs')]) {
      for (const [id, ev] of entries) {
        if (q.namespace && ev.metadata.namespace !== q.namespace) continue;
        const had = all.get(id);
        if (!had || ev.count > had.count) all.set(id, ev);
      }
    }
    // ids are `involvedKey|hlc`: one object's events sort by when they were first recorded
    return [...all.entries()].sort(([a, x], [b, y]) => compareText(x.lastTimestamp, y.lastTimestamp) || compareText(a, b)).map(([, ev]) => ev);
  }

  /**
   * Every actor record: this node's, with the Pods' records the members hold (each at its newest
   * version); or one pod's, given its key.
   */
  async actors(podKey?: ObjectKey): Promise<ActorRecord[]> {
    const newest = new Map<string, [string, ActorRecord]>();
    for (const entries of [this.d.store.podActorEntries(podKey), ...await this.ask<[string, ActorRecord]>({ t: 'act-q', key: podKey }, 'act-a', 'recs')]) {
      for (const [v, rec] of entries) {
        const had = newest.get(rec.key);
        if (!had || v > had[0]) newest.set(rec.key, [v, rec]);
      }
    }
    const others = podKey ? [] : this.d.store.actors().filter((r) => !isPodActorKey(r.key));
    return [...others, ...[...newest.values()].map(([, rec]) => rec)];
  }
}
