// A hybrid logical clock: versions that follow wall time, never go backwards, order every write
// in the cluster the same way on every node, and break ties by node name.
// A version is a string that sorts in version order: `WWWWWWWWW.CCCC.node` (wall time in ms and
// a counter, both base 36 and zero-padded, then the node's name).

export class HLC {
  private wall = 0;
  private counter = 0;
  constructor(private node: string, private now: () => number = Date.now) {}

  /** A new version for a local write, after every version seen so far. */
  tick(): string {
    const t = this.now();
    if (t > this.wall) {
      this.wall = t;
      this.counter = 0;
    } else {
      this.counter++;
    }
    return encode(this.wall, this.counter, this.node);
  }

  /** Takes a remote version into account, so later local versions come after it. */
  observe(version: string) {
    const [wall, counter] = decode(version);
    if (wall > this.wall || (wall === this.wall && counter > this.counter)) {
      this.wall = wall;
      this.counter = counter;
    }
  }
}

const W = 9; // base-36 digits of ms since the epoch: enough until the year 5188
const C = 4;

export function encode(wall: number, counter: number, node: string) {
  return `${wall.toString(36).padStart(W, '0')}.${counter.toString(36).padStart(C, '0')}.${node}`;
}

export function decode(version: string): [number, number] {
  const [w, c] = version.split('.', 2);
  return [parseInt(w, 36) || 0, parseInt(c, 36) || 0];
}

/** Wall time (ms) of a version. */
export const versionTime = (version: string) => decode(version)[0];

/** The zero version, older than every other. */
export const ZERO = '';
