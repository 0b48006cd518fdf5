import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseQuantity, QuantityParseError, quantityCores, quantityValue } from '../src/index.ts';

describe('resource.Quantity parsing', () => {
  test('decimal SI, binary SI and exponents', () => {
    const cases: [string, number][] = [
      ['100m', 0.1],
      ['1', 1],
      ['1.5', 1.5],
      ['1e3', 1000],
      ['1E3', 1000],
      ['1e-3', 0.001],
      ['500Ki', 512000],
      ['1Gi', 1073741824],
      ['1.5Gi', 1610612736],
      ['2Mi', 2097152],
      ['1k', 1000],
      ['1M', 1e6],
      ['1G', 1e9],
      ['1T', 1e12],
      ['1P', 1e15],
      ['1E', 1e18],
      ['1Ei', 2 ** 60],
      ['250u', 0.00025],
      ['5n', 5e-9],
      ['.5', 0.5],
      ['+3', 3],
      ['-2', -2],
      ['0', 0],
    ];
    for (const [s, v] of cases) assert.equal(parseQuantity(s), v, s);
  });

  test('KSM cpu = MilliValue()/1000, rounded up to the millicore', () => {
    assert.equal(quantityCores('100m'), 0.1);
    assert.equal(quantityCores('250m'), 0.25);
    assert.equal(quantityCores('1.5'), 1.5);
    assert.equal(quantityCores('0.1'), 0.1, 'no float noise (0.1*1000)');
    assert.equal(quantityCores('1500u'), 0.002, 'sub-millicore rounds up');
    assert.equal(quantityCores('1n'), 0.001);
    assert.equal(quantityCores('2'), 2);
  });

  test('KSM bytes = Value(), rounded up to an integer', () => {
    assert.equal(quantityValue('1Gi'), 1073741824);
    assert.equal(quantityValue('128974848'), 128974848);
    assert.equal(quantityValue('129e6'), 129000000);
    assert.equal(quantityValue('123Mi'), 128974848);
    assert.equal(quantityValue('1.5'), 2);
    assert.equal(quantityValue('100m'), 1);
    assert.equal(quantityValue('-1.5'), -1, 'ceil towards +inf');
  });

  test('invalid quantities throw QuantityParseError', () => {
    for (const s of ['', 'abc', '1Kb', '1e3m', '1..5', '1 Gi', 'Gi', '1ki']) {
      assert.throws(() => parseQuantity(s), QuantityParseError, s);
    }
  });
});
