// Kept OTLP bytes live in shared slabs (otlp-arena.ts) so that a push sends long views of them instead of
// joining thousands of per-object buffers anew. What a user relies on: every push still sends exactly the
// current objects' bytes (otlp-store.test.ts compares whole requests with a fresh encoder's), a push only
// encodes what changed, and the memory held for replaced objects stays bounded however long kso runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsStore } from '@kso/metrics';
import { StoreEncoder, scopeFor } from '../src/index.ts';
import { KeptArena, Pieces, ScratchArena, SLAB_BYTES } from '../src/otlp-arena.ts';
import type { Chunk } from '../src/otlp-chunks.ts';
import { countingSource, pod } from './otlp-fixtures.ts';

const LIMITS = { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 };

for (const schema of ['ksm', 'semconv'] as const)
  test(`${schema}: a push after no change encodes nothing; after one change, only that object`, () => {
    const store = new MetricsStore({ schema, resources: ['pods'], now: () => 1_700_000_000_000 });
    for (let i = 0; i < 50; i++) store.upsertObject('pods', pod(i));
    const { src, reads } = countingSource(store);
    const scope = scopeFor(schema);
    const enc = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
    enc.plan(src, 1_700_000_015_000, LIMITS);
    assert.equal(reads.size, 50, 'the first push encodes every object');
    reads.clear();
    enc.plan(src, 1_700_000_030_000, LIMITS);
    assert.deepEqual([...reads], [], 'nothing changed: nothing encoded');
    store.upsertObject('pods', pod(17, 3));
    enc.plan(src, 1_700_000_045_000, LIMITS);
    assert.deepEqual([...reads.keys()], ['pod-17'], 'only the changed pod is encoded');
  });

