// The simulated runtime: containers that exist only in memory, with time taken from an injected
// Clock (a SimulatedClock makes tests deterministic). Cheap enough for tens of thousands of
// containers per process: a container has at most one pending timer, and only while it has a
// scheduled output or exit; CPU use is computed lazily from timestamps (no intervals).
//
// What a container does:
// - `spec.sim` when given: exits with `exitCode` (default 0) `exitAfterMs` after start (absent:
//   runs until stopped) and uses `cpu` cores while running.
// - otherwise it is derived from argv = [...command, ...args] (the image entrypoint is taken to
//   be empty, as for busybox):
//   - `sh -c SCRIPT` (also ash/bash, /bin/sh): SCRIPT is read as statements joined by `;`,
//     newlines, `&&` and `||`. Understood: `exit [N]`, `true`, `false`, `:`, `sleep N` (N in
//     seconds, suffixes s/m/h/d), `echo [-n] ...` (to the logs; `>&2` sends it to stderr),
//     `exec CMD`, `$VAR`/`${VAR}` from env. The container exits when the script ends, with the
//     status of the last statement. At the first statement it does not understand (a server,
//     a loop, a pipe, ...) the script "blocks": the container runs until stopped.
//   - a plain argv is one such statement: `true` → exit 0, `false` → exit 1, `sleep N` → exit 0
//     after N s, `echo ...` → output, exit 0; anything else runs until stopped.
//   - no command and no args (the image's default `sh`) runs until stopped.
// - Every start writes a log line `sim: started <container name>`, then the echo output.
// - stopContainer: the process honours SIGTERM at once: exit code 143 (sandbox: 0, as the real
//   sandbox traps TERM). removeContainer of a running one and kill() default to 137.
// - exec runs the same interpreter synchronously (sleeps take no time): `echo` output is
//   returned, `exit N`/`false` set the code; anything it does not understand returns 0, empty.
// - Images: pulls always fail (there is no registry); `images` / addImage() say what is present.
//   Always with a present image uses it (as the docker runtime does when its pull fails).
// - Events are delivered only between start() and stop(), like the docker runtime's stream.
// - With `stateFile`, the simulated engine outlives the node process as dockerd does: its
//   containers are written to the file (at most every `saveEveryMs`, and at stop()) and read
//   back at start(). A container that was running goes on running; one whose program would have
//   exited meanwhile is found exited, at the time it would have. After a SIGKILL, what changed
//   since the last write is lost (those containers are gone, as if the engine had died too).

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import { ImagePullError, notFound, RuntimeError } from '../errors.ts';
import { isoTime, systemClock } from '../clock.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { SANDBOX_CONTAINER } from './types.ts';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerStats,
  ContainerSpec,
  ExecResult,
  LogOptions,
  PodRef,
  PublishedPort,
  RuntimeContainerState,
  RuntimeEvent,
  SandboxSpec,
} from './types.ts';
import { normaliseImage } from './common.ts';

export interface SimRuntimeOptions {
  nodeName: string;
  clock?: Clock;
  /** simulated time between create and start, for sandboxes and containers (default 0) */
  startDelayMs?: number;
  /** images present on the node (default ['busybox:latest']) */
  images?: string[];
  /** where the simulated engine keeps its containers between node processes (default: nowhere) */
  stateFile?: string;
  /** how often at most the containers are written to stateFile (default 1000 ms) */
  saveEveryMs?: number;
}

/** What a simulated process does, derived from spec.sim or from command/args. */
export interface SimProgram {
  /** output lines, at ms after start */
  outputs: { atMs: number; stream: 1 | 2; text: string }[];
  /** ms after start when it exits; undefined: runs until stopped */
  exitAfterMs?: number;
  exitCode: number;
  /** cores used while running */
  cpu: number;
}

export interface SimCpuUsage {
  /** cores in use now (0 unless running; capped by the container's CPU limit) */
  cores: number;
  /** CPU time used since start, in core-seconds */
  cpuSeconds: number;
}

// ------------------------------------------------------------------ the tiny shell

type Token = { op: string } | { word: string };

