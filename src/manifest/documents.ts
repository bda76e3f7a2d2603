// Documents that arrive already parsed: the CLI parses a manifest's YAML itself, as kubectl
// does, and sends the documents over the API as one JSON array (apply's `json`), so the node
// validates objects instead of parsing YAML (JSON.parse is native and many times faster). JSON,
// not msgpack maps: msgpack can carry what no manifest holds (binary, big integers, timestamps)
// and renames a `__proto__` key, which validation must see to refuse it.

import { StarlingError } from '../errors.ts';
import { MAX_DOCUMENTS, MAX_EXPANDED_BYTES, MAX_NESTING_DEPTH } from './yaml.ts';

/** Where a number JSON cannot carry (`.inf`, `.nan`) is in a document, if anywhere. */
function nonFinite(v: unknown, path: string): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : path;
  if (typeof v !== 'object' || v === null) return undefined;
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v).map(([k, x]) => [`.${k}`, x]);
  for (const [k, x] of entries) {
    const at = nonFinite(x, `${path}${k}`);
    if (at) return at;
  }
  return undefined;
}

/** The parsed documents of a manifest as apply's `json` (kubectl too refuses `.inf` and `.nan`, which JSON cannot carry). */
export function documentsJson(docs: unknown[]): string {
  docs.forEach((d, i) => {
    const at = nonFinite(d, '');
    if (at !== undefined) {
      throw new StarlingError('Invalid', `${docs.length > 1 ? `document ${i + 1}: ` : ''}${at.replace(/^\./, '') || 'the document'}: Invalid value: a number that is not finite (.inf or .nan) cannot be sent as JSON`);
    }
  });
  return JSON.stringify(docs);
}

/** As deep as a YAML manifest may nest (MAX_NESTING_DEPTH), and no deeper. */
function checkDepth(v: unknown, path: string, depth: number) {
  if (typeof v !== 'object' || v === null) return;
  if (depth >= MAX_NESTING_DEPTH) throw new StarlingError('BadRequest', `${path}: exceeded max depth of ${MAX_NESTING_DEPTH}`);
  if (Array.isArray(v)) v.forEach((x, i) => checkDepth(x, `${path}[${i}]`, depth + 1));
  else for (const [k, x] of Object.entries(v)) checkDepth(x, `${path}.${k}`, depth + 1);
}

/** The documents of a JSON array, or a clear refusal naming the rule (and the path). */
export function parseJsonDocuments(json: unknown): unknown[] {
  if (typeof json !== 'string') throw new StarlingError('BadRequest', 'args.json: must be the documents as one JSON array');
  if (json.length > MAX_EXPANDED_BYTES) {
    throw new StarlingError('TooLarge', `args.json: is too large: limit is ${MAX_EXPANDED_BYTES} bytes`, { limit: MAX_EXPANDED_BYTES });
  }
  let docs: unknown;
  try {
    docs = JSON.parse(json);
  } catch (e) {
    throw new StarlingError('BadRequest', `args.json: not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(docs)) throw new StarlingError('BadRequest', 'args.json: must be the documents as one JSON array');
  if (docs.length > MAX_DOCUMENTS) {
    throw new StarlingError('TooLarge', `manifest has ${docs.length} documents: limit is ${MAX_DOCUMENTS} per manifest`, { limit: MAX_DOCUMENTS });
  }
  docs.forEach((d, i) => checkDepth(d, `documents[${i}]`, 0));
  return docs;
}
