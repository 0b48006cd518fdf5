import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { fnv1a64, jumpHash, makeShardFilter, shardOf } from '../src/index.ts';

// From ksm-semantics.md §3 table.
const VECTORS: Array<[string, bigint, number[]]> = [
  ['test_uid', 0x0ec242443e038614n, [0, 0, 0, 0, 0]],
  ['uid1', 0x396ed5e46cf37494n, [1, 2, 2, 6, 10]],
  ['abc-123-xxx', 0x4614ec17bac539a3n, [1, 1, 3, 5, 5]],
  ['5a3c9e0e-6f0b-4c59-9a57-0d2b2f7f1f1e', 0xc195acc1d7089453n, [1, 1, 1, 1, 15]],
  ['d3b07384-d113-4ec6-a1c0-3b8f6f2e9c11', 0x02c5cfa085e53c14n, [1, 2, 2, 2, 2]],
];
const NS = [2, 3, 4, 8, 16];

test('FNV-1a 64 reference "a" and empty string', () => {
  assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
});

test('FNV-1a 64 hashes UTF-8 bytes (non-ASCII equals byte-wise computation)', () => {
  const s = 'pod-é-日本';
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  assert.equal(fnv1a64(s), h);
});

for (const [uid, fnv, shards] of VECTORS) {
  test(`published vector ${uid}`, () => {
    assert.equal(fnv1a64(uid), fnv);
    NS.forEach((n, i) => {
      assert.equal(shardOf(uid, n), shards[i], `n=${n}`);
    });
  });
}

test('upstream TestSharding: test_uid -> shard 0 of 2', () => {
  assert.equal(makeShardFilter(0, 2)('test_uid'), true);
  assert.equal(makeShardFilter(1, 2)('test_uid'), false);
});

test('jumpHash: single bucket always 0, result in range, monotone consistency', () => {
  for (let i = 0; i < 200; i++) {
    const key = fnv1a64(`k${i}`);
    assert.equal(jumpHash(key, 1), 0);
    let prev = 0;
    for (let n = 1; n <= 20; n++) {
      const b = jumpHash(key, n);
      assert.ok(b >= 0 && b < n);
      // consistent hashing: growing n either keeps the bucket or moves to the new bucket n-1
      assert.ok(b === prev || b === n - 1, `key ${i} n=${n}`);
      prev = b;
    }
  }
});

test('makeShardFilter: exactly one shard keeps each uid; rejects bad args', () => {
  for (const n of [1, 2, 3, 5]) {
    const filters = Array.from({ length: n }, (_, s) => makeShardFilter(s, n));
    for (let i = 0; i < 300; i++) {
      const uid = randomUUID();
      assert.equal(filters.filter((f) => f(uid)).length, 1);
      assert.equal(filters[shardOf(uid, n)]?.(uid), true);
    }
  }
  assert.throws(() => makeShardFilter(2, 2), RangeError);
  assert.throws(() => makeShardFilter(0, 0), RangeError);
  assert.throws(() => makeShardFilter(-1, 3), RangeError);
});

test('distribution over 10k uuids for n=4 within ±10%', () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 10000; i++) counts[shardOf(randomUUID(), 4)]! += 1;
  for (const c of counts) assert.ok(c > 2250 && c < 2750, `counts ${counts}`);
});

// dgryski/go-jump jump_test.go TestHash (generated from the reference C++ code); bucket[i] is for n=i+1.
const GO_JUMP: Array<[bigint, number[]]> = [
  [0n, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
  [1n, [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17]],
  [0xdeadbeefn, [0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16]],
  [0x0ddc0ffeebadf00dn, [0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15]],
];

test('go-jump published vectors', () => {
  for (const [key, buckets] of GO_JUMP) {
    buckets.forEach((want, i) => {
      assert.equal(jumpHash(key, i + 1), want, `key ${key} n=${i + 1}`);
    });
  }
});
