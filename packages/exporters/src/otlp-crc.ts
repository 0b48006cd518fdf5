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

/** a * b modulo the CRC polynomial; branch-free (3x faster than zlib's early-exit loop in V8). */
export function multmodp(a: number, b: number): number {
  let p = 0;
  for (let i = 31; i >= 0; i--) {
    p ^= b & -((a >>> i) & 1);
    b = (b >>> 1) ^ (POLY & -(b & 1));
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k). */
const X2N = new Uint32Array(32);
X2N[0] = 0x40000000;
for (let k = 1; k < 32; k++) X2N[k] = multmodp(X2N[k - 1] as number, X2N[k - 1] as number);

/** x^(8n) for n below 64 Ki, filled on first use (never 0: x is prime to the polynomial). */
const X8N = new Uint32Array(65536);

/** x^(8n): what appending n zero bytes multiplies a linear CRC by. */
export function x8n(n: number): number {
  const small = n < X8N.length;
  if (small && X8N[n] !== 0) return X8N[n] as number;
  let p = ONE;
  let k = 3;
  for (let m = n; m > 0; m = Math.floor(m / 2), k++) if (m % 2 === 1) p = multmodp(X2N[k & 31] as number, p);
  if (small) X8N[n] = p;
  return p;
}

/** crc32(a + b) from crc32(a), crc32(b) and x8n(b.length) (zlib's crc32_combine). */
export function crcCombine(crcA: number, crcB: number, shiftB: number): number {
  return (multmodp(shiftB, crcA) ^ crcB) >>> 0;
}

/**
 * S = sum of x^(8 (len - o - 8)) over the 8-byte marks at offsets[from..to) - base of a `len`-byte piece; 0
 * without marks.
 */
export function markSum(offsets: ArrayLike<number>, from: number, to: number, base: number, len: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s ^= x8n(len - ((offsets[i] as number) - base) - 8);
  return s >>> 0;
}

const ZERO8 = crc32(Buffer.alloc(8));

/** L(t ^ p) for 8-byte times t and p: what S multiplies. */
export function timeDelta(t: Uint8Array, p: Uint8Array): number {
  const d = Buffer.allocUnsafe(8);
  for (let k = 0; k < 8; k++) d[k] = (t[k] as number) ^ (p[k] as number);
  return (crc32(d) ^ ZERO8) >>> 0;
}
