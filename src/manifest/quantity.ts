// Kubernetes resource quantities (apimachinery pkg/api/resource): `500m`, `0.5`, `128Mi`, `1G`,
// `1e3`. The scanner follows Kubernetes' parseQuantityString, so the same inputs are accepted and
// refused with the same messages. Values are kept exactly, as an integer number of
// milli-units (bigint), rounded up (away from zero) to a whole milli-unit as Kubernetes does.

import { StarlingError } from '../errors.ts';

/** Kubernetes' ErrFormatWrong text. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** Kubernetes' ErrSuffix text. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
/** Kubernetes' ErrNumeric text. */
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in thousandths (cpu: millicores; memory: milli-bytes), exact. */
  milli: bigint;
  /** The text as given (numbers from YAML are turned into their decimal text). */
  text: string;
  /** How the quantity was written, which decides how Kubernetes would print it. */
  format: QuantityFormat;
}

/** No quantity exceeds 2^63-1 in magnitude; larger values are capped, as in Kubernetes. */
const MAX_VALUE = (1n << 63n) - 1n;
const MAX_MILLI = MAX_VALUE * 1000n;
/** Inputs longer than this are refused outright (no real quantity comes close). */
const MAX_TEXT = 128;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

function fail(message: string, value: string): never {
  throw new StarlingError('Invalid', message, { value });
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** The scanner of Kubernetes' parseQuantityString: sign, digits, optional fraction, suffix. */
function scan(str: string): { negative: boolean; num: string; denom: string; suffix: string } {
  let pos = 0;
  const end = str.length;
  let negative = false;
  if (str[0] === '-') {
    negative = true;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++; // leading zeros
  const numStart = pos;
  while (pos < end && isDigit(str[pos])) pos++;
  const num = str.slice(numStart, pos) || '0';
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    const denomStart = pos;
    while (pos < end && isDigit(str[pos])) pos++;
    denom = str.slice(denomStart, pos);
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos])) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) fail(QUANTITY_FORMAT_ERROR, str);
  return { negative, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(
  suffix: string,
): { base: 10 | 2; exponent: number; format: QuantityFormat } | undefined {
  if (suffix in DECIMAL_SUFFIXES) {
    return { base: 10, exponent: DECIMAL_SUFFIXES[suffix], format: 'DecimalSI' };
  }
  if (suffix in BINARY_SUFFIXES) {
    return { base: 2, exponent: BINARY_SUFFIXES[suffix], format: 'BinarySI' };
  }
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const exp = suffix.slice(1);
    if (/^[-+]?[0-9]+$/.test(exp)) {
      const n = Number(exp);
      if (Number.isSafeInteger(n) && Math.abs(n) <= 2 ** 31) {
        return { base: 10, exponent: n, format: 'DecimalExponent' };
      }
    }
  }
  return undefined;
}

/**
 * Parses a quantity given as text or as a YAML/JSON number. Throws StarlingError('Invalid') with
 * Kubernetes' wording for malformed input. Negative values parse (validation refuses them where
 * they are not allowed, see `quantityErrors`).
 */
export function parseQuantity(value: string | number): Quantity {
  let str: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(QUANTITY_FORMAT_ERROR, String(value));
    str = numberText(value);
  } else if (typeof value === 'string') {
    str = value.trim(); // JSON decoding trims surrounding spaces in Kubernetes too
  } else {
    fail(QUANTITY_FORMAT_ERROR, String(value));
  }
  if (str.length === 0 || str.length > MAX_TEXT) fail(QUANTITY_FORMAT_ERROR, str);
  const { negative, num, denom, suffix } = scan(str);
  const kind = interpretSuffix(suffix);
  if (!kind) fail(QUANTITY_SUFFIX_ERROR, str);

  // value = (num.denom) × base^exponent; milli = value × 1000, rounded up to an integer.
  const digits = BigInt(num + denom);
  let milli: bigint;
  if (digits === 0n) {
    milli = 0n;
  } else {
    let numerator = digits;
    let denominator = 1n;
    let pow10 = 3 - denom.length; // ×1000 for milli, ÷10^len(denom) for the fraction
    if (kind.base === 10) pow10 += kind.exponent;
    else numerator <<= BigInt(kind.exponent);
    // Cap absurd magnitudes before building huge integers (2^63 × 1000 < 10^23).
    const magnitude = num.replace(/^0+/, '').length + pow10;
    if (magnitude > 40) {
      milli = MAX_MILLI;
    } else if (pow10 < -(num.length + denom.length + 1)) {
      milli = 1n; // below one milli-unit: rounds up to 1m
    } else {
      if (pow10 >= 0) numerator *= 10n ** BigInt(pow10);
      else denominator = 10n ** BigInt(-pow10);
      milli = (numerator + denominator - 1n) / denominator; // round up
      if (milli > MAX_MILLI) milli = MAX_MILLI;
    }
  }
  return { milli: negative ? -milli : milli, text: str, format: kind.format };
}

