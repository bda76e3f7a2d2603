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