/** Splits a script into words and operators; undefined when it uses syntax we do not model. */
function tokenize(script: string, env: Record<string, string>): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  const n = script.length;
  const expand = (from: number): [string, number] => {
    // at script[from] === '$'
    const j = from + 1;
    if (script[j] === '{') {
      const end = script.indexOf('}', j);
      if (end < 0) return ['$', from + 1];
      return [env[script.slice(j + 1, end)] ?? '', end + 1];
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(script.slice(j));
    if (!m) return ['$', from + 1];
    return [env[m[0]] ?? '', j + m[0].length];
  };
  while (i < n) {
    const ch = script[i]!;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < n && script[i] !== '\n') i++;
      continue;
    }
    if (ch === '\n' || ch === ';') {
      out.push({ op: ';' });
      i++;
      continue;
    }
    if (script.startsWith('&&', i) || script.startsWith('||', i)) {
      out.push({ op: script.slice(i, i + 2) });
      i += 2;
      continue;
    }
    if (ch === '&' || ch === '|' || ch === '(' || ch === ')' || ch === '<' || ch === '`') {
      return undefined; // background jobs, pipes, subshells, input: not modelled
    }
    // a word (possibly a redirection such as >&2)
    let word = '';
    let quoted = false;
    while (i < n) {
      const c = script[i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '&' || c === '|') {
        if (c === '&' && /[>]$/.test(word)) {
          word += c; // >&2
          i++;
          continue;
        }
        break;
      }
      if (c === "'") {
        const end = script.indexOf("'", i + 1);
        if (end < 0) return undefined;
        word += script.slice(i + 1, end);
        quoted = true;
        i = end + 1;
      } else if (c === '"') {
        i++;
        quoted = true;
        while (i < n && script[i] !== '"') {
          if (script[i] === '\\' && i + 1 < n && '"\\$`'.includes(script[i + 1]!)) {
            word += script[i + 1];
            i += 2;
          } else if (script[i] === '$') {
            const [v, next] = expand(i);
            word += v;
            i = next;
          } else if (script[i] === '`') {
            return undefined;
          } else {
            word += script[i++];
          }
        }
        if (i >= n) return undefined;
        i++;
      } else if (c === '\\' && i + 1 < n) {
        word += script[i + 1];
        i += 2;
      } else if (c === '$') {
        const [v, next] = expand(i);
        word += v;
        i = next;
      } else if (c === '(' || c === ')' || c === '<' || c === '`') {
        return undefined;
      } else {
        word += c;
        i++;
      }
    }
    if (word !== '' || quoted) out.push({ word });
  }
  return out;
}

function parseSleep(arg: string | undefined): number | undefined {
  if (arg === undefined) return undefined;
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
  if (!m) return undefined;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * mult * 1000);
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Runs statements; returns the program (exitAfterMs undefined when it blocks). */
function runStatements(statements: { argv: string[]; op: string }[]): SimProgram {
  const outputs: SimProgram['outputs'] = [];
  let t = 0;
  let status = 0;
  const blocked = (): SimProgram => ({ outputs, exitAfterMs: undefined, exitCode: 0, cpu: 0 });
  for (const { argv: raw, op } of statements) {
    if (op === '&&' && status !== 0) continue;
    if (op === '||' && status === 0) continue;
    let stream: 1 | 2 = 1;
    const argv: string[] = [];
    for (const w of raw) {
      if (w === '>&2' || w === '1>&2') stream = 2;
      else if (w === '2>&1' || w === '>&1') continue;
      else if (/^\d*>/.test(w)) return blocked(); // file redirections are not modelled
      else argv.push(w);
    }
    while (argv[0] === 'exec') argv.shift();
    if (argv.length === 0) continue;
    const cmd = basename(argv[0]!);
    switch (cmd) {
      case 'exit': {
        const code = argv[1] === undefined ? status : Number.parseInt(argv[1], 10);
        return { outputs, exitAfterMs: t, exitCode: Number.isNaN(code) ? 2 : code & 255, cpu: 0 };
      }
      case 'true':
      case ':':
        status = 0;
        break;
      case 'false':
        status = 1;
        break;
      case 'sleep': {
        const ms = parseSleep(argv[1]);
        if (ms === undefined || argv.length > 2) return blocked(); // `sleep infinity` etc.
        t += ms;
        status = 0;
        break;
      }
      case 'echo': {
        let args = argv.slice(1);
        let nl = '\n';
        if (args[0] === '-n') {
          nl = '';
          args = args.slice(1);
        }
        outputs.push({ atMs: t, stream, text: args.join(' ') + nl });
        status = 0;
        break;
      }
      default:
        return blocked();
    }
  }
  return { outputs, exitAfterMs: t, exitCode: status, cpu: 0 };
}

