// Labels and label selectors: Kubernetes' key/value rules (apimachinery content.IsLabelKey /
// IsLabelValue, wording of Kubernetes 1.35), LabelSelector matching, kubectl's `-l` syntax and
// kubectl's SELECTOR column form.

import type { FieldError } from '../errors.ts';
import { StarlingError } from '../errors.ts';
import type { Labels, LabelSelector, LabelSelectorRequirement } from '../objects/types.ts';
import {
  byteLength,
  DNS1123_SUBDOMAIN_ERROR,
  DNS1123_SUBDOMAIN_FMT,
  DNS1123_SUBDOMAIN_MAX,
  regexError,
} from './names.ts';
import { forbidden, goQuote, invalid, required, typeError } from './messages.ts';

export const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
export const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
export const LABEL_VALUE_MAX = 63;
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

const QUALIFIED_NAME_ERROR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Label keys ("qualified names"): `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 bytes. */
export function isLabelKey(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) {
      errs.push('prefix part must be non-empty');
    } else {
      if (byteLength(prefix) > DNS1123_SUBDOMAIN_MAX) {
        errs.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX} bytes`);
      }
      if (!SUBDOMAIN_RE.test(prefix)) {
        errs.push(
          `prefix part ${
            regexError(DNS1123_SUBDOMAIN_ERROR, DNS1123_SUBDOMAIN_FMT, 'example.com')
          }`,
        );
      }
    }
  } else {
    return [
      `a valid label key ${
        regexError(QUALIFIED_NAME_ERROR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')
      } with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > LABEL_VALUE_MAX) {
    errs.push(`name part must be no more than ${LABEL_VALUE_MAX} bytes`);
  }
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part ${
        regexError(QUALIFIED_NAME_ERROR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')
      }`,
    );
  }
  return errs;
}

/** Label values: empty, or ≤ 63 bytes of alphanumerics, '-', '_', '.' starting/ending alphanumeric. */
export function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_VALUE_MAX) {
    errs.push(`must be no more than ${LABEL_VALUE_MAX} bytes`);
  }
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/**
 * Validates a label map (metadata.labels, matchLabels, nodeSelector). As in Kubernetes the error
 * path is the map itself and the bad value is the offending key or value.
 */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    return [invalid(path, labels, 'must be a map of string keys to string values')];
  }
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of isLabelKey(k)) errs.push(invalid(path, k, m));
    if (typeof v !== 'string') {
      errs.push(typeError(`${path}[${k}]`, v, 'string'));
      continue;
    }
    for (const m of isLabelValue(v)) errs.push(invalid(path, v, m));
  }
  return errs;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/**
 * Validates a LabelSelector at `path` (e.g. `spec.selector`). `strict` also checks each entry of
 * matchExpressions[].values as a label value, as Kubernetes does for Deployments and ReplicaSets.
 */
