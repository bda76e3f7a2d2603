// Hosts actors on this node: creates or restores one xstate actor per object, routes events to
// it, persists its snapshots (snapshot + the object's derived status in one commit, at the end
// of the event-loop turn in which they changed: several in one turn make one write), keeps a
// log of recent transitions, and re-arms back-off deadlines kept in context (`wakeAt`) because
// xstate does not restore timers with a persisted snapshot.
//
// An actor restored from a record this node wrote is dormant until its first event or deadline,
// as virtual actors are (Orleans): its state and context are read from the record, its `wakeAt`
// is armed, and the xstate actor is made when something is sent to it. A restarted node with
// thousands of settled actors is serving at once instead of rebuilding every one of them.

import { type AnyActorRef, type AnyStateMachine, createActor } from 'xstate';
import { statePath } from '../../actors/reducer-machine.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { isoTime } from '../clock.ts';
import type { KObject, ObjectKey } from '../objects/types.ts';
import type { ActorRecord, Change, Store, Transition } from '../store/store.ts';

/** How one kind is hosted: its machine and how its context maps to the object. */
export interface KindBinding {
  kind: string;
  machine: AnyStateMachine;
  schema: number;
  /** input for a new actor */
  input(obj: KObject): unknown;
  /** the object's status derived from the actor's context (undefined: leave status alone) */
  statusOf?(context: any, obj: KObject): unknown;
  /** carries out context.commands (called inside the transition, must not throw) */
  execute(key: ObjectKey, context: any): void;
}

interface Hosted {
  actor: AnyActorRef;
  binding: KindBinding;
  state: string;
  since: string;
  lastJson: string;
  transitions: Transition[];
  timer?: TimerHandle;
  wakeAt?: number;
  lastEvent: string;
  /** the record the actor was restored from, until its first write */
  restoredFrom?: ActorRecord;
  /** a snapshot since the last write (written at the end of the turn) */
  unwritten: boolean;
}

/** An actor restored but not made yet: its record is in the store. */
interface Dormant {
  binding: KindBinding;
  timer?: TimerHandle;
}

export class ActorHost {
  private hosted = new Map<ObjectKey, Hosted>();
  private dormant = new Map<ObjectKey, Dormant>();
  private bindings = new Map<string, KindBinding>();
  /** per kind, its machine with `execute` provided: made once (provide() builds a whole machine) */
  private machines = new Map<string, AnyStateMachine>();
  /** each running actor's object key, for the provided `execute` */
  private keyOfActor = new WeakMap<object, ObjectKey>();
  /** actors with a snapshot to write at the end of this turn, and the immediate that writes them */
  private unwritten = new Set<ObjectKey>();
  private writing?: ReturnType<typeof setImmediate>;

  constructor(
    private store: Store,
    private clock: Clock,
    private nodeName: string,
    private transitionsKept: number,
    private onError: (key: ObjectKey, e: unknown) => void,
  ) {}

  bind(binding: KindBinding) {
    this.bindings.set(binding.kind, binding);
    this.machines.set(binding.kind, binding.machine.provide({
      actions: {
        execute: ({ context, self }: { context: any; self: object }) => {
          const key = this.keyOfActor.get(self);
          if (key !== undefined) this.safely(key, () => binding.execute(key, context));
        },
      },
    } as any));
  }

  has(key: ObjectKey) {
    return this.hosted.has(key) || this.dormant.has(key);
  }
  keys(): ObjectKey[] {
    return [...this.hosted.keys(), ...this.dormant.keys()];
  }
  context<T = any>(key: ObjectKey): T | undefined {
    const h = this.hosted.get(key);
    if (h) return h.actor.getSnapshot().context as T;
    return this.dormant.has(key) ? (this.store.actor(key)?.snapshot as { context?: T } | undefined)?.context : undefined;
  }
  state(key: ObjectKey): string | undefined {
    return this.hosted.get(key)?.state ?? (this.dormant.has(key) ? this.store.actor(key)?.state : undefined);
  }
  /** How many actors are made (the others are dormant). */
  get active(): number {
    return this.hosted.size;
  }

