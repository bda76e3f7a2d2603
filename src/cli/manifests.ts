// Reads `-f FILE|DIR|-`: files, every .yaml/.yml/.json file of a directory (sorted), or stdin.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StarlingError } from '../errors.ts';
import { MAX_MANIFEST_BYTES } from '../manifest/index.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readManifests(sources: string[]): Promise<string> {
  if (sources.length === 0) throw new StarlingError('BadRequest', 'must specify one of -f and -k');
  const texts: string[] = [];
  for (const src of sources) {
    if (src === '-') {
      texts.push(await readStdin());
      continue;
    }
    let s;
    try {
      s = await stat(src);
    } catch {
      throw new StarlingError('NotFound', `the path "${src}" does not exist`);
    }
    if (s.isDirectory()) {
      const files = (await readdir(src)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
      for (const f of files) texts.push(await readFile(join(src, f), 'utf8'));
    } else {
      texts.push(await readFile(src, 'utf8'));
    }
  }
  // One file keeps its own line numbers; several are joined as separate YAML documents
  // (a JSON document is YAML too).
  const text = texts.length === 1 ? texts[0] : texts.join('\n---\n');
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MANIFEST_BYTES) {
    throw new StarlingError('TooLarge', `the manifest is ${(bytes / 1048576).toFixed(1)} MiB: the limit is ${MAX_MANIFEST_BYTES / 1048576} MiB`);
  }
  return text;
}
