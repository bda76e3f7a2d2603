// WsTransport: the members' Transport over WebSockets on each node's own port, path /peer.
//
// A link is opened lazily by the first send to a member (its address from setAddress) and is
// mutually authenticated with the cluster secret before anything else crosses it:
//
//   A → B   { t: 'hello', v: 1, from: A, to: B, nonce: na }
//   B → A   { t: 'challenge', v: 1, name: B, nonce: nb, proof: Pb }    Pb = linkProof('server')
//   A → B   { t: 'auth', proof: Pa }                                   only if Pb checks out
//   B → A   { t: 'ready' }                                             only if Pa checks out
//
// A peer that cannot prove it knows the secret is closed (4001) having received nothing but a
// challenge. After that both sides send data frames `{ id?, re?, msg }` (msgpack): `id` on a
// request, `re` on its reply. One link per pair serves both directions (the accepting side sends
// on it too); a link that fails is forgotten and the next send opens a new one.
//
// acceptPeerSocket / PeerEndpoint route a new /peer socket by its first frame: a join (join.ts)
// or a member hello (here).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { StarlingError } from '../errors.ts';
import { CLOSE, ConnError, FrameConn, handleJoin, type JoinServerOptions, PEER_PATH } from './join.ts';
import { isBytes, linkProof, linkProofKey, NONCE_BYTES, newNonce, PROOF_BYTES, peerPackr, proofsEqual } from './peer-auth.ts';
import type { MessageHandler, PeerMessage, Transport } from './types.ts';

export { PEER_PATH } from './join.ts';

export const LINK_PROTOCOL_VERSION = 1;
/** largest peer frame, bytes, unless the transport is told otherwise */
export const DEFAULT_PEER_FRAME_BYTES = 16 * 1024 * 1024;

export interface WsTransportOptions {
  /** this node's name */
  self: string;
  /** the cluster secret (from the join payload, or made at bootstrap) */
  clusterSecret: Uint8Array;
  /** largest frame sent or accepted, bytes. Default 16 MiB */
  maxFrameBytes?: number;
  log?(msg: string): void;
  /** bound on opening and authenticating a link, ms. Default 3000 */
  connectTimeoutMs?: number;
  /** frames kept per peer while its link is being opened; more are dropped. Default 64 */
  maxQueuedWhileConnecting?: number;
  /** a link whose socket has more than this many bytes unsent drops new frames. Default 8 MiB */
  maxBufferedBytes?: number;
  /** WebSocket ping period; a link with no pong or frame for one period is closed, ms. 0 = off. Default 5000 */
  pingIntervalMs?: number;
}

/** Frame counters, for benchmarks and tests. */
export interface TransportCounters {
  sentFrames: number;
  receivedFrames: number;
  sentBytes: number;
  receivedBytes: number;
  /** frames not sent or not delivered: link down, queue full, blocked, no handler */
  dropped: number;
  /** links this node opened and authenticated */
  linksOpened: number;
  /** links other nodes opened to this one and authenticated */
  linksAccepted: number;
  /** handshakes refused because a side could not prove it knows the cluster secret */
  authFailures: number;
  /** WebSocket pings sent (to links silent for a ping period) */
  pings: number;
}

interface Link {
  peer: string;
  conn: FrameConn;
  outbound: boolean;
  state: 'connecting' | 'open' | 'closed';
  /** encoded frames waiting for the link to open */
  queue: Uint8Array[];
  /** a pong or a frame since the last ping */
  alive: boolean;
  /** a frame since the last ping round: the link needs no ping this round */
  heard: boolean;
}

interface Pending {
  to: string;
  link?: Link;
  timer: ReturnType<typeof setTimeout>;
  resolve(m: PeerMessage): void;
  reject(e: Error): void;
}

const unavailable = (message: string, peer: string) => new StarlingError('RuntimeUnavailable', message, { peer });
const isMessage = (m: unknown): m is PeerMessage =>
  !!m && typeof m === 'object' && !Array.isArray(m) && typeof (m as PeerMessage).t === 'string';
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 253;

