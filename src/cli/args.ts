// A small argument parser with kubectl's habits: `-n NS`, `--namespace=NS`, `-o wide`,
// `-owide`, boolean flags, and everything after `--` kept as is.

import { StarlingError } from '../errors.ts';

export interface FlagSpec {
  /** long name → short alias */
  short?: string;
  /** takes a value */
  value?: boolean;
  /** may be given several times */
  repeat?: boolean;
}

export interface Parsed {
  positional: string[];
  flags: Record<string, string | boolean | string[]>;
  /** words after `--` */
  rest: string[];
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const out: Parsed = { positional: [], flags: {}, rest: [] };
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([long, s]) => [s.short!, long]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq > 0 ? a.slice(eq + 1) : undefined;
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const long = byShort.get(a[1]);
      if (!long) throw new StarlingError('BadRequest', `unknown shorthand flag: '${a[1]}' in ${a}`);
      name = long;
      inline = a.length > 2 ? a.slice(2).replace(/^=/, '') : undefined;
    } else {
      out.positional.push(a);
      continue;
    }
    const s = spec[name];
    if (!s) throw new StarlingError('BadRequest', `unknown flag: --${name}`);
    let v: string | boolean = true;
    if (s.value) {
      v = inline ?? argv[++i];
      if (v === undefined) throw new StarlingError('BadRequest', `flag needs an argument: --${name}`);
    } else if (inline !== undefined) {
      v = inline !== 'false';
    }
    if (s.repeat) out.flags[name] = [...((out.flags[name] as string[]) ?? []), String(v)];
    else out.flags[name] = v;
  }
  return out;
}

export const flagStr = (p: Parsed, name: string): string | undefined => {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
};
