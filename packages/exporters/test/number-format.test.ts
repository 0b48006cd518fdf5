import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGo, formatJs } from '../src/index.ts';

// Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints (KSM's writeFloat).
const cases: [number, string][] = [
  [0, '0'],
  [-0, '0'],
  [1, '1'],
  [-1, '-1'],
  [900, '900'],
  [123456, '123456'],
  [999999, '999999'],
  [1e6, '1e+06'],
  [1234567, '1.234567e+06'],
  [1500000000, '1.5e+09'],
  [1495800007, '1.495800007e+09'],
  [-62135596800, '-6.21355968e+10'],
  [0.5, '0.5'],
  [0.25, '0.25'],
  [123456.789, '123456.789'],
  [1234567.5, '1.2345675e+06'],
  [0.0001, '0.0001'],
  [0.00012, '0.00012'],
  [0.00001, '1e-05'],
  [0.000012, '1.2e-05'],
  [1e-7, '1e-07'],
  [1e21, '1e+21'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [5e-324, '5e-324'],
  [268435456, '2.68435456e+08'],
  [0.1 + 0.2, '0.30000000000000004'],
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, '+Inf'],
  [Number.NEGATIVE_INFINITY, '-Inf'],
  [100000, '100000'],
  [-1234567, '-1.234567e+06'],
];

test('formatGo matches Go strconv.FormatFloat(v, g, -1, 64)', () => {
  for (const [v, s] of cases) assert.equal(formatGo(v), s, `formatGo(${v})`);
});

test('formatGo round-trips through Number()', () => {
  for (let i = 0; i < 2000; i++) {
    const v = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20);
    assert.equal(Number(formatGo(v)), v);
  }
});

test('formatJs is the SDK number text', () => {
  assert.equal(formatJs(1500000000), '1500000000');
  assert.equal(formatJs(Number.POSITIVE_INFINITY), '+Inf');
  assert.equal(formatJs(Number.NaN), 'NaN');
});
