// Serf agents (Debian's `serf` package: HashiCorp Serf on memberlist, LAN profile defaults) on
// loopback addresses only, as the anchor the cluster benchmarks compare Starling with in the same
// run. Agent i (1-based) is PREFIX-sI, gossiping on HOSTPREFIX.I:7946 with its RPC on
// HOSTPREFIX.I:7373. The first agent starts alone; the others join it.
//
// What the agents do is read from their own log lines, timestamped as they arrive here:
//   "serf: EventMemberJoin: NAME ..."     NAME is a member (start-up waits for all of them)
//   "serf: EventMemberFailed: NAME ..."   NAME was declared failed (failover, false deaths)
//   "agent: Received event: user-event: NAME"   a user event arrived (dissemination)
// Serf is installed with apt-get when missing (Debian's repos must be reachable). Every agent is
// killed by pid by stop(), and by an exit hook if the benchmark dies first.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { killOnExit, progress } from './lib.ts';

export const SERF_PORT = 7946;
export const SERF_RPC_PORT = 7373;

const now = () => performance.timeOrigin + performance.now();

/** The path of the serf binary; installs Debian's package when it is missing. */
export function ensureSerf(): string {
  const found = ['/usr/bin/serf', '/usr/local/bin/serf'].find((p) => existsSync(p));
  if (found) return found;
  progress('serf is not installed: apt-get install -y serf');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'serf'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 });
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', 'serf'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 300_000 });
  }
  // the package enables a systemd unit; nothing is started in a container without systemd, and
  // the benchmark never uses it
  const path = ['/usr/bin/serf', '/usr/local/bin/serf'].find((p) => existsSync(p));
  if (!path) throw new Error('apt-get install serf did not install /usr/bin/serf');
  return path;
}

/** The serf version line, e.g. "Serf v0.8.2-dev". */
export function serfVersion(bin = ensureSerf()): string {
  return execFileSync(bin, ['version'], { encoding: 'utf8' }).split('\n')[0].trim();
}

export type SerfLine = { agent: number; name: string; line: string; at: number };

export interface SerfClusterOptions {
  n: number;
  /** agent names are PREFIX-s1 .. PREFIX-sN */
  prefix: string;
  /** first three bytes of the loopback addresses, e.g. '127.32.0' */
  hostPrefix: string;
}

export class SerfCluster {
  readonly bin: string;
  readonly names: string[];
  readonly hosts: string[];
  private procs: (ChildProcess | undefined)[] = [];
  private listeners = new Set<(l: SerfLine) => void>();
  /** per agent, the members it has logged joining */
  private joined: Set<string>[] = [];
  private stopped = false;

  constructor(readonly opts: SerfClusterOptions) {
    this.bin = ensureSerf();
    this.names = Array.from({ length: opts.n }, (_, i) => `${opts.prefix}-s${i + 1}`);
    this.hosts = Array.from({ length: opts.n }, (_, i) => `${opts.hostPrefix}.${i + 1}`);
  }

  onLine(l: (line: SerfLine) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private spawnAgent(i: number, join?: string) {
    const args = [
      'agent',
      `-node=${this.names[i]}`,
      `-bind=${this.hosts[i]}:${SERF_PORT}`,
      `-rpc-addr=${this.hosts[i]}:${SERF_RPC_PORT}`,
      '-log-level=info',
      ...(join ? [`-join=${join}`] : []),
    ];
    const p = killOnExit(spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.procs[i] = p;
    this.joined[i] = new Set();
    let buf = '';
    const onData = (d: Buffer) => {
      const at = now();
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const j = /serf: EventMemberJoin: (\S+)/.exec(line);
        if (j) this.joined[i].add(j[1]);
        for (const l of this.listeners) l({ agent: i, name: this.names[i], line, at });
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
  }

  /** Starts every agent (the first alone, the rest joining it) and waits until each sees all. */
  async start(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    this.spawnAgent(0);
    await this.until(`${this.names[0]} to start`, () => this.joined[0].has(this.names[0]), timeoutMs);
    for (let i = 1; i < this.opts.n; i++) this.spawnAgent(i, `${this.hosts[0]}:${SERF_PORT}`);
    await this.until(`${this.opts.n} serf agents to see each other`, () => this.joined.every((s) => s.size >= this.opts.n), timeoutMs);
    progress(`${this.opts.n} serf agents up and converged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  private async until(what: string, ok: () => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1_000_000 && !ok(); i++) {
      if (this.stopped) throw new Error('serf cluster stopped');
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Resolves with, per agent in `agents`, when it first logs a line matching `pattern` from now
   * on (subscribe before the action that causes it); rejects after timeoutMs.
   */
  expect(pattern: RegExp, agents: number[], timeoutMs: number): Promise<Map<number, number>> {
    const got = new Map<number, number>();
    return new Promise((resolve, reject) => {
      const off = this.onLine((l) => {
        if (!agents.includes(l.agent) || got.has(l.agent) || !pattern.test(l.line)) return;
        got.set(l.agent, l.at);
        if (got.size === agents.length) done();
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} at ${agents.length - got.size} of ${agents.length} serf agents`));
      }, timeoutMs);
      function done() {
        clearTimeout(timer);
        off();
        resolve(got);
      }
    });
  }

  alive(i: number) {
    const p = this.procs[i];
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** SIGKILLs agent i (by pid) and waits for it to exit. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs[i];
    if (!p || !this.alive(i)) return;
    const done = new Promise((r) => p.once('exit', r));
    process.kill(p.pid!, signal);
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  }

  /** Starts a killed agent again (same name and address), joining a live one; waits until all see it. */
  async restart(i: number, timeoutMs = 60_000): Promise<void> {
    const via = this.hosts.findIndex((_, k) => k !== i && this.alive(k));
    const others = this.names.map((_, k) => k).filter((k) => k !== i && this.alive(k));
    const back = this.expect(new RegExp(`serf: EventMemberJoin: ${this.names[i]} `), others, timeoutMs);
    this.spawnAgent(i, `${this.hosts[via]}:${SERF_PORT}`);
    await this.until(`${this.names[i]} to rejoin`, () => this.joined[i].size >= this.opts.n, timeoutMs);
    await back;
  }

  /** Sends a user event (not coalesced) through agent i's RPC; resolves when `serf event` exits. */
  event(i: number, name: string, payload = ''): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = killOnExit(spawn(this.bin, ['event', `-rpc-addr=${this.hosts[i]}:${SERF_RPC_PORT}`, '-coalesce=false', name, payload], { stdio: ['ignore', 'ignore', 'pipe'] }));
      let err = '';
      p.stderr!.on('data', (d) => (err += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`serf event ${name} failed (${code}): ${err.trim()}`));
      });
    });
  }

  /** Kills every agent by pid. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.procs.map((_, i) => this.kill(i)));
  }
}
