// Canonical JSON: object keys sorted and undefined members left out, so values that are equal
// whatever their key order give equal strings (comparisons, template hashes).

export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Orders strings by their UTF-16 code units, as Kubernetes lists come back (in key order), not by
 * locale: localeCompare pulls ICU's collation tables into a node's memory (about 2 MB).
 */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Objects in list order: by namespace, then by name (the order of their keys). */
export const compareByNamespaceAndName = (
  a: { metadata: { namespace?: string; name: string } },
  b: { metadata: { namespace?: string; name: string } },
): number => compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compareText(a.metadata.name, b.metadata.name);
