// The Namespace actor: Active, then Terminating while everything in it is deleted. It is also the
// one authority that admits pods against the namespace's ResourceQuotas: its host asks it with
// ADMIT, and it decides one object at a time, counting what the store shows (`used`, from the
// host) plus what it admitted that the store does not show yet (`admitted`), so two admissions in
// a row can never both take the last slot.
// Effects (`execute`): deleteContents (once, on entering Terminating), finalize (when empty).
// Decisions on ADMIT are commands too (`admitted` / `refused`); the host reads them right after
// the event, as the reply to the request.

import { admitInOrder, type AdmissionRequest, addUsage, type QuotaLimits, type ResourceList } from './quota.ts';
import { reducerMachine } from './reducer-machine.ts';

export const NAMESPACE_SCHEMA = 1;

export type NamespaceCommand =
  | { type: 'deleteContents' }
  | { type: 'finalize' }
  | { type: 'admitted'; id: string; key: string }
  /** reason: `quota` (a ResourceQuota), `terminating` (the namespace is going) */
  | { type: 'refused'; id: string; key: string; message: string; reason: 'quota' | 'terminating' };

/** An object admitted and not yet seen in the store: it holds its share of the quota. */
export interface PendingAdmission {
  key: string;
  uid?: string;
  usage: ResourceList;
  /** when it was admitted (ms); it stops counting after the ADMIT's ttlMs */
  at: number;
}

export interface NamespaceContext {
  schema: 1;
  terminating: boolean;
  remaining: number;
  commands: NamespaceCommand[];
  admitted?: PendingAdmission[];
}

export interface AdmitEvent {
  type: 'ADMIT';
  /** answers carry it */
  id: string;
  namespace: string;
  requests: AdmissionRequest[];
  quotas: QuotaLimits[];
  /** what the objects in the store use */
  used: ResourceList;
  /** admitted keys the store now shows (already in `used`) */
  present: string[];
  ttlMs: number;
  at: number;
}

export type NamespaceEvent =
  | { type: 'DELETE'; remaining: number; at: number }
  | { type: 'SYNC'; remaining: number; at: number }
  | AdmitEvent
  /** admitted objects now in the store, or given up by their creator */
  | { type: 'SEEN'; keys: string[]; at: number }
  | { type: 'RELEASE'; keys: string[]; at: number };

function admit(ctx: NamespaceContext, ev: AdmitEvent): NamespaceContext {
  const gone = new Set(ev.present);
  const pending = (ctx.admitted ?? []).filter((a) => !gone.has(a.key) && a.at + ev.ttlMs > ev.at);
  const commands: NamespaceCommand[] = [];
  if (ctx.terminating) {
    for (const r of ev.requests) {
      commands.push({
        type: 'refused',
        id: ev.id,
        key: r.key,
        message: `${r.resource} "${r.name}" is forbidden: unable to create new content in namespace ${ev.namespace} because it is being terminated`,
        reason: 'terminating',
      });
    }
    return { ...ctx, admitted: pending.length ? pending : undefined, commands };
  }
  // an object admitted before (its creator asked again) keeps its one share
  const fresh = ev.requests.filter((r) => !pending.some((a) => a.key === r.key && a.uid === r.uid));
  const used = pending.reduce((u, a) => addUsage(u, a.usage), ev.used);
  const { verdicts } = admitInOrder(ev.quotas, used, fresh);
  for (const r of ev.requests) {
    const i = fresh.indexOf(r);
    const v = i < 0 ? { allowed: true as const } : verdicts[i];
    if (v.allowed) {
      commands.push({ type: 'admitted', id: ev.id, key: r.key });
      if (i >= 0) pending.push({ key: r.key, uid: r.uid, usage: r.usage, at: ev.at });
    } else {
      commands.push({ type: 'refused', id: ev.id, key: r.key, message: v.message, reason: 'quota' });
    }
  }
  return { ...ctx, admitted: pending.length ? pending : undefined, commands };
}

export const namespaceMachine = reducerMachine<NamespaceContext, NamespaceEvent, Record<string, never>>({
  id: 'namespace',
  states: ['Active', 'Terminating'],
  initial: () => ({ schema: 1, terminating: false, remaining: 0, commands: [] }),
  reduce: (ctx, ev) => {
    if (ev.type === 'ADMIT') return admit(ctx, ev);
    if (ev.type === 'SEEN' || ev.type === 'RELEASE') {
      const drop = new Set(ev.keys);
      const admitted = (ctx.admitted ?? []).filter((a) => !drop.has(a.key));
      return { ...ctx, admitted: admitted.length ? admitted : undefined, commands: [] };
    }
    const commands: NamespaceCommand[] = [];
    const terminating = ctx.terminating || ev.type === 'DELETE';
    if (ev.type === 'DELETE' && !ctx.terminating) commands.push({ type: 'deleteContents' });
    if (terminating && ev.remaining === 0) commands.push({ type: 'finalize' });
    return { ...ctx, terminating, remaining: ev.remaining, commands };
  },
  stateOf: (ctx) => (ctx.terminating ? 'Terminating' : 'Active'),
});
