// Reads of what is not on every node: events and Pods' actor records, kept on a few nodes each
// (cluster/replicator.ts). A read asks every member for what it holds, in parallel, and merges
// the answers with this node's own: each event once (its highest count), each actor record at
// its newest version. A member answers in pages (by id, so that no answer frame grows with what
// it holds past the peer link's frame limit); one that does not answer a page within the timeout
// is left out, so a read waits at most that long for a member that is suspected but not yet
// declared dead.

import { compareText } from '../../actors/canonical.ts';
import type { KEvent, ObjectKey } from '../objects/types.ts';
import { type ActorRecord, isPodActorKey, type Store } from '../store/store.ts';
import type { PeerMessage, Transport } from './types.ts';

/** How long a read waits for a member's answer to one page, ms. */
const ANSWER_TIMEOUT_MS = 2000;
/** Most pages a read takes from one member (a bound on the loop; 500 × 1,000 events). */
const MAX_PAGES = 500;

export interface GatheredReadsDeps {
  store: Store;
  transport: Transport;
  /** names of the alive and suspect members other than this node */
  peers(): string[];
  /** entries per answer: events, and actor records (larger). Default 1000 and 200 */
  pageSize?: { events: number; actors: number };
}

/** What an answer holds: `[id, value]` pairs sorted by id, and the last id when more follow. */
interface Page<T> {
  list: [string, T][];
  next?: string;
}

/** The page of `entries` after the id `after`, `size` long. */
function pageOf<T>(entries: [string, T][], after: unknown, size: number): Page<T> {
  const sorted = entries.sort((a, b) => compareText(a[0], b[0]));
  const from = typeof after === 'string' ? sorted.findIndex((e) => e[0] > after) : 0;
  const list = from < 0 ? [] : sorted.slice(from, from + size);
  return from >= 0 && from + size < sorted.length ? { list, next: list[list.length - 1][0] } : { list };
}

export class GatheredReads {
  private pageSize: { events: number; actors: number };

  constructor(private d: GatheredReadsDeps) {
    this.pageSize = d.pageSize ?? { events: 1000, actors: 200 };
    d.transport.onMessage((_from, msg, reply) => {
      if (!reply) return;
      if (msg.t === 'ev-q') {
        const keys = Array.isArray(msg.keys) ? (msg.keys as unknown[]).filter((k): k is string => typeof k === 'string') : undefined;
        d.store.eventsLoaded().then(
          () => reply({ t: 'ev-a', ...pageOf(d.store.eventEntries(keys), msg.after, this.pageSize.events) }),
          () => reply({ t: 'ev-a', list: [] }),
        );
      } else if (msg.t === 'act-q') {
        const entries = d.store.podActorEntries(typeof msg.key === 'string' ? msg.key : undefined);
        reply({ t: 'act-a', ...pageOf(entries.map(([v, rec]) => [rec.key, [v, rec]]), msg.after, this.pageSize.actors) });
      }
    });
  }

  /** Every page one member answers to `msg` (answers of type `answer`). */
  private async pagesFrom<T>(member: string, msg: PeerMessage, answer: string): Promise<[string, T][]> {
    const out: [string, T][] = [];
    let after: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const a = await this.d.transport.request(member, after === undefined ? msg : { ...msg, after }, ANSWER_TIMEOUT_MS);
      if (a.t !== answer || !Array.isArray(a.list)) break;
      out.push(...a.list as [string, T][]);
      if (typeof a.next !== 'string') break;
      after = a.next;
    }
    return out;
  }

  /** What every member answers, each member's pages together (a member that fails is left out). */
  private async ask<T>(msg: PeerMessage, answer: string): Promise<[string, T][][]> {
    const answers = await Promise.allSettled(this.d.peers().map((m) => this.pagesFrom<T>(m, msg, answer)));
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  }

  /**
   * The events the cluster holds: about the given objects, or all (of one namespace), each once
   * (its highest count), oldest first.
   */
  async events(q: { keys?: ObjectKey[]; namespace?: string }): Promise<KEvent[]> {
    await this.d.store.eventsLoaded();
    const all = new Map<string, KEvent>();
    for (const entries of [this.d.store.eventEntries(q.keys), ...await this.ask<KEvent>({ t: 'ev-q', keys: q.keys }, 'ev-a')]) {
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
    const mine = this.d.store.podActorEntries(podKey).map(([v, rec]): [string, [string, ActorRecord]] => [rec.key, [v, rec]]);
    for (const entries of [mine, ...await this.ask<[string, ActorRecord]>({ t: 'act-q', key: podKey }, 'act-a')]) {
      for (const [key, [v, rec]] of entries) {
        const had = newest.get(key);
        if (!had || v > had[0]) newest.set(key, [v, rec]);
      }
    }
    const others = podKey ? [] : this.d.store.actors().filter((r) => !isPodActorKey(r.key));
    return [...others, ...[...newest.values()].map(([, rec]) => rec)];
  }
}