test("semconv: deleted objects' chunks are let go at the next push, replaced ones kept once", () => {
  const store = new MetricsStore({ schema: 'semconv', resources: ['pods'], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 40; i++) store.upsertObject('pods', pod(i));
  const scope = scopeFor('semconv');
  const enc = new StoreEncoder({ scope, schemaUrl: scope.schemaUrl as string });
  enc.plan(store, 1_700_000_015_000, LIMITS);
  assert.equal(enc.entityUids, 40);
  for (const i of [3, 9, 27]) store.remove('pods', `pod-${i}`);
  store.upsertObject('pods', pod(5, 2));
  enc.plan(store, 1_700_000_030_000, LIMITS);
  assert.equal(enc.entityUids, 37, 'one chunk per stored object');
  enc.plan(store, 1_700_000_045_000, LIMITS);
  assert.equal(enc.entityUids, 37);
});

test('semconv: a request of unchanged objects is a few long views of the slabs, not one piece per object', () => {
  const store = new MetricsStore({ schema: 'semconv', resources: ['pods'], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 300; i++) store.upsertObject('pods', pod(i));
  const scope = scopeFor('semconv');
  const enc = new StoreEncoder({ scope, schemaUrl: scope.schemaUrl as string });
  enc.plan(store, 1_700_000_015_000, LIMITS);
  const [req] = enc.plan(store, 1_700_000_030_000, LIMITS);
  assert.ok(req);
  const parts = req.parts();
  assert.ok(parts.length <= Math.ceil(req.bytes / SLAB_BYTES) + 1, `${parts.length} pieces for ${req.bytes} bytes`);
  // One changed pod in the middle: its new bytes are elsewhere, its neighbours stay joined around it.
  store.upsertObject('pods', pod(150, 1));
  const [after] = enc.plan(store, 1_700_000_045_000, LIMITS);
  assert.ok(after);
  assert.ok(after.parts().length <= parts.length + 2, `${after.parts().length} pieces after one change`);
  assert.equal(Buffer.concat(after.parts()).length, after.bytes);
});

/** A chunk of `n` bytes filled with `fill`, cut from the arena. */
function chunk(arena: KeptArena, n: number, fill: number): Chunk {
  const { buf, slab } = arena.copy(Buffer.alloc(n, fill));
  return { buf, slab, marks: new Uint32Array(0), points: 0, stampedMs: -1 };
}

test('KeptArena: slabs left mostly garbage by replaced chunks are emptied, live bytes kept intact', () => {
  const arena = new KeptArena();
  const size = 4096;
  const perSlab = SLAB_BYTES / size;
  // Three slabs' worth of chunks, then most of the first two slabs' objects are replaced by new chunks.
  let live = Array.from({ length: 3 * perSlab }, (_, i) => chunk(arena, size, i % 251));
  const walk = () => {
    arena.beginWalk();
    for (const c of live) arena.keep(c);
  };
  walk();
  live = live.map((c, i) => (i < 2 * perSlab && i % 4 !== 0 ? chunk(arena, size, 7) : c));
  walk(); // counts the first slabs' live bytes: a quarter of what they hold
  assert.equal(arena.stats.moved, 0, 'nothing moves before a slab was counted');
  walk(); // moves their survivors out
  assert.equal(arena.stats.moved, (2 * perSlab) / 4, 'the survivors of the two emptied slabs moved');
  for (const [i, c] of live.entries())
    assert.ok(
      c.buf.every((b) => b === (i < 2 * perSlab && i % 4 !== 0 ? 7 : i % 251)),
      `chunk ${i} intact`,
    );
  // What the live chunks reference is now at most a third more than their bytes (plus the slab being filled).
  const slabs = new Set(live.map((c) => c.slab));
  const liveBytes = live.length * size;
  assert.ok(slabs.size * SLAB_BYTES <= liveBytes / 0.75 + 2 * SLAB_BYTES, `${slabs.size} slabs for ${liveBytes} B`);
  walk();
  assert.equal(arena.stats.moved, (2 * perSlab) / 4, 'a steady store moves nothing more');
});

test('ScratchArena: slabs are reused from push to push, and what one big push needed is let go two pushes after', () => {
  const s = new ScratchArena();
  const fill = (bytes: number) => {
    s.reset();
    for (let n = 0; n < bytes; n += 8192) s.copy(Buffer.alloc(8192, 1));
  };
  fill(SLAB_BYTES / 2);
  assert.equal(s.slabs, 1);
  fill(10 * SLAB_BYTES); // e.g. a relist: every object re-encoded in one push
  assert.equal(s.slabs, 10);
  fill(SLAB_BYTES / 2);
  assert.equal(s.slabs, 10, 'kept through the push after');
  fill(SLAB_BYTES / 2);
  assert.equal(s.slabs, 10, 'and the one after that');
  fill(SLAB_BYTES / 2);
  assert.equal(s.slabs, 1, 'then let go');
});

test('ScratchArena: a push that encodes nothing between two that do keeps their slab', () => {
  // `kso run` encodes changed objects ahead of a push (preencode), so a push's own arena is often empty.
  const s = new ScratchArena();
  s.reset();
  const a = s.copy(Buffer.alloc(100, 1));
  s.reset();
  s.reset();
  const b = s.copy(Buffer.alloc(100, 2));
  assert.equal(b.buffer, a.buffer, 'the same slab, not a new one');
});

test('Pieces joins views that follow each other in the same memory, and only those', () => {
  const a = Buffer.alloc(100, 1);
  const other = Buffer.alloc(10, 2);
  const p = new Pieces();
  p.push(a.subarray(0, 10));
  p.push(a.subarray(10, 30));
  p.push(other);
  p.push(a.subarray(30, 40));
  p.push(a.subarray(50, 60));
  assert.deepEqual(
    p.list.map((b) => [b.byteOffset - a.byteOffset, b.length]),
    [
      [0, 30],
      [other.byteOffset - a.byteOffset, 10],
      [30, 10],
      [50, 10],
    ],
  );
});

test('Pieces hands out a piece that joined nothing as itself, and a joined run as one view made when it ends', () => {
  const a = Buffer.alloc(100, 1);
  const p = new Pieces();
  assert.ok(p.empty);
  const lone = a.subarray(0, 10);
  p.push(lone);
  assert.ok(!p.empty);
  p.push(Buffer.alloc(5));
  p.push(a.subarray(20, 30));
  p.push(a.subarray(30, 45));
  const list = p.list;
  assert.equal(list[0], lone, 'the same Buffer, no new view');
  assert.deepEqual(
    list.slice(1).map((b) => b.length),
    [5, 25],
  );
  assert.equal(list[2]?.byteOffset, a.byteOffset + 20);
  // Reading the list ends the run: a later adjacent piece starts a new one.
  p.push(a.subarray(45, 50));
  assert.deepEqual(
    p.list.map((b) => b.length),
    [10, 5, 25, 5],
  );
});
