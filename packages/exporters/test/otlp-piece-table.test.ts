// The piece table keeps every entry's versions and compressed output in two arenas that are compacted when
// they fill up. An entry's bytes must survive any number of compactions and a released entry must stop
// counting; outputs are compacted in place (a new arena only when the live ones outgrow it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILED, NOT_YET, PieceTable } from '../src/otlp-piece-table.ts';

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

test('piece table: outputs and versions survive compactions of their arenas; released entries are dropped', () => {
  const t = new PieceTable();
  const rand = rng(7);
  const live = new Map<number, { deps: number[]; z: Buffer | null | undefined }>();
  let version = 0;
  let bytes = 0;
  // Growth first (more entries made than released), then a steady state (as many released as made).
  let steady: { compactions: number; arenas: number; size: number } | undefined;
  for (let round = 0; round < 8000; round++) {
    if (round === 4000) steady = { ...t.zStats, size: live.size };
    const release = steady ? live.size >= steady.size : rand() < 0.45;
    if (live.size > 0 && release) {
      const slots = [...live.keys()];
      const s = slots[Math.floor(rand() * slots.length)] as number;
      t.release(s);
      live.delete(s);
      continue;
    }
    const deps = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => ++version);
    const s = t.alloc(deps.length, 1);
    assert.ok(!live.has(s), 'a live slot is not handed out again');
    for (let i = 0; i < deps.length; i++) t.deps[(t.depsAt[s] as number) + i] = deps[i] as number;
    let z: Buffer | null | undefined;
    const r = rand();
    if (r < 0.8) {
      z = Buffer.alloc(1 + Math.floor(rand() * 3000), round & 0xff);
      t.setOutput(s, z);
      bytes += z.length;
    } else if (r < 0.9) {
      z = null;
      t.setOutput(s, null);
    }
    live.set(s, { deps, z });
  }
  assert.ok(live.size > 100);
  for (const [s, want] of live) {
    const at = t.depsAt[s] as number;
    assert.deepEqual(Array.from(t.deps.subarray(at, at + (t.depsLen[s] as number))), want.deps, `versions of ${s}`);
    const got = t.output(s);
    if (want.z === undefined) {
      assert.equal(got, undefined);
      assert.equal(t.zLen[s], NOT_YET);
    } else if (want.z === null) {
      assert.equal(got, null);
      assert.equal(t.zLen[s], FAILED);
    } else assert.ok(got?.equals(want.z), `output of ${s}`);
  }
  assert.ok(bytes > 20 * 64 * 1024, 'the outputs filled the smallest arena many times over');
  const s0 = steady as { compactions: number; arenas: number };
  const compactions = t.zStats.compactions - s0.compactions;
  const arenas = t.zStats.arenas - s0.arenas;
  assert.ok(compactions >= 5, `steady state: ${compactions} compactions`);
  assert.ok(arenas <= 1, `steady state: ${arenas} new arenas for ${compactions} compactions (in place)`);
});
