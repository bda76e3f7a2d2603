// LevelDB implementation of the KV port: one database per node, one sublevel per section, and
// one more (`codec`) for the record structures the values are encoded with.

import { Level } from 'level';
import { type KV, type KVOp, type Section, SECTIONS, StoreCodec } from './kv.ts';

type Sub = ReturnType<Level<string, Uint8Array>['sublevel']>;

export class LevelKV implements KV {
  private db: Level<string, Uint8Array>;
  private subs = new Map<Section, Sub>();
  private codecSub: Sub;
  private codec = new StoreCodec();
  constructor(readonly dir: string) {
    this.db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    const sub = (name: string) => this.db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }) as Sub;
    for (const s of SECTIONS) this.subs.set(s, sub(s));
    this.codecSub = sub('codec');
  }
  async open() {
    await this.db.open();
    this.codec = StoreCodec.load(await this.codecSub.get('structures') as Uint8Array | undefined);
  }
  async close() {
    await this.db.close();
  }
  async batch(ops: KVOp[]) {
    if (ops.length === 0) return;
    const batch = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put' as const, sublevel: this.subs.get(op.section)!, key: op.key, value: this.codec.pack(op.value) }
        : { type: 'del' as const, sublevel: this.subs.get(op.section)!, key: op.key }
    );
    // structures first seen in this batch's values are written with them
    const structures = this.codec.pending();
    if (structures) batch.push({ type: 'put', sublevel: this.codecSub, key: 'structures', value: structures.bytes });
    await this.db.batch(batch as any);
    if (structures) this.codec.saved(structures.version);
  }
  async *entries(section: Section): AsyncIterable<[string, unknown]> {
    // a thousand entries per call into LevelDB, not one promise per entry (classic-level stops a
    // call at highWaterMarkBytes, 16 KB by default: about 30 entries); the next thousand are
    // read (on LevelDB's thread) while these are decoded
    const it = this.subs.get(section)!.iterator({ highWaterMarkBytes: 4 << 20, fillCache: false } as object);
    let next = it.nextv(1000);
    try {
      for (let batch = await next; batch.length; batch = await next) {
        next = it.nextv(1000);
        for (const [k, v] of batch) yield [k as string, this.codec.unpack(v as Uint8Array)];
      }
    } finally {
      await next.catch(() => {});
      await it.close();
    }
  }
}
