// One Docker-backed node per e2e suite: started before the suite, stopped after it, and every
// container it made removed even when a test failed.

import type { Test } from 'uvu';
import type { ApiClient } from '../../src/api/client.ts';
import { removeContainersOf, uniqueNodeName } from './docker.ts';
import { NodeProcess } from './node-process.ts';

export interface SuiteNode {
  name: string;
  node: NodeProcess;
  /** a client connected to the node (reconnect after restarting it) */
  c: ApiClient;
  reconnect(): Promise<ApiClient>;
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
