// The Pod actor: Pending → ContainerCreating → Running (Ready / NotReady) → Succeeded / Failed,
// and Terminating while its containers are stopped. Container restarts, CrashLoopBackOff and
// ImagePullBackOff are in pod-logic.ts (a pure reducer); back-off deadlines live in context
// (`wakeAt`), so a restored actor resumes its timers: the host sends TICK at `wakeAt`.
//
// Effects (provided by src/ with machine.provide): `execute` carries out context.commands —
// createSandbox, pullImage, startContainer, killPod, recreateSandbox, event.

import { reducerMachine } from './reducer-machine.ts';
import { initialContext, POD_STATES, type PodContext, type PodEvent, type PodInput, reduce, stateOf } from './pod-logic.ts';

export * from './pod-logic.ts';
export type { ProbeKind, ProbeTimings } from './probes.ts';

/** Version of the persisted context's shape; bump when PodContext changes incompatibly. */
export const POD_SCHEMA = 1;

export const podMachine = reducerMachine<PodContext, PodEvent, PodInput>({
  id: 'pod',
  states: POD_STATES,
  initial: initialContext,
  reduce,
  stateOf,
});
