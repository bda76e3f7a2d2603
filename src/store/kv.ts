// The storage port: a tiny sorted key-value interface with atomic batches across sections.
// Two implementations: LevelKV (LevelDB on disk) and MemoryKV (tests). Values are msgpackr-encoded.

import { Packr } from 'msgpackr';

export type Section = 'objects' | 'actors' | 'events' | 'meta';
export const SECTIONS: Section[] = ['objects', 'actors', 'events', 'meta'];

export type KVOp =
  | { type: 'put'; section: Section; key: string; value: unknown }
  | { type: 'del'; section: Section; key: string };

export interface KV {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Applies every op or none (one LevelDB write batch). */
  batch(ops: KVOp[]): Promise<void>;
  /** Every entry of a section, in key order. */
  entries(section: Section): AsyncIterable<[string, unknown]>;
}

// structuredClone-safe encoding; records off so plain objects round-trip exactly.
export const packr = new Packr({ useRecords: false, moreTypes: false });

export class MemoryKV implements KV {
  private data = new Map<Section, Map<string, Uint8Array>>(SECTIONS.map((s) => [s, new Map()]));
  async open() {}
  async close() {}
  async batch(ops: KVOp[]) {
    const encoded = ops.map((op) => op.type === 'put' ? { ...op, bytes: packr.pack(op.value) } : op);
    for (const op of encoded) {
      const section = this.data.get(op.section)!;
      if (op.type === 'put') section.set(op.key, (op as { bytes: Uint8Array }).bytes);
      else section.delete(op.key);
    }
  }
  async *entries(section: Section): AsyncIterable<[string, unknown]> {
    const keys = [...this.data.get(section)!.keys()].sort();
    for (const k of keys) yield [k, packr.unpack(this.data.get(section)!.get(k)!)];
  }
}
