// Joining a cluster: a challenge–response over the join token's secret, on the seed's /peer path.
// The secret never crosses the wire, and each side proves it knows it:
//
//   joiner → seed   { t: 'join', v: 1, id, nonce: cn, name, addr }        the token id only
//   seed → joiner   { t: 'join-challenge', v: 1, nonce: sn, proof: Ps }   Ps = proof('server')
//   joiner → seed   { t: 'join-proof', proof: Pc }                        sent only if Ps checks out
//                   { t: 'join-abort' }                                   ... else this, and close
//   seed → joiner   { t: 'join-ok', sealed }                              AES-GCM, key from the
//                                                                          secret and cn, sn
//                   { t: 'join-refused', message }                        close code 4001
//                   { t: 'join-refused', message, admission: true }       close 4409: a good token,
//                                                                          but admit() said no
//
// The seed answers an unknown, expired or revoked token id exactly like a known one, with a proof
// made from a throw-away secret, so a prober learns nothing about which ids exist; every refusal
// reads the same to the joiner. The seed's log says what was wrong.
//
// FrameConn (below) is the msgpack framing both the join and the member links (transport-ws.ts)
// use over a `ws` WebSocket: buffered reads for the handshakes, a direct handler afterwards.

import WebSocket from 'ws';
import { StarlingError } from '../errors.ts';
import {
  isBytes,
  joinProof,
  joinSealKey,
  NONCE_BYTES,
  newNonce,
  PROOF_BYTES,
  peerPackr,
  proofsEqual,
  seal,
  unseal,
} from './peer-auth.ts';
import { isUsable, parseJoinToken, randomTokenChars, TOKEN_ID_RE, type TokenRegistry } from './tokens.ts';

export const PEER_PATH = '/peer';
export const JOIN_PROTOCOL_VERSION = 1;

/** WebSocket close codes of the peer protocol. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  internal: 1011,
  unauthorized: 4001,
  badFrame: 4400,
  wrongPeer: 4404,
  timeout: 4408,
  nameClash: 4409,
  unavailable: 4503,
} as const;

/** What a new member receives, sealed, when its token is accepted. */
export interface JoinPayload {
  clusterId: string;
  clusterSecret: Uint8Array;
  /** the admin token of the client API, so the new node can write its own client config */
  adminToken: string;
  /** the members the seed knows, to start gossip with */
  members: { name: string; addr: string }[];
}

export interface JoinRequest {
  /** the seed's HOST:PORT */
  seedAddr: string;
  /** `id.secret` */
  token: string;
  /** the joining node's name and its own HOST:PORT */
  name: string;
  addr: string;
  /** bound on the whole join (connect, handshake, answer), ms; NodeConfig.joinTimeoutMs */
  timeoutMs: number;
}

export interface JoinServerOptions {
  registry: TokenRegistry;
  /** called only once the joiner has proved it holds the token */
  payload(): JoinPayload | Promise<JoinPayload>;
  /** ms since the epoch, for token expiry */
  now(): number;
  /**
   * Optional: once the joiner has proved it holds a good token, may refuse it for another reason
   * (e.g. its name belongs to a live member) by returning that reason. The joiner gets
   * StarlingError('Conflict', 'SEED refused to admit NAME: REASON').
   */
  admit?(name: string, addr: string): string | undefined | Promise<string | undefined>;
  /** called after join-ok was sent */
  onJoined?(name: string, addr: string): void;
  /** how long the seed waits for the joiner's proof, ms. Default 10000 */
  handshakeTimeoutMs?: number;
  log?(msg: string): void;
}

const REFUSED_REASON = 'it is wrong, expired or revoked (or the seed is not a member of the cluster the token was made for)';
const MAX_NAME = 253;
const MAX_ADDR = 300;
const JOIN_MAX_PAYLOAD = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Framing

/** Why a FrameConn read failed. */
export class ConnError extends Error {
  constructor(readonly kind: 'closed' | 'timeout', message: string, readonly code = 0) {
    super(message);
    this.name = 'ConnError';
  }
}

