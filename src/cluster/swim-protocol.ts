// The membership wire protocol: message types (append-only), the version field, and parsing of
// what arrives (anything malformed is dropped, never thrown).
//
// Every membership message is a PeerMessage `{ t, v, ... }` with `t` starting with `swim.` and `v`
// the sender's protocol version. A receiver ignores a type it does not know and a version below
// MIN_PROTOCOL_VERSION; fields it does not know are ignored, so newer senders stay compatible.

import type { MemberState, NodeMeta, PeerMessage } from './types.ts';

/** The version this code speaks. Bump when a message gains a field older peers must not miss. */
export const PROTOCOL_VERSION = 1;
/** The oldest version this code still understands. */
export const MIN_PROTOCOL_VERSION = 1;

/**
 * Message types. APPEND-ONLY: never rename, renumber or reuse one; add new ones at the end.
 *
 * | type             | sent with        | fields                                              |
 * |------------------|------------------|-----------------------------------------------------|
 * | swim.ping        | send             | seq, to (the target's name), u                      |
 * | swim.ack         | send             | seq (of the ping or ping-req it answers), u         |
 * | swim.ping-req    | send             | seq, target, addr (target's HOST:PORT), u           |
 * | swim.gossip      | send             | u                                                   |
 * | swim.push-pull   | request          | join (true on a join), state (every member we know) |
 * | swim.state       | reply            | state (the answer to a push-pull)                   |
 *
 * `u` is a list of updates (WireUpdate) piggy-backed from the broadcast queue.
 */
export const MSG = {
  ping: 'swim.ping',
  ack: 'swim.ack',
  pingReq: 'swim.ping-req',
  gossip: 'swim.gossip',
  pushPull: 'swim.push-pull',
  state: 'swim.state',
} as const;

export const MSG_PREFIX = 'swim.';

/** At most this many updates ride on one message (memberlist fits what a UDP packet holds). */
export const MAX_UPDATES_PER_MESSAGE = 16;

/**
 * One member's state on the wire: name, state, incarnation, meta (always on alive and in full
 * state), and for suspect and dead the member that first declared it (so a refutation can go
 * straight to it).
 */
export interface WireUpdate {
  n: string;
  s: MemberState;
  i: number;
  m?: NodeMeta;
  f?: string;
}

/** Whether a message belongs to the membership protocol (for a node that multiplexes one transport). */
export function isMembershipMessage(msg: PeerMessage): boolean {
  return typeof msg?.t === 'string' && msg.t.startsWith(MSG_PREFIX);
}

/** Whether we can read this message's version. */
export function versionOk(msg: PeerMessage): boolean {
  return typeof msg.v === 'number' && msg.v >= MIN_PROTOCOL_VERSION;
}

const states = new Set<string>(['alive', 'suspect', 'dead', 'left']);

function isMeta(x: unknown): x is NodeMeta {
  if (!x || typeof x !== 'object') return false;
  const m = x as Record<string, unknown>;
  return typeof m.addr === 'string' && typeof m.unschedulable === 'boolean' &&
    typeof m.cpuMillis === 'number' && typeof m.memoryBytes === 'number' &&
    !!m.labels && typeof m.labels === 'object';
}

/** The valid updates of a received list (invalid entries are skipped); at most `max`. */
export function parseUpdates(x: unknown, max = MAX_UPDATES_PER_MESSAGE): WireUpdate[] {
  if (!Array.isArray(x)) return [];
  const out: WireUpdate[] = [];
  for (const u of x) {
    if (out.length >= max) break;
    if (!u || typeof u !== 'object') continue;
    const { n, s, i, m, f } = u as Record<string, unknown>;
    if (typeof n !== 'string' || n === '' || typeof s !== 'string' || !states.has(s)) continue;
    if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0) continue;
    if (m !== undefined && !isMeta(m)) continue;
    if (s === 'alive' && m === undefined) continue;
    const w: WireUpdate = { n, s: s as MemberState, i };
    if (m !== undefined) w.m = m;
    if (typeof f === 'string' && f !== '') w.f = f;
    out.push(w);
  }
  return out;
}

/** A sequence number as received (a non-negative integer), or undefined. */
export function parseSeq(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : undefined;
}
