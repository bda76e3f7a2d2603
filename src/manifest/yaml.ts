// Multi-document YAML (and JSON, which is YAML) parsing for manifests.
//
// - YAML 1.2 core schema: `on`, `yes`, `no` stay strings (Kubernetes' go-yaml v2 would turn them
//   into booleans and then fail to decode them into string fields; 1.2 is the safer reading).
// - Integers with a leading zero (`0644`) are octal, as go-yaml (YAML 1.1) and so kubectl read
//   them: file modes such as `defaultMode: 0644` mean 420, not 644. `0o644` works too.
// - Flow style ("KYAML": `{ key: "value", }` with trailing commas) and multi-line quoted scalars
//   are ordinary YAML and parse as such.
// - Empty documents (a leading `---`, comment-only or `null` documents) are skipped, as kubectl does.
// - Errors carry the document number (1-based, counting only non-empty documents, so it matches
//   the order of the returned values) and the line and column (1-based) of the problem.
// - Limits: 3 MiB of input (the API server's request body limit), nesting depth, alias expansion
//   ("billion laughs"), self-referencing anchors, and the expanded size of a document.

import type { CST, Document, LineCounter, Node as YamlNode, ScalarTag } from 'yaml';
import { ParseError, StarlingError } from '../errors.ts';
import { yaml } from './yaml-lib.ts';

/** Largest manifest accepted, in bytes (Kubernetes' MaxRequestBodyBytes: 3 × 1024 × 1024). */
export const MAX_MANIFEST_BYTES = 3 * 1024 * 1024;
/** Deepest nesting of mappings/sequences accepted (real manifests stay far below this). */
export const MAX_NESTING_DEPTH = 200;
/** Most documents in one manifest (checked before parsing, by counting `---` lines). */
export const MAX_DOCUMENTS = 1000;
/** Most alias expansions per document (the yaml library's `maxAliasCount`). */
export const MAX_ALIAS_COUNT = 100;
/** Upper bound on the estimated JSON size of one document after alias expansion. */
export const MAX_EXPANDED_BYTES = 2 * MAX_MANIFEST_BYTES;

const encoder = new TextEncoder();

/** YAML 1.1's octal integers (`0644`), which go-yaml and so kubectl read as octal. */
const YAML11_OCTAL: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?0[0-7]+$/,
  resolve: (s) => parseInt(s, 8),
};

/** Whether a string is over MAX_MANIFEST_BYTES in UTF-8, encoding it only when needed. */
function overLimit(text: string): boolean {
  if (text.length > MAX_MANIFEST_BYTES) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= MAX_MANIFEST_BYTES) return false; // at most three bytes per unit
  return encoder.encode(text).length > MAX_MANIFEST_BYTES;
}

function tooLarge(): StarlingError {
  return new StarlingError(
    'TooLarge',
    `manifest is too large: limit is ${MAX_MANIFEST_BYTES} bytes (3 MiB)`,
    { limit: MAX_MANIFEST_BYTES },
  );
}

function tooManyDocuments(n: number): StarlingError {
  return new StarlingError(
    'TooLarge',
    `manifest has ${n} documents: limit is ${MAX_DOCUMENTS} per manifest`,
    { limit: MAX_DOCUMENTS },
  );
}

interface Located {
  line?: number;
  column?: number;
}

function parseError(docNo: number, where: Located, problem: string): ParseError {
  const at = where.line !== undefined ? ` at line ${where.line}, column ${where.column}` : '';
  return new ParseError(
    `error parsing YAML document ${docNo}${at}: ${problem}`,
    where.line,
    where.column,
    docNo - 1,
  );
}

/** Parses a manifest into one plain value per non-empty document. */
export function parseDocuments(text: string): unknown[] {
  if (typeof text !== 'string') throw new StarlingError('BadRequest', 'manifest must be text');
  if (overLimit(text)) throw tooLarge();
  const separators = text.match(/^---(?=[ \t\r\n]|$)/gm)?.length ?? 0;
  if (separators > MAX_DOCUMENTS) throw tooManyDocuments(separators);
  const { Composer, LineCounter: Lines } = yaml();
  const lines = new Lines();
  const pos = (offset: number): Located => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };

  const tokens = tokenize(text, lines, pos);
  checkDepth(tokens, pos);

  const composer = new Composer({
    version: '1.2',
    schema: 'core',
    merge: true, // `<<: *anchor` as go-yaml (and so kubectl) accepts it
    uniqueKeys: false, // checked below, so that the error can name the key
    customTags: (tags) => [YAML11_OCTAL, ...(tags as ScalarTag[])],
    prettyErrors: false,
  });
  const docs = Array.from(composer.compose(tokens, true, text.length));

  const out: unknown[] = [];
  for (const doc of docs) {
    const hasErrors = doc.errors.length > 0;
    if (!hasErrors && isEmpty(doc)) continue;
    const docNo = out.length + 1;
    if (hasErrors) {
      const first = doc.errors[0];
      const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : '';
      throw parseError(docNo, pos(first.pos[0]), first.message + more);
    }
    const firstAlias = checkKeysAndAnchors(doc, docNo, pos);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/alias/i.test(message)) {
        throw parseError(
          docNo,
          firstAlias === undefined ? {} : pos(firstAlias),
          `document contains excessive aliasing (more than ${MAX_ALIAS_COUNT} alias expansions); refusing it as a possible "billion laughs" attack`,
        );
      }
      throw parseError(docNo, {}, message);
    }
    if (value === null || value === undefined) continue;
    out.push(cloneWithBudget(value, docNo));
    if (out.length > MAX_DOCUMENTS) throw tooManyDocuments(out.length);
  }
  return out;
}

