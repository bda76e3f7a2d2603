// LevelDB implementation of the KV port: one database per node, one sublevel per section.

import { Level } from 'level';
import { type KV, type KVOp, packr, type Section, SECTIONS } from './kv.ts';

type Sub = ReturnType<Level<string, Uint8Array>['sublevel']>;

export class LevelKV implements KV {
  private db: Level<string, Uint8Array>;
  private subs = new Map<Section, Sub>();
  constructor(readonly dir: string) {
    this.db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    for (const s of SECTIONS) {
      this.subs.set(s, this.db.sublevel<string, Uint8Array>(s, { keyEncoding: 'utf8', valueEncoding: 'view' }) as Sub);
    }
  }
  async open() {
    await this.db.open();
  }
  async close() {
    await this.db.close();
  }
  async batch(ops: KVOp[]) {
    if (ops.length === 0) return;
    await this.db.batch(ops.map((op) =>
      op.type === 'put'
        ? { type: 'put' as const, sublevel: this.subs.get(op.section)!, key: op.key, value: packr.pack(op.value) }
        : { type: 'del' as const, sublevel: this.subs.get(op.section)!, key: op.key }
    ) as any);
  }
  async *entries(section: Section): AsyncIterable<[string, unknown]> {
    // a thousand entries per call into LevelDB, not one promise per entry
    const it = this.subs.get(section)!.iterator();
    try {
      for (let batch = await it.nextv(1000); batch.length; batch = await it.nextv(1000)) {
        for (const [k, v] of batch) yield [k as string, packr.unpack(v as Uint8Array)];
      }
    } finally {
      await it.close();
    }
  }
}
