import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StarlingError } from '../../src/errors.ts';
import {
  isLabelKey,
  isLabelValue,
  matchesSelector,
  parseSelectorString,
  selectorMatcher,
  selectorToString,
  validateLabels,
  validateLabelSelector,
} from '../../src/manifest/labels.ts';

const test = suite('manifest: labels and selectors');

test('label keys', () => {
  for (
    const ok of ['app', 'App', 'app.kubernetes.io/name', 'example.com/MyName', 'a_b-c.d', '123']
  ) {
    assert.equal(isLabelKey(ok), [], ok);
  }
  assert.ok(isLabelKey('a/b/c')[0].startsWith('a valid label key must consist of'));
  assert.ok(
    isLabelKey('Example.com/app')[0].startsWith('prefix part a lowercase RFC 1123 subdomain'),
  );
  assert.equal(isLabelKey('example.com/')[0], 'name part must be non-empty');
  assert.equal(isLabelKey('/foo'), ['prefix part must be non-empty']);
  assert.equal(isLabelKey('a'.repeat(64))[0], 'name part must be no more than 63 bytes');
  assert.ok(
    isLabelKey('-app')[0].startsWith(
      "name part must consist of alphanumeric characters, '-', '_' or '.'",
    ),
  );
});

test('label values', () => {
  for (const ok of ['', 'web', 'v1.2.3', 'My_Value', '12345']) {
    assert.equal(isLabelValue(ok), [], ok);
  }
  assert.equal(
    isLabelValue('front end'),
    [
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
  );
  assert.equal(isLabelValue('a'.repeat(64)), ['must be no more than 63 bytes']);
});

test('label maps report the map path and the offending key or value', () => {
  const errs = validateLabels({ tier: '-web', 'a/b/c': 'x', version: 1 }, 'metadata.labels');
  assert.equal(errs.map((e) => e.field), [
    'metadata.labels',
    'metadata.labels',
    'metadata.labels[version]',
  ]);
  assert.ok(errs[0].message.startsWith('Invalid value: "-web": a valid label must be'));
  assert.ok(errs[1].message.startsWith('Invalid value: "a/b/c": a valid label key'));
  assert.is(errs[2].message, 'Invalid value: 1: expected string, got integer');
});

test('selector validation', () => {
  const errs = validateLabelSelector(
    {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In' },
        { key: 'x', operator: 'Exists', values: ['a'] },
        { key: 'y', operator: 'Maybe' },
        { key: 'z', operator: 'In', values: ['bad value'] },
      ],
    },
    'spec.selector',
  );
  assert.equal(errs.map((e) => `${e.field}: ${e.message.split(':')[0]}`), [
    'spec.selector.matchExpressions[0].values: Required value',
    'spec.selector.matchExpressions[1].values: Forbidden',
    'spec.selector.matchExpressions[2].operator: Invalid value',
    'spec.selector.matchExpressions[3].values[0]: Invalid value',
  ]);
});

test('matchLabels and matchExpressions', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  assert.ok(matchesSelector(labels, { matchLabels: { app: 'web' } }));
  assert.not.ok(matchesSelector(labels, { matchLabels: { app: 'api' } }));
  assert.ok(
    matchesSelector(labels, {
      matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }],
    }),
  );
  assert.not.ok(
    matchesSelector(labels, {
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }],
    }),
  );
  assert.ok(
    matchesSelector(labels, {
      matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }],
    }),
  );
  assert.ok(matchesSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }));
  assert.ok(
    matchesSelector(labels, { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }),
  );
  assert.not.ok(
    matchesSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }),
  );
  assert.not.ok(
    matchesSelector(labels, {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'x', operator: 'Exists' }],
    }),
  );
  // Kubernetes: an empty selector matches everything, a missing one nothing.
  assert.ok(matchesSelector(labels, {}));
  assert.not.ok(matchesSelector(labels, undefined));
  assert.ok(
    matchesSelector(undefined, { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }),
  );
});

test('kubectl -l syntax', () => {
  assert.equal(parseSelectorString('app=web'), { matchLabels: { app: 'web' } });
  assert.equal(parseSelectorString('app==web'), { matchLabels: { app: 'web' } });
  assert.equal(parseSelectorString(''), {});
  assert.equal(
    parseSelectorString(' app = web , tier!=db,env in (b, a),  env notin (c),key,!legacy '),
    {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'env', operator: 'NotIn', values: ['c'] },
        { key: 'key', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    },
  );
  assert.equal(parseSelectorString('app.kubernetes.io/name=nginx'), {
    matchLabels: { 'app.kubernetes.io/name': 'nginx' },
  });
  assert.equal(parseSelectorString('a=x,a=y').matchExpressions, [{
    key: 'a',
    operator: 'In',
    values: ['y'],
  }]);
});

test('the -l matcher', () => {
  const m = selectorMatcher('app=web,env in (prod,stage),!legacy');
  assert.ok(m({ app: 'web', env: 'prod' }));
  assert.not.ok(m({ app: 'web', env: 'dev' }));
  assert.not.ok(m({ app: 'web', env: 'prod', legacy: 'true' }));
  assert.ok(selectorMatcher('')({}));
});

test('bad -l syntax is a clear error', () => {
  const bad: Array<[string, string]> = [
    ['app=', ''], // allowed: empty value
    ['=web', "found '=', expected: identifier"],
    ['app=web,', 'expected: identifier'],
    ['env in (a,b', "expected: ',' or ')'"],
    ['env in a', "expected: '('"],
    ['env in ()', "values set can't be empty"],
    ['app web', "found 'web'"],
    ['Bad Key=1', "found 'Key'"],
    ['app=front end', "found 'end'"],
    ['a/b/c=1', 'invalid label key "a/b/c"'],
    ['app=-web', 'invalid label value "-web"'],
    ['n>1', "operator '>'"],
  ];
  for (const [input, text] of bad) {
    if (text === '') {
      assert.equal(parseSelectorString(input), { matchLabels: { app: '' } });
      continue;
    }
    try {
      parseSelectorString(input);
      assert.unreachable(`should refuse ${input}`);
    } catch (e) {
      assert.instance(e, StarlingError);
      const msg = (e as Error).message;
      assert.ok(msg.startsWith(`unable to parse selector ${JSON.stringify(input)}: `), msg);
      assert.ok(msg.includes(text), `${input}: ${msg}`);
    }
  }
});

test("kubectl's SELECTOR column", () => {
  assert.is(selectorToString({ matchLabels: { app: 'web' } }), 'app=web');
  assert.is(
    selectorToString({
      matchLabels: { tier: 'front', app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['b', 'a'] },
        { key: 'zone', operator: 'NotIn', values: ['x'] },
        { key: 'gpu', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    }),
    'app=web,env in (a,b),gpu,!legacy,tier=front,zone notin (x)',
  );
  assert.is(selectorToString({}), '<none>');
  assert.is(selectorToString(undefined), '<none>');
  // round trip through the -l syntax
  const s = 'app=web,env in (a,b),!legacy';
  assert.is(selectorToString(parseSelectorString(s)), s);
});

test.run();
