// A 5-node cluster in one process, joined the way `starling node start --join --token` joins:
// every node lists every node Ready; wrong and unknown join tokens are refused and change
// nothing; tokens are made, listed and deleted over the API, and a token deleted on one node is
// refused by another.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { STARLING_VERSION } from '../../src/config.ts';
import { StarlingError } from '../../src/errors.ts';
import { objectKey } from '../../src/objects/types.ts';
import { startCluster, type TestCluster, waitFor } from '../support/cluster.ts';

const test = suite('cluster: joining and join tokens');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({ size: 5, prefix: 'join', firstHost: 21 });
});
test.after(async () => {
  await c?.stopAll();
});

const readyNodes = (items: any[]) =>
  items.filter((n) =>
    n.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')
  ).map((n) => n.metadata.name).sort();

/** Every up node's membership: the names of its alive members. */
const aliveEverywhere = () =>
  c.upNames().map((o) =>
    c.node(o).membership.members().filter((m) => m.state === 'alive').map((m) => m.name).sort()
      .join(',')
  );

test('5 nodes join: every node lists 5 nodes, all Ready', async () => {
  const all = ['n1', 'n2', 'n3', 'n4', 'n5'];
  for (const name of all) {
    const api = await c.client(name);
    await waitFor(
      `get nodes on ${name} to list 5 Ready nodes`,
      async () => {
        const { items } = await api.request('get', { kind: 'nodes' });
        return items.length === 5 && readyNodes(items).join(',') === all.join(',');
      },
      10_000,
      100,
    );
  }
  // each Node object describes its node: address, capacity, version, runtime
  const { items } = await (await c.client('n3')).request('get', { kind: 'nodes' });
  for (const n of items) {
    const me = c.get(n.metadata.name);
    assert.equal(
      n.status.addresses,
      [{ type: 'InternalIP', address: me.host }],
      `${n.metadata.name} addresses`,
    );
    assert.is(n.status.allocatable.cpu, '4000m');
    assert.is(n.status.allocatable.memory, String(8 * 1024 ** 3));
    assert.is(n.status.nodeInfo.kubeletVersion, STARLING_VERSION);
    assert.is(n.status.nodeInfo.containerRuntimeVersion, 'sim');
  }
  // every member knows the admin credentials of the one cluster
  const ids = new Set(c.names().map((n) => c.get(n).wiring.creds!.clusterId));
  assert.is(ids.size, 1);
  assert.ok(c.get('n1').wiring.bootstrapped);
  for (const n of ['n2', 'n3', 'n4', 'n5']) {
    assert.not.ok(c.get(n).wiring.bootstrapped, `${n} joined, it did not bootstrap`);
  }
});

test('a wrong token (right id, wrong secret) and an unknown token are refused; the cluster keeps its 5 members', async () => {
  const [id, secret] = c.joinToken.split('.');
  const wrongSecret = secret.startsWith('a') ? `b${secret.slice(1)}` : `a${secret.slice(1)}`;
  const started = Date.now();
  const e1 = await c.refusedJoin(
    { name: 'intruder-a', host: '127.0.0.31' },
    `${id}.${wrongSecret}`,
    'n3',
  );
  assert.instance(e1, StarlingError);
  assert.is((e1 as StarlingError).code, 'Unauthorized', e1.message);
  assert.match(e1.message, /join token was refused/);
  const unknown = id === 'zzzzzz' ? 'yyyyyy' : 'zzzzzz';
  const e2 = await c.refusedJoin(
    { name: 'intruder-b', host: '127.0.0.32' },
    `${unknown}.0123456789abcdef`,
    'n1',
  );
  assert.instance(e2, StarlingError);
  assert.is((e2 as StarlingError).code, 'Unauthorized', e2.message);
  assert.match(e2.message, /join token was refused/);
  assert.ok(Date.now() - started < 20_000, 'refusals come within seconds');
  // nothing changed: still the same 5 members everywhere, no Node object for the intruders
  const five = 'n1,n2,n3,n4,n5';
  await waitFor(
    '5 alive members everywhere',
    () => aliveEverywhere().every((s) => s === five),
    5_000,
  );
  for (const o of c.upNames()) {
    const names = c.node(o).membership.members().map((m) => m.name);
    assert.not.ok(
      names.includes('intruder-a') || names.includes('intruder-b'),
      `${o} knows ${names}`,
    );
    const { items } = await (await c.client(o)).request('get', { kind: 'nodes' });
    assert.is(items.length, 5, `${o}: get nodes`);
  }
});