function isEmpty(doc: Document.Parsed): boolean {
  const c = doc.contents;
  return c === null || (yaml().isScalar(c) && (c.value === null || c.value === undefined));
}

function depthError(docIndex: number, at: Located): ParseError {
  return new ParseError(
    `error parsing YAML document ${docIndex} at line ${at.line}, column ${at.column}: exceeded max depth of ${MAX_NESTING_DEPTH}`,
    at.line,
    at.column,
    docIndex - 1,
  );
}

/**
 * Lexes and parses into CST tokens (what `Parser.parse` does), stopping as soon as flow
 * collections (`[`/`{`) nest deeper than MAX_NESTING_DEPTH: the parser slows down badly on very
 * deep nesting, so megabytes of `[` must not reach it.
 */
function tokenize(text: string, lines: LineCounter, pos: (offset: number) => Located): CST.Token[] {
  const { Lexer, Parser } = yaml();
  const parser = new Parser(lines.addNewLine);
  const tokens: CST.Token[] = [];
  let depth = 0;
  let docIndex = 0;
  lines.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    if (lexeme === '[' || lexeme === '{') {
      if (++depth > MAX_NESTING_DEPTH) throw depthError(docIndex + 1, pos(parser.offset));
    } else if (lexeme === ']' || lexeme === '}') {
      depth = Math.max(0, depth - 1);
    }
    for (const token of parser.next(lexeme)) {
      if (token.type === 'document') docIndex++;
      tokens.push(token);
    }
  }
  tokens.push(...parser.end());
  return tokens;
}

/** Refuses nesting deeper than MAX_NESTING_DEPTH before composing (composition recurses). */
function checkDepth(tokens: CST.Token[], pos: (offset: number) => Located): void {
  const stack: Array<[CST.Token, number]> = [];
  let docIndex = 0;
  for (const t of tokens) {
    if (t.type !== 'document') continue;
    docIndex++;
    if (t.value) stack.push([t.value, 0]);
    while (stack.length > 0) {
      const [tok, depth] = stack.pop()!;
      if (tok.type === 'block-map' || tok.type === 'block-seq' || tok.type === 'flow-collection') {
        if (depth + 1 > MAX_NESTING_DEPTH) throw depthError(docIndex, pos(tok.offset));
        for (const item of tok.items as CST.CollectionItem[]) {
          if (item.key) stack.push([item.key, depth + 1]);
          if (item.value) stack.push([item.value, depth + 1]);
        }
      }
    }
  }
}

/**
 * Rejects duplicate mapping keys (naming the key), aliases to unknown anchors and anchors that
 * contain an alias to themselves. Returns the offset of the first alias, if any.
 */
function checkKeysAndAnchors(
  doc: Document.Parsed,
  docNo: number,
  pos: (offset: number) => Located,
): number | undefined {
  const { isAlias, isMap, isScalar, visit } = yaml();
  const anchors = new Map<string, YamlNode>();
  let firstAlias: number | undefined;
  visit(doc, {
    Node(_key, node, path) {
      if (isAlias(node)) {
        const at = node.range?.[0] ?? 0;
        if (firstAlias === undefined) firstAlias = at;
        const target = anchors.get(node.source);
        if (!target) throw parseError(docNo, pos(at), `unknown anchor '${node.source}' referenced`);
        if ((path as readonly unknown[]).includes(target)) {
          throw parseError(docNo, pos(at), `anchor '${node.source}' value contains itself`);
        }
        return;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          const k = pair.key;
          if (!isScalar(k)) continue;
          const name = String(k.value);
          if (seen.has(name)) {
            throw parseError(
              docNo,
              pos(k.range?.[0] ?? 0),
              `duplicate key ${JSON.stringify(name)}: key ${
                JSON.stringify(name)
              } already set in map`,
            );
          }
          seen.add(name);
        }
      }
    },
  });
  return firstAlias;
}

/**
 * Deep-copies a parsed value (aliases share objects in the yaml library's output; copies keep
 * later edits local) while bounding the estimated JSON size of the expanded document.
 */
function cloneWithBudget(value: unknown, docNo: number): unknown {
  let budget = MAX_EXPANDED_BYTES;
  const spend = (n: number) => {
    budget -= n;
    if (budget < 0) {
      throw new StarlingError(
        'TooLarge',
        `YAML document ${docNo} expands to more than ${MAX_EXPANDED_BYTES} bytes (through aliases); limit is ${MAX_MANIFEST_BYTES} bytes`,
        { document: docNo - 1, limit: MAX_MANIFEST_BYTES },
      );
    }
  };
  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') {
      spend(v.length + 2);
      return v;
    }
    if (v === null || typeof v !== 'object') {
      spend(8);
      return v;
    }
    spend(2);
    if (Array.isArray(v)) return v.map(copy);
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      spend(k.length + 3);
      Object.defineProperty(out, k, {
        value: copy(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return copy(value);
}
