// A harness for the pod machine: a fake runtime that answers the machine's commands at once,
// and a simulated clock. Used by the pod machine tests.

import { type AnyActorRef, createActor } from 'xstate';
import type { Command, ContainerDef, PodContext, RestartPolicy } from '../../actors/pod.ts';
import { podMachine } from '../../actors/pod.ts';
import { statePath } from '../../actors/reducer-machine.ts';

export const BACKOFF = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export class PodHarness {
  actor: AnyActorRef;
  now = 0;
  commands: Command[] = [];
  /** probe runs asked for, not yet answered */
  probes: Extract<Command, { type: 'probe' }>[] = [];
  /** containers the machine asked to kill */
  killed: string[] = [];
  nextId = 1;
  /** images that "exist" */
  images = new Set(['busybox:latest']);
  constructor(containers: Partial<ContainerDef>[], restartPolicy: RestartPolicy = 'Always', snapshot?: unknown) {
    const machine = podMachine.provide({
      actions: { execute: ({ context }: { context: PodContext }) => this.commands.push(...context.commands) },
    } as any);
    this.actor = snapshot
      ? createActor(machine, { snapshot: snapshot as any })
      : createActor(machine, {
        input: {
          containers: containers.map((c) => ({ name: 'c', image: 'busybox:latest', pullPolicy: 'IfNotPresent', init: false, ...c })),
          restartPolicy,
          crashLoop: BACKOFF,
          imagePull: BACKOFF,
        },
      });
    this.actor.start();
  }
  get ctx(): PodContext {
    return this.actor.getSnapshot().context;
  }
  get state(): string {
    return statePath(this.actor.getSnapshot().value);
  }
  container(name = 'c') {
    return this.ctx.containers.find((c) => c.name === name)!;
  }
  send(ev: Record<string, unknown> & { type: string }) {
    this.actor.send({ at: this.now, ...ev });
  }
  /** Answers pending commands like a runtime that always succeeds (unless the image is missing). */
  settle() {
    for (let i = 0; i < 100 && this.commands.length; i++) {
      const cmd = this.commands.shift()!;
      if (cmd.type === 'createSandbox') this.send({ type: 'SANDBOX_READY', id: 'sandbox', ports: [] });
      if (cmd.type === 'pullImage') {
        if (this.images.has(cmd.image)) this.send({ type: 'IMAGE_READY', container: cmd.container });
        else this.send({ type: 'IMAGE_FAILED', container: cmd.container, message: 'not found' });
      }
      if (cmd.type === 'startContainer') this.send({ type: 'CONTAINER_STARTED', container: cmd.container, id: `id${this.nextId++}` });
      if (cmd.type === 'killPod') this.send({ type: 'STOPPED' });
      if (cmd.type === 'probe') this.probes.push(cmd);
      if (cmd.type === 'killContainer') this.killed.push(cmd.id);
    }
  }
  /** Moves the clock; sends TICK if a deadline passed (as the host does). */
  advance(ms: number) {
    const target = this.now + ms;
    while (this.ctx.wakeAt !== undefined && this.ctx.wakeAt <= target) {
      this.now = this.ctx.wakeAt;
      this.send({ type: 'TICK' });
      this.settle();
    }
    this.now = target;
  }
  exit(name: string, exitCode: number) {
    this.send({ type: 'CONTAINER_EXITED', container: name, id: this.container(name).id, exitCode });
    this.settle();
  }
  schedule() {
    this.send({ type: 'SCHEDULED', node: 'n1' });
    this.settle();
  }
}
