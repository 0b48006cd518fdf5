// KSM-compatible shard decision: FNV-1a 64 over the UID's UTF-8 bytes, then go-jump.
// FNV runs on every list item and watch event, so it uses two 32-bit halves instead of BigInt.

const encoder = new TextEncoder();

/** FNV-1a 64 as [hi, lo] unsigned 32-bit halves. */
function fnv1a64Halves(uid: string): [number, number] {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const bytes = isAscii(uid) ? null : encoder.encode(uid);
  const len = bytes ? bytes.length : uid.length;
  for (let i = 0; i < len; i++) {
    lo = (lo ^ (bytes ? (bytes[i] as number) : uid.charCodeAt(i))) >>> 0;
    // prime = 2^40 + 0x1b3: h*prime = h*0x1b3 + (h << 40) (mod 2^64)
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = loMul >>> 0;
  }
  return [hi, lo];
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function fnv1a64(uid: string): bigint {
  const [hi, lo] = fnv1a64Halves(uid);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const MASK64 = (1n << 64n) - 1n;
const JUMP_MUL = 2862933555777941757n;

/** go-jump (Lamping & Veach), division in float64 exactly as go-jump does it. */
export function jumpHash(key: bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1)
    throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  let k = key & MASK64;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = (k * JUMP_MUL + 1n) & MASK64;
    j = Math.floor((b + 1) * (2147483648 / (Number(k >> 33n) + 1)));
  }
  return b;
}

export function shardOf(uid: string, total: number): number {
  if (total === 1) return 0;
  return jumpHash(fnv1a64(uid), total);
}

export function makeShardFilter(shard: number, total: number): (uid: string) => boolean {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`total shards must be >= 1, got ${total}`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= total) {
    throw new RangeError(`shard must be in [0, ${total}), got ${shard}`);
  }
  if (total === 1) return () => true;
  return (uid) => shardOf(uid, total) === shard;
}
