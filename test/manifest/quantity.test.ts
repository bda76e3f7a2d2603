import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  canonicalQuantity,
  formatBytes,
  formatCpu,
  parseQuantity,
  quantityErrors,
  toBytes,
  toMilli,
} from '../../src/manifest/quantity.ts';

const test = suite('manifest: resource quantities');

const FORMAT =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

test('cpu in milli-units', () => {
  const cases: Array<[string | number, number]> = [
    ['500m', 500],
    ['0.5', 500],
    [0.5, 500],
    ['.5', 500],
    ['5e-1', 500],
    [1, 1000],
    ['1', 1000],
    ['2', 2000],
    ['+1', 1000],
    ['1.', 1000],
    ['100m', 100],
    ['1m', 1],
    ['0.1m', 1], // rounded up to a whole milli-unit, as Kubernetes does
    ['0', 0],
  ];
  for (const [input, milli] of cases) {
    assert.is(toMilli(input), milli, `toMilli(${JSON.stringify(input)})`);
  }
});

test('memory in bytes', () => {
  const cases: Array<[string | number, number]> = [
    ['128Mi', 134217728],
    ['100Mi', 104857600],
    ['1Gi', 1073741824],
    ['2Ki', 2048],
    ['512Ki', 524288],
    ['1.5Gi', 1610612736],
    ['1G', 1e9],
    ['100M', 1e8],
    ['1M', 1e6],
    ['1k', 1000],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['1E', 1e18], // exa, not an exponent
    [1024, 1024],
    ['1048576', 1048576],
    [' 1Gi ', 1073741824], // surrounding spaces are trimmed, as JSON decoding does
  ];
  for (const [input, bytes] of cases) {
    assert.is(toBytes(input), bytes, `toBytes(${JSON.stringify(input)})`);
  }
});

test('malformed quantities get Kubernetes wording', () => {
  for (
    const bad of ['1.5.5Gi', '1.5.5', 'abc', '1Zi', '', '1Gb', '1GB', '0x10', '1,5', '100 m', 'NaN']
  ) {
    assert.throws(() => parseQuantity(bad), (e: Error) => e.message === FORMAT, bad);
  }
  for (const bad of ['1K', '1mi', '12ki', '512Gu', '1e']) {
    assert.throws(
      () => parseQuantity(bad),
      (e: Error) => e.message === "unable to parse quantity's suffix",
      bad,
    );
  }
});

test('negative values parse but are invalid for resources', () => {
  assert.is(toMilli('-1'), -1000);
  assert.is(toMilli('-500m'), -500);
  assert.equal(quantityErrors('-1'), ['must be greater than or equal to 0']);
  assert.equal(quantityErrors(-1), ['must be greater than or equal to 0']);
  assert.equal(quantityErrors('1.5.5Gi'), [FORMAT]);
  assert.equal(quantityErrors('250m'), []);
  assert.equal(quantityErrors(0.5), []);
});

test('huge exponents are capped, not computed', () => {
  const start = performance.now();
  assert.ok(toBytes('1e2147483647') > 9e18);
  assert.is(toMilli('1e-2147483647'), 1);
  assert.ok(performance.now() - start < 100);
});

test('display forms', () => {
  assert.is(formatCpu(500), '500m');
  assert.is(formatCpu(2000), '2');
  assert.is(formatCpu(1500), '1500m');
  assert.is(formatCpu(0), '0');
  assert.is(formatBytes(134217728), '128Mi');
  assert.is(formatBytes(1073741824), '1Gi');
  assert.is(formatBytes(1610612736), '1536Mi');
  assert.is(formatBytes(1e9), '1G');
  assert.is(formatBytes(1500), '1500');
  assert.is(formatBytes(0), '0');
});

test('canonical form, as Kubernetes prints quantities', () => {
  assert.is(canonicalQuantity('0.5'), '500m');
  assert.is(canonicalQuantity(0.5), '500m');
  assert.is(canonicalQuantity('1.5Gi'), '1536Mi');
  assert.is(canonicalQuantity('2000'), '2k');
  assert.is(canonicalQuantity('128Mi'), '128Mi');
  assert.is(canonicalQuantity('1e3'), '1e3');
  assert.is(canonicalQuantity('-1'), '-1');
});

test.run();
