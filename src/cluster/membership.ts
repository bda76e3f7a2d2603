// SWIM membership with memberlist's refinements, over any Transport. README.md in this folder
// explains the words (probe, ping-req, suspect, refute, push-pull, dissemination).
//
// The pure parts live apart: the incarnation rules (swim-merge.ts), the formulas
// (swim-timing.ts), the broadcast queue (swim-broadcast-queue.ts), the wire format
// (swim-protocol.ts). This file is the runtime: timers from the injected Clock, randomness from
// the injected source, messages through the Transport.
//
// Example:
//   const m = new Membership({ transport, clock, random, config: defaultGossip,
//                              self: { name: 'n2', meta } });
//   m.onChange((member, previous) => log(`${member.name}: ${previous} → ${member.state}`));
//   await m.start([{ name: 'n1', addr: '127.0.0.11:7000' }]);
//   ...
//   await m.leave();

import type { Clock, TimerHandle } from '../clock.ts';
import type { GossipConfig } from '../config.ts';
import { StarlingError } from '../errors.ts';
import { BroadcastQueue } from './swim-broadcast-queue.ts';
import { fromPushPull, mustRefute, refuteIncarnation, supersedes } from './swim-merge.ts';
import {
  isMembershipMessage,
  MAX_UPDATES_PER_MESSAGE,
  MSG,
  parseSeq,
  parseUpdates,
  PROTOCOL_VERSION,
  versionOk,
  type WireUpdate,
} from './swim-protocol.ts';
import { IndexedSet, randomIndex, sample, shuffle } from './swim-random.ts';
import { pushPullIntervalMs, retransmitLimit, suspicionTimeoutMs } from './swim-timing.ts';
import type { Member, MemberState, NodeMeta, PeerMessage, Transport } from './types.ts';

export interface MembershipOptions {
  transport: Transport;
  clock: Clock;
  /** seeded source in [0, 1): probe order, gossip targets, timer staggering */
  random: () => number;
  config: GossipConfig;
  self: { name: string; meta: NodeMeta };
  log?(m: string): void;
  /** how long a push-pull (the join's included) waits for its answer, ms. Default 5000 (NodeConfig.joinTimeoutMs) */
  joinTimeoutMs?: number;
  /**
   * Take the transport's one message handler (default true). Pass false when the node
   * multiplexes the transport: then route messages for which isMembershipMessage() holds to
   * handleMessage().
   */
  attach?: boolean;
}

export type MembershipListener = (member: Member, previous: MemberState | undefined) => void;

interface Entry extends Member {
  /** the suspicion timer (suspect) or the reclaim timer (dead, left) */
  timer?: TimerHandle;
  /** suspect or dead: the member that first declared it */
  by?: string;
}

type Source = 'local' | 'gossip' | 'push-pull';
type Phase = 'new' | 'running' | 'leaving' | 'stopped';

export class Membership {
  readonly name: string;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly config: GossipConfig;
  private readonly logger?: (m: string) => void;
  private readonly joinTimeoutMs: number;
  private readonly attach: boolean;

  private readonly entries = new Map<string, Entry>();
  private readonly me: Entry;
  /** other members that are alive or suspect: probe, gossip and ping-req targets */
  private readonly live = new IndexedSet();
  /** other members that are alive, suspect or dead: push-pull targets (dead ones to heal partitions) */
  private readonly reachable = new IndexedSet();
  private readonly queue: BroadcastQueue<WireUpdate>;
  private readonly listeners = new Set<MembershipListener>();
  private readonly acks = new Map<number, () => void>();
  private readonly timers = new Set<TimerHandle>();
  private probeOrder: string[] = [];
  private probeIndex = 0;
  private seq = 0;
  private phase: Phase = 'new';

  constructor(options: MembershipOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.random = options.random;
    this.config = options.config;
    this.logger = options.log;
    this.joinTimeoutMs = options.joinTimeoutMs ?? 5_000;
    this.attach = options.attach ?? true;
    this.name = options.self.name;
    if (this.transport.self !== this.name) {
      throw new StarlingError('ConfigError', `membership: self.name ${this.name} differs from transport.self ${this.transport.self}`);
    }
    this.me = {
      name: this.name,
      incarnation: 0,
      state: 'alive',
      meta: cloneMeta(options.self.meta),
      since: this.clock.now(),
    };
    this.entries.set(this.name, this.me);
    this.queue = new BroadcastQueue((() => retransmitLimit(this.config.retransmitMult, this.size())));
  }

