import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { StoreMetricProducer, StoreRenderer, serializePrometheus } from '../src/index.ts';
import { buildSyntheticSource, SyntheticSource, syntheticPod } from '../src/testing/index.ts';
import { parseExposition, realisticSource } from './helpers.ts';

const sdk = new PrometheusSerializer(undefined, false, undefined, true, true);

test('fast renderer and serializePrometheus are byte-identical to the SDK PrometheusSerializer (js mode, ksm schema)', async () => {
  const source = realisticSource();
  const { resourceMetrics } = await new StoreMetricProducer({ source }).collect();
  const expected = sdk.serialize(resourceMetrics);
  assert.ok(expected.includes('kube_pod_container_status_restarts_total{'), 'counter keeps a single _total');
  assert.ok(!expected.includes('_total_total'));
  assert.ok(expected.includes('namespace="we\\\\ird\\"ns\\nx"'), 'escaping present in the data set');
  assert.ok(/ NaN\n/.test(expected) && / \+Inf\n/.test(expected) && / -Inf\n/.test(expected));
  assert.ok(expected.includes('# HELP kube_job_complete'), 'empty family of a non-empty resource keeps its header');
  assert.ok(!expected.includes('kube_cronjob_info'), 'a resource without objects has no headers');
  assert.equal(serializePrometheus(resourceMetrics), expected);
  const fast = new StoreRenderer({ numberFormat: 'js' }).renderStore(source).toString('utf8');
  assert.equal(fast, expected);
});

test('semconv schema: dotted names and attributes sanitised like the SDK, updowncounter → gauge', async () => {
  const source = new SyntheticSource('semconv');
  for (let i = 0; i < 5; i++) source.setPod(syntheticPod(i));
  const { resourceMetrics } = await new StoreMetricProducer({ source }).collect();
  const expected = sdk.serialize(resourceMetrics);
  assert.ok(expected.includes('# TYPE k8s_pod_status_phase gauge'));
  assert.ok(expected.includes('k8s_namespace_name="team-1"'));
  assert.equal(new StoreRenderer({ numberFormat: 'js' }).renderStore(source).toString(), expected);
});

test('go number format: same series and values as the SDK output after parsing, KSM float text', async () => {
  const source = realisticSource();
  const { resourceMetrics } = await new StoreMetricProducer({ source }).collect();
  const js = sdk.serialize(resourceMetrics);
  const go = new StoreRenderer({ numberFormat: 'go' }).renderStore(source).toString();
  assert.notEqual(go, js);
  assert.ok(
    go.includes(' 1.7e+09\n') &&
      go.includes(' 1.495800007e+09\n') &&
      go.includes(' 1.234567e+06\n') &&
      go.includes(' 1.2e-05\n'),
  );
  assert.ok(!go.includes('# UNIT'), 'KSM text has no UNIT comments');
  const a = parseExposition(js);
  const b = parseExposition(go);
  assert.equal(b.size, a.size);
  for (const [k, v] of a) assert.ok(Object.is(b.get(k), v) || b.get(k) === v, `${k}: ${b.get(k)} vs ${v}`);
});

test('empty source renders like the SDK ("# no registered metrics")', async () => {
  const source = new SyntheticSource('ksm');
  const { resourceMetrics } = await new StoreMetricProducer({ source }).collect();
  assert.equal(serializePrometheus(resourceMetrics), sdk.serialize(resourceMetrics));
  assert.equal(new StoreRenderer().renderStore(source).length, 0);
});

test('renderer: deleted and updated objects change the next render; unchanged store reuses the body', () => {
  const source = realisticSource();
  const r = new StoreRenderer({ numberFormat: 'go' });
  const first = r.renderStore(source);
  const pieces = r.renderPieces(source);
  assert.equal(r.renderPieces(source), pieces, 'same body while nothing changed');
  const victim = syntheticPod(3);
  assert.ok(first.includes(`uid="${victim.uid}"`));
  source.delete('pods', victim.uid);
  const second = r.renderStore(source).toString();
  assert.ok(!second.includes(`uid="${victim.uid}"`));
  source.setPod({ ...syntheticPod(4), restarts: 42 });
  const third = r.renderStore(source).toString();
  assert.ok(
    third.includes(
      `kube_pod_container_status_restarts_total{namespace="team-4",pod="${syntheticPod(4).name}",uid="${syntheticPod(4).uid}",container="app"} 42\n`,
    ),
  );
});

test('OpenMetrics: counter family without _total, samples with _total, # EOF', () => {
  const source = realisticSource();
  const om = new StoreRenderer({ numberFormat: 'go' }).renderStore(source, 'openmetrics').toString();
  assert.ok(om.includes('# TYPE kube_pod_container_status_restarts counter\n'));
  assert.ok(om.includes('\nkube_pod_container_status_restarts_total{'));
  const full = serializePrometheus(
    { resource: { attributes: {} } as never, scopeMetrics: [] },
    { format: 'openmetrics' },
  );
  assert.equal(full, '# EOF\n');
});

test('incremental segment cache: after updates, inserts and deletes the render equals a fresh render and the SDK', async () => {
  const source = buildSyntheticSource(700);
  const r = new StoreRenderer({ numberFormat: 'js' });
  r.renderStore(source);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 6; round++) {
    for (let k = 0; k < 15; k++) {
      const i = rnd(900);
      const op = rnd(3);
      if (op === 0) source.delete('pods', syntheticPod(i).uid);
      else source.setPod(syntheticPod(i, { restarts: round * 100 + k, phase: op === 1 ? 'Running' : 'Failed' }));
    }
    const incremental = r.renderStore(source).toString();
    assert.equal(
      incremental,
      new StoreRenderer({ numberFormat: 'js' }).renderStore(source).toString(),
      `round ${round}`,
    );
    const { resourceMetrics } = await new StoreMetricProducer({ source }).collect();
    assert.equal(incremental, sdk.serialize(resourceMetrics), `round ${round} vs SDK`);
  }
  assert.ok(r.stats.segmentBuilds > 0);
});
