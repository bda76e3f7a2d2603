// FNV-1a, 32 bits: a small, fast, stable string hash (not for security). Shared by template
// hashes, scheduling tie-breaks, placement and the store's anti-entropy buckets.

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a followed by a murmur3-style finaliser: every input bit affects every output bit, so
 * keys that differ only in their last character still spread evenly. */
export function hash32(s: string): number {
  let h = fnv1a(s);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
