// Runs every test file under test/ in its own process, on Node (tsx) and on Deno, and prints
// the totals as `tests: N passed, N failed`. A file that crashes or times out counts as failed.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2];
const FILE_TIMEOUT_MS = 6 * 60_000;

function findTests(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return findTests(p);
    return f.endsWith('.test.ts') ? [p] : [];
  });
}

// unit suites first, then the runtime and in-process cluster suites, then the process and Docker suites
const order = (p: string) => (p.includes('/e2e/') || p.includes('/cluster-process/') ? 2 : p.includes('/runtime/') || p.includes('/cluster/') ? 1 : 0);
const files = findTests(join(root, 'test'))
  .filter((f) => !filter || relative(root, f).includes(filter))
  .sort((a, b) => order(a) - order(b) || a.localeCompare(b));

const runtimes = [
  { name: 'node', cmd: process.execPath, args: (f: string) => ['--import', 'tsx', f] },
  { name: 'deno', cmd: join(root, 'node_modules/.bin/deno'), args: (f: string) => ['run', '-A', '--quiet', f] },
];

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[run-tests] timed out after ${FILE_TIMEOUT_MS / 1000}s\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

let passed = 0;
let failed = 0;
const failures: string[] = [];
for (const rt of runtimes) {
  for (const f of files) {
    const rel = relative(root, f);
    const r = await run(rt.cmd, rt.args(f));
    const total = Number(/Total:\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
    const ok = Number(/Passed:\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
    const skipped = Number(/Skipped:\s+(\d+)/.exec(r.out)?.[1] ?? 0);
    let p = 0;
    let fl = 0;
    if (Number.isNaN(total) || Number.isNaN(ok)) fl = 1;
    else {
      p = ok;
      fl = total - ok - skipped;
      if (r.code !== 0 && fl === 0) fl = 1;
    }
    passed += p;
    failed += fl;
    console.log(`${fl ? 'FAIL' : 'ok  '} ${rt.name.padEnd(4)} ${rel}  ${p} passed, ${fl} failed  (${(r.ms / 1000).toFixed(1)}s)`);
    if (fl) {
      failures.push(`${rt.name} ${rel}`);
      console.log(r.out.split('\n').map((l) => `    | ${l}`).join('\n'));
    }
  }
}
if (failures.length) console.log(`\nfailed files:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
