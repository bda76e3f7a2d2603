// Field errors worded as Kubernetes prints them (apimachinery pkg/util/validation/field):
// `<path>: <Type string>[: <bad value>][: <detail>]`. A FieldError keeps the path in `field` and
// the rest (what Kubernetes calls the cause message) in `message`.

import type { FieldError } from '../errors.ts';

/** A string in double quotes with Go-style escapes (close to Go's %q). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\u009f\u00a0\u2028\u2029]/g,
    (c) =>
      c.charCodeAt(0) <= 0xff
        ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
        : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** JSON with sorted keys and `<`, `>`, `&` escaped, as Go's encoding/json writes it. */
export function jsonValue(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x as object).sort()) {
        out[k] = sortKeys((x as Record<string, unknown>)[k]);
      }
      return out;
    }
    return x;
  };
  const s = JSON.stringify(sortKeys(v)) ?? 'null';
  return s.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Longest bad value printed in a message (longer JSON values are cut, marked with `...`). */
const MAX_SHOWN = 256;

/** How Kubernetes prints a bad value: strings quoted, numbers and booleans bare, the rest JSON. */
export function badValue(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'null';
  const json = jsonValue(v);
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN - 3)}...` : json;
}

const withDetail = (head: string, detail?: string) => (detail ? `${head}: ${detail}` : head);

export const required = (field: string, detail?: string): FieldError => ({
  field,
  message: withDetail('Required value', detail),
});

export const forbidden = (field: string, detail: string): FieldError => ({
  field,
  message: withDetail('Forbidden', detail),
});

export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  message: withDetail(`Invalid value: ${badValue(value)}`, detail),
});

export const duplicate = (field: string, value: unknown): FieldError => ({
  field,
  message: `Duplicate value: ${badValue(value)}`,
});

export const notFound = (field: string, value: unknown): FieldError => ({
  field,
  message: `Not found: ${badValue(value)}`,
});

/** `Unsupported value: "x": supported values: "a", "b"` (the list in the order given). */
export const notSupported = (
  field: string,
  value: unknown,
  supported: readonly string[],
  detail?: string,
): FieldError => ({
  field,
  message: withDetail(
    `Unsupported value: ${badValue(value)}`,
    detail ?? (supported.length ? `supported values: ${supported.map(goQuote).join(', ')}` : ''),
  ),
});

export const tooLong = (field: string, max: number): FieldError => ({
  field,
  message: `Too long: may not be more than ${max} byte${max === 1 ? '' : 's'}`,
});

/** The line Kubernetes prints for a field error: `<field>: <message>`. */
export const fieldErrorText = (
  e: FieldError,
): string => (e.field ? `${e.field}: ${e.message}` : e.message);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** A value of the wrong JSON type: `Invalid value: "3": expected int32, got string`. */
export const typeError = (field: string, value: unknown, expected: string): FieldError => ({
  field,
  message: `Invalid value: ${badValue(value)}: expected ${expected}, got ${typeName(value)}`,
});
