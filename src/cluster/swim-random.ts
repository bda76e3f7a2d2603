// Randomness for the gossip layer, always from an injected source (`() => number` in [0, 1)):
// a small seeded generator for tests and simulations, shuffling, sampling, and a set that can
// hand out a random element in O(1).

/** A deterministic generator (mulberry32) for a 32-bit seed: same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomIndex(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Fisher–Yates, in place; returns the array. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * Up to k distinct items that pass `accept`, chosen at random. Small inputs are filtered and
 * shuffled; large ones are sampled by index with a bounded number of tries, so the cost is O(k)
 * and never O(n) — it may then return fewer than k when most items are rejected.
 */
export function sample<T>(
  items: readonly T[],
  k: number,
  random: () => number,
  accept: (item: T) => boolean = () => true,
): T[] {
  const n = items.length;
  if (k <= 0 || n === 0) return [];
  if (n <= 2 * k + 8) return shuffle(items.filter(accept), random).slice(0, k);
  const tried = new Set<number>();
  const out: T[] = [];
  for (let tries = 0; out.length < k && tries < 4 * k + 16; tries++) {
    const i = randomIndex(random, n);
    if (tried.has(i)) continue;
    tried.add(i);
    if (accept(items[i])) out.push(items[i]);
  }
  return out;
}

/** A set of strings with O(1) add, delete and random pick (array + index map). */
export class IndexedSet {
  private readonly list: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.list.length;
  }
  /** The elements, in no particular order (do not modify). */
  get items(): readonly string[] {
    return this.list;
  }
  has(v: string): boolean {
    return this.index.has(v);
  }
  add(v: string): void {
    if (this.index.has(v)) return;
    this.index.set(v, this.list.length);
    this.list.push(v);
  }
  delete(v: string): void {
    const i = this.index.get(v);
    if (i === undefined) return;
    const last = this.list.pop()!;
    this.index.delete(v);
    if (last !== v) {
      this.list[i] = last;
      this.index.set(last, i);
    }
  }
  random(random: () => number): string | undefined {
    return this.list.length ? this.list[randomIndex(random, this.list.length)] : undefined;
  }
}
