import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorRecord, actorDetail, actorsTable } from '../../src/cli/format/actors.ts';
import { ago, H, M, NOW, S } from './format-fixtures.ts';

const test = suite('format: starling actors');

const actors: ActorRecord[] = [
  { kind: 'Pod', namespace: 'default', name: 'web-abc', node: 'n2', state: 'Running', since: ago(45 * S) },
  { kind: 'Node', namespace: '', name: 'n1', node: 'n1', state: 'Alive', since: ago(3 * H) },
  { kind: 'Deployment', namespace: 'default', name: 'web', node: 'n1', state: 'Progressing', since: ago(2 * M + 5 * S) },
  { kind: 'Pod', namespace: 'default', name: 'web-abd', node: '', state: 'Pending', since: ago(S) },
];

test('table: KIND NAMESPACE NAME NODE STATE SINCE, sorted, <none> for empty cells', () => {
  assert.is(
    actorsTable(actors, NOW),
    'KIND         NAMESPACE   NAME      NODE     STATE         SINCE\n' +
      'Deployment   default     web       n1       Progressing   2m5s\n' +
      'Node         <none>      n1        n1       Alive         3h\n' +
      'Pod          default     web-abc   n2       Running       45s\n' +
      'Pod          default     web-abd   <none>   Pending       1s\n',
  );
  assert.is(actorsTable([], NOW), '');
  assert.is(actorsTable(actors.slice(1, 2), NOW, { noHeaders: true }), 'Node   <none>   n1    n1    Alive   3h\n');
});

test('detail: identity, state and recent transitions as TIME EVENT FROM -> TO', () => {
  const actor: ActorRecord = {
    ...actors[0],
    transitions: [
      { event: 'CONTAINERS_STARTED', from: 'Scheduled', to: 'Running', at: ago(45 * S) },
      { event: 'BIND', from: 'Pending', to: 'Scheduled', at: ago(60 * S) },
    ],
  };
  assert.is(
    actorDetail(actor, NOW),
    `Kind:       Pod
Namespace:  default
Name:       web-abc
Node:       n2
State:      Running
Since:      Mon, 15 Jan 2024 11:59:15 +0000 (45s ago)
Transitions:
  TIME                  AGE  EVENT               FROM -> TO
  ----                  ---  -----               ----------
  2024-01-15T11:59:00Z  60s  BIND                Pending -> Scheduled
  2024-01-15T11:59:15Z  45s  CONTAINERS_STARTED  Scheduled -> Running
`,
  );
});

test('detail: only the most recent transitions, and <none> without any', () => {
  const transitions = Array.from({ length: 30 }, (_, i) => ({
    event: `E${i}`,
    from: `s${i}`,
    to: `s${i + 1}`,
    at: ago((30 - i) * S),
  }));
  const out = actorDetail({ ...actors[0], transitions }, NOW, { limit: 5 });
  assert.match(out, /^Transitions:\s+\(last 5 of 30\)$/m);
  assert.not.match(out, / E24 /);
  assert.match(out, / E25 +s25 -> s26\n/);
  assert.match(out, / E29 +s29 -> s30\n$/);
  assert.match(actorDetail(actors[1], NOW), /\nTransitions:\s+<none>\n$/);
});

test.run();
