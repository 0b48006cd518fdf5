// The store encoder keeps bytes between pushes (per-object chunks, the flat shape's per-family sections). A push
// after any mix of changes must send exactly what an encoder built from scratch sends for the same store and
// time: otherwise a Collector would see stale values, lost or duplicated points.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsStore } from '@kso/metrics';
import { ProtoWriter, StoreEncoder, scopeFor } from '../src/index.ts';
import { encodeFlatChunk, familyMeta } from '../src/otlp-chunks.ts';
import { TAG, writeStringKeyValue } from '../src/otlp-proto.ts';
import { pod } from './otlp-fixtures.ts';

function job(i: number, active = 1) {
  return { metadata: { name: `j-${i}`, namespace: 'ns-0', uid: `job-${i}` }, spec: {}, status: { active } };
}

/** Every request of one plan as one buffer each; `limits` small enough to split families between requests. */
function push(enc: StoreEncoder, store: MetricsStore, nowMs: number, limits: { maxBytes: number; maxPoints: number }) {
  return enc.plan(store, nowMs, limits, undefined, { 'service.name': 'kso' }, {}).map((r) => {
    const b = r.write();
    assert.equal(b.length, r.bytes, 'the planned size is the sent size');
    return b.toString('hex');
  });
}

for (const schema of ['ksm', 'semconv'] as const)
  for (const limits of [
    { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 },
    { maxBytes: 2_000, maxPoints: 37 },
  ])
    test(`StoreEncoder (${schema}, ${limits.maxPoints} points/request): pushes after changes equal a fresh encoder's`, () => {
      let t = 1_700_000_000_000;
      const store = new MetricsStore({ schema, resources: ['jobs', 'pods'], now: () => t });
      for (let i = 0; i < 40; i++) store.upsertObject('pods', pod(i));
      for (let i = 0; i < 5; i++) store.upsertObject('jobs', job(i));
      const scope = scopeFor(schema);
      const opts = { scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) };
      const kept = new StoreEncoder(opts);
      const steps: [string, () => void][] = [
        ['nothing changed', () => {}],
        [
          'a few pods changed',
          () => {
            for (const i of [3, 4, 17, 39]) store.upsertObject('pods', pod(i, 5));
          },
        ],
        [
          'first and last changed, one removed',
          () => {
            store.upsertObject('pods', pod(0, 9));
            store.upsertObject('pods', pod(39, 9));
            store.remove('pods', 'pod-20');
          },
        ],
        [
          'added pods and a job, a job removed',
          () => {
            for (let i = 40; i < 46; i++) store.upsertObject('pods', pod(i, 1));
            store.upsertObject('jobs', job(9, 3));
            store.remove('jobs', 'job-0');
          },
        ],
        [
          'every pod changed',
          () => {
            for (let i = 0; i < 46; i++) if (i !== 20) store.upsertObject('pods', pod(i, 7));
          },
        ],
        ['all pods removed', () => store.clear('pods')],
        [
          'pods back',
          () => {
            for (const i of [1, 2, 3]) store.upsertObject('pods', pod(i, 2));
          },
        ],
      ];
      let total = 0;
      for (const [what, change] of steps) {
        change();
        t += 15_000;
        const got = push(kept, store, t, limits);
        const want = push(new StoreEncoder(opts), store, t, limits);
        assert.deepEqual(got, want, what);
        // A second push at a later time with no change only moves the timestamps.
        assert.deepEqual(push(kept, store, t + 1, limits), push(new StoreEncoder(opts), store, t + 1, limits), what);
        total += got.length;
      }
      assert.ok(total >= steps.length, 'every push planned requests');
      if (limits.maxPoints < 100) assert.ok(total > 2 * steps.length, 'small limits split the pushes');
    });

test('a point is encoded exactly as the generic protobuf writer frames it (non-ASCII, long values, many attributes)', () => {
  const attrs: Record<string, string> = { namespace: 'ns', pod: 'p'.repeat(300), label_ü: 'wert-ä€😀' };
  for (let i = 0; i < 40; i++) attrs[`label_k${i}`] = `v${i}`;
  const points = [
    { attributes: attrs, value: 1.5 },
    { attributes: {}, value: -3 },
    { attributes: { a: '' }, value: 0 },
  ];
  const obj = { uid: 'u', resource: 'pods' as const, startTimeMs: 1_700_000_000_123.5, families: [points, points] };
  const descs = [
    { name: 'g', help: 'h', type: 'gauge', unit: '', resource: 'pods', stability: 'STABLE' },
    { name: 'c', help: '', type: 'counter', unit: '1', resource: 'pods', stability: 'STABLE', valueType: 'int' },
  ] as const;
  const metas = descs.map((d) => familyMeta(d));
  const chunk = encodeFlatChunk(new ProtoWriter(16), obj, metas);
  const ref = new ProtoWriter(16);
  for (const m of metas)
    for (const p of points)
      ref.nested(TAG.dataPoints, (w) => {
        for (const [k, v] of Object.entries(p.attributes)) writeStringKeyValue(w, TAG.ndpAttributes, k, v);
        w.byte(TAG.ndpStart);
        w.fixed64Nanos(obj.startTimeMs);
        w.timeMark(TAG.ndpTime);
        w.byte(m.isInt ? TAG.ndpInt : TAG.ndpDouble);
        if (m.isInt) w.sfixed64(p.value);
        else w.double(p.value);
      });
  assert.equal(chunk.buf.toString('hex'), ref.finish().toString('hex'));
  assert.deepEqual([...chunk.marks], ref.marks);
  assert.equal(chunk.points, 6);
});

test('a push that encodes every object (the first, a relist) leaves no second copy of them in its scratch arena', () => {
  const store = new MetricsStore({ schema: 'ksm', resources: ['pods'], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 16_000; i++) store.upsertObject('pods', pod(i, i % 4));
  const enc = new StoreEncoder({ scope: scopeFor('ksm') });
  const reqs = enc.plan(store, 1_700_000_015_000, { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 });
  const bytes = reqs.reduce((n, r) => n + r.bytes, 0);
  // The arena's cap (16 MiB) plus the slab being filled when it was reached, against what was encoded.
  assert.ok(bytes > 24 << 20, `encoded ${bytes} bytes`);
  assert.ok(enc.scratchSlabs <= 17, `${enc.scratchSlabs} slabs of 1 MiB kept`);
});
