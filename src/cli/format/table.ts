// kubectl's human-readable table: upper-case headers, columns padded to the widest cell plus
// three spaces (at least six wide), no trailing spaces, one line per row.

import { GET_TABWRITER, tabwrite } from './tabwriter.ts';

/** A table cell must stay on one line and must not contain the column separator. */
function cleanCell(cell: string): string {
  return String(cell ?? '').replace(/\r?\n/g, ' ').replace(/\t/g, ' ');
}

/**
 * Renders rows under upper-cased headers, aligned like kubectl. Pass `[]` as headers to print
 * rows only (`--no-headers`). The result ends with a newline, or is empty when there is nothing.
 */
export function renderTable(headers: string[], rows: string[][]): string {
  const lines: string[] = [];
  if (headers.length > 0) lines.push(headers.map((h) => cleanCell(h).toUpperCase()).join('\t'));
  for (const row of rows) lines.push(row.map(cleanCell).join('\t'));
  if (lines.length === 0) return '';
  return tabwrite(lines.join('\n') + '\n', GET_TABWRITER);
}

/**
 * kubectl's message (on stderr) when a list is empty: `No resources found in <ns> namespace.` for
 * a namespaced list, `No resources found` for all namespaces or cluster-scoped kinds.
 */
export function noResourcesFound(namespace?: string): string {
  return namespace ? `No resources found in ${namespace} namespace.` : 'No resources found';
}

/** Puts a NAMESPACE column first (the `-A` / `--all-namespaces` layout). */
export function withNamespaceColumn(
  headers: string[],
  rows: string[][],
  namespaces: (string | undefined)[],
): { headers: string[]; rows: string[][] } {
  return {
    headers: ['NAMESPACE', ...headers],
    rows: rows.map((row, i) => [namespaces[i] ?? '', ...row]),
  };
}