type Frame = Record<string, unknown>;
const registry = new WeakMap<object, FrameConn>();

/**
 * msgpack frames over a `ws` socket. Until a handler is set, frames are queued (at most
 * `maxQueued`, more closes the socket as garbage) and read with next(); then they go straight to
 * the handler. Non-binary, undecodable or non-map frames close the socket with 4400.
 */
export class FrameConn {
  /** set when the socket is closed (by either side) or aborted */
  closed = false;
  closeCode = 0;
  closeReason = '';
  lastError?: Error;
  readonly whenClosed: Promise<void>;
  private queue: Frame[] = [];
  private waiter?: { resolve(f: Frame): void; reject(e: Error): void };
  private handler?: (frame: Frame, size: number) => void;
  private closeFns: ((code: number, reason: string) => void)[] = [];
  private killTimer?: ReturnType<typeof setTimeout>;
  private wsClosed!: () => void;

  /** The FrameConn of a socket, made on first use (so a dispatcher and a handler share it). */
  static of(ws: WebSocket, maxQueued = 4): FrameConn {
    return registry.get(ws) ?? new FrameConn(ws, maxQueued);
  }

  constructor(readonly ws: WebSocket, public maxQueued = 4) {
    registry.set(ws, this);
    this.whenClosed = new Promise((r) => (this.wsClosed = r));
    ws.on('message', (data, isBinary) => this.onData(data, isBinary));
    ws.on('error', (e) => (this.lastError = e));
    ws.on('close', (code, reason) => {
      if (this.killTimer) clearTimeout(this.killTimer);
      this.killTimer = undefined;
      this.markClosed(code, String(reason));
      this.wsClosed();
    });
  }