  /**
   * Starts the actor for an object: restored from its persisted snapshot when there is one —
   * dormant when this node wrote that record, made at once otherwise (a new actor, or one that
   * moved here from another node, whose record must say so).
   */
  ensure(obj: KObject, key: ObjectKey): boolean {
    if (this.has(key)) return false;
    const binding = this.bindings.get(obj.kind);
    if (!binding) return false;
    const record = this.store.actor(key);
    if (record && record.schema === binding.schema && record.snapshot && record.node === this.nodeName) {
      const d: Dormant = { binding };
      this.dormant.set(key, d);
      const wakeAt = (record.snapshot as { context?: { wakeAt?: number } }).context?.wakeAt;
      if (wakeAt !== undefined) {
        d.timer = this.clock.setTimeout(() => {
          d.timer = undefined;
          this.send(key, { type: 'TICK', at: this.clock.now() });
        }, wakeAt - this.clock.now());
      }
      return true;
    }
    this.make(obj, key, binding);
    return true;
  }

  /** Makes a dormant actor (its first event or deadline came). */
  private wake(key: ObjectKey) {
    const d = this.dormant.get(key);
    if (!d) return;
    this.dormant.delete(key);
    if (d.timer) this.clock.clearTimeout(d.timer);
    const obj = this.store.get(key);
    if (obj) this.make(obj, key, d.binding);
  }

  private make(obj: KObject, key: ObjectKey, binding: KindBinding) {
    const record = this.store.actor(key);
    const machine = this.machines.get(obj.kind)!;
    const restored = record && record.schema === binding.schema && record.snapshot;
    const actor = restored
      ? createActor(machine, { snapshot: record.snapshot as any })
      : createActor(machine, { input: binding.input(obj) });
    const h: Hosted = {
      actor,
      binding,
      state: restored ? record.state : '',
      since: restored ? record.since : isoTime(this.clock.now()),
      lastJson: '',
      transitions: restored ? [...record.transitions] : [],
      lastEvent: restored ? 'xstate.restore' : 'xstate.init',
      restoredFrom: restored ? record : undefined,
      unwritten: false,
    };
    this.hosted.set(key, h);
    this.keyOfActor.set(actor, key);
    actor.subscribe({
      next: (snap: any) => this.persist(key, h, snap),
      error: (e: unknown) => this.onError(key, e),
    });
    actor.start(); // notifies the subscriber of the first snapshot (persisted there)
    if (!h.unwritten && h.lastJson === '') this.persist(key, h, actor.getSnapshot());
  }

  /** Sends an event to the object's actor (ignored when this node does not host it). */
  send(key: ObjectKey, event: { type: string; [k: string]: unknown }) {
    if (this.dormant.has(key)) this.wake(key);
    const h = this.hosted.get(key);
    if (!h) return;
    h.lastEvent = event.type;
    h.actor.send(event);
  }

  /** Stops and forgets an actor; `drop` also deletes its persisted record. */
  stop(key: ObjectKey, drop: boolean): Change {
    const d = this.dormant.get(key);
    if (d?.timer) this.clock.clearTimeout(d.timer);
    this.dormant.delete(key);
    const h = this.hosted.get(key);
    if (h) {
      if (h.timer) this.clock.clearTimeout(h.timer);
      // not written: this node no longer hosts it, and an object's status has one writer, the
      // actor's host (a node that stops writes everything first: stopAll)
      this.unwritten.delete(key);
      h.actor.stop();
      this.hosted.delete(key);
    }
    return drop ? { dropActors: [key] } : {};
  }

  /** The node stops: every pending snapshot is written, then every actor stopped. */
  stopAll() {
    this.flush();
    for (const key of this.keys()) this.stop(key, false);
  }