export class WsTransport implements Transport {
  readonly self: string;
  readonly maxFrameBytes: number;
  readonly counters: TransportCounters = {
    sentFrames: 0,
    receivedFrames: 0,
    sentBytes: 0,
    receivedBytes: 0,
    dropped: 0,
    linksOpened: 0,
    linksAccepted: 0,
    authFailures: 0,
    pings: 0,
  };
  private readonly key: Uint8Array;
  private readonly log: (msg: string) => void;
  private readonly connectTimeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxBuffered: number;
  /** the link each peer is sent to on */
  private links = new Map<string, Link>();
  /** every live link, including duplicates and ones still authenticating */
  private all = new Set<Link>();
  private handshaking = new Set<FrameConn>();
  private addrs = new Map<string, string>();
  private pending = new Map<number, Pending>();
  private blocked = new Set<string>();
  private lastFailure = new Map<string, string>();
  private handler?: MessageHandler;
  private nextId = 1;
  private closed = false;
  private pingTimer?: ReturnType<typeof setInterval>;

  constructor(opts: WsTransportOptions) {
    if (!isName(opts.self)) throw new StarlingError('Invalid', 'a transport needs the node name');
    if (!isBytes(opts.clusterSecret) || opts.clusterSecret.length < 16) {
      throw new StarlingError('Invalid', 'the cluster secret must be at least 16 bytes');
    }
    this.self = opts.self;
    this.key = linkProofKey(opts.clusterSecret);
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_PEER_FRAME_BYTES;
    this.log = opts.log ?? (() => {});
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    this.maxQueued = opts.maxQueuedWhileConnecting ?? 64;
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    const ping = opts.pingIntervalMs ?? 5000;
    if (ping > 0) this.pingTimer = setInterval(() => this.pingAll(), ping);
  }

  // ---- Transport ----

  send(to: string, msg: PeerMessage): void {
    if (this.closed) return;
    if (to === this.self) return this.deliverLocal(msg);
    if (this.blocked.has(to)) {
      this.counters.dropped++;
      return;
    }
    const frame = this.encode({ msg }, to);
    const link = frame && this.linkTo(to);
    if (!frame || !link || !this.write(link, frame)) this.counters.dropped++;
  }

  /** One message to several members, encoded once (a replication push goes to every member). */
  sendMany(to: readonly string[], msg: PeerMessage): void {
    if (this.closed || to.length === 0) return;
    let frame: Uint8Array | undefined | null = null;
    for (const peer of to) {
      if (peer === this.self) {
        this.deliverLocal(msg);
        continue;
      }
      if (this.blocked.has(peer)) {
        this.counters.dropped++;
        continue;
      }
      if (frame === null) frame = this.encode({ msg }, peer);
      const link = frame && this.linkTo(peer);
      if (!frame || !link || !this.write(link, frame)) this.counters.dropped++;
    }
  }

