// Shared by the benchmarks in scripts/bench/: the machine they ran on, percentiles, the
// `--quick` flag, the child processes killed when a benchmark exits, waiting for a quiet machine,
// and the one JSON line each benchmark prints as its result (the last line of its stdout;
// scripts/bench/run.ts collects them and writes docs/benchmarks.md).

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export const quick = process.argv.includes('--quick');

const children = new Set<ChildProcess>();
let exitHooked = false;

/** SIGKILLs the child (by pid) if it is still running when this process exits, however it exits. */
export function killOnExit<T extends ChildProcess>(child: T): T {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const c of children) {
        if (c.pid && c.exitCode === null && c.signalCode === null) {
          try {
            process.kill(c.pid, 'SIGKILL');
          } catch { /* gone */ }
        }
      }
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A number after `--name` on the command line, else the default. */
export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name}: expected a number, got ${process.argv[i + 1]}`);
  return v;
}

export interface Machine {
  cores: number;
  cpu: string;
  memory_gib: number;
  node: string;
}

export function machine(): Machine {
  const c = cpus();
  return { cores: c.length, cpu: c[0]?.model ?? 'unknown', memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/** The p-th percentile (0–100) of the values, nearest rank; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Rounded to `digits` decimals (benchmarks print a few significant figures, not noise). */
export const round = (v: number, digits = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

export interface BenchResult {
  /** startup | burst | throughput | failover | false-deaths | dissemination | api-latency | footprint | restart */
  benchmark: string;
  /** the target in words, e.g. "p50 <= 2 s, max <= 4 s" */
  target: string;
  met: boolean;
  /** what the figure is held against, in words (and the anchor's figures when measured in the same run) */
  anchor: string;
  /** how to rerun just this benchmark */
  command: string;
  /** when a target is missed: why, and what would fix it */
  note?: string;
  [figure: string]: unknown;
}

/** Prints the result as one JSON line on stdout (with the machine). */
export function emit(result: BenchResult) {
  process.stdout.write(`${JSON.stringify({ ...result, machine: machine(), quick })}\n`);
}

/** Progress for humans, on stderr (stdout carries only the result line). */
export function progress(msg: string) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Busy and total jiffies of all CPUs (/proc/stat). */
function cpuJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

/**
 * Waits (at most maxMs) until the machine is quiet: less than `busyBelow` of its CPU busy over
 * half a second. The kernel tears down the network namespaces and cgroups of removed containers
 * in the background for seconds; a timed phase that starts meanwhile shares the cores with it.
 * Returns the ms waited.
 */
export async function untilQuiet(maxMs = 20_000, busyBelow = 0.15): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < maxMs) {
    const a = cpuJiffies();
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuJiffies();
    if (b.total > a.total && (b.busy - a.busy) / (b.total - a.total) < busyBelow) break;
  }
  return Date.now() - t0;
}
