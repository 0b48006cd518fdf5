// CRC-32 of a gzip member without reading its bytes again. A request's member needs the CRC of everything it
// carries (73 MiB per push at 10k pods for ksm), and zlib.crc32 over it cost ~30 ms per push though nearly
// all of it is kept pieces whose bytes did not change, except for the push time at their marks. CRC-32 is
// affine over GF(2): for equal lengths crc(a) ^ crc(b) = L(a ^ b), L linear, and L(x followed by k zero
// bytes) is L(x) times x^(8k) modulo the CRC polynomial. So a kept piece stores its CRC at the placeholder
// time P and S = the sum over its marks of x^(8 d) (d: bytes after the mark's 8 bytes); at time T its CRC is
// crcP ^ S * L(T ^ P), and crc32_combine appends it to the request's CRC. Polynomial arithmetic as in zlib's
// crc32.c (reflected bit order: x^0 is the top bit).
import { crc32 } from 'node:zlib';

const POLY = 0xedb88320;
/** x^0 = 1. */
const ONE = 0x80000000;

/** a * b modulo the CRC polynomial. */
export function multmodp(a: number, b: number): number {
  let p = 0;
  let m = ONE;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    if (m === 0) break;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k). */
const X2N = new Uint32Array(32);
X2N[0] = 0x40000000;
for (let k = 1; k < 32; k++) X2N[k] = multmodp(X2N[k - 1] as number, X2N[k - 1] as number);

/** x^(8n): what appending n zero bytes multiplies a linear CRC by. */
export function x8n(n: number): number {
  let p = ONE;
  let k = 3;
  while (n > 0) {
    if (n % 2 === 1) p = multmodp(X2N[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** crc32(a + b) from crc32(a), crc32(b) and x8n(b.length) (zlib's crc32_combine). */
export function crcCombine(crcA: number, crcB: number, shiftB: number): number {
  return (multmodp(shiftB, crcA) ^ crcB) >>> 0;
}

/** Gaps between marks repeat (one object's points of one family): their x8n is memoised. */
const gapShift = new Map<number, number>();

function shiftOf(n: number): number {
  let s = gapShift.get(n);
  if (s === undefined) {
    s = x8n(n);
    if (gapShift.size < 65536) gapShift.set(n, s);
  }
  return s;
}

/**
 * S = sum of x^(8 (len - o - 8)) over the 8-byte marks at offsets o (ascending) of a `len`-byte piece, in one
 * multiplication per mark (Horner over the gaps); 0 without marks.
 */
export function markSum(offsets: readonly number[], from: number, base: number, len: number): number {
  if (from >= offsets.length) return 0;
  let acc = 0;
  let prev = (offsets[from] as number) - base;
  for (let i = from; i < offsets.length; i++) {
    const o = (offsets[i] as number) - base;
    if (o < prev) throw new Error('marks out of order');
    acc = (multmodp(shiftOf(o - prev), acc) ^ ONE) >>> 0;
    prev = o;
  }
  return multmodp(shiftOf(len - prev - 8), acc);
}

const ZERO8 = crc32(Buffer.alloc(8));

/** L(t ^ p) for 8-byte times t and p: what S multiplies. */
export function timeDelta(t: Uint8Array, p: Uint8Array): number {
  const d = Buffer.allocUnsafe(8);
  for (let k = 0; k < 8; k++) d[k] = (t[k] as number) ^ (p[k] as number);
  return (crc32(d) ^ ZERO8) >>> 0;
}
