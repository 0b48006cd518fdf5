import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '@kso/exporters/prom-parse';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { ExitCodeProducer } from '../src/exit-code.ts';
import { podView } from '../src/pod-view.ts';
import { Relay } from '../src/relay.ts';
import { MAIN_METRICS, podObject, terminatedStatus } from './fixtures.ts';
import { startMetricsEndpoint } from './helpers.ts';

test('the relay keeps the last good scrape when the endpoint starts failing or disappears', {
  timeout: 10_000,
}, async (t) => {
  const ep = await startMetricsEndpoint(MAIN_METRICS(4));
  t.after(() => ep.close());
  const relay = new Relay({ url: ep.url, timeoutMs: 1_000, identity: () => ({ pod: 'p1', namespace: 'ops' }) });
  assert.deepEqual(await relay.collect().then((r) => r.resourceMetrics.scopeMetrics[0]!.metrics), []);
  assert.equal((await relay.scrape()).ok, true);
  ep.body = 'garbage{ line\n';
  const bad = await relay.scrape();
  assert.equal(bad.ok, false);
  assert.match(bad.error ?? '', /unparseable/);
  await ep.close();
  const gone = await relay.scrape();
  assert.equal(gone.ok, false);
  const { scopeMetrics } = (await relay.collect()).resourceMetrics;
  const counter = scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === 'descheduler_pods_evicted')!;
  assert.equal(counter.dataPointType, DataPointType.SUM);
  assert.equal(counter.dataPoints[0]!.value, 4);
  assert.equal(counter.dataPoints[0]!.attributes['pod'], 'p1');
  assert.equal(relay.stats().scrapes, 3);
  assert.equal(relay.stats().failures, 2);
});

test('exit codes of terminated main containers are exposed for OTLP and as Prometheus text', () => {
  const raw = podObject('job-1-abc', 'job-1') as { status: Record<string, unknown> };
  let view = podView(raw);
  const p = new ExitCodeProducer('ksm', () => view, 0);
  assert.deepEqual(p.metricData(), [], 'nothing while running');
  view = podView({ ...raw, status: { ...raw.status, ...terminatedStatus('Error', 3) } });
  const [m] = p.metricData();
  assert.equal(m?.descriptor.name, 'kube_pod_container_status_terminated_exitcode');
  assert.deepEqual(m?.dataPoints[0]?.attributes, {
    namespace: 'ops',
    pod: 'job-1-abc',
    uid: 'uid-job-1-abc',
    container: 'descheduler',
  });
  assert.equal(m?.dataPoints[0]?.value, 3);
  const fam = parsePrometheusText(p.prometheusText()).families[0]!;
  assert.equal(fam.type, 'gauge');
  assert.equal(fam.samples[0]?.value, 3);
  const semconv = new ExitCodeProducer('semconv', () => view, 0).prometheusText();
  assert.match(semconv, /^kso_container_exit_code\{k8s_namespace_name="ops",/m);
});