  // ---- public API ---------------------------------------------------------------------------

  /**
   * Starts the protocol. With seeds, sets their addresses and does a push-pull (full state
   * exchange) with the first that answers; rejects with the last seed's error when none answers
   * (the member then keeps running alone and can be stopped). With no seeds it is alone.
   */
  async start(seeds: { name: string; addr: string }[] = []): Promise<void> {
    if (this.phase !== 'new') throw new StarlingError('Conflict', `membership ${this.name}: already started`);
    this.phase = 'running';
    this.me.since = this.clock.now();
    if (this.attach) this.transport.onMessage(this.handleMessage);
    this.emit(this.me, undefined);
    // the loops start at a random phase so members do not all tick together
    this.after(this.random() * this.config.probeIntervalMs, this.probeLoop);
    this.after(this.random() * this.config.gossipIntervalMs, this.gossipLoop);
    this.after(this.random() * this.currentPushPullInterval(), this.pushPullLoop);

    const others = seeds.filter((s) => s.name !== this.name);
    for (const s of others) this.transport.setAddress(s.name, s.addr);
    let failure: unknown;
    for (const s of others) {
      try {
        await this.pushPull(s.name, true);
        this.log(`joined through ${s.name}: ${this.entries.size} members known`);
        return;
      } catch (e) {
        failure = e;
        this.log(`seed ${s.name} did not answer: ${(e as Error).message}`);
      }
      if (this.phase !== 'running') return;
    }
    if (failure) throw failure;
  }

  /**
   * Leaves gracefully: broadcasts `left` at a higher incarnation, waits until that update has
   * been sent its retransmit limit (at most leaveWaitMs()), then stops. The others mark this
   * member `left`, never `dead`.
   */
  async leave(): Promise<void> {
    if (this.phase !== 'running') {
      await this.stop();
      return;
    }
    this.phase = 'leaving';
    this.me.incarnation++;
    this.me.state = 'left';
    this.me.since = this.clock.now();
    this.log(`leaving (incarnation ${this.me.incarnation})`);
    this.emit(this.me, 'alive');
    await new Promise<void>((resolve) => {
      if (this.live.size === 0) return resolve();
      const timer = this.after(this.leaveWaitMs(), resolve);
      this.queue.push(this.name, this.wire(this.me), () => {
        this.cancel(timer);
        resolve();
      });
      this.gossip(); // now, not at the next tick
    });
    await this.stop();
  }

  /** Stops every timer and stops answering; does not tell anyone (see leave) nor close the transport. */
  stop(): Promise<void> {
    if (this.phase === 'stopped') return Promise.resolve();
    this.phase = 'stopped'; // the handler stays registered but ignores everything from now on
    for (const h of this.timers) this.clock.clearTimeout(h);
    this.timers.clear();
    for (const e of this.entries.values()) e.timer = undefined;
    this.acks.clear();
    this.queue.clear();
    return Promise.resolve();
  }

