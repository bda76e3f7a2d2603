import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { noResourcesFound, renderTable } from '../../src/cli/format/table.ts';
import { DESCRIBE_TABWRITER, tabwrite } from '../../src/cli/format/tabwriter.ts';
import { formatLabels, formatLabelSelector, selectorMatches, selectorString } from '../../src/cli/format/selector.ts';
import { eventRow, getTable, nodeStatus } from '../../src/cli/format/workloads.ts';
import type { KObject } from '../../src/objects/types.ts';
import { ago, event, H, M, NOW, pod, running, S } from './format-fixtures.ts';

const test = suite('format: tables');

test('renderTable: upper-case headers, widest cell + 3 spaces, no trailing spaces', () => {
  const out = renderTable(['name', 'status', 'age'], [
    ['web-abc', 'Running', '5m'],
    ['a-much-longer-name', 'CrashLoopBackOff', '10d'],
  ]);
  assert.is(
    out,
    'NAME                 STATUS             AGE\n' +
      'web-abc              Running            5m\n' +
      'a-much-longer-name   CrashLoopBackOff   10d\n',
  );
  for (const line of out.split('\n')) assert.not.match(line, / $/);
});

test('renderTable: columns are at least 6 wide (kubectl tabwriter minwidth)', () => {
  assert.is(renderTable(['a', 'b', 'c'], [['x', 'y', 'z']]), 'A     B     C\nx     y     z\n');
});

test('renderTable: widths count characters, not UTF-16 units; cells stay on one line', () => {
  assert.is(renderTable(['name', 'x'], [['héllo✓', 'a\tb\nc']]), 'NAME     X\nhéllo✓   a b c\n');
});

test('renderTable: no headers, and nothing for nothing', () => {
  assert.is(renderTable([], [['a', 'b']]), 'a     b\n');
  assert.is(renderTable([], []), '');
});

test('tabwrite: a line without tabs ends the column block (describe sections)', () => {
  const text = 'Name:\tx\nLonger label:\ty\nSection:\n  k:\tv\n';
  assert.is(tabwrite(text, DESCRIBE_TABWRITER), 'Name:          x\nLonger label:  y\nSection:\n  k:  v\n');
});

test('noResourcesFound: namespaced and cluster-wide messages', () => {
  assert.is(noResourcesFound('dev'), 'No resources found in dev namespace.');
  assert.is(noResourcesFound(), 'No resources found');
});

const deployment = (name: string, ns = 'default'): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns, creationTimestamp: ago(2 * H) },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'busybox:latest' }, { name: 'log', image: 'busybox:1.36' }] },
    },
  },
  status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
});

test('getTable deployments (and -o wide)', () => {
  assert.is(
    getTable('deployments', [deployment('web')], { now: NOW }),
    'NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     3            2           120m\n',
  );
  assert.is(
    getTable('deploy', [deployment('web')], { now: NOW, wide: true }).split('\n')[1],
    'web    2/3     3            2           120m   web,log      busybox:latest,busybox:1.36   app=web',
  );
});

test('getTable replicasets (spec.replicas defaults to 1)', () => {
  const rs: KObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-5d9c', namespace: 'default', creationTimestamp: ago(90 * S) },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [] } } },
    status: { replicas: 1 },
  };
  assert.is(
    getTable('rs', [rs], { now: NOW }),
    'NAME       DESIRED   CURRENT   READY   AGE\nweb-5d9c   1         1         0       90s\n',
  );
});

test('getTable -A: NAMESPACE first, sorted by namespace then name; --no-headers', () => {
  const pods = [
    pod({ name: 'b', namespace: 'prod', statuses: [{ ready: true, state: running() }] }),
    pod({ name: 'a', namespace: 'prod', statuses: [{ ready: true, state: running() }] }),
    pod({ name: 'z', namespace: 'dev', phase: 'Pending' }),
  ];
  assert.is(
    getTable('pods', pods, { now: NOW, allNamespaces: true }),
    'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE\n' +
      'dev         z      0/1     Pending   0          5m\n' +
      'prod        a      1/1     Running   0          5m\n' +
      'prod        b      1/1     Running   0          5m\n',
  );
  assert.is(
    getTable('po', pods.slice(0, 1), { now: NOW, noHeaders: true }),
    'b     1/1   Running   0     5m\n',
  );
  assert.is(getTable('pods', [], { now: NOW }), '');
});