  /** Resolves once a client socket is open; rejects if it fails first. */
  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    if (this.closed || this.ws.readyState !== WebSocket.CONNECTING) {
      return Promise.reject(new ConnError('closed', this.describeClose(), this.closeCode));
    }
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.onClose(() => reject(new ConnError('closed', this.describeClose(), this.closeCode)));
    });
  }

  /** The next queued frame; rejects on close or after timeoutMs (no timeout when omitted). */
  next(timeoutMs?: number): Promise<Frame> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new ConnError('closed', this.describeClose(), this.closeCode));
    return new Promise<Frame>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.waiter = undefined;
      };
      this.waiter = {
        resolve: (f) => (done(), resolve(f)),
        reject: (e) => (done(), reject(e)),
      };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          done();
          reject(new ConnError('timeout', `no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** From now on every frame goes to fn (queued ones first). */
  setHandler(fn: (frame: Frame, size: number) => void) {
    this.handler = fn;
    const queued = this.queue;
    this.queue = [];
    for (const f of queued) {
      if (this.closed || this.handler !== fn) break;
      fn(f, 0);
    }
  }

  onClose(fn: (code: number, reason: string) => void) {
    if (this.closed) fn(this.closeCode, this.closeReason);
    else this.closeFns.push(fn);
  }

  /** Sends one frame; false when the socket is not open. */
  send(frame: Frame): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(peerPackr.pack(frame));
    return true;
  }

  /** Closes with a code (the socket is killed if the close handshake takes over a second). */
  close(code: number = CLOSE.normal, reason = '') {
    const ws = this.ws;
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(code, reason.slice(0, 120));
      if (!this.killTimer) this.killTimer = setTimeout(() => ws.terminate(), 1000);
    } else if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    }
    this.markClosed(code, reason);
  }

  /** close() for protocol violations and refusals: the reason is what this side decided. */
  abort(code: number, reason: string) {
    this.close(code, reason);
  }

  /** Why the socket is closed, in words. */
  describeClose(): string {
    if (this.lastError && (this.closeCode === 1006 || this.closeCode === 0)) return this.lastError.message;
    if (!this.closed) return 'open';
    return this.closeReason ? `${this.closeReason} (${this.closeCode})` : `closed (${this.closeCode})`;
  }

  private markClosed(code: number, reason: string) {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.queue = [];
    this.waiter?.reject(new ConnError('closed', this.describeClose(), code));
    const fns = this.closeFns;
    this.closeFns = [];
    for (const fn of fns) fn(code, reason);
  }

  private onData(data: WebSocket.RawData, isBinary: boolean) {
    if (this.closed) return;
    if (!isBinary) return this.abort(CLOSE.badFrame, 'frames must be binary msgpack');
    const buf = Array.isArray(data) ? concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    let frame: unknown;
    try {
      frame = peerPackr.unpack(buf);
    } catch {
      return this.abort(CLOSE.badFrame, 'undecodable frame');
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame) || frame instanceof Uint8Array) {
      return this.abort(CLOSE.badFrame, 'a frame must be a msgpack map');
    }
    const f = frame as Frame;
    if (this.handler) return this.handler(f, buf.length);
    if (this.waiter) return this.waiter.resolve(f);
    this.queue.push(f);
    if (this.queue.length > this.maxQueued) this.abort(CLOSE.badFrame, 'too many frames before the handshake finished');
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const isName = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** HOST:PORT with a port in range (IPv6 hosts in brackets). */
export function isHostPort(addr: unknown): addr is string {
  if (typeof addr !== 'string' || addr.length > MAX_ADDR) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s/:@?#[\]]+):(\d{1,5})$/.exec(addr);
  return !!m && Number(m[2]) > 0 && Number(m[2]) < 65536;
}

/** Additional authenticated data of the sealed payload: binds it to this joiner. */
const sealAad = (id: string, name: string, addr: string) => `starling join payload\0${id}\0${name}\0${addr}`;

// ---------------------------------------------------------------------------------------------
// Joining side

/**
 * Joins through a seed: resolves with the cluster's secrets once the token is accepted.
 * Rejects with StarlingError 'Invalid' (malformed token or address), 'Unauthorized' (token
 * refused, or the seed could not prove it knows it), 'RuntimeUnavailable' (seed unreachable, or
 * no answer within timeoutMs), 'BadRequest' (the seed spoke garbage).
 */
export async function joinCluster(req: JoinRequest): Promise<JoinPayload> {
  const { id, secret } = parseJoinToken(req.token);
  const seed = req.seedAddr;
  if (!isHostPort(seed)) throw new StarlingError('Invalid', `the seed address must be HOST:PORT, got ${JSON.stringify(seed)}`, { field: 'join' });
  if (!isName(req.name, MAX_NAME)) throw new StarlingError('Invalid', 'the joining node needs a name', { field: 'name' });
  if (!isHostPort(req.addr)) throw new StarlingError('Invalid', `the node's own address must be HOST:PORT, got ${JSON.stringify(req.addr)}`, { field: 'listen' });
  const timeoutMs = Math.max(1, req.timeoutMs);

  const ws = new WebSocket(`ws://${seed}${PEER_PATH}`, {
    handshakeTimeout: timeoutMs,
    maxPayload: JOIN_MAX_PAYLOAD,
    perMessageDeflate: false,
  });
  const conn = new FrameConn(ws, 4);
  const refused = () =>
    new StarlingError('Unauthorized', `the join token was refused by ${seed}: ${REFUSED_REASON}`, { seed, tokenId: id });

  const next = async (): Promise<Frame> => {
    try {
      return await conn.next();
    } catch (e) {
      const code = e instanceof ConnError ? e.code : 0;
      if (code === CLOSE.unauthorized) throw refused();
      if (code === CLOSE.unavailable) {
        throw new StarlingError('RuntimeUnavailable', `${seed} does not admit new nodes: ${conn.closeReason || 'no reason given'}`, { seed });
      }
      throw new StarlingError('RuntimeUnavailable', `the seed ${seed} closed the connection during the join: ${conn.describeClose()}`, { seed });
    }
  };

  const run = async (): Promise<JoinPayload> => {
    try {
      await conn.opened();
    } catch {
      throw new StarlingError('RuntimeUnavailable', `cannot reach the seed ${seed}: ${conn.describeClose()}`, { seed });
    }
    const clientNonce = newNonce();
    conn.send({ t: 'join', v: JOIN_PROTOCOL_VERSION, id, nonce: clientNonce, name: req.name, addr: req.addr });
    const ch = await next();
    if (ch.t === 'join-refused') throw refused();
    if (ch.t !== 'join-challenge' || !isBytes(ch.nonce, NONCE_BYTES) || !isBytes(ch.proof, PROOF_BYTES)) {
      throw new StarlingError('BadRequest', `the seed ${seed} answered the join with an unexpected frame`, { seed });
    }
    const input = { tokenId: id, clientNonce, serverNonce: ch.nonce, name: req.name, addr: req.addr };
    if (!proofsEqual(ch.proof, joinProof(secret, 'server', input))) {
      // the seed does not know this token (or we hold a wrong one): it gets no proof from us
      conn.send({ t: 'join-abort' });
      throw refused();
    }
    conn.send({ t: 'join-proof', proof: joinProof(secret, 'client', input) });
    const answer = await next();
    if (answer.t === 'join-refused' && answer.admission === true) {
      const why = typeof answer.message === 'string' ? answer.message.slice(0, 500) : 'no reason given';
      throw new StarlingError('Conflict', `${seed} refused to admit ${req.name}: ${why}`, { seed });
    }
    if (answer.t === 'join-refused') throw refused();
    if (answer.t !== 'join-ok') {
      throw new StarlingError('BadRequest', `the seed ${seed} answered the join with an unexpected frame`, { seed });
    }
    let opened: unknown;
    try {
      opened = unseal(joinSealKey(secret, id, clientNonce, ch.nonce), answer.sealed, sealAad(id, req.name, req.addr));
    } catch {
      throw new StarlingError('BadRequest', `the seed ${seed} sent a join payload that could not be opened`, { seed });
    }
    return checkPayload(opened, seed);
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = run();
  work.catch(() => {});
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StarlingError('RuntimeUnavailable', `the seed ${seed} did not answer the join within ${timeoutMs} ms`, { seed })),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    conn.close(CLOSE.normal, 'done');
  }
}

