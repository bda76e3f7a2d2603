// Label and label-selector strings as kubectl prints them (k8s.io/apimachinery labels.Selector
// String(), metav1.FormatLabelSelector, labels.FormatLabels).

import type { LabelSelector, LabelSelectorRequirement, Labels } from '../../objects/types.ts';
import { compareText } from '../../../actors/canonical.ts';

function requirementString(r: LabelSelectorRequirement): string | undefined {
  const values = [...(r.values ?? [])].sort(compareText);
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) return undefined; // invalid: In/NotIn need values
      return `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    default:
      return undefined;
  }
}

/**
 * The selector as `labels.Selector.String()`: requirements sorted by key, matchLabels as `k=v`,
 * matchExpressions as `k in (a,b)`, `k notin (a)`, `k`, `!k`; joined by commas. An empty or
 * missing selector is `''`; an invalid one is `undefined`.
 */
export function selectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    reqs.push({ key, text: `${key}=${value}` });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const text = requirementString(expr);
    if (text === undefined) return undefined;
    reqs.push({ key: expr.key, text });
  }
  return reqs.sort((a, b) => compareText(a.key, b.key)).map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: like selectorString, but `<none>` when empty and `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  const s = selectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Labels | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort(compareText);
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/** Whether labels satisfy a selector (an empty selector matches everything, a missing one nothing). */
export function selectorMatches(
  selector: LabelSelector | undefined | null,
  labels: Labels | undefined | null,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
