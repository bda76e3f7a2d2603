// One Docker-backed node per e2e suite: started before the suite, stopped after it, and every
// container it made removed even when a test failed.

import { spawn } from 'node:child_process';
import type { Test } from 'uvu';
import type { ApiClient } from '../../src/api/client.ts';
import { removeContainersOf, uniqueNodeName } from './docker.ts';
import { cliCommand, NodeProcess, ROOT } from './node-process.ts';

/** What a CLI process did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SuiteNode {
  name: string;
  node: NodeProcess;
  /** a client connected to the node (reconnect after restarting it) */
  c: ApiClient;
  reconnect(): Promise<ApiClient>;
  /** `starling ARGS` as its own process against the node; killed after timeoutMs (default 60 s) */
  cli(args: string[], timeoutMs?: number): Promise<CliRun>;
}

export function withDockerNode(test: Test, prefix: string): SuiteNode {
  const name = uniqueNodeName(prefix);
  const node = new NodeProcess({ name });
  const s: SuiteNode = {
    name,
    node,
    c: undefined as unknown as ApiClient,
    async reconnect() {
      s.c?.close();
      s.c = await node.client();
      return s.c;
    },
    cli(args, timeoutMs = 60_000) {
      const { cmd, args: argv } = cliCommand([...args, '--config', node.configPath]);
      return new Promise((resolve, reject) => {
        const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, HOME: node.home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
  };
  test.before(async () => {
    await node.start();
    await s.reconnect();
  });
  test.after(async () => {
    s.c?.close();
    await node.kill('SIGTERM');
    await removeContainersOf(name);
    node.removeDirs();
  });
  return s;
}
