// The controllers' SYNCs, queued by key. Pokes within one turn of the event loop make one SYNC
// per key (a SYNC lists what the controller owns, so one per change would cost O(pods²) while a
// ReplicaSet of thousands of pods comes up), and the SYNCs run in turns (Turns) so that requests
// are answered between them: after a restart every controller is poked at once.
//
// A controller whose SYNC took long to put together (a ReplicaSet of 10,000 pods: about 10 ms)
// waits (1/share − 1) times that before its next one, so its SYNCs take at most `share` of the
// node's time however often its pods change; the pokes meanwhile make one SYNC when it is due.

import type { ObjectKey } from '../objects/types.ts';

export interface SyncQueueDeps {
  /** runs the SYNC of one key; returns how long putting it together took, ms */
  sync(key: ObjectKey): number;
  /** ms, monotonic */
  now(): number;
  /** runs fn after ms (0: after the current turn and its I/O) */
  later(fn: () => void, ms: number): void;
  /** whether the current turn has run long enough */
  turnDue(): () => boolean;
  /** the most of a node's time one key's SYNCs may take. Default 0.1 */
  share?: number;
  /** SYNCs quicker to put together than this are never held back, ms. Default 0.5 */
  holdFromMs?: number;
}

export class SyncQueue {
  private pokes = new Set<ObjectKey>();
  /** when each key may SYNC again, after a SYNC long to put together */
  private notBefore = new Map<ObjectKey, number>();
  private turnScheduled = false;
  private timerAt = Infinity;

  constructor(private d: SyncQueueDeps) {}

  /** Asks for a SYNC of the key: after this turn, or when its hold ends. */
  poke(key: ObjectKey) {
    this.pokes.add(key);
    this.scheduleTurn();
  }

  private scheduleTurn() {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.d.later(() => this.run(), 0);
  }

  private run() {
    this.turnScheduled = false;
    const due = this.d.turnDue();
    const share = this.d.share ?? 0.1;
    const holdFrom = this.d.holdFromMs ?? 0.5;
    let next = Infinity;
    for (const key of this.pokes) {
      if (due()) return this.scheduleTurn();
      const now = this.d.now();
      const at = this.notBefore.get(key) ?? 0;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.pokes.delete(key);
      const took = this.d.sync(key);
      if (took >= holdFrom) this.notBefore.set(key, this.d.now() + took * (1 / share - 1));
      else this.notBefore.delete(key);
    }
    if (next < this.timerAt) {
      this.timerAt = next;
      this.d.later(() => {
        this.timerAt = Infinity;
        this.run();
      }, Math.max(1, Math.ceil(next - this.d.now())));
    }
  }
}
