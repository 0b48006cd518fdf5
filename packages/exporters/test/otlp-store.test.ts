// The store encoder keeps bytes between pushes (per-object chunks, the flat shape's per-family sections). A push
// after any mix of changes must send exactly what an encoder built from scratch sends for the same store and
// time: otherwise a Collector would see stale values, lost or duplicated points.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsStore } from '@kso/metrics';
import { StoreEncoder, scopeFor } from '../src/index.ts';

function pod(i: number, restarts = 0) {
  return {
    metadata: { name: `p-${i}`, namespace: `ns-${i % 3}`, uid: `pod-${i}`, labels: { app: `a${i % 2}` } },
    spec: { nodeName: `node-${i % 2}`, containers: [{ name: 'main' }, ...(i % 2 ? [{ name: 'side' }] : [])] },
    status: {
      phase: i % 4 === 0 ? 'Pending' : 'Running',
      containerStatuses: [{ name: 'main', restartCount: restarts, ready: true, state: { running: {} } }],
    },
  };
}

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