const SHELLS = new Set(['sh', 'ash', 'bash', 'dash']);

/** Derives a simulated process from argv (see the file comment). */
export function deriveProgram(argv: string[], env: Record<string, string> = {}): SimProgram {
  if (argv.length === 0) return { outputs: [], exitCode: 0, cpu: 0 };
  const cmd = basename(argv[0]!);
  if (SHELLS.has(cmd)) {
    if (argv[1] !== '-c' || argv[2] === undefined) return { outputs: [], exitCode: 0, cpu: 0 };
    const tokens = tokenize(argv[2], env);
    if (!tokens) return { outputs: [], exitCode: 0, cpu: 0 };
    const statements: { argv: string[]; op: string }[] = [];
    let cur: string[] = [];
    let op = ';';
    for (const tok of tokens) {
      if ('op' in tok) {
        if (cur.length) statements.push({ argv: cur, op });
        cur = [];
        op = tok.op;
      } else {
        cur.push(tok.word);
      }
    }
    if (cur.length) statements.push({ argv: cur, op });
    return runStatements(statements);
  }
  return runStatements([{ argv, op: ';' }]);
}

// ------------------------------------------------------------------ the runtime

interface SimContainer {
  id: string;
  pod: PodRef;
  name: string;
  image: string;
  attempt: number;
  sandbox: boolean;
  state: RuntimeContainerState;
  exitCode?: number;
  startedAt?: number;
  finishedAt?: number;
  ports?: PublishedPort[];
  program: SimProgram;
  nextOutput: number;
  cpuLimit?: number;
  cpuMs: number; // core-ms accumulated up to cpuSince
  cpuSince: number;
  timer?: TimerHandle;
  log: string[];
  logBase: number; // absolute index of log[0] (old lines are dropped)
  waiters: (() => void)[];
  removed: boolean;
}

const MAX_LOG_LINES = 1000;

/** Runs fn now; its result or exception as a settled promise (sync work behind an async API). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
const encoder = new TextEncoder();
let idCounter = 0;
const idPrefix = Math.floor(Math.random() * 0xffffffff)
  .toString(16)
  .padStart(8, '0');

/** The engine's state file: msgpack with records (every container has the same shape, written once). */
const stateCodec = new Packr({ useRecords: true });

/** What a simulated container reports as its memory use. */
const SIM_MEMORY_BYTES = 4 * 1024 * 1024;

export class SimRuntime implements ContainerRuntime {
  readonly kind = 'sim' as const;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly startDelayMs: number;
  private images: Set<string>;
  private containers = new Map<string, SimContainer>();
  private listeners = new Set<(e: RuntimeEvent) => void>();
  private started = false;
  private usedPorts = new Map<string, string>(); // hostIP|proto|port → sandbox id
  private nextPort = 32768;
  private readonly stateFile?: string;
  private readonly saveEveryMs: number;
  private saveTimer?: TimerHandle;
  private loaded = false;

  constructor(opts: SimRuntimeOptions) {
    this.nodeName = opts.nodeName;
    this.clock = opts.clock ?? systemClock;
    this.startDelayMs = opts.startDelayMs ?? 0;
    this.images = new Set((opts.images ?? ['busybox:latest']).map(normaliseImage));
    this.stateFile = opts.stateFile;
    this.saveEveryMs = opts.saveEveryMs ?? 1000;
  }

  start(): Promise<void> {
    return settle(() => {
      if (this.stateFile && !this.loaded) this.load(this.stateFile);
      this.loaded = true;
      this.started = true;
    });
  }

  stop(): Promise<void> {
    return settle(() => {
      this.started = false;
      if (this.saveTimer) this.clock.clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      if (this.stateFile) this.save(this.stateFile);
    });
  }

  // ---------------------------------------------------------------- the engine's state file