/** Decimal text of a JS number without exponent notation where possible (0.5 → "0.5"). */
function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // e.g. 1e-7 or 1e+21: Kubernetes accepts exponent notation, so keep it.
  return s.replace('e+', 'e');
}

function asQuantity(q: Quantity | string | number): Quantity {
  return typeof q === 'object' ? q : parseQuantity(q);
}

/** Milli-units as a number: cpu '500m' → 500, '0.5' → 500, 1 → 1000, '2' → 2000. */
export function toMilli(q: Quantity | string | number): number {
  return Number(asQuantity(q).milli);
}

/** Whole units, rounded up: memory '128Mi' → 134217728, '1G' → 1e9, '1e3' → 1000. */
export function toBytes(q: Quantity | string | number): number {
  const m = asQuantity(q).milli;
  const whole = m >= 0n ? (m + 999n) / 1000n : -((-m + 999n) / 1000n);
  return Number(whole);
}

/** Whether a value is a well-formed quantity (sign not considered). */
export function isQuantity(value: unknown): boolean {
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  try {
    parseQuantity(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validation messages for a resource quantity (Kubernetes' ValidateNonnegativeQuantity): the
 * parse error, or `must be greater than or equal to 0` for negative values. Empty when valid.
 */
export function quantityErrors(value: unknown): string[] {
  if (typeof value !== 'string' && typeof value !== 'number') return [QUANTITY_FORMAT_ERROR];
  try {
    const q = parseQuantity(value);
    return q.milli < 0n ? ['must be greater than or equal to 0'] : [];
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}

/** cpu for display: 500 → '500m', 2000 → '2', 1500 → '1500m'. */
export function formatCpu(milli: number): string {
  const m = Math.ceil(milli);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

const BINARY_UNITS: Array<[string, number]> = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const DECIMAL_UNITS: Array<[string, number]> = [
  ['E', 1e18],
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
];

/**
 * Bytes for display: the largest binary suffix that divides exactly ('128Mi', '1Gi', '1536Mi'),
 * else the largest decimal suffix that does ('1G', '100M'), else the plain number.
 */
export function formatBytes(bytes: number): string {
  const b = Math.ceil(bytes);
  if (b === 0) return '0';
  for (const [suffix, size] of BINARY_UNITS) {
    if (Math.abs(b) >= size && b % size === 0) return `${b / size}${suffix}`;
  }
  for (const [suffix, size] of DECIMAL_UNITS) {
    if (Math.abs(b) >= size && b % size === 0) return `${b / size}${suffix}`;
  }
  return String(b);
}

/**
 * Kubernetes-like canonical text of a quantity, used when printing bad values in messages:
 * BinarySI stays binary when whole ('1.5Gi' → '1536Mi'), otherwise decimal ('0.5' → '500m',
 * '2000' → '2k'); DecimalExponent keeps its text.
 */
export function canonicalQuantity(q: Quantity | string | number): string {
  const quantity = asQuantity(q);
  if (quantity.format === 'DecimalExponent') return quantity.text;
  const m = quantity.milli;
  if (m % 1000n !== 0n) return `${m}m`;
  const whole = m / 1000n;
  if (whole === 0n) return '0';
  const abs = whole < 0n ? -whole : whole;
  if (quantity.format === 'BinarySI' && abs >= 1024n) {
    const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    let v = whole;
    let i = 0;
    while (i < units.length - 1 && v % 1024n === 0n) {
      v /= 1024n;
      i++;
    }
    return `${v}${units[i]}`;
  }
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let v = whole;
  let i = 0;
  while (i < units.length - 1 && v % 1000n === 0n) {
    v /= 1000n;
    i++;
  }
  return `${v}${units[i]}`;
}
