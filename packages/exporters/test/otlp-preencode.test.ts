// StoreEncoder.preencode: the Prometheus bridge hands over each object right after generating its points, and
// the push encodes it then instead of generating the same points again at its interval. What the next push
// sends must not change (equal to a fresh encoder's push), and that push must not read the points of objects
// encoded ahead: otherwise the points are still generated twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MetricsSource, MetricsStore } from '@kso/metrics';
import { createOtlpPush, StoreEncoder, StoreRenderer, scopeFor } from '../src/index.ts';
import { countingSource, pod, totalReads } from './otlp-fixtures.ts';

const limits = { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 };

function push(enc: StoreEncoder, src: MetricsSource, nowMs: number): string[] {
  return enc.plan(src, nowMs, limits, undefined, { 'service.name': 'kso' }, {}).map((r) => r.write().toString('hex'));
}

for (const schema of ['ksm', 'semconv'] as const)
  test(`preencode (${schema}): the next push sends the same bytes without reading the points again`, () => {
    let t = 1_700_000_000_000;
    const store = new MetricsStore({ schema, resources: ['pods'], now: () => t });
    for (let i = 0; i < 30; i++) store.upsertObject('pods', pod(i));
    const scope = scopeFor(schema);
    const opts = { scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) };
    const { src, reads, view } = countingSource(store);
    const enc = new StoreEncoder(opts);
    const fams = store.families('pods');

    // Before the first plan the shape is unknown: nothing is encoded (the first plan encodes everything).
    enc.preencode(view('pods', 'pod-1'), fams);
    assert.equal(totalReads(reads), 0, 'no encoding before the first plan');
    t += 15_000;
    assert.deepEqual(push(enc, src, t), push(new StoreEncoder(opts), store, t));

    // Unchanged objects are held already: handing them over costs no read of their points.
    reads.clear();
    for (const i of [0, 5, 29]) enc.preencode(view('pods', `pod-${i}`), fams);
    assert.equal(totalReads(reads), 0, 'unchanged objects are not encoded again');

    // Changed objects handed over (one of them changed again afterwards, one new pod, one removed).
    for (const i of [2, 7, 8, 29]) store.upsertObject('pods', pod(i, 3));
    store.upsertObject('pods', pod(40, 1));
    for (const i of [2, 7, 8, 29, 40]) enc.preencode(view('pods', `pod-${i}`), fams);
    assert.equal(totalReads(reads), 5, 'each handed-over object is encoded once');
    store.upsertObject('pods', pod(8, 4));
    store.remove('pods', 'pod-29');
    reads.clear();
    t += 15_000;
    assert.deepEqual(push(enc, src, t), push(new StoreEncoder(opts), store, t), 'same bytes as a fresh encoder');
    assert.equal(totalReads(reads), 1, 'the push reads only the object changed after it was handed over (pod-8)');

    // Nothing left over: a later push with nothing changed reads nothing and still matches.
    reads.clear();
    t += 15_000;
    assert.deepEqual(push(enc, src, t), push(new StoreEncoder(opts), store, t));
    assert.equal(totalReads(reads), 0);
  });

test('the bridge hands each object it renders to the push (StoreRenderer.onRender): the push reads no points', () => {
  let t = 1_700_000_000_000;
  const store = new MetricsStore({ schema: 'semconv', resources: ['pods'], now: () => t });
  for (let i = 0; i < 20; i++) store.upsertObject('pods', pod(i));
  const scope = scopeFor('semconv');
  const opts = { scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) };
  const { src, reads } = countingSource(store);
  const enc = new StoreEncoder(opts);
  const renderer = new StoreRenderer();
  renderer.onRender = (o, f) => enc.preencode(o, f);
  renderer.renderPieces(src);
  t += 15_000;
  push(enc, src, t);
  for (const i of [1, 4, 19]) store.upsertObject('pods', pod(i, 2));
  assert.equal(renderer.prerender(src), 3, 'the bridge rendered the changed objects');
  reads.clear();
  t += 15_000;
  assert.deepEqual(push(enc, src, t), push(new StoreEncoder(opts), store, t));
  assert.equal(totalReads(reads), 0, 'the push took the objects the bridge handed over');
});

test('OtlpPush.preencode encodes nothing while the endpoint is down (the outage rule), and does once it answers', async () => {
  const store = new MetricsStore({ schema: 'semconv', resources: ['pods'] });
  for (let i = 0; i < 5; i++) store.upsertObject('pods', pod(i));
  const { src, reads, view } = countingSource(store);
  let up = false;
  const transport = {
    send: async () =>
      up
        ? { ok: true, retryable: false, unreachable: false }
        : { ok: false, retryable: true, unreachable: true, error: 'ECONNREFUSED' },
    close() {},
  };
  const push = createOtlpPush({
    protocol: 'grpc',
    endpoint: 'http://127.0.0.1:1',
    intervalMs: 60_000,
    timeoutMs: 1_000,
    retry: { initialMs: 1, maxMs: 1, maxElapsedMs: 1 },
    source: src,
    ownMeterProvider: false,
    autoStart: false,
    transport,
  });
  const first = await push.forceFlush();
  assert.equal(first.delivered, false, 'the first push found the endpoint down');
  store.upsertObject('pods', pod(1, 4));
  reads.clear();
  push.preencode(view('pods', 'pod-1'), store.families('pods'));
  assert.equal(totalReads(reads), 0, 'nothing encoded during the outage');
  up = true;
  assert.equal((await push.forceFlush()).delivered, true);
  store.upsertObject('pods', pod(2, 4));
  reads.clear();
  push.preencode(view('pods', 'pod-2'), store.families('pods'));
  assert.equal(totalReads(reads), 1, 'encoded ahead once the endpoint answers');
  await push.shutdown({ timeoutMs: 1_000 });
});