function checkPayload(p: unknown, seed: string): JoinPayload {
  const bad = (what: string) => new StarlingError('BadRequest', `the seed ${seed} sent a join payload without ${what}`, { seed });
  if (!p || typeof p !== 'object') throw bad('anything');
  const o = p as Record<string, unknown>;
  if (!isName(o.clusterId, 1024)) throw bad('a cluster id');
  if (!isBytes(o.clusterSecret) || o.clusterSecret.length < 16) throw bad('a cluster secret');
  if (typeof o.adminToken !== 'string') throw bad('an admin token');
  if (!Array.isArray(o.members)) throw bad('members');
  const members = o.members.map((m) => {
    const e = m as Record<string, unknown> | null;
    if (!e || !isName(e.name, MAX_NAME) || !isName(e.addr, MAX_ADDR)) throw bad('well-formed members');
    return { name: e.name, addr: e.addr };
  });
  return { ...o, clusterId: o.clusterId, clusterSecret: new Uint8Array(o.clusterSecret), adminToken: o.adminToken, members };
}

// ---------------------------------------------------------------------------------------------
// Seed side

/**
 * Serves one join on a /peer socket whose first frame (already read) is `{ t: 'join' }`.
 * Never throws; garbage closes the socket with 4400, a refusal with 4001.
 */