  request(to: string, msg: PeerMessage, timeoutMs: number): Promise<PeerMessage> {
    return new Promise<PeerMessage>((resolve, reject) => {
      if (this.closed) return reject(unavailable(`the transport of ${this.self} is closed`, to));
      if (to === this.self) return this.deliverLocal(msg, resolve);
      const id = this.nextId++;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(unavailable(`${to} did not answer ${msg.t} within ${timeoutMs} ms`, to));
      }, timeoutMs);
      const p: Pending = { to, timer, resolve, reject };
      this.pending.set(id, p);
      if (this.blocked.has(to)) {
        // a partition: the request is lost and times out
        this.counters.dropped++;
        return;
      }
      const frame = this.encode({ id, msg }, to);
      if (!frame) return this.settle(id, new StarlingError('TooLarge', `a ${msg.t} message to ${to} is too large or cannot be encoded`));
      const link = this.linkTo(to);
      if (!link) return this.settle(id, unavailable(`${to} is unreachable: no address known`, to));
      p.link = link;
      if (!this.write(link, frame)) {
        this.counters.dropped++;
        this.settle(id, unavailable(`${to} is unreachable: its link is ${link.state === 'connecting' ? 'opening and its queue is full' : 'congested'}`, to));
      }
    });
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  setAddress(name: string, addr: string): void {
    if (this.addrs.get(name) === addr) return;
    this.addrs.set(name, addr);
    this.lastFailure.delete(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const id of [...this.pending.keys()]) this.settle(id, unavailable(`the transport of ${this.self} is closed`, this.pending.get(id)!.to));
    const conns = [...this.handshaking, ...[...this.all].map((l) => l.conn)];
    for (const l of [...this.all]) this.linkClosed(l, 'the transport was closed');
    for (const c of conns) c.close(CLOSE.goingAway, 'shutting down');
    await Promise.all(conns.map((c) => c.whenClosed));
  }

  // ---- fault injection and inspection ----

  /** Drops every frame to and from peer (links stay up): a partition, for tests. */
  block(peer: string) {
    this.blocked.add(peer);
  }

  unblock(peer: string) {
    this.blocked.delete(peer);
  }

  isBlocked(peer: string) {
    return this.blocked.has(peer);
  }

  addressOf(name: string): string | undefined {
    return this.addrs.get(name);
  }

  /** The live links (for tests and debugging). */
  linkStates(): { peer: string; outbound: boolean; state: Link['state']; current: boolean }[] {
    return [...this.all].map((l) => ({ peer: l.peer, outbound: l.outbound, state: l.state, current: this.links.get(l.peer) === l }));
  }

  // ---- accepting links ----

  /**
   * Serves a /peer socket whose first frame (already read, by acceptPeerSocket) is a hello.
   * Never throws: a peer that fails the handshake is closed.
   */
  async handleConnection(ws: WebSocket, firstFrame: unknown): Promise<void> {
    const conn = FrameConn.of(ws);
    if (this.closed) return conn.close(CLOSE.goingAway, 'shutting down');
    const f = (firstFrame ?? {}) as Record<string, unknown>;
    if (f.t !== 'hello' || f.v !== LINK_PROTOCOL_VERSION || !isName(f.from) || !isBytes(f.nonce, NONCE_BYTES) || (f.to !== undefined && !isName(f.to))) {
      return conn.abort(CLOSE.badFrame, 'malformed hello');
    }
    const from = f.from;
    if (f.to !== undefined && f.to !== this.self) return conn.abort(CLOSE.wrongPeer, `this is ${this.self}, not ${f.to}`);
    if (from === this.self) return conn.abort(CLOSE.nameClash, `${from} is this node's own name`);
    const input = { clientNonce: f.nonce, serverNonce: newNonce(), clientName: from, serverName: this.self };
    this.handshaking.add(conn);
    try {
      conn.send({ t: 'challenge', v: LINK_PROTOCOL_VERSION, name: this.self, nonce: input.serverNonce, proof: linkProof(this.key, 'server', input) });
      let auth: Record<string, unknown>;
      try {
        auth = await conn.next(this.connectTimeoutMs);
      } catch (e) {
        if (e instanceof ConnError && e.kind === 'timeout') conn.abort(CLOSE.timeout, 'no authentication in time');
        return;
      }
      if (auth.t !== 'auth' || !proofsEqual(auth.proof, linkProof(this.key, 'client', input))) {
        this.counters.authFailures++;
        this.log(`refused a peer link from ${from}: it could not prove it knows the cluster secret`);
        return conn.abort(CLOSE.unauthorized, 'unauthorized');
      }
      if (this.closed) return conn.close(CLOSE.goingAway, 'shutting down');
      conn.send({ t: 'ready' });
    } finally {
      this.handshaking.delete(conn);
    }
    const link: Link = { peer: from, conn, outbound: false, state: 'open', queue: [], alive: true, heard: false };
    this.all.add(link);
    this.counters.linksAccepted++;
    const current = this.links.get(from);
    if (!current || current.state === 'closed') this.links.set(from, link);
    this.lastFailure.delete(from);
    conn.maxQueued = Number.MAX_SAFE_INTEGER;
    conn.onClose(() => this.linkClosed(link, conn.describeClose()));
    ws.on('pong', () => (link.alive = true));
    conn.setHandler((frame, size) => this.onFrame(link, frame, size));
  }

  // ---- internals ----

  private linkTo(to: string): Link | undefined {
    const current = this.links.get(to);
    if (current && current.state !== 'closed') return current;
    const addr = this.addrs.get(to);
    return addr === undefined ? undefined : this.connect(to, addr);
  }

  private connect(peer: string, addr: string): Link | undefined {
    let ws: WebSocket;
    try {
      ws = new WebSocket(`ws://${addr}${PEER_PATH}`, {
        handshakeTimeout: this.connectTimeoutMs,
        maxPayload: this.maxFrameBytes,
        perMessageDeflate: false,
        // a zero mask: ws then skips masking every byte sent (masking guards browsers' proxies
        // against forged requests; a peer link is node to node and authenticated)
        generateMask: (mask: Uint8Array) => mask.fill(0),
      });
    } catch (e) {
      this.failed(peer, `bad address ${JSON.stringify(addr)}: ${(e as Error).message}`);
      return undefined;
    }
    const conn = new FrameConn(ws, 4);
    const link: Link = { peer, conn, outbound: true, state: 'connecting', queue: [], alive: true, heard: false };
    this.links.set(peer, link);
    this.all.add(link);
    conn.onClose(() => this.linkClosed(link, conn.describeClose()));
    ws.on('pong', () => (link.alive = true));
    this.authenticate(link, addr).catch((e) => {
      const why = e instanceof ConnError ? conn.describeClose() : (e as Error).message;
      if (!conn.closed) conn.abort(e instanceof ConnError && e.kind === 'timeout' ? CLOSE.timeout : CLOSE.unauthorized, why);
      this.linkClosed(link, why);
    });
    return link;
  }

  private async authenticate(link: Link, addr: string): Promise<void> {
    const { conn, peer } = link;
    const deadline = setTimeout(() => conn.abort(CLOSE.timeout, `no authenticated link within ${this.connectTimeoutMs} ms`), this.connectTimeoutMs);
    try {
      await conn.opened();
      const clientNonce = newNonce();
      conn.send({ t: 'hello', v: LINK_PROTOCOL_VERSION, from: this.self, to: peer, nonce: clientNonce });
      const ch = await conn.next();
      if (ch.t !== 'challenge' || ch.name !== peer || !isBytes(ch.nonce, NONCE_BYTES) || !isBytes(ch.proof, PROOF_BYTES)) {
        throw new Error(`${addr} did not answer as ${peer}`);
      }
      const input = { clientNonce, serverNonce: ch.nonce, clientName: this.self, serverName: peer };
      if (!proofsEqual(ch.proof, linkProof(this.key, 'server', input))) {
        this.counters.authFailures++;
        throw new Error(`${peer} at ${addr} could not prove it knows the cluster secret`);
      }
      // the peer is authenticated: whatever it sends after `ready` is kept until the handler is set
      conn.maxQueued = Number.MAX_SAFE_INTEGER;
      conn.send({ t: 'auth', proof: linkProof(this.key, 'client', input) });
      const ready = await conn.next();
      if (ready.t !== 'ready') throw new Error(`${peer} at ${addr} sent ${String(ready.t)} instead of ready`);
    } finally {
      clearTimeout(deadline);
    }
    if (link.state !== 'connecting') return;
    link.state = 'open';
    this.counters.linksOpened++;
    if (this.lastFailure.delete(peer)) this.log(`link to ${peer} (${addr}) is up again`);
    conn.setHandler((frame, size) => this.onFrame(link, frame, size));
    const queued = link.queue;
    link.queue = [];
    for (const frame of queued) if (!this.rawWrite(link, frame)) this.counters.dropped++;
  }

  private onFrame(link: Link, frame: Record<string, unknown>, size: number) {
    this.counters.receivedFrames++;
    this.counters.receivedBytes += size;
    link.alive = true;
    link.heard = true;
    if (this.closed) return;
    const peer = link.peer;
    if (this.blocked.has(peer)) {
      this.counters.dropped++;
      return;
    }
    const { id, re, msg } = frame;
    if (typeof re === 'number') {
      const p = this.pending.get(re);
      if (!p || p.to !== peer) return; // late (timed out) or not ours
      if (isMessage(msg)) this.settle(re, undefined, msg);
      else this.settle(re, new StarlingError('BadRequest', `${peer} sent a malformed reply`));
      return;
    }
    if (!isMessage(msg) || !this.handler) {
      this.counters.dropped++;
      return;
    }
    let reply: ((m: PeerMessage) => void) | undefined;
    if (typeof id === 'number') {
      let done = false;
      reply = (m: PeerMessage) => {
        if (done) return;
        done = true;
        this.sendReply(link, id, m);
      };
    }
    try {
      this.handler(peer, msg, reply);
    } catch (e) {
      this.log(`the handler of a ${msg.t} message from ${peer} threw: ${(e as Error).message}`);
    }
  }

  private sendReply(link: Link, id: number, m: PeerMessage) {
    if (this.closed) return;
    if (this.blocked.has(link.peer)) {
      this.counters.dropped++;
      return;
    }
    const frame = this.encode({ re: id, msg: m }, link.peer);
    const target = link.state === 'open' ? link : this.linkTo(link.peer);
    if (!frame || !target || !this.write(target, frame)) this.counters.dropped++;
  }

  private deliverLocal(msg: PeerMessage, resolve?: (m: PeerMessage) => void) {
    queueMicrotask(() => {
      const handler = this.handler;
      if (this.closed || !handler) return;
      try {
        handler(this.self, msg, resolve && ((m) => resolve(m)));
      } catch (e) {
        this.log(`the handler of a ${msg.t} message from ${this.self} threw: ${(e as Error).message}`);
      }
    });
  }

  private encode(frame: Record<string, unknown>, to: string): Uint8Array | undefined {
    let out: Uint8Array;
    try {
      out = peerPackr.pack(frame);
    } catch (e) {
      this.log(`cannot encode a message to ${to}: ${(e as Error).message}`);
      return undefined;
    }
    if (out.length > this.maxFrameBytes) {
      this.log(`dropped a ${out.length}-byte frame to ${to}: over the ${this.maxFrameBytes}-byte limit`);
      return undefined;
    }
    return out;
  }

  private write(link: Link, frame: Uint8Array): boolean {
    if (link.state === 'open') return this.rawWrite(link, frame);
    if (link.state === 'connecting' && link.queue.length < this.maxQueued) {
      link.queue.push(frame);
      return true;
    }
    return false;
  }

  private rawWrite(link: Link, frame: Uint8Array): boolean {
    const ws = link.conn.ws;
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > this.maxBuffered) return false;
    ws.send(frame);
    this.counters.sentFrames++;
    this.counters.sentBytes += frame.length;
    return true;
  }

  /** Settles a pending request once. */
  private settle(id: number, err?: Error, msg?: PeerMessage) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(msg!);
  }

  private linkClosed(link: Link, reason: string) {
    if (link.state === 'closed') return;
    const wasOpen = link.state === 'open';
    link.state = 'closed';
    this.counters.dropped += link.queue.length;
    link.queue = [];
    this.all.delete(link);
    const peer = link.peer;
    if (this.links.get(peer) === link) {
      this.links.delete(peer);
      for (const other of this.all) {
        if (other.peer === peer && other.state === 'open') {
          this.links.set(peer, other);
          break;
        }
      }
    }
    for (const [id, p] of this.pending) {
      if (p.link === link) this.settle(id, unavailable(`${peer} is unreachable: ${reason}`, peer));
    }
    if (this.closed) return;
    if (wasOpen) this.log(`link ${link.outbound ? 'to' : 'from'} ${peer} closed: ${reason}`);
    else if (link.outbound) this.failed(peer, reason);
  }

  /** Logs a failure to reach a peer once, not at every retry. */
  private failed(peer: string, reason: string) {
    if (this.lastFailure.get(peer) === reason) return;
    this.lastFailure.set(peer, reason);
    this.log(`cannot link to ${peer} (${this.addrs.get(peer) ?? 'no address'}): ${reason}`);
  }

  /**
   * Every period: a link that carried a frame since the last round is alive and is not pinged
   * (under load every link carries frames, and 99 pings and pongs per node per period cost more
   * than the frames); a silent one is pinged, and closed if it answered neither frame nor pong
   * since the last ping.
   */
  private pingAll() {
    for (const link of this.all) {
      if (link.state !== 'open') continue;
      if (link.heard) {
        link.heard = false;
        link.alive = true;
        continue;
      }
      if (!link.alive) {
        link.conn.abort(CLOSE.timeout, 'no pong');
        continue;
      }
      link.alive = false;
      this.counters.pings++;
      try {
        link.conn.ws.ping();
      } catch {
        // closing
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The /peer endpoint

export interface PeerEndpointOptions {
  /** serves member links; without it, hellos are closed with 4503 */
  transport?: WsTransport;
  /** serves joins; without it, joins are closed with 4503 */
  join?: JoinServerOptions;
  /** how long a new socket may take to send its first frame, ms. Default 5000 */
  firstFrameTimeoutMs?: number;
  log?(msg: string): void;
}

/**
 * Reads a new /peer socket's first frame and hands the socket to handleJoin (`t: 'join'`) or
 * to the transport (`t: 'hello'`); anything else is closed (4400). Never throws.
 */
export async function acceptPeerSocket(ws: WebSocket, opts: PeerEndpointOptions): Promise<void> {
  const conn = FrameConn.of(ws);
  let first: Record<string, unknown>;
  try {
    first = await conn.next(opts.firstFrameTimeoutMs ?? 5000);
  } catch (e) {
    if (e instanceof ConnError && e.kind === 'timeout') conn.abort(CLOSE.timeout, 'no first frame in time');
    return;
  }
  try {
    if (first.t === 'join') {
      if (!opts.join) return conn.abort(CLOSE.unavailable, 'this node does not admit new nodes');
      return await handleJoin(ws, first, opts.join);
    }
    if (first.t === 'hello') {
      if (!opts.transport) return conn.abort(CLOSE.unavailable, 'this node is not a cluster member yet');
      return await opts.transport.handleConnection(ws, first);
    }
    conn.abort(CLOSE.badFrame, 'the first frame must be a join or a hello');
  } catch (e) {
    opts.log?.(`peer socket failed: ${(e as Error).message}`);
    conn.abort(CLOSE.internal, 'internal error');
  }
}

/**
 * The /peer path of a node's HTTP server. The HTTP server's 'upgrade' listener calls
 * handleUpgrade for requests on PEER_PATH. Options may be a function: it is called for each new
 * socket, so a node can start serving joins or links after its server started.
 */
export class PeerEndpoint {
  private wss: WebSocketServer;

  constructor(private opts: PeerEndpointOptions | (() => PeerEndpointOptions), maxFrameBytes = DEFAULT_PEER_FRAME_BYTES) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const opts = typeof this.opts === 'function' ? this.opts() : this.opts;
      void acceptPeerSocket(ws, opts);
    });
  }

  /** Kills every /peer socket it accepted (links and joins). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
