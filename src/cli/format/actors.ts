// `starling actors`: Starling's own view of the actors behind objects — a kubectl-style table, and
// a describe-style detail view with an actor's recent state transitions.

import { compareText } from '../../../actors/canonical.ts';
import { formatAge, formatRFC1123Z, parseTime } from './age.ts';
import { LEVEL_0, LEVEL_1, PrefixWriter } from './describe-writer.ts';
import { renderTable } from './table.ts';

export interface ActorTransition {
  /** The event that caused the transition (e.g. `BIND`, `CONTAINER_STARTED`). */
  event: string;
  from: string;
  to: string;
  /** ISO 8601 time of the transition. */
  at: string;
}

export interface ActorRecord {
  kind: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
  /** The node hosting the actor. */
  node: string;
  /** Current state value. */
  state: string;
  /** ISO 8601 time the actor entered `state`. */
  since: string;
  transitions?: ActorTransition[];
}

export const ACTOR_HEADERS = ['KIND', 'NAMESPACE', 'NAME', 'NODE', 'STATE', 'SINCE'];

const orNone = (s: string | undefined): string => (s ? s : '<none>');

/** One table row; an empty namespace or node shows as `<none>`. */
export function actorRow(a: ActorRecord, now: number): string[] {
  return [a.kind, orNone(a.namespace), a.name, orNone(a.node), a.state, formatAge(a.since, now)];
}

/**
 * The `starling actors` table (KIND, NAMESPACE, NAME, NODE, STATE, SINCE), sorted by kind,
 * namespace and name. Empty input renders as `''`.
 */
export function actorsTable(actors: ActorRecord[], now: number, opts: { noHeaders?: boolean } = {}): string {
  if (actors.length === 0) return '';
  const sorted = [...actors].sort((a, b) =>
    compareText(a.kind, b.kind) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name)
  );
  return renderTable(opts.noHeaders ? [] : ACTOR_HEADERS, sorted.map((a) => actorRow(a, now)));
}

/**
 * One actor in detail: its identity and state, then its most recent transitions (oldest first,
 * at most `limit`, default 20) as `TIME  EVENT  FROM -> TO`, TIME being ISO 8601 and its age.
 */
export function actorDetail(actor: ActorRecord, now: number, opts: { limit?: number } = {}): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Kind:\t${actor.kind}\n`);
  w.write(LEVEL_0, `Namespace:\t${orNone(actor.namespace)}\n`);
  w.write(LEVEL_0, `Name:\t${actor.name}\n`);
  w.write(LEVEL_0, `Node:\t${orNone(actor.node)}\n`);
  w.write(LEVEL_0, `State:\t${actor.state}\n`);
  w.write(LEVEL_0, `Since:\t${formatRFC1123Z(actor.since)} (${formatAge(actor.since, now)} ago)\n`);
  const limit = opts.limit ?? 20;
  const all = [...(actor.transitions ?? [])].sort((a, b) => (parseTime(a.at) ?? 0) - (parseTime(b.at) ?? 0));
  const recent = limit > 0 ? all.slice(-limit) : all;
  if (recent.length === 0) {
    w.write(LEVEL_0, 'Transitions:\t<none>\n');
    return w.toString();
  }
  const omitted = all.length - recent.length;
  w.write(LEVEL_0, `Transitions:${omitted > 0 ? `\t(last ${recent.length} of ${all.length})` : ''}\n`);
  w.write(LEVEL_1, 'TIME\tAGE\tEVENT\tFROM -> TO\n');
  w.write(LEVEL_1, '----\t---\t-----\t----------\n');
  for (const t of recent) {
    w.write(LEVEL_1, `${t.at}\t${formatAge(t.at, now)}\t${t.event}\t${t.from} -> ${t.to}\n`);
  }
  return w.toString();
}
