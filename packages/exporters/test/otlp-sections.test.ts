// A ksm family section is stored as its compressed pieces' bytes (otlp-sections.ts): a push rewrites only the
// pieces whose objects changed, keeps the others where they are and moves kept pieces out of slabs that became
// mostly garbage. Whatever the history of changes, a section's bytes must be exactly those of a section built
// from scratch for the same objects (with the same time in every mark), and the memory it holds must stay
// within twice its bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MetricsStore, type ObjectMetrics } from '@kso/metrics';
import { ProtoWriter } from '../src/index.ts';
import { encodeFlatChunk, familyMeta } from '../src/otlp-chunks.ts';
import { gzipSegments, type Segment } from '../src/otlp-deflate.ts';
import {
  FlatSections,
  heldBytes,
  type Section,
  sectionSegments,
  sectionSlices,
  sectionStats,
} from '../src/otlp-sections.ts';
import { pod } from './otlp-fixtures.ts';

/** Reproducible choices in [0, 1). */
function choices(seed: string): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32LE(0) / 4294967296;
}

function time(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(ms) * 1_000_000n);
  return b;
}

function bytesOf(s: Section, a = 0, b = s.starts.length - 1): Buffer {
  const out: Buffer[] = [];
  sectionSlices(s, a, b, out);
  return Buffer.concat(out);
}

test('sections kept across random inserts, deletes and changes hold exactly the bytes of fresh ones, in at most twice the memory', async () => {
  const rnd = choices('sections');
  const store = new MetricsStore({ schema: 'ksm', resources: ['pods'], now: () => 1_700_000_000_000 });
  const live = new Map<number, number>();
  let next = 0;
  for (; next < 800; next++) {
    store.upsertObject('pods', pod(next));
    live.set(next, 0);
  }
  const metas = store.families('pods').map(familyMeta);
  const w = new ProtoWriter(4096);
  const encode = (o: ObjectMetrics) => encodeFlatChunk(w, o, metas);
  const kept = new FlatSections(metas.length);
  const moved = sectionStats.moved;
  const written = sectionStats.written;
  let t = 1_700_000_000_000;
  for (let push = 0; push < 40; push++) {
    const ids = [...live.keys()];
    const changes = Math.floor(rnd() * 40);
    for (let c = 0; c < changes; c++) {
      const r = rnd();
      const i = ids[Math.floor(rnd() * ids.length)] as number;
      if (r < 0.2) {
        live.set(next, 0);
        store.upsertObject('pods', pod(next++));
      } else if (r < 0.45) {
        if (live.delete(i)) store.remove('pods', `pod-${i}`);
      } else if (r < 0.55) {
        // A new instance whose points did not change.
        if (live.has(i)) store.upsertObject('pods', pod(i, live.get(i)));
      } else if (live.has(i)) {
        live.set(i, (live.get(i) as number) + 1);
        store.upsertObject('pods', pod(i, live.get(i)));
      }
    }
    // The last objects leave: the last piece ends earlier than it did, at the end of the list.
    if (push % 10 === 5)
      for (const o of [...store.entries('pods')].slice(-1 - (push % 3))) {
        live.delete(Number(o.uid.slice(4)));
        store.remove('pods', o.uid);
      }
    t += 15_000 + Math.floor(rnd() * 1000);
    const objs = [...store.entries('pods')];
    kept.update(objs, encode, t, time(t));
    const fresh = new FlatSections(metas.length);
    fresh.update(objs, encode, t, time(t));
    for (let f = 0; f < metas.length; f++) {
      const s = kept.sections[f] as Section;
      const want = bytesOf(fresh.sections[f] as Section);
      assert.ok(bytesOf(s).equals(want), `push ${push}, family ${f}: the kept section's bytes`);
      assert.equal(s.len, want.length);
      assert.deepEqual([...s.starts], [...(fresh.sections[f] as Section).starts]);
      // A stretch cut at object boundaries (a request's share), and its gzip member.
      const n = s.starts.length - 1;
      const a = Math.floor(rnd() * n);
      const b = a + Math.floor(rnd() * (n - a + 1));
      const part = bytesOf(s, a, b);
      assert.ok(part.equals(want.subarray(s.starts[a], s.starts[b])), `push ${push}, family ${f}: objects ${a}..${b}`);
      const segs: Segment[] = [];
      sectionSegments(s, a, b, segs);
      assert.ok(gunzipSync(Buffer.concat(await gzipSegments(segs))).equals(part), 'the gzip member of the stretch');
      assert.ok(heldBytes(s) <= 2 * s.len, `push ${push}, family ${f}: ${heldBytes(s)} bytes held for ${s.len}`);
    }
  }
  assert.ok(sectionStats.moved > moved, 'kept pieces were moved out of emptied slabs');
  assert.ok(sectionStats.written > written);
});
