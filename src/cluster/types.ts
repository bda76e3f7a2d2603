// Contracts of the cluster layer. See README.md in this folder for the words.

/** A peer-protocol message (msgpack). `t` names its type; types are append-only. */
export interface PeerMessage {
  t: string;
  [field: string]: unknown;
}

export type MessageHandler = (from: string, msg: PeerMessage, reply?: (m: PeerMessage) => void) => void;

/**
 * How members talk. Addresses are `HOST:PORT`; members are addressed by node name once the
 * address book knows them (setAddress). Two implementations: WsTransport (WebSocket on the
 * node's port, path /peer, every link authenticated with the cluster secret) and the in-memory
 * MemoryNetwork (latency, drops and partitions, for tests). Never a module global.
 */
export interface Transport {
  /** this node's name */
  readonly self: string;
  /** Best effort: may be dropped; never throws. */
  send(to: string, msg: PeerMessage): void;
  /** Optional: `send` to several members with the message encoded once. */
  sendMany?(to: readonly string[], msg: PeerMessage): void;
  /** Request and reply; rejects with a StarlingError coded RuntimeUnavailable on timeout or when the peer is unreachable. */
  request(to: string, msg: PeerMessage, timeoutMs: number): Promise<PeerMessage>;
  /** One handler receives every message; `reply` is set when the sender used request(). */
  onMessage(handler: MessageHandler): void;
  /** The address of a member (name → HOST:PORT). */
  setAddress(name: string, addr: string): void;
  close(): Promise<void>;
}

/** What a member tells the others about itself (gossiped with its membership entry). */
export interface NodeMeta {
  /** HOST:PORT of its API and peer port */
  addr: string;
  /** allocatable CPU, millicores */
  cpuMillis: number;
  /** allocatable memory, bytes */
  memoryBytes: number;
  runtime: 'docker' | 'sim';
  version: string;
  labels: Record<string, string>;
  /** cordoned: no new pods */
  unschedulable: boolean;
  /** when the node first joined (ISO) */
  joinedAt: string;
}

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Member {
  name: string;
  incarnation: number;
  state: MemberState;
  meta: NodeMeta;
  /** local time (ms) of the last state change, for suspicion timeouts and display */
  since: number;
}

/** What a node needs from membership (src/cluster/membership.ts; SoloMembership for one node). */
export interface MembershipLike {
  start(seeds: { name: string; addr: string }[]): Promise<void>;
  /** graceful: the others mark this member `left` */
  leave(): Promise<void>;
  stop(): void | Promise<void>;
  /** every known member, this one included */
  members(): Member[];
  onChange(listener: (m: Member, previous: MemberState | undefined) => void): () => void;
  updateMeta(meta: NodeMeta): void;
}
