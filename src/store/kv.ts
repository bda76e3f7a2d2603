// The storage port: a tiny sorted key-value interface with atomic batches across sections.
// Two implementations: LevelKV (LevelDB on disk) and MemoryKV (tests). Values are msgpackr-encoded
// with record structures shared across the database (StoreCodec).

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

/** The most key lists shared by a database's values (msgpackr's limit is 8160). */
export const MAX_SHARED_STRUCTURES = 1000;

/**
 * The values' encoding: msgpack with msgpackr's record extension, the structures (each distinct
 * list of object keys) shared by every value of one database, as msgpackr recommends for
 * storage. A value then carries a record id instead of its keys: about half the bytes, and
 * about three times faster to decode than plain maps, which is most of a node's restart.
 *
 * A value can only be decoded with the structures it was encoded with, so new structures are
 * written in the same atomic batch as the first values that use them: the batch that follows a
 * pack() that added any carries the whole list (`pending()`), until one such batch is written
 * (`saved()`).
 *
 * Such a value starts with 0xc1, a byte msgpack never uses. Values written before (plain msgpack
 * maps, no marker) are decoded as such: a record-aware decoder would misread them, since records
 * reuse the bytes of small integers.
 */
export class StoreCodec {
  private structures: string[][];
  private version = 0; // bumped by every structure added
  private savedVersion = 0;
  private readonly packr: Packr;
  constructor(saved: string[][] = []) {
    this.structures = saved.map((keys) => [...keys]);
    // no `structures` option: msgpackr then takes them from getStructures() on first use, and
    // only that way marks the ones past the 32nd as two-byte ids
    this.packr = new Packr({
      maxSharedStructures: MAX_SHARED_STRUCTURES,
      moreTypes: false,
      getStructures: () => this.structures,
      saveStructures: (structures: string[][]) => {
        this.structures = structures;
        this.version++;
        return true;
      },
    });
  }
  pack(value: unknown): Uint8Array {
    const body = this.packr.pack(value);
    const out = new Uint8Array(body.length + 1);
    out[0] = RECORDS;
    out.set(body, 1);
    return out;
  }
  unpack(bytes: Uint8Array): unknown {
    return bytes[0] === RECORDS ? this.packr.unpack(bytes.subarray(1)) : plain.unpack(bytes);
  }
  /**
   * The structures to write with the next batch, if any were added since the last one written:
   * `bytes`, and `version` to pass to saved() once that batch is written.
   */
  pending(): { bytes: Uint8Array; version: number } | undefined {
    if (this.version === this.savedVersion) return undefined;
    return { bytes: plain.pack(this.structures.map((keys) => [...keys])), version: this.version };
  }
  saved(version: number) {
    this.savedVersion = Math.max(this.savedVersion, version);
  }
  /** Reads what pending() wrote. */
  static load(bytes: Uint8Array | undefined): StoreCodec {
    const saved = bytes === undefined ? [] : plain.unpack(bytes);
    if (!Array.isArray(saved) || !saved.every((k) => Array.isArray(k) && k.every((x) => typeof x === 'string'))) {
      throw new Error('the stored record structures are not lists of keys');
    }
    return new StoreCodec(saved);
  }
}

const plain = new Packr({ useRecords: false, moreTypes: false });
/** First byte of a value encoded with the shared structures (never a msgpack type byte). */
const RECORDS = 0xc1;

export class MemoryKV implements KV {
  private data = new Map<Section, Map<string, Uint8Array>>(SECTIONS.map((s) => [s, new Map()]));
  private codec = new StoreCodec();
  async open() {}
  async close() {}
  async batch(ops: KVOp[]) {
    const encoded = ops.map((op) => op.type === 'put' ? { ...op, bytes: this.codec.pack(op.value) } : op);
    for (const op of encoded) {
      const section = this.data.get(op.section)!;
      if (op.type === 'put') section.set(op.key, (op as { bytes: Uint8Array }).bytes);
      else section.delete(op.key);
    }
  }
  async *entries(section: Section): AsyncIterable<[string, unknown]> {
    const keys = [...this.data.get(section)!.keys()].sort();
    for (const k of keys) yield [k, this.codec.unpack(this.data.get(section)!.get(k)!)];
  }
}
