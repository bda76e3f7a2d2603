import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ParseError, StarlingError } from '../../src/errors.ts';
import { documentsJson } from '../../src/manifest/documents.ts';
import { MAX_NESTING_DEPTH, parseDocuments } from '../../src/manifest/yaml.ts';

const test = suite('manifest: YAML parsing');

function parseFails(text: string, ...texts: string[]): ParseError {
  try {
    parseDocuments(text);
  } catch (e) {
    assert.instance(e, ParseError);
    for (const t of texts) {
      assert.ok((e as Error).message.includes(t), `${t} not in ${(e as Error).message}`);
    }
    return e as ParseError;
  }
  assert.unreachable('should fail');
  throw new Error();
}

test('several documents; empty and comment-only ones are skipped', () => {
  const text = '---\n# just a comment\n---\na: 1\n---\n---\nnull\n---\n~\n---\nb: 2\n...\n';
  assert.equal(parseDocuments(text), [{ a: 1 }, { b: 2 }]);
  assert.equal(parseDocuments(''), []);
  assert.equal(parseDocuments('# nothing here\n'), []);
});

test('JSON is YAML', () => {
  assert.equal(parseDocuments('{"kind": "Pod", "spec": {"containers": [{"name": "c"}]}}'), [
    { kind: 'Pod', spec: { containers: [{ name: 'c' }] } },
  ]);
});

test('KYAML flow style with trailing commas and quoted strings', () => {
  const text = `---
{
  apiVersion: "v1",
  kind: "ResourceQuota",
  metadata: {
    name: "mem-cpu-demo",
  },
  spec: {
    hard: {
      requests.cpu: "1",
      limits.memory: "2Gi",
    },
  },
}
`;
  assert.equal(parseDocuments(text), [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'mem-cpu-demo' },
      spec: { hard: { 'requests.cpu': '1', 'limits.memory': '2Gi' } },
    },
  ]);
});

test('YAML 1.2 core schema: on/yes/no stay strings, numbers stay numbers', () => {
  assert.equal(
    parseDocuments('a: on\nb: yes\nc: no\nd: true\ne: 0.5\nf: 1.10\ng: "1.10"\nh: 010\ni: 09\nj: 0o17\n'),
    [
      // `010` is octal as go-yaml (and so kubectl) reads it, for file modes such as `0644`
      { a: 'on', b: 'yes', c: 'no', d: true, e: 0.5, f: 1.1, g: '1.10', h: 8, i: 9, j: 15 },
    ],
  );
});

test('multi-line quoted scalars and block scalars', () => {
  const text =
    'a: "maxmemory 2mb\\n\\\n   maxmemory-policy allkeys-lru\\n\\\n  "\nb: |\n  line 1\n  line 2\nc: \'one\n  two\'\n';
  assert.equal(parseDocuments(text), [
    { a: 'maxmemory 2mb\nmaxmemory-policy allkeys-lru\n', b: 'line 1\nline 2\n', c: 'one two' },
  ]);
});

test('odd but valid: space before a colon, trailing spaces, uneven indentation', () => {
  const text =
    'kind: Deployment \nmetadata:\n name: x\n labels:\n    app: y\nlimits :\n  cpu: 0.5   \n';
  assert.equal(parseDocuments(text), [{
    kind: 'Deployment',
    metadata: { name: 'x', labels: { app: 'y' } },
    limits: { cpu: 0.5 },
  }]);
});

test('anchors, aliases and merge keys in moderation are fine', () => {
  const text = 'base: &env [{name: A, value: "1"}]\nx: *env\ny: {<<: {k: v}, z: 1}\n';
  const [doc] = parseDocuments(text) as Array<Record<string, Array<Record<string, string>>>>;
  assert.equal(doc.x, [{ name: 'A', value: '1' }]);
  assert.equal(doc.y, { k: 'v', z: 1 });
  doc.x[0].name = 'B'; // aliases are copies, not shared objects
  assert.is(doc.base[0].name, 'A');
});

test('syntax errors name the document, line and column', () => {
  const e = parseFails('a: 1\n---\nb: 2\nc: [1,\n  2\n', 'error parsing YAML document 2 at line ');
  assert.is(e.info.document, 1);
  assert.type(e.info.line, 'number');
  assert.type(e.info.column, 'number');
  parseFails('metadata:\n  name: web\n  - labels\n', 'document 1', 'line 3');
  parseFails('--- apiVersion: v1\nkind: Pod\n', 'line 1, column 5');
});

test('duplicate keys, unknown and self-referencing anchors', () => {
  parseFails(
    'spec:\n  replicas: 3\n  replicas: 4\n',
    'duplicate key "replicas"',
    'line 3, column 3',
  );
  parseFails('data: {a: *nope}\n', "unknown anchor 'nope' referenced", 'line 1, column 11');
  parseFails('a: &x {b: *x}\n', "anchor 'x' value contains itself");
});

test('deep nesting is refused before it can exhaust the stack', () => {
  const n = 100_000;
  const start = performance.now();
  parseFails(`a: ${'['.repeat(n)}${']'.repeat(n)}\n`, `exceeded max depth of ${MAX_NESTING_DEPTH}`);
  assert.ok(performance.now() - start < 2000);
  const ok = 50;
  assert.is(parseDocuments(`a: ${'['.repeat(ok)}${']'.repeat(ok)}\n`).length, 1);
});

test('the 3 MiB limit counts bytes', () => {
  const limit = 3 * 1024 * 1024;
  assert.is(parseDocuments(`a: ${'x'.repeat(limit - 10)}\n`).length, 1);
  for (const big of [`a: ${'x'.repeat(limit)}\n`, `a: ${'é'.repeat(limit / 2)}\n`]) {
    try {
      parseDocuments(big);
      assert.unreachable('should refuse');
    } catch (e) {
      assert.instance(e, StarlingError);
      assert.is((e as StarlingError).code, 'TooLarge');
      assert.ok((e as Error).message.includes('limit is 3145728 bytes'));
    }
  }
});

test('documentsJson: what apply -f sends; .inf and .nan are refused with their place, as kubectl cannot send them either', () => {
  assert.is(documentsJson(parseDocuments('kind: Pod\nmetadata: {name: a}\n')), '[{"kind":"Pod","metadata":{"name":"a"}}]');
  const refusal = (text: string) => {
    try {
      documentsJson(parseDocuments(text));
    } catch (e) {
      assert.instance(e, StarlingError);
      return (e as StarlingError).message;
    }
    assert.unreachable('refused');
  };
  assert.is(refusal('spec: {replicas: .inf}\n'), 'spec.replicas: Invalid value: a number that is not finite (.inf or .nan) cannot be sent as JSON');
  assert.is(refusal('a: 1\n---\nb: [1, .nan]\n'), 'document 2: b[1]: Invalid value: a number that is not finite (.inf or .nan) cannot be sent as JSON');
});

test('more than 1000 documents are refused before parsing', () => {
  const start = performance.now();
  try {
    parseDocuments('---\na: 1\n'.repeat(1001));
    assert.unreachable('should refuse');
  } catch (e) {
    assert.is((e as StarlingError).code, 'TooLarge');
    assert.ok((e as Error).message.includes('limit is 1000'));
  }
  assert.ok(performance.now() - start < 200);
  assert.is(parseDocuments('---\na: 1\n'.repeat(20)).length, 20);
});

test.run();