test('token create / list / delete over the API; a token made on one node admits at another; a token deleted on one node is refused on another', async () => {
  const n2 = await c.client('n2');
  const made = await n2.request('token-create', { ttlMs: 3_600_000, description: 'for the test' });
  assert.match(made.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.is(made.id, made.token.split('.')[0]);
  assert.is(made.description, 'for the test');
  const expires = Date.parse(made.expires);
  assert.ok(
    expires > Date.now() + 3_500_000 && expires <= Date.now() + 3_600_000 + 1_000,
    made.expires,
  );

  // listed on every node, without its secret
  for (const o of c.upNames()) {
    const api = await c.client(o);
    const items = await waitFor(
      `token ${made.id} listed on ${o}`,
      async () => {
        const { items } = await api.request('token-list');
        return items.some((t: any) => t.id === made.id) && items;
      },
      5_000,
      50,
    );
    assert.not.ok(
      JSON.stringify(items).includes(made.token.split('.')[1]),
      `token list on ${o} shows a secret`,
    );
  }

  // the token made on n2 admits a node joining through n4
  await waitFor(
    'the token on n4',
    () => !!c.node('n4').store.get(objectKey('BootstrapToken', '', made.id)),
    5_000,
  );
  await c.add({ name: 'n6', host: '127.0.0.26' }, { seed: 'n4', token: made.token });
  await c.waitConverged('6 members');

  // deleted on n3: refused when used at n5
  const n3 = await c.client('n3');
  const del = await n3.request('token-delete', { id: made.id });
  assert.is(del.id, made.id);
  const gone = await n3.refused('token-delete', { id: made.id });
  assert.is(gone.code, 'NotFound');
  await waitFor(
    'the deletion reaches n5',
    () => !c.node('n5').store.get(objectKey('BootstrapToken', '', made.id)),
    5_000,
  );
  const { items } = await (await c.client('n5')).request('token-list');
  assert.not.ok(items.some((t: any) => t.id === made.id), 'the deleted token is not listed on n5');
  const e = await c.refusedJoin({ name: 'late', host: '127.0.0.33' }, made.token, 'n5');
  assert.is((e as StarlingError).code, 'Unauthorized', e.message);
  assert.match(e.message, /join token was refused/);

  // an expired token is refused too
  const short = await n3.request('token-create', { ttlMs: 1, description: 'short-lived' });
  await waitFor(
    'the short-lived token to expire',
    () => Date.now() > Date.parse(short.expires) + 50,
    3_000,
    50,
  );
  await waitFor(
    'the short-lived token on n2',
    () => !!c.node('n2').store.get(objectKey('BootstrapToken', '', short.id)),
    5_000,
  );
  const ex = await c.refusedJoin({ name: 'too-late', host: '127.0.0.34' }, short.token, 'n2');
  assert.is((ex as StarlingError).code, 'Unauthorized', ex.message);
  assert.match(ex.message, /join token was refused/);

  // the bootstrap token still works
  const { items: still } = await n3.request('token-list');
  assert.ok(still.some((t: any) => t.id === c.joinToken.split('.')[0]));
  await waitFor(
    '6 alive members everywhere',
    () => aliveEverywhere().every((s) => s === 'n1,n2,n3,n4,n5,n6'),
    5_000,
  );
});

test.run();
