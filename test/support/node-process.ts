// Starts a Starling node as a separate process (on the same JavaScript runtime as the test:
// Node with tsx, or Deno), with its own data dir and HOME, and connects a client to it.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiClient } from '../../src/api/client.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const isDeno = typeof (globalThis as any).Deno !== 'undefined';

export function cliCommand(args: string[]): { cmd: string; args: string[] } {
  return isDeno
    ? { cmd: process.execPath, args: ['run', '-A', '--quiet', join(ROOT, 'src/cli/main.ts'), ...args] }
    : { cmd: process.execPath, args: [join(ROOT, 'bin/starling.js'), ...args] };
}

export interface NodeProcessOptions {
  name: string;
  /** 0 (default): any free port; the address is read back from DIR/admin.conf */
  port?: number;
  host?: string;
  runtime?: 'docker' | 'sim';
  dataDir?: string;
  extra?: string[];
}

export class NodeProcess {
  child?: ChildProcess;
  log = '';
  readonly dataDir: string;
  readonly home: string;
  constructor(readonly opts: NodeProcessOptions) {
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `starling-${opts.name}-`));
    this.home = mkdtempSync(join(tmpdir(), 'starling-home-'));
  }
  get listen() {
    return `${this.opts.host ?? '127.0.0.1'}:${this.opts.port ?? 0}`;
  }
  /** the address the node listens on (from its admin.conf) */
  get server(): string {
    return parse(readFileSync(this.configPath, 'utf8')).server;
  }
  get configPath() {
    return join(this.dataDir, 'admin.conf');
  }
  token(): string {
    return parse(readFileSync(this.configPath, 'utf8')).token;
  }

  /** Starts the process and waits until its API answers. */
  async start(timeoutMs = 30_000): Promise<void> {
    const { cmd, args } = cliCommand([
      'node', 'start', '--data-dir', this.dataDir, '--listen', this.listen, '--name', this.opts.name,
      '--runtime', this.opts.runtime ?? 'docker', '--preset', 'test', ...(this.opts.extra ?? []),
    ]);
    const logFrom = this.log.length;
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, HOME: this.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`node ${this.opts.name} exited (${child.exitCode}):\n${this.log}`);
      if (this.log.slice(logFrom).includes('ready: API') && existsSync(this.configPath)) {
        try {
          const c = await this.client();
          c.close();
          return;
        } catch { /* not yet */ }
      }
      await sleep(100);
    }
    throw new Error(`node ${this.opts.name} did not come up in ${timeoutMs} ms:\n${this.log}`);
  }

  client(): Promise<ApiClient> {
    return new ApiClient(this.server, this.token()).connect();
  }

  /** Sends a signal and waits for the process to end. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // process.kill, not child.kill: Deno's child_process reports a child it signalled itself as
    // killed by that signal even when the child handled it and exited 0
    process.kill(child.pid!, signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await done;
    clearTimeout(timer);
    return code;
  }

  removeDirs() {
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value; fails with the last value after timeoutMs. */
type Falsy = false | 0 | '' | null | undefined;
export async function until<T>(what: string, check: () => Promise<T | Falsy>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last as T;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500)}`);
}
