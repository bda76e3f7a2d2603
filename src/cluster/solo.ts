// Membership and transport of a node that is alone: the node is its only member and there is no
// one to talk to. Used by single-node tests; a real node always runs SWIM membership.

import type { Member, MembershipLike, MemberState, MessageHandler, NodeMeta, PeerMessage, Transport } from './types.ts';
import { StarlingError } from '../errors.ts';

export class SoloMembership implements MembershipLike {
  private me: Member;
  private listeners = new Set<(m: Member, previous: MemberState | undefined) => void>();
  constructor(name: string, meta: NodeMeta, now: () => number) {
    this.me = { name, incarnation: 0, state: 'alive', meta, since: now() };
  }
  async start() {}
  async leave() {
    const prev = this.me.state;
    this.me = { ...this.me, state: 'left' };
    for (const l of this.listeners) l(this.me, prev);
  }
  stop() {}
  members() {
    return [this.me];
  }
  onChange(listener: (m: Member, previous: MemberState | undefined) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  updateMeta(meta: NodeMeta) {
    this.me = { ...this.me, meta, incarnation: this.me.incarnation + 1 };
    for (const l of this.listeners) l(this.me, this.me.state);
  }
}

export class SoloTransport implements Transport {
  constructor(readonly self: string) {}
  send(_to: string, _msg: PeerMessage) {}
  request(to: string): Promise<PeerMessage> {
    return Promise.reject(new StarlingError('RuntimeUnavailable', `no route to ${to}: this node is alone`));
  }
  onMessage(_h: MessageHandler) {}
  setAddress() {}
  async close() {}
}