export async function handleJoin(ws: WebSocket, firstFrame: unknown, opts: JoinServerOptions): Promise<void> {
  const conn = FrameConn.of(ws);
  const log = opts.log ?? (() => {});
  try {
    const f = (firstFrame ?? {}) as Frame;
    if (
      f.t !== 'join' || f.v !== JOIN_PROTOCOL_VERSION || typeof f.id !== 'string' || !TOKEN_ID_RE.test(f.id) ||
      !isBytes(f.nonce, NONCE_BYTES) || !isName(f.name, MAX_NAME) || !isName(f.addr, MAX_ADDR)
    ) {
      conn.abort(CLOSE.badFrame, 'malformed join frame');
      return;
    }
    const id = f.id;
    const name = f.name;
    const addr = f.addr;
    const who = `${name} (${addr})`;
    const record = opts.registry.find(id);
    const usable = isUsable(record, opts.now());
    // an unusable token is answered exactly like a good one, with a secret nobody knows
    const secret = usable ? record!.secret : randomTokenChars(16);
    const serverNonce = newNonce();
    const input = { tokenId: id, clientNonce: f.nonce, serverNonce, name, addr };
    conn.send({ t: 'join-challenge', v: JOIN_PROTOCOL_VERSION, nonce: serverNonce, proof: joinProof(secret, 'server', input) });

    let answer: Frame;
    try {
      answer = await conn.next(opts.handshakeTimeoutMs ?? 10_000);
    } catch (e) {
      if (e instanceof ConnError && e.kind === 'timeout') conn.abort(CLOSE.timeout, 'no join proof in time');
      log(`join by ${who} with token ${id} abandoned: ${e instanceof ConnError && e.kind === 'timeout' ? 'no proof in time' : conn.describeClose()}`);
      return;
    }
    if (answer.t === 'join-abort') {
      log(`refused a join by ${who}: ${whyUnusable(record, opts.now()) ?? `it holds a different secret for token ${id}`}`);
      conn.close(CLOSE.normal, 'aborted');
      return;
    }
    if (answer.t !== 'join-proof' || !isBytes(answer.proof, PROOF_BYTES)) {
      conn.abort(CLOSE.badFrame, 'expected a join proof');
      return;
    }
    const proofOk = proofsEqual(answer.proof, joinProof(secret, 'client', input));
    // checked again: the token may have been revoked or expired during the handshake
    const still = opts.registry.find(id);
    const stillUsable = usable && isUsable(still, opts.now()) && still!.secret === secret;
    if (!proofOk || !stillUsable) {
      log(`refused a join by ${who}: ${whyUnusable(still, opts.now()) ?? `wrong secret for token ${id}`}`);
      conn.send({ t: 'join-refused', message: 'the join token was refused' });
      conn.abort(CLOSE.unauthorized, 'the join token was refused');
      return;
    }
    let payload: JoinPayload;
    try {
      const no = await opts.admit?.(name, addr);
      if (no !== undefined) {
        log(`refused a join by ${who}: ${no}`);
        conn.send({ t: 'join-refused', message: no, admission: true });
        conn.abort(CLOSE.nameClash, 'not admitted');
        return;
      }
      payload = await opts.payload();
    } catch (e) {
      log(`join by ${who}: the cluster payload failed: ${(e as Error).message}`);
      conn.abort(CLOSE.internal, 'internal error');
      return;
    }
    const sealed = seal(joinSealKey(secret, id, f.nonce, serverNonce), payload, sealAad(id, name, addr));
    if (!conn.send({ t: 'join-ok', v: JOIN_PROTOCOL_VERSION, sealed })) {
      log(`join by ${who}: the connection closed before the answer`);
      return;
    }
    conn.close(CLOSE.normal, 'joined');
    log(`admitted ${who} with join token ${id}`);
    try {
      opts.onJoined?.(name, addr);
    } catch (e) {
      log(`onJoined(${name}) failed: ${(e as Error).message}`);
    }
  } catch (e) {
    log(`join handshake failed: ${(e as Error).message}`);
    conn.abort(CLOSE.internal, 'internal error');
  }
}

/** For the seed's log only: what is wrong with a token, or undefined if it is usable. */
function whyUnusable(record: ReturnType<TokenRegistry['find']>, now: number): string | undefined {
  if (!record) return 'unknown token id';
  if (record.revoked) return `token ${record.id} is revoked`;
  if (!isUsable(record, now)) {
    const exp = Date.parse(record.expires);
    return Number.isFinite(exp) && exp <= now ? `token ${record.id} expired at ${record.expires}` : `token ${record.id} is malformed`;
  }
  return undefined;
}
