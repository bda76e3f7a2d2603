// Just enough of Kubernetes resource quantities (`500m`, `2`, `128Mi`, `1G`) for describe's
// sums and percentages: parse to a number, add, and print back in a canonical form.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** The value of a quantity (`500m` → 0.5, `128Mi` → 134217728); undefined when unparsable. */
export function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return q;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** Whether a quantity is written with a binary suffix (Ki, Mi, ...). */
export function isBinaryQuantity(q: string | number | undefined | null): boolean {
  return typeof q === 'string' && /(Ki|Mi|Gi|Ti|Pi|Ei)$/.test(q.trim());
}

/**
 * Prints a value as Quantity.String() would: the largest suffix that keeps an integer, binary
 * (`192Mi`) when `binary`, else decimal (`1500m`, `2`, `3G`).
 */
export function formatQuantity(value: number, binary = false): string {
  if (value === 0) return '0';
  const sign = value < 0 ? '-' : '';
  const v = Math.abs(value);
  if (binary && Number.isInteger(v)) {
    for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
      if (v >= BINARY[s] && v % BINARY[s] === 0) return `${sign}${v / BINARY[s]}${s}`;
    }
    return `${sign}${v}`;
  }
  if (Number.isInteger(v)) {
    for (const [s, f] of [['E', 1e18], ['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
      if (v >= f && v % f === 0) return `${sign}${v / f}${s}`;
    }
    return `${sign}${v}`;
  }
  // Fractions: milli, micro or nano units.
  const nanos = Math.round(v * 1e9);
  for (const [s, f] of [['m', 1e6], ['u', 1e3]] as const) {
    if (nanos % f === 0) return `${sign}${nanos / f}${s}`;
  }
  return `${sign}${nanos}n`;
}
