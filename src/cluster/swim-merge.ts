// The incarnation rules of SWIM (and memberlist): which update about a member wins, and when a
// member must refute what it hears about itself. Pure; tested by table in membership-merge.test.ts.
//
// Updates are ordered by (incarnation, precedence of state): alive < suspect < dead < left.
// An update replaces what we hold iff it is strictly greater. That gives exactly:
//   alive(i)   overrides suspect(j), dead(j), left(j)   iff i > j
//   suspect(i) overrides alive(j)                       iff i >= j
//   dead(i)    overrides alive(j), suspect(j)           iff i >= j
//   left(i)    overrides alive(j), suspect(j), dead(j)  iff i >= j   (left is terminal for its incarnation)
// and, in general, any claim at a higher incarnation replaces any claim at a lower one,
// and an update equal to what we hold changes nothing (duplicates are ignored, not re-gossiped).

import type { MemberState } from './types.ts';

export interface Incarnated {
  state: MemberState;
  incarnation: number;
}

const precedence: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/**
 * Whether `update` about another member replaces `current` (what we hold about it). An unknown
 * member (current undefined) is always taken; the caller needs the member's meta to add it.
 */
export function supersedes(update: Incarnated, current: Incarnated | undefined): boolean {
  if (!current) return true;
  if (update.incarnation !== current.incarnation) return update.incarnation > current.incarnation;
  return precedence[update.state] > precedence[current.state];
}

/**
 * Whether a member must refute an update about itself. It refutes any suspect, dead or left
 * claim at or above its own incarnation (unless it is leaving), an alive claim above its own (a
 * previous life of the same name), and an alive claim at its own incarnation with different meta
 * (also a previous life). Below its own incarnation every claim is stale and ignored.
 */
export function mustRefute(
  update: Incarnated,
  self: { incarnation: number; leaving: boolean },
  sameMeta: boolean,
): boolean {
  if (self.leaving) return false;
  if (update.incarnation < self.incarnation) return false;
  if (update.state !== 'alive') return true;
  return update.incarnation > self.incarnation || !sameMeta;
}

/** The incarnation a member refutes with: above both its own and the claim's. */
export function refuteIncarnation(own: number, claimed: number): number {
  return Math.max(own, claimed) + 1;
}

/**
 * How an entry of a remote full state (push-pull) is taken about a member we already know: a
 * remote `dead` becomes `suspect`, so we do not declare a member dead on another's word alone —
 * it gets a suspicion timeout in which to refute (memberlist's mergeState). Members we do not
 * know yet are taken as they are.
 */
export function fromPushPull(state: MemberState, known: boolean): MemberState {
  return known && state === 'dead' ? 'suspect' : state;
}
