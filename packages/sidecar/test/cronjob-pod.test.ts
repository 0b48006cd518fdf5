// The sidecar run as a CronJob pod runs it: the manifest's command (src/launch.ts: the bundled entry with
// SIDECAR_NODE_FLAGS, as deploy/sidecar-cronjob starts it) with in-cluster
// credentials only (HTTPS front with the mounted CA and token over kube-sim), a main container serving
// /metrics, a job pushing to the local endpoint, a real OpenTelemetry Collector (otelcol-kso, OTLP/gRPC in,
// fileexporter out) and the real Pushgateway.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePrometheusText } from '@kso/exporters/prom-parse';
import { startKubeSim } from '@kso/kube-sim';
import { otlpToFileConfig, skipUnlessPeers, startCollector } from '@kso/peers';
import { decodeOtlpJson, type OtlpMetric } from '../src/otlp-decode.ts';
import { createRun, cronJobOf, MAIN_METRICS, NS, terminateMain } from './fixtures.ts';
import { freePort, pushgatewayAvailable, startMetricsEndpoint, startPushgateway, waitUntil } from './helpers.ts';
import { podEnv, startInClusterFront } from './in-cluster.ts';
import { podCommand, spawnSidecar } from './process.ts';

const skip =
  skipUnlessPeers('otelcol') ||
  (!pushgatewayAvailable() && 'prometheus-pushgateway not installed (scripts/test-deps.sh)');

async function podRun(t: import('node:test').TestContext, job: string) {
  const sim = await startKubeSim({});
  t.after(() => sim.close());
  const front = await startInClusterFront(sim, NS);
  t.after(() => front.close());
  const otlpPort = await freePort();
  const col = await startCollector(otlpToFileConfig({ grpcPort: otlpPort, file: 'out.jsonl', flushInterval: '100ms' }));
  t.after(() => col.stop());
  const pg = await startPushgateway();
  t.after(() => pg.close());
  const main = await startMetricsEndpoint(MAIN_METRICS(4));
  t.after(() => main.close());
  const pod = `${job}-q8x2z`;
  await createRun(sim, job, pod);
  const p = spawnSidecar(
    [
      `--otlp-endpoint=http://127.0.0.1:${otlpPort}`,
      `--pushgateway-url=${pg.url}`,
      `--scrape-url=${main.url}`,
      '--scrape-interval=200ms',
      '--interval=60s',
      '--flush-deadline=8s',
      '--final-state-wait=500ms',
      '--push-listen=127.0.0.1:0',
    ],
    { ...(await podCommand()), env: podEnv(front, { KSO_POD: pod, KSO_POD_NAMESPACE: NS }) },
  );
  t.after(() => p.kill());
  const out = join(col.dir, 'out.jsonl');
  /** Everything the Collector wrote, decoded with the sidecar's own OTLP JSON decoder. */
  const delivered = (): OtlpMetric[] =>
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .flatMap((l) => decodeOtlpJson(l).metrics)
      : [];
  const point = (name: string, attrs: Record<string, string>) =>
    delivered()
      .filter((m) => m.name === name)
      .flatMap((m) => m.points)
      .filter((pt) => Object.entries(attrs).every(([k, v]) => pt.attributes[k] === v))
      .at(-1);
  return { sim, front, pg, main, pod, p, delivered, point };
}

