import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { podRow, podSummary } from '../../src/cli/format/pods.ts';
import { ago, H, M, NOW, pod, running, S } from './format-fixtures.ts';

const test = suite('format: get pods (printPod)');

const summary = (p: ReturnType<typeof pod>) => podSummary(p, NOW);

test('Running and ready', () => {
  const s = summary(pod({ statuses: [{ ready: true, state: running() }] }));
  assert.is(s.ready, '1/1');
  assert.is(s.status, 'Running');
  assert.is(s.restarts, '0');
});

test('running but not ready: STATUS is the phase, READY 0/1', () => {
  const s = summary(pod({ statuses: [{ ready: false, state: running() }] }));
  assert.is(s.ready, '0/1');
  assert.is(s.status, 'Running');
});

test('waiting reasons: ContainerCreating, ErrImagePull, ImagePullBackOff, CrashLoopBackOff', () => {
  for (const reason of ['ContainerCreating', 'ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff']) {
    const s = summary(pod({ phase: 'Pending', statuses: [{ state: { waiting: { reason } } }] }));
    assert.is(s.status, reason);
    assert.is(s.ready, '0/1');
  }
});

test('no container statuses yet: the phase', () => {
  assert.is(summary(pod({ phase: 'Pending' })).status, 'Pending');
});

test('status.reason wins over the phase (Evicted)', () => {
  assert.is(summary(pod({ phase: 'Failed', reason: 'Evicted' })).status, 'Evicted');
});

test('CrashLoopBackOff with RESTARTS "5 (45s ago)" from lastState.terminated.finishedAt', () => {
  const s = summary(pod({
    statuses: [{
      restartCount: 5,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(45 * S) } },
    }],
  }));
  assert.is(s.status, 'CrashLoopBackOff');
  assert.is(s.restarts, '5 (45s ago)');
});

test('RESTARTS sums containers and uses the latest finishedAt', () => {
  const s = summary(pod({
    containers: ['a', 'b'],
    statuses: [
      { name: 'a', ready: true, restartCount: 2, state: running(), lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(3 * H) } } },
      { name: 'b', ready: true, restartCount: 1, state: running(), lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(2 * M + 5 * S) } } },
    ],
  }));
  assert.is(s.ready, '2/2');
  assert.is(s.restarts, '3 (2m5s ago)');
});

test('restarts without a last termination time: the bare count', () => {
  const s = summary(pod({ statuses: [{ ready: true, restartCount: 2, state: running() }] }));
  assert.is(s.restarts, '2');
});

test('terminated containers: reason, else Signal:N, else ExitCode:N', () => {
  const term = (t: Record<string, unknown>) =>
    summary(pod({ phase: 'Failed', statuses: [{ state: { terminated: { exitCode: 1, reason: '', ...t } } as never }] })).status;
  assert.is(term({ reason: 'OOMKilled', exitCode: 137 }), 'OOMKilled');
  assert.is(term({ exitCode: 137, signal: 9 }), 'Signal:9');
  assert.is(term({ exitCode: 2 }), 'ExitCode:2');
});

test('Completed for a Succeeded pod', () => {
  const s = summary(pod({
    phase: 'Succeeded',
    statuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(M) } } }],
  }));
  assert.is(s.status, 'Completed');
  assert.is(s.ready, '0/1');
});

test('one container Completed, another running: Running if the pod is Ready, else NotReady', () => {
  const statuses = [
    { name: 'job', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    { name: 'web', ready: true, state: running() },
  ];
  const notReady = summary(pod({ containers: ['job', 'web'], statuses, conditions: [{ type: 'Ready', status: 'False' }] }));
  assert.is(notReady.status, 'NotReady');
  assert.is(notReady.ready, '1/2');
  const ready = summary(pod({ containers: ['job', 'web'], statuses, conditions: [{ type: 'Ready', status: 'True' }] }));
  assert.is(ready.status, 'Running');
});

test('init containers: Init:N/M while they run', () => {
  const initContainers = [{ name: 'init-a' }, { name: 'init-b' }];
  const first = summary(pod({
    phase: 'Pending',
    initContainers,
    initStatuses: [
      { name: 'init-a', state: running() },
      { name: 'init-b', state: { waiting: { reason: 'PodInitializing' } } },
    ],
    statuses: [{ state: { waiting: { reason: 'PodInitializing' } } }],
  }));
  assert.is(first.status, 'Init:0/2');
  const second = summary(pod({
    phase: 'Pending',
    initContainers,
    initStatuses: [
      { name: 'init-a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'init-b', state: running() },
    ],
  }));
  assert.is(second.status, 'Init:1/2');
});

test('init containers: Init:CrashLoopBackOff, Init:Error, Init:ExitCode:N', () => {
  const initContainers = [{ name: 'init-a' }];
  const st = (s: Record<string, unknown>) =>
    summary(pod({ phase: 'Pending', initContainers, initStatuses: [{ name: 'init-a', restartCount: 4, ...s }] }));
  const crash = st({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30 * S) } } });
  assert.is(crash.status, 'Init:CrashLoopBackOff');
  assert.is(crash.restarts, '4 (30s ago)');
  assert.is(st({ state: { terminated: { exitCode: 1, reason: 'Error' } } }).status, 'Init:Error');
  assert.is(st({ state: { terminated: { exitCode: 3, reason: '' } } }).status, 'Init:ExitCode:3');
});

test('sidecar (restartable init container) counts in READY', () => {
  const s = summary(pod({
    initContainers: [{ name: 'proxy', restartPolicy: 'Always' }],
    initStatuses: [{ name: 'proxy', ready: true, started: true, state: running() }],
    statuses: [{ ready: true, state: running() }],
    conditions: [{ type: 'Initialized', status: 'True' }],
  }));
  assert.is(s.ready, '2/2');
  assert.is(s.status, 'Running');
});

test('Terminating when deletionTimestamp is set (not for finished pods)', () => {
  const deleting = pod({ deletionTimestamp: ago(5 * S), statuses: [{ ready: true, state: running() }] });
  assert.is(summary(deleting).status, 'Terminating');
  const done = pod({
    phase: 'Succeeded',
    deletionTimestamp: ago(5 * S),
    statuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  });
  assert.is(summary(done).status, 'Completed');
  assert.is(summary(pod({ reason: 'NodeLost', deletionTimestamp: ago(S) })).status, 'Unknown');
});

test('podRow: NAME READY STATUS RESTARTS AGE, and the wide columns', () => {
  const p = pod({ statuses: [{ ready: true, state: running() }] });
  assert.equal(podRow(p, NOW), ['web-abc', '1/1', 'Running', '0', '5m']);
  assert.equal(podRow(p, NOW, true).slice(5), ['<none>', '<none>', '<none>', '<none>']);
  p.spec.nodeName = 'n1';
  p.status.podIP = '10.1.0.7';
  p.spec.readinessGates = [{ conditionType: 'example.com/lb' }];
  p.status.conditions = [{ type: 'example.com/lb', status: 'True' }];
  assert.equal(podRow(p, NOW, true).slice(5), ['10.1.0.7', 'n1', '<none>', '1/1']);
});

test.run();
