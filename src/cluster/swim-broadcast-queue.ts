// The broadcast queue (memberlist's TransmitLimitedQueue): updates waiting to be piggy-backed on
// outgoing messages. Each update is sent at most `limit()` times (retransmitMult ×
// ceil(log10(N + 1))); the freshest go first — fewest transmissions, then newest. A new update
// with the same key (the member it is about) replaces the queued one. Pure and clock-free;
// tested by table in membership-queue.test.ts.
//
// Cost: push is O(1); take(k) touches k updates and re-files each with a binary search (Q =
// queued updates, at most one per member), so one message never walks the member list.

interface Entry<T> {
  key: string;
  item: T;
  id: number;
  transmits: number;
  live: boolean;
  onDone?: () => void;
}

export class BroadcastQueue<T> {
  /** buckets[t] holds the entries sent t times, sorted by id (oldest first, newest last) */
  private buckets: Entry<T>[][] = [];
  private byKey = new Map<string, Entry<T>>();
  private nextId = 1;
  private stale = 0;

  /** @param limit how many times an update is sent (read on every take, as N changes) */
  constructor(private readonly limit: () => number) {}

  /** Updates waiting to be sent. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Queues an update, replacing a queued one with the same key. `onDone` runs once when the
   * update has been sent `limit()` times or was replaced.
   */
  push(key: string, item: T, onDone?: () => void): void {
    const old = this.byKey.get(key);
    if (old) {
      this.finish(old);
      if (this.stale > 64 && this.stale > 2 * this.byKey.size) this.compact();
    }
    const entry: Entry<T> = { key, item, id: this.nextId++, transmits: 0, live: true, onDone };
    this.byKey.set(key, entry);
    (this.buckets[0] ??= []).push(entry);
  }

  /** Up to `max` updates for one outgoing message; each counts as one transmission. */
  take(max: number): T[] {
    const limit = this.limit();
    const out: T[] = [];
    const sent: Entry<T>[] = [];
    for (let b = 0; b < this.buckets.length && out.length < max; b++) {
      const bucket = this.buckets[b];
      while (bucket.length > 0 && out.length < max) {
        const e = bucket.pop()!;
        if (!e.live) {
          this.stale--;
          continue;
        }
        if (b >= limit) {
          // the limit shrank (fewer members): this one has been sent enough
          this.finish(e, false);
          continue;
        }
        out.push(e.item);
        e.transmits++;
        if (e.transmits >= limit) this.finish(e, false);
        else sent.push(e);
      }
    }
    // re-file after the loop so one message never carries the same update twice
    for (const e of sent) insertById((this.buckets[e.transmits] ??= []), e);
    if (this.stale > 64 && this.stale > this.byKey.size) this.compact();
    return out;
  }

  /** What is queued, freshest first, without sending (for tests and inspection). */
  peek(): { key: string; item: T; transmits: number }[] {
    const out: { key: string; item: T; transmits: number }[] = [];
    for (const bucket of this.buckets) {
      for (let i = (bucket?.length ?? 0) - 1; i >= 0; i--) {
        const e = bucket[i];
        if (e.live) out.push({ key: e.key, item: e.item, transmits: e.transmits });
      }
    }
    return out;
  }

  /** Drops everything queued (each onDone runs). */
  clear(): void {
    for (const e of [...this.byKey.values()]) this.finish(e, false);
    this.buckets = [];
    this.stale = 0;
  }

  /** Removes an entry from the key index and runs its onDone; `inBucket` when it still sits in a bucket. */
  private finish(e: Entry<T>, inBucket = true): void {
    if (!e.live) return;
    e.live = false;
    if (inBucket) this.stale++;
    if (this.byKey.get(e.key) === e) this.byKey.delete(e.key);
    const done = e.onDone;
    e.onDone = undefined;
    done?.();
  }

  private compact(): void {
    this.buckets = this.buckets.map((bucket) => (bucket ? bucket.filter((e) => e.live) : []));
    this.stale = 0;
  }
}

/** Inserts into a bucket kept sorted by id (binary search; re-filed entries are older than most). */
function insertById<T>(bucket: Entry<T>[], e: Entry<T>): void {
  let lo = 0;
  let hi = bucket.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bucket[mid].id < e.id) lo = mid + 1;
    else hi = mid;
  }
  bucket.splice(lo, 0, e);
}