test('CronJob pod: final state, relayed and locally pushed metrics reach a real Collector and the Pushgateway', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const job = 'nightly-29100001';
  const { sim, pg, pod, p, point } = await podRun(t, job);
  const listening = await p.waitForLog((l) => l['msg'] === 'local push endpoint listening', 20_000);
  const base = `http://${String(listening['address'])}`;
  const ready = await p.waitForLog((l) => l['msg'] === 'first push done', 20_000);
  assert.equal(ready['otlpDelivered'], true, p.stderr);
  assert.equal((await fetch(`${base}/readyz`)).status, 200, 'readyz once synced and pushed');

  // The job pushes by itself: OTLP/HTTP JSON and Pushgateway-style text.
  const otlpJson = {
    resourceMetrics: [
      {
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'report.rows',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [{ asInt: '1234', attributes: [{ key: 'table', value: { stringValue: 'sales' } }] }],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  let r = await fetch(`${base}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlpJson),
  });
  assert.equal(r.status, 200, await r.text());
  r = await fetch(`${base}/metrics/job/report/step/load`, {
    method: 'PUT',
    body: '# TYPE report_step_seconds gauge\nreport_step_seconds 3.5\n',
  });
  assert.equal(r.status, 200);
  // Malformed pushes: 400 with the reason; what was accepted stays.
  r = await fetch(`${base}/metrics/job/report/step/load`, { method: 'PUT', body: 'report_step_seconds{ 1\n' });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /line 1/);
  r = await fetch(`${base}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array([0x0a, 0x05, 0x01]),
  });
  assert.equal(r.status, 400);

  await terminateMain(sim, pod, 'Completed', 0);
  const { code } = await p.exited;
  assert.equal(code, 0, p.stderr);
  assert.ok(p.logs.some((l) => l['msg'] === 'final flush delivered'));

  const identity = { namespace: NS, pod, job_name: job };
  await waitUntil(
    () => point('kube_pod_container_status_terminated_reason', { pod, reason: 'Completed' }) !== undefined,
    10_000,
    'final state at the Collector',
  );
  assert.equal(point('kube_pod_container_status_terminated_reason', { pod, reason: 'Completed' })?.value, 1);
  assert.equal(point('kube_pod_container_status_terminated_exitcode', { pod, container: 'descheduler' })?.value, 0);
  assert.equal(point('descheduler_pods_evicted', identity)?.value, 4, 'relayed scrape with the pod identity');
  assert.equal(point('report.rows', { ...identity, table: 'sales' })?.value, 1234, 'OTLP push forwarded');
  assert.equal(
    point('report_step_seconds', { ...identity, exported_job: 'report', step: 'load' })?.value,
    3.5,
    'Pushgateway-style push forwarded',
  );

  // Pushgateway: one group per CronJob and namespace; the pod is a label, the local pushes are in it too.
  const samples = parsePrometheusText(await pg.metrics()).families.flatMap((f) => f.samples);
  const groups = samples.filter((s) => s.name === 'push_time_seconds').map((s) => s.labels);
  assert.deepEqual(groups, [{ instance: '', job: cronJobOf(job), namespace: NS }]);
  const pushed = samples.find((s) => s.name === 'report_rows' && s.labels['pod'] === pod);
  assert.equal(pushed?.value, 1234);
  assert.equal(samples.find((s) => s.name === 'report_step_seconds')?.labels['exported_job'], 'report');
});

test('CronJob pod: an eviction (DisruptionTarget + deletionTimestamp) is flushed at once, before any SIGTERM', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const job = 'nightly-29100002';
  const { sim, pod, p, point, delivered } = await podRun(t, job);
  await p.waitForLog((l) => l['msg'] === 'first push done', 20_000);
  await waitUntil(() => delivered().length > 0, 10_000, 'first push at the Collector');
  const before = delivered().length;
  const now = new Date().toISOString();
  sim.cluster.patch('pods', NS, pod, {
    metadata: { deletionTimestamp: now, deletionGracePeriodSeconds: 30 },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: now },
      ],
    },
  });
  const early = await p.waitForLog((l) => l['msg'] === 'early flush done', 10_000);
  assert.equal(early['reason'], 'EvictionByEvictionAPI');
  assert.equal(early['delivered'], true, p.stderr);
  assert.equal(p.child.exitCode, null, 'still running: the final flush follows on SIGTERM');
  await waitUntil(() => delivered().length > before, 10_000, 'early flush written by the Collector');
  assert.equal(point('descheduler_pods_evicted', { pod })?.value, 4);
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  assert.equal(code, 0, p.stderr);
});
