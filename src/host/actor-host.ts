// Hosts actors on this node: creates or restores one xstate actor per object, routes events to
// it, persists every transition (snapshot + the object's derived status in one commit), keeps a
// log of recent transitions, and re-arms back-off deadlines kept in context (`wakeAt`) because
// xstate does not restore timers with a persisted snapshot.

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
  /** extra work after a persisted transition (e.g. remove a finished actor) */
  afterCommit?(key: ObjectKey, context: any, state: string): void;
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
  /** the record the actor was restored from, until its first persist */
  restoredFrom?: ActorRecord;
}

export class ActorHost {
  private hosted = new Map<ObjectKey, Hosted>();
  private bindings = new Map<string, KindBinding>();
  /** per kind, its machine with `execute` provided: made once (provide() builds a whole machine) */
  private machines = new Map<string, AnyStateMachine>();
  /** each running actor's object key, for the provided `execute` */
  private keyOfActor = new WeakMap<object, ObjectKey>();

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
    return this.hosted.has(key);
  }
  keys(): ObjectKey[] {
    return [...this.hosted.keys()];
  }
  context<T = any>(key: ObjectKey): T | undefined {
    return this.hosted.get(key)?.actor.getSnapshot().context as T | undefined;
  }
  state(key: ObjectKey): string | undefined {
    return this.hosted.get(key)?.state;
  }

  /** Starts the actor for an object: restored from its persisted snapshot when there is one. */
  ensure(obj: KObject, key: ObjectKey): boolean {
    if (this.hosted.has(key)) return false;
    const binding = this.bindings.get(obj.kind);
    if (!binding) return false;
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
    };
    this.hosted.set(key, h);
    this.keyOfActor.set(actor, key);
    actor.subscribe({
      next: (snap: any) => this.persist(key, h, snap),
      error: (e: unknown) => this.onError(key, e),
    });
    actor.start(); // notifies the subscriber of the first snapshot (persisted there)
    if (h.lastJson === '') this.persist(key, h, actor.getSnapshot());
    return true;
  }

  /** Sends an event to the object's actor (ignored when this node does not host it). */
  send(key: ObjectKey, event: { type: string; [k: string]: unknown }) {
    const h = this.hosted.get(key);
    if (!h) return;
    h.lastEvent = event.type;
    h.actor.send(event);
  }

  /** Stops and forgets an actor; `drop` also deletes its persisted record. */
  stop(key: ObjectKey, drop: boolean): Change {
    const h = this.hosted.get(key);
    if (h) {
      if (h.timer) this.clock.clearTimeout(h.timer);
      h.actor.stop();
      this.hosted.delete(key);
    }
    return drop ? { dropActors: [key] } : {};
  }

  stopAll() {
    for (const key of [...this.hosted.keys()]) this.stop(key, false);
  }

  private persist(key: ObjectKey, h: Hosted, snap: any) {
    const restoredFrom = h.restoredFrom;
    h.restoredFrom = undefined;
    const obj = this.store.get(key);
    if (!obj) return;
    const state = statePath(snap.value);
    const now = this.clock.now();
    if (state !== h.state) {
      if (h.state !== '') {
        h.transitions.push({ event: h.lastEvent, from: h.state, to: state, at: isoTime(now) });
        if (h.transitions.length > this.transitionsKept) h.transitions.splice(0, h.transitions.length - this.transitionsKept);
      }
      h.state = state;
      h.since = isoTime(now);
    }
    const ctx = snap.context;
    const status = h.binding.statusOf?.(ctx, obj);
    const json = JSON.stringify([state, { ...ctx, commands: undefined }, status]);
    this.rearm(key, h, ctx?.wakeAt);
    if (json === h.lastJson) return;
    h.lastJson = json;
    // a restart restores every actor: its record is rewritten only when something changed (its
    // state, its object's status, or the node hosting it), not once per actor per restart
    if (restoredFrom && restoredFrom.node === this.nodeName && restoredFrom.state === state &&
      (status === undefined || JSON.stringify(status) === JSON.stringify(obj.status))) {
      this.safely(key, () => h.binding.afterCommit?.(key, ctx, state));
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
    this.safely(key, () => h.binding.afterCommit?.(key, ctx, state));
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