const node = (over: Partial<{ ready: string; unschedulable: boolean; roles: string[] }> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'n1',
    creationTimestamp: ago(50 * H),
    labels: Object.fromEntries((over.roles ?? []).map((r) => [`node-role.kubernetes.io/${r}`, ''])),
  },
  spec: over.unschedulable ? { unschedulable: true } : {},
  status: {
    conditions: over.ready ? [{ type: 'Ready', status: over.ready }] : [],
    addresses: [{ type: 'InternalIP', address: '127.0.0.11' }],
    allocatable: { cpu: '4', memory: '8Gi' },
    capacity: { cpu: '4', memory: '8Gi' },
    nodeInfo: { kubeletVersion: 'v0.1.0', containerRuntimeVersion: 'sim' },
  },
});

test('nodes: STATUS Ready / NotReady / Unknown / Ready,SchedulingDisabled; ROLES', () => {
  assert.is(nodeStatus(node({ ready: 'True' })), 'Ready');
  assert.is(nodeStatus(node({ ready: 'False' })), 'NotReady');
  assert.is(nodeStatus(node({ ready: 'Unknown' })), 'NotReady');
  assert.is(nodeStatus(node()), 'Unknown');
  assert.is(nodeStatus(node({ ready: 'True', unschedulable: true })), 'Ready,SchedulingDisabled');
  assert.is(
    getTable('nodes', [node({ ready: 'True', roles: ['worker', 'control-plane'] })], { now: NOW, allNamespaces: true }),
    'NAME   STATUS   ROLES                  AGE    VERSION   INTERNAL-IP\nn1     Ready    control-plane,worker   2d2h   v0.1.0    127.0.0.11\n',
  );
  assert.is(
    getTable('node', [node({ ready: 'True' })], { now: NOW, wide: true }),
    'NAME   STATUS   ROLES    AGE    VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE    KERNEL-VERSION   CONTAINER-RUNTIME   CPU   MEMORY\n' +
      'n1     Ready    <none>   2d2h   v0.1.0    127.0.0.11    <none>        <unknown>   <unknown>        sim                 4     8192Mi\n',
  );
});

test('namespaces: NAME STATUS AGE, no NAMESPACE column with -A', () => {
  const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev', creationTimestamp: ago(M) }, status: { phase: 'Active' } };
  assert.is(getTable('ns', [ns], { now: NOW, allNamespaces: true }), 'NAME   STATUS   AGE\ndev    Active   60s\n');
});

test('events: LAST SEEN TYPE REASON OBJECT MESSAGE, oldest first', () => {
  const evs = [
    event('BackOff', 'Back-off restarting failed container', { type: 'Warning', count: 3, firstAgo: 2 * M, lastAgo: 10 * S }),
    event('Scheduled', '  Successfully assigned default/web-abc to n1 ', { firstAgo: 5 * M }),
  ];
  assert.equal(eventRow(evs[0], NOW), ['10s', 'Warning', 'BackOff', 'pod/web-abc', 'Back-off restarting failed container']);
  assert.is(
    getTable('events', evs as unknown as KObject[], { now: NOW }),
    'LAST SEEN   TYPE      REASON      OBJECT        MESSAGE\n' +
      '5m          Normal    Scheduled   pod/web-abc   Successfully assigned default/web-abc to n1\n' +
      '10s         Warning   BackOff     pod/web-abc   Back-off restarting failed container\n',
  );
});

test('unknown kinds: NAME AGE', () => {
  const o: KObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'dev', creationTimestamp: ago(3 * H) } };
  assert.is(getTable('widgets', [o], { now: NOW }), 'NAME   AGE\nw1     3h\n');
  assert.is(getTable('widgets', [o], { now: NOW, allNamespaces: true }), 'NAMESPACE   NAME   AGE\ndev         w1     3h\n');
});

test('selectors: matchLabels k=v, matchExpressions in/notin/exists/!exists, sorted by key', () => {
  const sel = {
    matchLabels: { tier: 'web', app: 'shop' },
    matchExpressions: [
      { key: 'env', operator: 'In' as const, values: ['prod', 'canary'] },
      { key: 'zone', operator: 'NotIn' as const, values: ['b'] },
      { key: 'gpu', operator: 'Exists' as const },
      { key: 'legacy', operator: 'DoesNotExist' as const },
    ],
  };
  assert.is(selectorString(sel), 'app=shop,env in (canary,prod),gpu,!legacy,tier=web,zone notin (b)');
  assert.is(formatLabelSelector({}), '<none>');
  assert.is(formatLabelSelector(undefined), '<none>');
  assert.is(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), '<error>');
  assert.is(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  assert.is(formatLabels({}), '<none>');
  assert.ok(selectorMatches(sel, { app: 'shop', tier: 'web', env: 'prod', gpu: 'yes', zone: 'a' }));
  assert.not.ok(selectorMatches(sel, { app: 'shop', tier: 'web', env: 'prod', gpu: 'yes', legacy: '1' }));
});

test.run();
