// A graceful stop (SIGTERM: node-start stops its API server, then the node) must leave the
// cluster: the others mark the node Left, never Dead. Here the node is the one that bootstrapped
// the cluster, so every peer link it has was opened by the others and arrives through its API
// server's /peer path: the stop must still get its goodbye out.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { deployment, startCluster, type TestCluster, waitFor } from '../support/cluster.ts';

const test = suite('cluster: graceful leave');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({ size: 3, prefix: 'leave', firstHost: 171 });
});
test.after(async () => {
  await c?.stopAll();
});

test('the bootstrap node stopped gracefully is Left on the others, not Dead', async () => {
  await (await c.client('n2')).request('apply', { manifest: deployment('web', 3) });
  await waitFor(
    'web running',
    () =>
      c.node('n1').store.list('Pod', 'default').filter((p) => p.status?.phase === 'Running')
        .length === 3,
    15_000,
    50,
  );
  const links = c.get('n1').ws.linkStates().filter((l) => l.current);
  assert.ok(
    links.length === 2 && links.every((l) => !l.outbound),
    `set-up: every link of n1 was opened by the others (${JSON.stringify(links)})`,
  );

  const states = new Set<string>();
  await c.stop('n1');
  await waitFor(
    'n1 out of the cluster on n2 and n3',
    () => {
      for (const o of ['n2', 'n3']) states.add(`${o}:${c.memberState(o, 'n1')}`);
      return ['n2', 'n3'].every((o) => ['left', 'dead'].includes(c.memberState(o, 'n1') ?? ''));
    },
    10_000,
    20,
  );
  for (const o of ['n2', 'n3']) {
    assert.is(
      c.memberState(o, 'n1'),
      'left',
      `${o} holds n1 ${c.memberState(o, 'n1')} after a graceful stop (seen: ${
        [...states].join(' ')
      })`,
    );
    const ready = c.node(o).store.get('Node//n1')?.status?.conditions?.find((x: { type: string }) =>
      x.type === 'Ready'
    );
    await waitFor(
      `Node n1 NotReady (NodeLeft) on ${o}`,
      () => {
        const r = c.node(o).store.get('Node//n1')?.status?.conditions?.find((x: { type: string }) =>
          x.type === 'Ready'
        );
        return r?.status === 'False' && r?.reason === 'NodeLeft';
      },
      5_000,
      20,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; Ready: ${JSON.stringify(ready)}`);
    });
  }
});

test.run();