  /**
   * A new snapshot: its state goes into the transition log and its deadline is armed at once;
   * writing it (record and status, one commit) waits for the end of this event-loop turn, so the
   * several snapshots an actor goes through in one turn (an event, the commands it runs, the
   * answers they get at once) make one commit, not one each.
   */
  private persist(key: ObjectKey, h: Hosted, snap: any) {
    if (!this.store.get(key)) return;
    const state = statePath(snap.value);
    if (state !== h.state) {
      const at = isoTime(this.clock.now());
      if (h.state !== '') {
        h.transitions.push({ event: h.lastEvent, from: h.state, to: state, at });
        if (h.transitions.length > this.transitionsKept) h.transitions.splice(0, h.transitions.length - this.transitionsKept);
      }
      h.state = state;
      h.since = at;
    }
    this.rearm(key, h, snap.context?.wakeAt);
    h.unwritten = true;
    this.unwritten.add(key);
    this.writing ??= setImmediate(() => this.flush());
  }

  /**
   * Writes now what is waiting for the end of the turn: one actor's snapshot, or every one
   * (what is sent with a bind request, or replicated before a node stops, must be current).
   */
  flush(key?: ObjectKey) {
    if (key !== undefined) {
      const h = this.hosted.get(key);
      if (h) this.write(key, h);
      return;
    }
    if (this.writing) clearImmediate(this.writing);
    this.writing = undefined;
    // what these writes make other actors do is written at the end of the next turn
    for (const k of [...this.unwritten]) {
      const h = this.hosted.get(k);
      if (h) this.write(k, h);
      else this.unwritten.delete(k);
    }
  }

  /** Commits an actor's snapshot if it changed: its record and its object's derived status. */
  private write(key: ObjectKey, h: Hosted) {
    if (!h.unwritten) return;
    h.unwritten = false;
    this.unwritten.delete(key);
    const restoredFrom = h.restoredFrom;
    h.restoredFrom = undefined;
    const obj = this.store.get(key);
    if (!obj) return;
    const state = h.state;
    const ctx = h.actor.getSnapshot().context;
    const status = h.binding.statusOf?.(ctx, obj);
    const json = JSON.stringify([state, { ...ctx, commands: undefined }, status]);
    if (json === h.lastJson) return;
    h.lastJson = json;
    // a restart restores every actor: its record is rewritten only when something changed (its
    // state, its object's status, or the node hosting it), not once per actor per restart
    if (restoredFrom && restoredFrom.node === this.nodeName && restoredFrom.state === state &&
      (status === undefined || JSON.stringify(status) === JSON.stringify(obj.status))) {
      return;
    }
    const record: ActorRecord = {
      key,
      node: this.nodeName,
      state,
      since: h.since,
      snapshot: h.actor.getPersistedSnapshot(),
      schema: h.binding.schema,
      transitions: h.transitions,
    };
    const change: Change = { actors: [record] };
    if (status !== undefined && JSON.stringify(status) !== JSON.stringify(obj.status)) {
      change.put = [{ ...obj, status }];
    }
    this.store.commit(change).catch((e) => this.onError(key, e));
  }

  private rearm(key: ObjectKey, h: Hosted, wakeAt: number | undefined) {
    if (wakeAt === h.wakeAt) return;
    if (h.timer) this.clock.clearTimeout(h.timer);
    h.timer = undefined;
    h.wakeAt = wakeAt;
    if (wakeAt === undefined) return;
    h.timer = this.clock.setTimeout(() => {
      h.timer = undefined;
      h.wakeAt = undefined;
      this.send(key, { type: 'TICK', at: this.clock.now() });
    }, wakeAt - this.clock.now());
  }

  private safely(key: ObjectKey, fn: () => void) {
    try {
      fn();
    } catch (e) {
      this.onError(key, e);
    }
  }
}
