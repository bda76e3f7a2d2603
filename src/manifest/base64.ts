// Base64 as Kubernetes reads it: the `data` of a Secret and the `binaryData` of a ConfigMap are
// `[]byte` fields, which Go's encoding/json decodes with base64.StdEncoding (the standard
// alphabet, `=` padding required, `\r` and `\n` skipped). An error names the byte where decoding
// failed, as Go's CorruptInputError does: `illegal base64 data at input byte 4`.

import { Buffer } from 'node:buffer';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Map([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const CR = 13;
const LF = 10;
const PAD = 61; // '='

/**
 * Where Go's base64.StdEncoding would stop decoding `text` (the 0-based input byte of its
 * CorruptInputError), or undefined when it decodes. A port of Go's decodeQuantum.
 */
export function base64ErrorAt(text: string): number | undefined {
  const src = Buffer.from(text, 'utf8');
  let si = 0;
  while (si < src.length) {
    let j = 0;
    let end = false;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return undefined;
        return si - j; // j == 1, or missing padding (StdEncoding pads)
      }
      const ch = src[si++];
      if (VALUE.has(ch)) continue;
      if (ch === LF || ch === CR) {
        j--;
        continue;
      }
      if (ch !== PAD) return si - 1;
      // padding: only after two or three characters of a quantum
      if (j === 0 || j === 1) return si - 1;
      if (j === 2) {
        while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
        if (si === src.length) return src.length; // not enough padding
        if (src[si] !== PAD) return si - 1;
        si++;
      }
      while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
      if (si < src.length) return si; // trailing garbage
      end = true;
      break;
    }
    if (end) return undefined;
  }
  return undefined;
}

/** Go's message for undecodable input, or undefined when `text` decodes. */
export function base64Error(text: string): string | undefined {
  const at = base64ErrorAt(text);
  return at === undefined ? undefined : `illegal base64 data at input byte ${at}`;
}

/** The bytes of valid base64 text (check it with base64Error first). */
export function decodeBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/[\r\n]/g, ''), 'base64'));
}

/** Standard base64 (padded) of a string's UTF-8 bytes, as Kubernetes stores `stringData`. */
export function encodeBase64(value: string | Uint8Array): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)).toString('base64');
}

/** How many bytes valid base64 text decodes to, without decoding it. */
export function decodedLength(text: string): number {
  const clean = text.replace(/[\r\n]/g, '');
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return (clean.length / 4) * 3 - pad;
}
