// The real `starling` CLI as a separate process (Node with tsx, or Deno) against a node process
// on the sim runtime: apply outcomes, kubectl-like tables and -o json|name, errors on stderr with
// a non-zero exit, a refused token, actors -o json, exec's exit code, `node start` flag checks
// and a graceful exit on SIGTERM. About 15 CLI invocations: each costs a process start.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject } from '../../src/objects/types.ts';
import { cliCommand, NodeProcess, ROOT } from '../support/node-process.ts';
import { TestClient, waitFor } from '../support/sim-node.ts';

const test = suite('cli e2e (sim runtime)');

const node = new NodeProcess({ name: `cli-e2e-${process.pid}`, runtime: 'sim' });
const work = mkdtempSync(join(tmpdir(), 'starling-cli-e2e-'));
const home = join(work, 'home');
let api: TestClient | undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with HOME in a temp dir; bounded in time (killed after timeoutMs). */
function cli(args: string[], opts: { config?: string | false; timeoutMs?: number } = {}): Promise<Run> {
  const config = opts.config === false ? [] : ['--config', opts.config ?? node.configPath];
  // flags go before `--` (what follows it is the command exec runs)
  const dashes = args.indexOf('--');
  const withConfig = dashes < 0 ? [...args, ...config] : [...args.slice(0, dashes), ...config, ...args.slice(dashes)];
  const { cmd, args: argv } = cliCommand(withConfig);
  const env: Record<string, string | undefined> = { ...process.env, HOME: home, NO_COLOR: '1' };
  delete env.STARLING_CONFIG;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: httpd
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["httpd", "-f", "-p", "8080"]
`;
const BAD_QUANTITY = `apiVersion: v1
kind: Pod
metadata:
  name: greedy
spec:
  containers:
    - name: main
      image: busybox:latest
      resources:
        limits: { cpu: 1.5.5 }
`;

const webFile = join(work, 'web.yaml');
const badFile = join(work, 'bad.yaml');

test.before(async () => {
  writeFileSync(webFile, WEB);
  writeFileSync(badFile, BAD_QUANTITY);
  await node.start();
  api = new TestClient(await node.client());
});

test.after(async () => {
  api?.close();
  await node.kill('SIGKILL');
  node.removeDirs();
  rmSync(work, { recursive: true, force: true });
});

test('apply -f prints created, then unchanged', async () => {
  const first = await cli(['apply', '-f', webFile]);
  assert.is(first.code, 0, show(first));
  assert.is(first.stdout.trim(), 'deployment.apps/web created');
  const again = await cli(['apply', '-f', webFile]);
  assert.is(again.code, 0, show(again));
  assert.is(again.stdout.trim(), 'deployment.apps/web unchanged');
});

test('get pods prints a kubectl-like table', async () => {
  await waitFor('3 running web pods', async () => {
    const pods = (await api!.request('get', { kind: 'pods', selector: 'app=web' })).items as KObject[];
    return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready);
  }, 30_000, 100);
  const r = await cli(['get', 'pods']);
  assert.is(r.code, 0, show(r));
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  assert.is(lines.length, 4, r.stdout);
  for (const line of lines.slice(1)) assert.match(line, /^web-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\d+s$/);
  // columns are aligned: every row's STATUS starts where the header's does
  const col = lines[0].indexOf('STATUS');
  for (const line of lines.slice(1)) assert.is(line.indexOf('Running'), col, line);
});

test('get deploy web -o json is a Deployment; get pods -o json is a List', async () => {
  const one = await cli(['get', 'deploy', 'web', '-o', 'json']);
  assert.is(one.code, 0, show(one));
  const d = JSON.parse(one.stdout);
  assert.is(d.kind, 'Deployment');
  assert.is(d.apiVersion, 'apps/v1');
  assert.is(d.metadata.name, 'web');
  assert.is(d.spec.replicas, 3);
  const list = await cli(['get', 'pods', '-o', 'json']);
  assert.is(list.code, 0, show(list));
  const l = JSON.parse(list.stdout);
  assert.is(l.kind, 'List');
  assert.is(l.apiVersion, 'v1');
  assert.is(l.items.length, 3);
  assert.ok(l.items.every((p: KObject) => p.kind === 'Pod'));
});

test('get pods -o name prints pod/NAME lines', async () => {
  const r = await cli(['get', 'pods', '-o', 'name']);
  assert.is(r.code, 0, show(r));
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 3);
  for (const line of lines) assert.match(line, /^pod\/web-[a-z0-9]+-[a-z0-9]{5}$/);
});

test('errors go to stderr as "error: ..." with a non-zero exit', async () => {
  const kind = await cli(['get', 'nosuchkind']);
  assert.ok(kind.code !== 0 && kind.code !== null, show(kind));
  assert.match(kind.stderr, /^error: .*nosuchkind/m);
  assert.is(kind.stdout, '');
  const bad = await cli(['apply', '-f', badFile]);
  assert.ok(bad.code !== 0 && bad.code !== null, show(bad));
  assert.match(bad.stderr, /^error: /);
  assert.match(bad.stderr, /spec\.containers\[0\]\.resources\.limits\[cpu\]: Invalid value: "1\.5\.5"/);
  assert.is(bad.stdout, '');
  const pods = (await api!.request('get', { kind: 'pods' })).items as KObject[];
  assert.not.ok(pods.some((p) => p.metadata.name === 'greedy'), 'nothing applied');
});

test('a wrong token in the config file: an error about the token, exit non-zero', async () => {
  const wrong = join(work, 'wrong.conf');
  writeFileSync(wrong, `server: ${node.server}\ntoken: ${'deadbeef'.repeat(8)}\n`);
  const r = await cli(['get', 'pods'], { config: wrong });
  assert.ok(r.code !== 0 && r.code !== null, show(r));
  assert.match(r.stderr, /^error: .*token/m, r.stderr);
  assert.is(r.stdout, '');
});

test('actors -o json lists every actor with kind, namespace, name, node, state and since', async () => {
  const r = await cli(['actors', '-o', 'json']);
  assert.is(r.code, 0, show(r));
  const { items } = JSON.parse(r.stdout);
  assert.ok(Array.isArray(items) && items.length >= 6, r.stdout.slice(0, 500));
  for (const a of items) {
    for (const f of ['kind', 'namespace', 'name', 'node', 'state', 'since']) assert.type(a[f], 'string', `${f} of ${JSON.stringify(a)}`);
    assert.is(a.node, node.opts.name);
    assert.ok(!Number.isNaN(Date.parse(a.since)), a.since);
  }
  const pods = items.filter((a: any) => a.kind === 'Pod');
  assert.is(pods.length, 3);
  assert.ok(pods.every((a: any) => a.namespace === 'default' && a.state === 'Running.Ready'), JSON.stringify(pods));
  assert.ok(items.some((a: any) => a.kind === 'Deployment' && a.name === 'web'));
  assert.ok(items.some((a: any) => a.kind === 'ReplicaSet'));
});

test('exec passes output and the exit code through (sim runtime)', async () => {
  const pods = (await api!.request('get', { kind: 'pods', selector: 'app=web' })).items as KObject[];
  const r = await cli(['exec', pods[0].metadata.name, '--', 'sh', '-c', 'echo from-exec; exit 3']);
  assert.is(r.code, 3, show(r));
  assert.is(r.stdout, 'from-exec\n');
});

test('node start refuses bad flag values with a clear error', async () => {
  const dir = join(work, 'bad-node');
  const runtime = await cli(['node', 'start', '--data-dir', dir, '--runtime', 'foo', '--listen', '127.0.0.1:0'], { config: false });
  assert.ok(runtime.code !== 0 && runtime.code !== null, show(runtime));
  assert.match(runtime.stderr, /^error: --runtime: Unsupported value: "foo"/m);
  const listen = await cli(['node', 'start', '--data-dir', dir, '--runtime', 'sim', '--listen', 'nonsense'], { config: false });
  assert.ok(listen.code !== 0 && listen.code !== null, show(listen));
  assert.match(listen.stderr, /^error: --listen: .*"nonsense"/m);
});

test('SIGTERM makes `node start` exit 0', async () => {
  api?.close();
  api = undefined;
  const child = node.child!;
  assert.is(child.exitCode, null, 'the node is still running');
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  // process.kill rather than child.kill: Deno's child_process reports a child it signalled as
  // killed by the signal (code null) even when the child handled it and exited 0
  process.kill(child.pid!, 'SIGTERM');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000)))]);
  clearTimeout(timer);
  if (result === 'timeout') child.kill('SIGKILL');
  assert.equal(result, { code: 0, signal: null }, node.log.slice(-2000));
  assert.match(node.log, /SIGTERM: stopping/);
  assert.match(node.log, /\] stopped/);
});

test.run();