export function validateLabelSelector(sel: unknown, path: string, strict = true): FieldError[] {
  const errs: FieldError[] = [];
  if (sel === undefined || sel === null) return errs;
  if (typeof sel !== 'object' || Array.isArray(sel)) {
    return [invalid(path, sel, 'must be a label selector (matchLabels and/or matchExpressions)')];
  }
  const s = sel as Record<string, unknown>;
  errs.push(...validateLabels(s.matchLabels, `${path}.matchLabels`));
  if (s.matchExpressions === undefined || s.matchExpressions === null) return errs;
  if (!Array.isArray(s.matchExpressions)) {
    return [...errs, invalid(`${path}.matchExpressions`, s.matchExpressions, 'must be a list')];
  }
  s.matchExpressions.forEach((r: unknown, i: number) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      errs.push(invalid(p, r, 'must be a label selector requirement (key, operator, values)'));
      return;
    }
    const req = r as Record<string, unknown>;
    const values = req.values;
    const hasValues = Array.isArray(values) && values.length > 0;
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (!hasValues) {
          errs.push(
            required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (hasValues) {
          errs.push(
            forbidden(
              `${p}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        if (req.operator === undefined || req.operator === '') {
          errs.push(required(`${p}.operator`));
        } else errs.push(invalid(`${p}.operator`, req.operator, 'not a valid selector operator'));
    }
    if (typeof req.key !== 'string' || req.key === '') {
      errs.push(required(`${p}.key`));
    } else {
      for (const m of isLabelKey(req.key)) errs.push(invalid(`${p}.key`, req.key, m));
    }
    if (values !== undefined && values !== null && !Array.isArray(values)) {
      errs.push(invalid(`${p}.values`, values, 'must be a list of strings'));
    } else if (Array.isArray(values)) {
      values.forEach((v: unknown, j: number) => {
        if (typeof v !== 'string') {
          errs.push(invalid(`${p}.values[${j}]`, v, 'must be a string'));
        } else if (strict) {
          for (const m of isLabelValue(v)) errs.push(invalid(`${p}.values[${j}]`, v, m));
        }
      });
    }
  });
  return errs;
}

/** Whether a selector has no requirements at all (`{}`), which Kubernetes treats as "everything". */
export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 &&
    (sel.matchExpressions ?? []).length === 0;
}

/**
 * Whether labels satisfy a selector. As in Kubernetes (LabelSelectorAsSelector): a missing
 * selector (undefined/null) matches nothing, an empty selector `{}` matches everything; NotIn
 * and DoesNotExist match objects that lack the key.
 */
export function matchesSelector(
  labels: Labels | undefined | null,
  selector: LabelSelector | undefined | null,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(l, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(k) || l[k] !== v) return false;
  }
  for (const r of selector.matchExpressions ?? []) {
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has(r.key) || !values.includes(l[r.key])) return false;
        break;
      case 'NotIn':
        if (has(r.key) && values.includes(l[r.key])) return false;
        break;
      case 'Exists':
        if (!has(r.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(r.key)) return false;
        break;
      default:
        return false; // an invalid operator matches nothing
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// kubectl's `-l` syntax (apimachinery labels.Parse):
//   selector    := requirement (',' requirement)*
//   requirement := ['!'] KEY | KEY ('=' | '==' | '!=') VALUE | KEY ('in' | 'notin') '(' VALUES ')'
// The empty string selects everything.

type Tok =
  | { t: 'id'; v: string; at: number }
  | { t: 'op'; v: '=' | '==' | '!=' | '!' | ',' | '(' | ')' | '<' | '>'; at: number }
  | { t: 'end'; at: number };

const ID_CHAR = /[^\s,()=!<>]/;

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '=' && s[i + 1] === '=') {
      out.push({ t: 'op', v: '==', at: i });
      i += 2;
    } else if (c === '!' && s[i + 1] === '=') {
      out.push({ t: 'op', v: '!=', at: i });
      i += 2;
    } else if ('=!,()<>'.includes(c)) {
      out.push({ t: 'op', v: c as '=' | '!' | ',' | '(' | ')' | '<' | '>', at: i });
      i++;
    } else {
      const start = i;
      while (i < s.length && ID_CHAR.test(s[i])) i++;
      out.push({ t: 'id', v: s.slice(start, i), at: start });
    }
  }
  out.push({ t: 'end', at: s.length });
  return out;
}

function selectorError(input: string, detail: string): StarlingError {
  return new StarlingError('Invalid', `unable to parse selector ${goQuote(input)}: ${detail}`, {
    selector: input,
  });
}

const describe = (t: Tok) => (t.t === 'end' ? 'end of string' : `'${t.v}'`);

/**
 * Parses kubectl's label selector syntax (`app=web,tier!=db,env in (a,b),!legacy`) into a
 * LabelSelector. `=`/`==` become matchLabels (or an In requirement when the key repeats),
 * `!=` becomes NotIn, `key`/`!key` become Exists/DoesNotExist. Throws StarlingError('Invalid')
 * naming the problem. Set-based `<`/`>` comparisons are refused (LabelSelector has no such
 * operator).
 */
export function parseSelectorString(input: string): LabelSelector {
  const toks = lex(input);
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const matchLabels: Labels = {};
  const matchExpressions: LabelSelectorRequirement[] = [];

  const key = (): string => {
    const t = next();
    if (t.t !== 'id') throw selectorError(input, `found ${describe(t)}, expected: identifier`);
    const errs = isLabelKey(t.v);
    if (errs.length) throw selectorError(input, `invalid label key ${goQuote(t.v)}: ${errs[0]}`);
    return t.v;
  };
  const value = (allowEmpty: boolean): string => {
    const t = peek();
    if (t.t !== 'id') {
      if (allowEmpty) return '';
      throw selectorError(input, `found ${describe(t)}, expected: identifier`);
    }
    next();
    const errs = isLabelValue(t.v);
    if (errs.length) throw selectorError(input, `invalid label value ${goQuote(t.v)}: ${errs[0]}`);
    return t.v;
  };

  if (peek().t === 'end') return {};
  for (;;) {
    const t = peek();
    if (t.t === 'op' && t.v === '!') {
      next();
      matchExpressions.push({ key: key(), operator: 'DoesNotExist' });
    } else {
      const k = key();
      const op = peek();
      if (op.t === 'end' || (op.t === 'op' && op.v === ',')) {
        matchExpressions.push({ key: k, operator: 'Exists' });
      } else if (op.t === 'op' && (op.v === '=' || op.v === '==')) {
        next();
        const v = value(true);
        if (k in matchLabels && matchLabels[k] !== v) {
          matchExpressions.push({ key: k, operator: 'In', values: [v] });
        } else matchLabels[k] = v;
      } else if (op.t === 'op' && op.v === '!=') {
        next();
        matchExpressions.push({ key: k, operator: 'NotIn', values: [value(true)] });
      } else if (op.t === 'id' && (op.v === 'in' || op.v === 'notin')) {
        next();
        const open = next();
        if (!(open.t === 'op' && open.v === '(')) {
          throw selectorError(input, `found ${describe(open)}, expected: '('`);
        }
        const values: string[] = [];
        if (peek().t === 'op' && (peek() as { v: string }).v === ')') {
          throw selectorError(input, `for 'in', 'notin' operators, values set can't be empty`);
        }
        for (;;) {
          values.push(value(true));
          const sep = next();
          if (sep.t === 'op' && sep.v === ')') break;
          if (!(sep.t === 'op' && sep.v === ',')) {
            throw selectorError(input, `found ${describe(sep)}, expected: ',' or ')'`);
          }
        }
        matchExpressions.push({
          key: k,
          operator: op.v === 'in' ? 'In' : 'NotIn',
          values: [...new Set(values)].sort(),
        });
      } else if (op.t === 'op' && (op.v === '<' || op.v === '>')) {
        throw selectorError(input, `operator '${op.v}' (numeric comparison) is not supported`);
      } else {
        throw selectorError(
          input,
          `found ${describe(op)}, expected: '=', '==', '!=', 'in', 'notin', ',' or end of string`,
        );
      }
    }
    const sep = next();
    if (sep.t === 'end') break;
    if (!(sep.t === 'op' && sep.v === ',')) {
      throw selectorError(input, `found ${describe(sep)}, expected: ',' or end of string`);
    }
  }
  const sel: LabelSelector = {};
  if (Object.keys(matchLabels).length) sel.matchLabels = matchLabels;
  if (matchExpressions.length) sel.matchExpressions = matchExpressions;
  return sel;
}

/** A predicate over labels for a `-l` selector string (the empty string matches everything). */
export function selectorMatcher(input: string): (labels: Labels | undefined) => boolean {
  const sel = parseSelectorString(input);
  return (labels) => matchesSelector(labels, sel);
}

/**
 * kubectl's SELECTOR column (metav1.FormatLabelSelector): requirements sorted by key,
 * `k=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`; `<none>` for a missing or empty selector.
 */
export function selectorToString(sel: LabelSelector | undefined | null): string {
  if (!sel) return '<none>';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push({ key: k, text: `${k}=${v}` });
  }
  for (const r of sel.matchExpressions ?? []) {
    const values = [...new Set(r.values ?? [])].sort().join(',');
    const text = r.operator === 'In'
      ? `${r.key} in (${values})`
      : r.operator === 'NotIn'
      ? `${r.key} notin (${values})`
      : r.operator === 'Exists'
      ? r.key
      : r.operator === 'DoesNotExist'
      ? `!${r.key}`
      : '<error>';
    reqs.push({ key: r.key, text });
  }
  if (reqs.length === 0) return '<none>';
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** Operators a LabelSelectorRequirement may use. */
export const SELECTOR_OPERATORS: readonly string[] = OPERATORS;
