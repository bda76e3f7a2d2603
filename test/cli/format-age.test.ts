import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatAge, formatRFC1123Z, humanDuration } from '../../src/cli/format/age.ts';

const test = suite('format: ages (HumanDuration)');

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

const cases: [number, string][] = [
  [-2 * S, '<invalid>'],
  [-1999, '0s'], // int(-1.999s) is -1: within the 2s clock-skew allowance
  [-1 * S, '0s'],
  [0, '0s'],
  [999, '0s'],
  [1 * S, '1s'],
  [59 * S, '59s'],
  [119 * S + 999, '119s'],
  [2 * M, '2m'],
  [2 * M + 5 * S, '2m5s'],
  [9 * M + 59 * S, '9m59s'],
  [10 * M, '10m'],
  [10 * M + 30 * S, '10m'],
  [3 * H - 1, '179m'],
  [3 * H, '3h'],
  [3 * H + 20 * M, '3h20m'],
  [8 * H - 1, '7h59m'],
  [8 * H, '8h'],
  [47 * H + 59 * M, '47h'],
  [48 * H, '2d'],
  [50 * H, '2d2h'],
  [8 * D - 1, '7d23h'],
  [8 * D, '8d'],
  [400 * D, '400d'],
  [2 * Y - 1, '729d'],
  [2 * Y, '2y'],
  [2 * Y + 12 * D, '2y12d'],
  [8 * Y - 1, '7y364d'],
  [8 * Y, '8y'],
  [20 * Y + 100 * D, '20y'],
];

for (const [ms, want] of cases) {
  test(`${ms}ms → ${want}`, () => {
    assert.is(humanDuration(ms), want);
  });
}

test('formatAge: since a timestamp, <unknown> when unset or unparsable', () => {
  const now = Date.parse('2024-01-15T12:00:00Z');
  assert.is(formatAge('2024-01-15T11:57:55Z', now), '2m5s');
  assert.is(formatAge('2024-01-15T12:00:05Z', now), '<invalid>');
  assert.is(formatAge(undefined, now), '<unknown>');
  assert.is(formatAge('', now), '<unknown>');
  assert.is(formatAge('not a time', now), '<unknown>');
});

test('formatRFC1123Z: Go time.RFC1123Z in UTC', () => {
  assert.is(formatRFC1123Z('2024-01-15T09:05:03Z'), 'Mon, 15 Jan 2024 09:05:03 +0000');
  assert.is(formatRFC1123Z('2024-02-29T23:59:59.999Z'), 'Thu, 29 Feb 2024 23:59:59 +0000');
  assert.is(formatRFC1123Z(undefined), 'Mon, 01 Jan 0001 00:00:00 +0000');
});

test.run();
