// The fixed64 primitives every encoded point goes through (start time, int value) are written with number
// arithmetic instead of a BigInt per point; they must give exactly the bytes of the BigInt definitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtoWriter, writeInt64, writeNanos } from '../src/otlp-proto.ts';

function nanosRef(ms: number): Buffer {
  const whole = Math.floor(ms);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6)));
  return b;
}

test('writeNanos equals ms × 10^6 + the sub-ms fraction in uint64, over the range of real timestamps', () => {
  const cases = [0, 1, 999.5, 4294967295, 4294967296, 4294967297, 1_764_633_600_000, 1_764_633_600_123.25];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 2000; i++) cases.push(Math.floor(rnd() * 2 ** 44), Math.floor(rnd() * 2 ** 44) + rnd());
  // Beyond 2^44 ms (year 2527) the BigInt path.
  cases.push(2 ** 44, 2 ** 44 + 3);
  for (const ms of cases) {
    const b = Buffer.alloc(8);
    writeNanos(b, 0, ms);
    assert.deepEqual(b, nanosRef(ms), `ms ${ms}`);
  }
});

test('writeInt64 and ProtoWriter.sfixed64 give two’s-complement int64 for every safe integer, BigInt past them', () => {
  const cases = [0, 1, -1, 127, -128, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32)];
  cases.push(2 ** 32 + 5, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60, -(2 ** 60));
  for (let i = 0; i < 53; i++) cases.push(2 ** i + 1, -(2 ** i) - 3);
  for (const v of cases) {
    const ref = Buffer.alloc(8);
    ref.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)));
    const b = Buffer.alloc(8);
    writeInt64(b, 0, v);
    assert.deepEqual(b, ref, `v ${v}`);
    const w = new ProtoWriter(1);
    w.sfixed64(v);
    assert.deepEqual(w.finish(), ref, `sfixed64 ${v}`);
  }
  const w = new ProtoWriter(1);
  w.sfixed64(2.7);
  w.sfixed64(-2.7);
  w.sfixed64(Number.NaN);
  assert.deepEqual(w.finish(), Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 254, ...Array(7).fill(255), ...Array(8).fill(0)]));
});

test('a time mark is 8 zero bytes at a recorded offset, whatever the reused buffer held', () => {
  const w = new ProtoWriter(16);
  w.buf.fill(0xaa);
  w.timeMark(0x19);
  assert.deepEqual(w.marks, [1]);
  assert.deepEqual(w.finish(), Buffer.from([0x19, 0, 0, 0, 0, 0, 0, 0, 0]));
});
