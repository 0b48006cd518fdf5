// The CRC-32 arithmetic behind kept gzip pieces (otlp-crc.ts) against zlib.crc32 over the actual bytes: a
// request's CRC is combined from its pieces' and shifted by the push time, never computed over the body.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { crcCombine, markSum, multmodp, timeDelta, x8n } from '../src/otlp-crc.ts';

function bytes(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, i);
  return out;
}

test('crcCombine gives the CRC of the concatenation, for empty and long parts alike', () => {
  for (const [a, b] of [
    [0, 0],
    [0, 17],
    [5, 0],
    [1000, 3],
    [3, 70_000],
    [4097, 65_537],
  ] as const) {
    const x = bytes(`a${a}`, a);
    const y = bytes(`b${b}`, b);
    assert.equal(crcCombine(crc32(x), crc32(y), x8n(b)), crc32(Buffer.concat([x, y])), `${a} + ${b}`);
  }
});

test('a piece CRC at any time follows from its CRC at the placeholder and the sum over its marks', () => {
  const P = Buffer.from([0x9d, 0x3b, 0xe7, 0x51, 0xc4, 0x28, 0xfa, 0x6e]);
  const piece = bytes('piece', 2000);
  // Marks at irregular gaps, adjacent ones included, one at the very end.
  const marks = [0, 8, 100, 261, 262 + 8, 900, 1333, 1992];
  const stamp = (t: Buffer) => {
    const b = Buffer.from(piece);
    for (const m of marks) t.copy(b, m);
    return b;
  };
  const crcP = crc32(stamp(P));
  // Offsets as the compressor sees them: after a dictionary of 37 bytes.
  const s = markSum(
    marks.map((m) => m + 37),
    0,
    marks.length,
    37,
    piece.length,
  );
  for (const seed of ['t1', 't2', 't3']) {
    const t = bytes(seed, 8);
    assert.equal((crcP ^ multmodp(s, timeDelta(t, P))) >>> 0, crc32(stamp(t)), seed);
  }
  assert.equal(markSum([], 0, 0, 0, 10), 0, 'no marks: the CRC does not depend on the time');
});
