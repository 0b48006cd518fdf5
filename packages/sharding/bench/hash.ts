// ns/op for the per-object shard decision (run: node bench/hash.ts).
import { randomUUID } from 'node:crypto';
import { fnv1a64, shardOf } from '../src/index.ts';

const uids = Array.from({ length: 50_000 }, () => randomUUID());

function bench(name: string, fn: (uid: string) => unknown, rounds = 10): void {
  let sink = 0;
  for (const u of uids) sink += fn(u) ? 1 : 0; // warm-up
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const u of uids) sink += fn(u) ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - t0) / (rounds * uids.length);
  console.log(`${name}: ${ns.toFixed(1)} ns/op (sink ${sink % 7})`);
}

function fnvBigIntOnly(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}

bench('fnv1a64 (32-bit halves)', fnv1a64);
bench('fnv1a64 (naive BigInt, for comparison)', fnvBigIntOnly);
for (const n of [2, 4, 16]) bench(`shardOf n=${n}`, (u) => shardOf(u, n));