  /** Every member we know (self included), by name: alive, suspect, dead and left until reclaimed. */
  members(): Member[] {
    return [...this.entries.values()].map(snapshot).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The members in the cluster: alive or suspect (a suspect member is still in until it is
   * declared dead, as in memberlist's Members()), self included unless it left.
   */
  alive(): Member[] {
    return this.members().filter((m) => m.state === 'alive' || m.state === 'suspect');
  }

  /** One member as we know it. */
  member(name: string): Member | undefined {
    const e = this.entries.get(name);
    return e && snapshot(e);
  }

  /** This member's incarnation. */
  get incarnation(): number {
    return this.me.incarnation;
  }

  /** Changes this member's meta (cordon, capacity): bumps the incarnation and disseminates it. */
  updateMeta(meta: Partial<NodeMeta>): void {
    if (this.phase === 'leaving' || this.phase === 'stopped') return;
    this.me.meta = cloneMeta({ ...this.me.meta, ...meta });
    this.me.incarnation++;
    if (this.phase === 'running') this.queue.push(this.name, this.wire(this.me));
    this.emit(this.me, this.me.state);
  }

  /**
   * Calls `listener` on every change of a member: a new member (previous undefined), a state
   * change, a refutation or a meta update (previous = the state before). Returns unsubscribe.
   */
  onChange(listener: MembershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The suspicion timeout for the current cluster size, ms. */
  suspicionTimeoutMs(): number {
    return suspicionTimeoutMs(this.config, this.size());
  }

  /** How long leave() waits at most for its `left` update to go out, ms. */
  leaveWaitMs(): number {
    const rounds = Math.ceil(retransmitLimit(this.config.retransmitMult, this.size()) / Math.max(1, this.config.gossipFanout));
    return this.config.probeIntervalMs + (rounds + 1) * this.config.gossipIntervalMs;
  }

  /** Updates waiting in the broadcast queue (for tests and metrics). */
  get pendingBroadcasts(): number {
    return this.queue.size;
  }

  /** Handles one peer message; ignores anything that is not a membership message it can read. */
  readonly handleMessage = (from: string, msg: PeerMessage, reply?: (m: PeerMessage) => void): void => {
    if (this.phase === 'new' || this.phase === 'stopped') return;
    if (!isMembershipMessage(msg) || !versionOk(msg)) return;
    switch (msg.t) {
      case MSG.ping:
        return this.onPing(from, msg);
      case MSG.ack:
        return this.onAck(from, msg);
      case MSG.pingReq:
        return this.onPingReq(from, msg);
      case MSG.gossip:
        return this.correct(from, this.tellSuspect(from, this.applyAll(parseUpdates(msg.u), 'gossip')));
      case MSG.pushPull:
        return this.onPushPull(msg, reply);
      default:
        return; // a type from a newer version: ignored
    }
  };

  // ---- probing ------------------------------------------------------------------------------

  private readonly probeLoop = (): void => {
    this.after(this.config.probeIntervalMs, this.probeLoop);
    if (this.phase === 'running') this.probe();
  };

  /** One probe: ping → (no ack in probeTimeoutMs) ping-req via k others → (none by the end of the interval) suspect. */
  private probe(): void {
    const target = this.nextProbeTarget();
    if (!target) return;
    const name = target.name;
    const seq = ++this.seq;
    let acked = false;
    this.acks.set(seq, () => (acked = true));
    const u = this.piggyback();
    // a suspect target learns it is suspected from the ping itself, so it can refute in its ack
    if (target.state === 'suspect') u.unshift(this.wire(target));
    this.transport.send(name, { t: MSG.ping, v: PROTOCOL_VERSION, seq, to: name, u });

    this.after(this.config.probeTimeoutMs, () => {
      if (acked || this.phase !== 'running') return;
      const helpers = sample(this.live.items, this.config.indirectProbes, this.random, (h) => h !== name && this.entries.get(h)?.state === 'alive');
      for (const h of helpers) {
        this.transport.send(h, { t: MSG.pingReq, v: PROTOCOL_VERSION, seq, target: name, addr: target.meta.addr, u: this.piggyback() });
      }
    });
    this.after(this.config.probeIntervalMs, () => {
      this.acks.delete(seq);
      if (acked || this.phase !== 'running') return;
      const current = this.entries.get(name);
      if (!current || current.state !== 'alive') return;
      this.log(`no ack from ${name} → suspect`);
      this.apply({ n: name, s: 'suspect', i: current.incarnation, f: this.name }, 'local');
    });
  }

  /** Round-robin over a shuffled list of live members, reshuffled every round (memberlist). */
  private nextProbeTarget(): Entry | undefined {
    for (let round = 0; round < 2; round++) {
      while (this.probeIndex < this.probeOrder.length) {
        const e = this.entries.get(this.probeOrder[this.probeIndex++]);
        if (e && e !== this.me && (e.state === 'alive' || e.state === 'suspect')) return e;
      }
      this.probeOrder = shuffle([...this.live.items], this.random);
      this.probeIndex = 0;
      if (this.probeOrder.length === 0) return undefined;
    }
    return undefined;
  }

  /** A member that became live is put at a random place in the rest of this round. */
  private addToProbeOrder(name: string): void {
    const rest = this.probeOrder.length - this.probeIndex;
    const at = this.probeIndex + randomIndex(this.random, rest + 1);
    this.probeOrder.push(name);
    const last = this.probeOrder.length - 1;
    [this.probeOrder[at], this.probeOrder[last]] = [this.probeOrder[last], this.probeOrder[at]];
  }

  private onPing(from: string, msg: PeerMessage): void {
    const fixes = this.tellSuspect(from, this.applyAll(parseUpdates(msg.u), 'gossip'));
    const seq = parseSeq(msg.seq);
    if (seq === undefined || msg.to !== this.name) return this.correct(from, fixes); // meant for a previous owner of this address
    // corrections first (the prober suspects us, or told us something stale), then the queue
    const u = fixes.slice(0, MAX_UPDATES_PER_MESSAGE);
    for (const x of this.piggyback()) if (!u.some((f) => f.n === x.n)) u.push(x);
    this.transport.send(from, { t: MSG.ack, v: PROTOCOL_VERSION, seq, u });
  }

  private onAck(from: string, msg: PeerMessage): void {
    this.correct(from, this.tellSuspect(from, this.applyAll(parseUpdates(msg.u), 'gossip')));
    const seq = parseSeq(msg.seq);
    if (seq === undefined) return;
    const handler = this.acks.get(seq);
    if (!handler) return;
    this.acks.delete(seq);
    handler();
  }

  /** Probes `target` for `from`; forwards the ack with from's sequence number. */
  private onPingReq(from: string, msg: PeerMessage): void {
    this.correct(from, this.tellSuspect(from, this.applyAll(parseUpdates(msg.u), 'gossip')));
    const seq = parseSeq(msg.seq);
    const target = msg.target;
    if (seq === undefined || typeof target !== 'string' || target === this.name) return;
    if (typeof msg.addr === 'string' && !this.entries.has(target)) this.transport.setAddress(target, msg.addr);
    const own = ++this.seq;
    this.acks.set(own, () => {
      this.transport.send(from, { t: MSG.ack, v: PROTOCOL_VERSION, seq, u: this.piggyback() });
    });
    this.after(this.config.probeTimeoutMs, () => this.acks.delete(own));
    this.transport.send(target, { t: MSG.ping, v: PROTOCOL_VERSION, seq: own, to: target, u: this.piggyback() });
  }

  // ---- dissemination ------------------------------------------------------------------------

  private readonly gossipLoop = (): void => {
    this.after(this.config.gossipIntervalMs, this.gossipLoop);
    if (this.phase === 'running' || this.phase === 'leaving') this.gossip(); // leaving: spread the `left`
  };

  /** Sends queued updates to gossipFanout random live members (nothing when the queue is empty). */
  private gossip(): void {
    if (this.queue.size === 0) return;
    for (const to of sample(this.live.items, this.config.gossipFanout, this.random)) {
      const u = this.piggyback();
      if (u.length === 0) break;
      this.transport.send(to, { t: MSG.gossip, v: PROTOCOL_VERSION, u });
    }
  }

  private piggyback(): WireUpdate[] {
    return this.queue.size ? this.queue.take(MAX_UPDATES_PER_MESSAGE) : [];
  }

  // ---- push-pull ----------------------------------------------------------------------------

  private readonly pushPullLoop = (): void => {
    this.after(this.currentPushPullInterval(), this.pushPullLoop);
    if (this.phase !== 'running') return;
    const target = this.reachable.random(this.random);
    if (!target) return;
    this.pushPull(target, false).catch((e) => this.log(`push-pull with ${target} failed: ${(e as Error).message}`));
  };

  private currentPushPullInterval(): number {
    return pushPullIntervalMs(this.config.pushPullIntervalMs, this.size());
  }

  private async pushPull(target: string, join: boolean): Promise<void> {
    const answer = await this.transport.request(
      target,
      { t: MSG.pushPull, v: PROTOCOL_VERSION, join, state: this.fullState() },
      this.joinTimeoutMs,
    );
    if (this.phase === 'stopped' || this.phase === 'new') return;
    if (answer.t !== MSG.state || !versionOk(answer)) {
      throw new StarlingError('BadRequest', `push-pull with ${target}: unexpected answer ${String(answer.t)}`);
    }
    this.correct(target, this.applyAll(parseUpdates(answer.state, Number.MAX_SAFE_INTEGER), 'push-pull'));
  }

  /** Merges the remote state first, so the answer already carries our refutations. */
  private onPushPull(msg: PeerMessage, reply?: (m: PeerMessage) => void): void {
    if (!reply) return;
    this.applyAll(parseUpdates(msg.state, Number.MAX_SAFE_INTEGER), 'push-pull'); // the answer corrects
    reply({ t: MSG.state, v: PROTOCOL_VERSION, state: this.fullState() });
  }

  private fullState(): WireUpdate[] {
    const out: WireUpdate[] = [];
    for (const e of this.entries.values()) out.push({ n: e.name, s: e.state, i: e.incarnation, m: e.meta });
    return out;
  }

  // ---- state --------------------------------------------------------------------------------

  /**
   * Applies updates. Returns the corrections owed to their sender: our own alive entry when it
   * claimed we are not alive (or we had to refute), and the newer alive entry of a member it
   * still holds suspect or dead after that member refuted.
   */
  private applyAll(updates: WireUpdate[], source: Source): WireUpdate[] {
    const fixes: WireUpdate[] = [];
    for (const u of updates) {
      const fix = u.n === this.name ? (this.aboutMe(u) ? this.wire(this.me) : undefined) : this.apply(u, source);
      if (fix) fixes.push(fix);
    }
    return fixes;
  }

  /**
   * A member we hold suspect or dead is talking to us: it is owed what we hold about it, so it
   * can refute now rather than when (if) the suspicion reaches it by gossip.
   */
  private tellSuspect(from: string, fixes: WireUpdate[]): WireUpdate[] {
    const e = this.entries.get(from);
    if (e && (e.state === 'suspect' || e.state === 'dead') && !fixes.some((f) => f.n === from)) fixes.push(this.wire(e));
    return fixes;
  }

  /**
   * Sends corrections straight back to the member that told us something stale, so it need not
   * wait for a refutation to reach it by gossip: a suspecter that misses the refutation (each
   * update is sent only a few times) would otherwise declare a live member dead.
   */
  private correct(to: string, fixes: WireUpdate[]): void {
    if (fixes.length === 0 || this.phase !== 'running' || to === this.name) return;
    for (let i = 0; i < fixes.length; i += MAX_UPDATES_PER_MESSAGE) {
      this.transport.send(to, { t: MSG.gossip, v: PROTOCOL_VERSION, u: fixes.slice(i, i + MAX_UPDATES_PER_MESSAGE) });
    }
  }

  /**
   * Applies one update about another member if the incarnation rules let it win, and
   * re-broadcasts what changed. Returns our entry when the update is a stale claim that a member
   * we hold alive at a higher incarnation is not alive (a correction for its sender).
   */
  private apply(update: WireUpdate, source: Source): WireUpdate | undefined {
    if (this.phase === 'stopped') return undefined;
    const current = this.entries.get(update.n);
    const u = source === 'push-pull' ? { ...update, s: fromPushPull(update.s, current !== undefined) } : update;
    if (!supersedes({ state: u.s, incarnation: u.i }, current)) {
      const stale = current && current.state === 'alive' && u.s !== 'alive' && current.incarnation > u.i;
      return stale ? this.wire(current) : undefined;
    }
    if (!current && !u.m) return undefined; // cannot add a member without its meta
    const previous = current?.state;
    const now = this.clock.now();
    const e: Entry = current ?? { name: u.n, incarnation: u.i, state: u.s, meta: u.m!, since: now };
    if (!current) this.entries.set(e.name, e);
    if (u.m && (!current || current.meta.addr !== u.m.addr)) this.transport.setAddress(e.name, u.m.addr);
    e.incarnation = u.i;
    if (u.m) e.meta = u.m;
    e.by = u.s === 'suspect' || u.s === 'dead' ? u.f : undefined;
    if (previous !== u.s) {
      e.state = u.s;
      e.since = now;
    }
    this.cancel(e.timer);
    e.timer = undefined;
    if (e.state === 'suspect') {
      const inc = e.incarnation;
      e.timer = this.after(this.suspicionTimeoutMs(), () => this.suspicionExpired(e.name, inc));
    } else if (e.state === 'dead' || e.state === 'left') {
      e.timer = this.after(this.config.deadReclaimMs, () => this.reclaim(e.name));
    }
    this.track(e.name, previous, e.state);
    if (previous !== e.state) this.log(`${e.name}: ${previous ?? 'new'} → ${e.state} (incarnation ${e.incarnation}, via ${source})`);
    if (this.phase === 'running' || this.phase === 'leaving') this.queue.push(e.name, this.wire(e));
    this.emit(e, previous);
    return undefined;
  }

  /**
   * What others say about this member: refute a suspicion, a death or a stale life. Returns
   * whether the claim disputes us (any claim that we are not alive, or one we had to refute),
   * so that its sender can be corrected directly.
   */
  private aboutMe(u: WireUpdate): boolean {
    if (this.phase !== 'running') return false;
    const sameMeta = u.m === undefined || sameJson(u.m, this.me.meta);
    const refute = mustRefute({ state: u.s, incarnation: u.i }, { incarnation: this.me.incarnation, leaving: false }, sameMeta);
    if (refute) {
      this.me.incarnation = refuteIncarnation(this.me.incarnation, u.i);
      this.log(`refuting ${u.s} (incarnation ${u.i}${u.f ? ` from ${u.f}` : ''}) with alive (incarnation ${this.me.incarnation})`);
      this.queue.push(this.name, this.wire(this.me));
      // the first suspecter's timer runs out first: tell it directly, not only by gossip
      if (u.f && u.f !== this.name && this.live.has(u.f)) this.correct(u.f, [this.wire(this.me)]);
      this.emit(this.me, this.me.state);
    }
    return refute || u.s !== 'alive';
  }

  private suspicionExpired(name: string, incarnation: number): void {
    const e = this.entries.get(name);
    if (!e || e.state !== 'suspect' || e.incarnation !== incarnation) return;
    this.log(`${name}: suspicion timed out → dead`);
    this.apply({ n: name, s: 'dead', i: incarnation, f: this.name }, 'local');
  }

  /** Forgets a member that has been dead or left for deadReclaimMs. */
  private reclaim(name: string): void {
    const e = this.entries.get(name);
    if (!e || (e.state !== 'dead' && e.state !== 'left')) return;
    this.entries.delete(name);
    this.track(name, e.state, undefined);
    this.log(`${name}: reclaimed after ${this.config.deadReclaimMs} ms ${e.state}`);
  }

  /** Keeps the live and reachable sets (and the probe order) in step with a state change. */
  private track(name: string, before: MemberState | undefined, after: MemberState | undefined): void {
    const wasLive = before === 'alive' || before === 'suspect';
    const isLive = after === 'alive' || after === 'suspect';
    if (isLive && !wasLive) {
      this.live.add(name);
      this.addToProbeOrder(name);
    } else if (wasLive && !isLive) this.live.delete(name);
    if (isLive || after === 'dead') this.reachable.add(name);
    else this.reachable.delete(name);
  }

  /** Members counted in the formulas: live others plus self. */
  private size(): number {
    return this.live.size + 1;
  }

  private wire(e: Entry): WireUpdate {
    if (e.state === 'alive') return { n: e.name, s: e.state, i: e.incarnation, m: e.meta };
    return e.by ? { n: e.name, s: e.state, i: e.incarnation, f: e.by } : { n: e.name, s: e.state, i: e.incarnation };
  }

  private emit(e: Entry, previous: MemberState | undefined): void {
    if (this.listeners.size === 0) return;
    const m = snapshot(e);
    for (const l of [...this.listeners]) {
      try {
        l(m, previous);
      } catch (err) {
        this.log(`onChange listener threw: ${(err as Error)?.message ?? err}`);
      }
    }
  }

  // ---- timers -------------------------------------------------------------------------------

  /** A one-shot timer that is cancelled by stop(). */
  private after(ms: number, fn: () => void): TimerHandle {
    const h = this.clock.setTimeout(() => {
      this.timers.delete(h);
      if (this.phase !== 'stopped') fn();
    }, ms);
    this.timers.add(h);
    return h;
  }

  private cancel(h: TimerHandle | undefined): void {
    if (!h) return;
    this.clock.clearTimeout(h);
    this.timers.delete(h);
  }

  private log(m: string): void {
    this.logger?.(`${this.name}: ${m}`);
  }
}

function cloneMeta(meta: NodeMeta): NodeMeta {
  return { ...meta, labels: { ...meta.labels } };
}

function snapshot(e: Entry): Member {
  return { name: e.name, incarnation: e.incarnation, state: e.state, meta: cloneMeta(e.meta), since: e.since };
}

/** Deep equality of plain JSON-like values (meta is small). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