  /** Something changed: write the containers within saveEveryMs. */
  private changed() {
    if (!this.stateFile || this.saveTimer || !this.started) return;
    this.saveTimer = this.clock.setTimeout(() => {
      this.saveTimer = undefined;
      try {
        this.save(this.stateFile!);
      } catch (e) {
        console.error(`starling: sim runtime: cannot write ${this.stateFile}: ${(e as Error).message}`);
      }
    }, this.saveEveryMs);
  }

  private save(file: string) {
    const now = this.clock.now();
    const containers = [...this.containers.values()].map((c) => ({
      id: c.id, pod: c.pod, name: c.name, image: c.image, attempt: c.attempt, sandbox: c.sandbox,
      state: c.state, exitCode: c.exitCode, startedAt: c.startedAt, finishedAt: c.finishedAt,
      ports: c.ports, program: c.program, nextOutput: c.nextOutput, cpuLimit: c.cpuLimit,
      cpuMs: c.cpuMs + this.coresOf(c) * (now - c.cpuSince), cpuSince: now,
      log: c.log, logBase: c.logBase,
    }));
    writeFileSync(`${file}.tmp`, stateCodec.pack({ version: 1, nextPort: this.nextPort, containers }));
    renameSync(`${file}.tmp`, file);
  }

  private load(file: string) {
    let state: { version: number; nextPort: number; containers: SimContainer[] };
    try {
      state = stateCodec.unpack(readFileSync(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new RuntimeError(`sim runtime: cannot read its state from ${file}: ${(e as Error).message}`);
    }
    if (state?.version !== 1 || !Array.isArray(state.containers)) {
      throw new RuntimeError(`sim runtime: ${file} is not a sim engine state (version 1)`);
    }
    this.nextPort = state.nextPort;
    const now = this.clock.now();
    for (const c of state.containers) {
      // the decoded record itself (a copy of each of thousands would cost more than the decoding)
      c.timer = undefined;
      c.waiters = [];
      c.removed = false;
      this.containers.set(c.id, c);
      if (c.state !== 'running') continue;
      // what the program did while the node was down
      const exitAt = c.program.exitAfterMs === undefined ? undefined : c.startedAt! + c.program.exitAfterMs;
      for (const o of c.program.outputs.slice(c.nextOutput)) {
        if (c.startedAt! + o.atMs > Math.min(now, exitAt ?? now)) break;
        this.appendLog(c, o.text);
        c.nextOutput++;
      }
      if (exitAt !== undefined && exitAt <= now) {
        c.cpuMs += this.coresOf(c) * (exitAt - c.cpuSince);
        c.state = 'exited';
        c.exitCode = c.program.exitCode;
        c.finishedAt = exitAt;
        continue;
      }
      for (const p of c.ports ?? []) this.usedPorts.set(`${p.hostIP}|${p.protocol}|${p.hostPort}`, c.id);
      this.step(c);
    }
  }

  /** Makes an image present on this node. */
  addImage(image: string) {
    this.images.add(normaliseImage(image));
  }

  hasImage(image: string): boolean {
    return this.images.has(normaliseImage(image));
  }

  ensureImage(image: string, pullPolicy: 'Always' | 'IfNotPresent' | 'Never'): Promise<void> {
    return settle(() => this.checkImage(image, pullPolicy));
  }

  private checkImage(image: string, pullPolicy: 'Always' | 'IfNotPresent' | 'Never'): void {
    if (this.hasImage(image)) return;
    if (pullPolicy === 'Never') {
      throw new ImagePullError(
        image,
        `Container image "${image}" is not present with pull policy of Never`,
      );
    }
    throw new ImagePullError(
      image,
      `failed to pull image "${image}": the sim runtime has no registry`,
    );
  }

  onEvent(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(c: SimContainer, type: 'start' | 'die') {
    if (!this.started || this.listeners.size === 0) return;
    const e: RuntimeEvent = {
      type,
      id: c.id,
      pod: { ...c.pod },
      name: c.name,
      at: isoTime(this.clock.now()),
    };
    if (type === 'die') {
      e.exitCode = c.exitCode;
      e.oomKilled = false;
    }
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        console.error('starling: runtime event listener failed:', err);
      }
    }
  }

  private newContainer(
    pod: PodRef,
    name: string,
    image: string,
    attempt: number,
    program: SimProgram,
  ): SimContainer {
    const id = `${idPrefix}${(++idCounter).toString(16).padStart(8, '0')}`;
    const c: SimContainer = {
      id,
      pod: { uid: pod.uid, name: pod.name, namespace: pod.namespace },
      name,
      image,
      attempt,
      sandbox: name === SANDBOX_CONTAINER,
      state: 'created',
      program,
      nextOutput: 0,
      cpuMs: 0,
      cpuSince: this.clock.now(),
      log: [],
      logBase: 0,
      waiters: [],
      removed: false,
    };
    this.containers.set(id, c);
    this.changed();
    return c;
  }

  private async delayStart(c: SimContainer) {
    if (this.startDelayMs > 0) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.startDelayMs));
      if (c.removed) throw new RuntimeError(`container ${c.name} was removed before it started`);
    }
  }

  private appendLog(c: SimContainer, text: string) {
    c.log.push(text);
    if (c.log.length > MAX_LOG_LINES) {
      const drop = c.log.length - MAX_LOG_LINES;
      c.log.splice(0, drop);
      c.logBase += drop;
    }
    this.wake(c);
  }

  private wake(c: SimContainer) {
    if (c.waiters.length === 0) return;
    const w = c.waiters;
    c.waiters = [];
    for (const f of w) f();
  }

  private run(c: SimContainer) {
    const now = this.clock.now();
    c.state = 'running';
    this.changed();
    c.startedAt = now;
    c.cpuSince = now;
    c.cpuMs = 0;
    this.appendLog(c, `sim: started ${c.name}\n`);
    this.emit(c, 'start');
    this.step(c);
  }

  /** Writes the outputs that are due and schedules the next output or the exit. */
  private step(c: SimContainer) {
    c.timer = undefined;
    if (c.state !== 'running') return;
    const elapsed = this.clock.now() - c.startedAt!;
    const p = c.program;
    while (c.nextOutput < p.outputs.length && p.outputs[c.nextOutput]!.atMs <= elapsed) {
      this.appendLog(c, p.outputs[c.nextOutput++]!.text);
    }
    if (c.nextOutput < p.outputs.length) {
      const at = p.outputs[c.nextOutput]!.atMs;
      c.timer = this.clock.setTimeout(() => this.step(c), at - elapsed);
      return;
    }
    if (p.exitAfterMs === undefined) return; // runs until stopped
    // Always through a timer: startContainer returns a running container, as docker does.
    c.timer = this.clock.setTimeout(() => {
      c.timer = undefined;
      this.exit(c, p.exitCode);
    }, Math.max(0, p.exitAfterMs - elapsed));
  }

  private exit(c: SimContainer, code: number) {
    if (c.state !== 'running') return;
    if (c.timer) this.clock.clearTimeout(c.timer);
    c.timer = undefined;
    const now = this.clock.now();
    c.cpuMs += this.coresOf(c) * (now - c.cpuSince);
    c.cpuSince = now;
    c.state = 'exited';
    this.changed();
    c.exitCode = code;
    c.finishedAt = now;
    if (c.ports) this.releasePorts(c);
    this.emit(c, 'die');
    this.wake(c);
  }

  private coresOf(c: SimContainer): number {
    if (c.state !== 'running') return 0;
    return c.cpuLimit !== undefined ? Math.min(c.program.cpu, c.cpuLimit) : c.program.cpu;
  }

  private allocatePorts(c: SimContainer, spec: SandboxSpec): PublishedPort[] {
    const out: PublishedPort[] = [];
    const taken: string[] = [];
    const key = (port: number, proto: string) => `${spec.hostIP}|${proto}|${port}`;
    try {
      for (const p of spec.ports) {
        const used = (port: number) => this.usedPorts.has(key(port, p.protocol));
        let hostPort = p.hostPort ?? 0;
        if (hostPort > 0) {
          if (used(hostPort)) {
            throw new RuntimeError(
              `cannot start ${c.sandbox ? 'sandbox' : `container "${c.name}"`} of pod ${spec.pod.namespace}/${spec.pod.name}: ` +
                `Bind for ${spec.hostIP}:${hostPort} failed: port is already allocated`,
            );
          }
        } else if (p.preferHostPort && !used(p.preferHostPort)) {
          hostPort = p.preferHostPort; // the port a restarted container had before
        } else {
          for (let tries = 0; tries < 28232; tries++) {
            const candidate = this.nextPort;
            this.nextPort = this.nextPort >= 60999 ? 32768 : this.nextPort + 1;
            if (!used(candidate)) {
              hostPort = candidate;
              break;
            }
          }
          if (!hostPort) throw new RuntimeError(`no free host port on ${spec.hostIP}`);
        }
        this.usedPorts.set(key(hostPort, p.protocol), c.id);
        taken.push(key(hostPort, p.protocol));
        out.push({
          containerPort: p.containerPort,
          protocol: p.protocol,
          hostIP: spec.hostIP,
          hostPort,
        });
      }
    } catch (e) {
      for (const k of taken) this.usedPorts.delete(k);
      throw e;
    }
    return out;
  }

  private releasePorts(c: SimContainer) {
    for (const p of c.ports ?? []) {
      const k = `${p.hostIP}|${p.protocol}|${p.hostPort}`;
      if (this.usedPorts.get(k) === c.id) this.usedPorts.delete(k);
    }
  }

  async createSandbox(spec: SandboxSpec): Promise<ContainerInfo> {
    const c = this.newContainer(spec.pod, SANDBOX_CONTAINER, 'busybox:latest', 0, {
      outputs: [],
      exitCode: 0,
      cpu: 0,
    });
    try {
      await this.delayStart(c);
      c.ports = this.allocatePorts(c, spec);
    } catch (e) {
      this.containers.delete(c.id);
      c.removed = true;
      throw e;
    }
    this.run(c);
    return this.toInfo(c);
  }

  async startContainer(sandboxId: string | undefined, spec: ContainerSpec): Promise<ContainerInfo> {
    const what = `container "${spec.name}" of pod ${spec.pod.namespace}/${spec.pod.name}`;
    const sandbox = sandboxId === undefined ? undefined : this.containers.get(sandboxId);
    if (sandboxId !== undefined) {
      if (!sandbox) throw new RuntimeError(`cannot start ${what}: sandbox ${sandboxId} not found`);
      if (sandbox.state !== 'running') throw new RuntimeError(`cannot start ${what}: sandbox ${sandboxId} is not running`);
    } else if (!spec.network) {
      throw new RuntimeError(`cannot start ${what}: neither a sandbox nor a network of its own`);
    }
    const image = normaliseImage(spec.image);
    if (!this.images.has(image)) {
      throw new ImagePullError(
        spec.image,
        `image "${spec.image}" is not present on node "${this.nodeName}"`,
      );
    }
    let program: SimProgram;
    if (spec.sim) {
      program = {
        outputs: [],
        exitAfterMs: spec.sim.exitAfterMs,
        exitCode: spec.sim.exitCode ?? 0,
        cpu: spec.sim.cpu ?? 0,
      };
    } else {
      const env: Record<string, string> = {};
      for (const e of spec.env) env[e.name] = e.value;
      program = deriveProgram([...(spec.command ?? []), ...(spec.args ?? [])], env);
    }
    const c = this.newContainer(spec.pod, spec.name, image, spec.attempt, program);
    if (spec.cpuMillis && spec.cpuMillis > 0) c.cpuLimit = spec.cpuMillis / 1000;
    try {
      await this.delayStart(c);
      if (sandbox && sandbox.state !== 'running') throw new RuntimeError(`cannot start ${what}: sandbox ${sandboxId} is not running`);
      if (!sandbox) c.ports = this.allocatePorts(c, { pod: spec.pod, ...spec.network! });
    } catch (e) {
      this.containers.delete(c.id);
      c.removed = true;
      throw e;
    }
    this.run(c);
    return this.toInfo(c);
  }

  stopContainer(id: string, _graceSeconds: number): Promise<void> {
    return settle(() => {
      const c = this.containers.get(id);
      if (c && c.state === 'running') this.exit(c, c.sandbox ? 0 : 143);
    });
  }

  removeContainer(id: string): Promise<void> {
    return settle(() => {
      const c = this.containers.get(id);
      if (!c) return;
      if (c.state === 'running') this.exit(c, 137);
      if (c.timer) this.clock.clearTimeout(c.timer);
      c.removed = true;
      this.containers.delete(id);
      this.changed();
      this.wake(c);
    });
  }

  /** Simulates an external kill (`docker kill`): the container dies with exitCode (137). */
  kill(id: string, exitCode = 137): void {
    const c = this.containers.get(id);
    if (c && c.state === 'running') this.exit(c, exitCode);
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const c = this.containers.get(id);
    const u = this.cpuUsage(id);
    if (!c || !u || c.state !== 'running') return undefined;
    return { cpuNanos: Math.round(u.cpuSeconds * 1e9), memoryBytes: SIM_MEMORY_BYTES, at: this.clock.now() };
  }

  /** CPU use of a container; undefined when it does not exist. */
  cpuUsage(id: string): SimCpuUsage | undefined {
    const c = this.containers.get(id);
    if (!c) return undefined;
    const cores = this.coresOf(c);
    const ms = c.cpuMs + cores * (this.clock.now() - c.cpuSince);
    return { cores, cpuSeconds: ms / 1000 };
  }

  /** Changes how many cores a container wants (simulated load); capped by its CPU limit. */
  setCpu(id: string, cores: number): void {
    const c = this.containers.get(id);
    if (!c) return;
    const now = this.clock.now();
    c.cpuMs += this.coresOf(c) * (now - c.cpuSince);
    c.cpuSince = now;
    c.program = { ...c.program, cpu: Math.max(0, cores) };
    this.changed();
  }

  /** Number of containers held (all states). */
  get size(): number {
    return this.containers.size;
  }

  listContainers(): Promise<ContainerInfo[]> {
    return settle(() => {
      const out: ContainerInfo[] = [];
      for (const c of this.containers.values()) out.push(this.toInfo(c));
      return out;
    });
  }

  inspect(id: string): Promise<ContainerInfo | undefined> {
    return settle(() => {
      const c = this.containers.get(id);
      return c ? this.toInfo(c) : undefined;
    });
  }

  private toInfo(c: SimContainer): ContainerInfo {
    const info: ContainerInfo = {
      id: c.id,
      pod: { ...c.pod },
      name: c.name,
      node: this.nodeName,
      image: c.image,
      attempt: c.attempt,
      state: c.state,
      oomKilled: false,
    };
    if (c.startedAt !== undefined) info.startedAt = isoTime(c.startedAt);
    if (c.state === 'exited') {
      info.exitCode = c.exitCode;
      info.finishedAt = isoTime(c.finishedAt!);
    }
    if (c.ports) info.ports = c.state === 'running' ? c.ports.map((p) => ({ ...p })) : [];
    return info;
  }

  logs(id: string, opts: LogOptions): AsyncIterable<Uint8Array> {
    return this.logStream(id, opts);
  }

  private async *logStream(id: string, opts: LogOptions): AsyncGenerator<Uint8Array> {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container "${id}"`);
    const total = () => c.logBase + c.log.length;
    let next = opts.tail !== undefined
      ? Math.max(c.logBase, total() - Math.max(0, opts.tail))
      : c.logBase;
    for (;;) {
      next = Math.max(next, c.logBase);
      while (next < total()) yield encoder.encode(c.log[next++ - c.logBase]!);
      if (!opts.follow || c.removed || c.state === 'exited') return;
      await new Promise<void>((resolve) => c.waiters.push(resolve));
    }
  }

  exec(id: string, command: string[]): Promise<ExecResult> {
    return settle(() => this.execNow(id, command));
  }

  private execNow(id: string, command: string[]): ExecResult {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container "${id}"`);
    if (c.state !== 'running') {
      throw new RuntimeError(`cannot exec in container ${id}: container ${id} is not running`);
    }
    const p = deriveProgram(command);
    const text = (stream: 1 | 2) =>
      encoder.encode(p.outputs.filter((o) => o.stream === stream).map((o) => o.text).join(''));
    return {
      exitCode: p.exitAfterMs === undefined ? 0 : p.exitCode,
      stdout: text(1),
      stderr: text(2),
    };
  }
}
