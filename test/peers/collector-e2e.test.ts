// End to end through a real OpenTelemetry Collector: kso (run, and the sidecar's final flush) → OTLP/gRPC →
// otelcol-kso → its Prometheus exporter → scraped by a real Prometheus. What Prometheus stores must be exactly
// what kso itself exposes in Prometheus format for the same objects (kso run: its /metrics; the sidecar: the same
// flush pushed to a real Pushgateway).
//
// Normalisations, each a translation the Collector or Prometheus applies by design (nothing else is ignored):
//  - `job` / `instance`: the Collector's Prometheus exporter derives them from the resource attributes
//    service.name / service.instance.id (Prometheus keeps them: honor_labels); kso's own exposition has neither.
//  - `otel_scope_name` / `otel_scope_version` / `otel_scope_schema_url`: the exporter adds the instrumentation scope
//    to every series.
//  - `target_info`: the exporter's rendering of the resource; not an object metric.
//  - Pushgateway side: its own `push_time_seconds` / `push_failure_time_seconds` and process metrics, and its
//    grouping-key label `job` (the CronJob, or the Job when there is none). The other grouping label,
//    `namespace`, equals the series' own namespace label.
//  - Counter names are compared without a trailing `_total`: the exporter appends it to a monotonic sum whose
//    name lacks it (a relayed `report_rows_written` counter arrives as `report_rows_written_total`), while the
//    Pushgateway keeps the name the main container used.
//  - Empty label values are absent labels (Prometheus semantics, see series.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKubeSim } from '@kso/kube-sim';
import { freePort, type RealCollector, skipUnlessPeers, spawnPeer, startCollector } from '@kso/peers';
import { createRun, NS, startPushgateway, terminateMain } from '@kso/sidecar/testing';
import { fixtures, withFinalStatus } from './fixtures.ts';
import { cleanEnv, KSO_BIN, startKsoRun } from './kso.ts';
import { prometheusAvailable, type RealPrometheus, startPrometheus } from './prometheus.ts';
import {
  describeDiff,
  diffSets,
  isEmptyDiff,
  type ParsedSeries,
  parseExposition,
  type SeriesSet,
  toSet,
} from './series.ts';

const skip =
  skipUnlessPeers('otelcol') || (!prometheusAvailable() && 'prometheus not installed (scripts/test-deps.sh)');
const COLLECTOR_LABELS = new Set(['job', 'instance', 'otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url']);

function withoutLabels(s: ParsedSeries, drop: Set<string>): ParsedSeries {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.labels)) if (!drop.has(k)) labels[k] = v;
  return { ...s, labels };
}

async function collectorWithPrometheus(): Promise<{ otlp: string; col: RealCollector; prom: RealPrometheus }> {
  const [otlpPort, exporterPort] = [await freePort(), await freePort()];
  const col = await startCollector(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  prometheus:
    endpoint: 127.0.0.1:${exporterPort}
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus]
`);
  try {
    const prom = await startPrometheus([`127.0.0.1:${exporterPort}`]);
    return { otlp: `http://127.0.0.1:${otlpPort}`, col, prom };
  } catch (err) {
    await col.stop();
    throw err;
  }
}

const withoutTotal = (s: ParsedSeries): ParsedSeries => ({ ...s, name: s.name.replace(/_total$/, '') });

/** What Prometheus stores for `selector`, normalised as documented at the top. */
async function stored(prom: RealPrometheus, selector: string): Promise<SeriesSet> {
  return toSet((await prom.query(selector)).map((s) => withoutLabels(s, COLLECTOR_LABELS)));
}

/** Polls until the two sets agree (pushes and scrapes are periodic), then returns the final diff. */
async function converge(left: () => Promise<SeriesSet>, right: () => Promise<SeriesSet>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [l, r] = [await left(), await right()];
    const diff = diffSets(l, r);
    if ((isEmptyDiff(diff) && l.size > 0) || Date.now() > deadline) return { l, r, diff };
    await sleep(500);
  }
}

test('kso run → OTLP → Collector → Prometheus stores exactly the series of kso run /metrics', {
  skip,
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-e2e-col-'));
  const sim = await startKubeSim({
    port: 0,
    scenario: 'scale',
    scale: { pods: 60, jobs: 6, namespaces: 2 },
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fixtures' } },
      ...fixtures('fixtures').map(withFinalStatus),
    ],
  });
  const { otlp, col, prom } = await collectorWithPrometheus();
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const kso = await startKsoRun(kubeconfig, ['--otlp-endpoint', otlp, '--otlp-interval', '1s', '--schema', 'ksm']);
    try {
      await prom.waitForTargetsUp(30_000);
      const own = async () => toSet(parseExposition(await kso.scrape()), (s) => s.name.startsWith('kube_'));
      const { l, r, diff } = await converge(own, () => stored(prom, '{__name__=~"kube_.+"}'), 60_000);
      assert.ok(isEmptyDiff(diff), describeDiff(diff, 'kso /metrics', 'Prometheus via Collector'));
      const pods = sim.cluster.list('Pod').length;
      assert.equal([...r.keys()].filter((k) => k.startsWith('kube_pod_info{')).length, pods, 'every pod arrived');
      assert.ok(l.size > 1_000, `compared ${l.size} series`);
      // The translation added exactly the documented labels: kso's service identity as job.
      const raw = await prom.query('kube_pod_info');
      assert.ok(
        raw.every((s) => s.labels['job'] && s.labels['job'] !== 'collector'),
        'job comes from service.name',
      );
    } finally {
      await kso.stop();
    }
  } finally {
    await Promise.allSettled([prom.stop(), col.stop()]);
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
});

// The CronJob run the sidecar's own tests use: a Job and its Pod with kso as a native sidecar.
const JOB = 'nightly-report-29000001';
const POD = `${JOB}-abcde`;

const MAIN_METRICS = `# HELP report_rows_written Rows written by the report
# TYPE report_rows_written counter
report_rows_written{table="sales"} 1234
# HELP report_last_duration_seconds Duration of the last report
# TYPE report_last_duration_seconds gauge
report_last_duration_seconds 12.5
`;

test('kso sidecar final flush → Collector → Prometheus equals the same flush pushed to a real Pushgateway', {
  skip: skip || (!prometheusAvailable() && 'prometheus not installed'),
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-e2e-sidecar-'));
  const sim = await startKubeSim({ port: 0, scenario: 'empty' });
  await createRun(sim, JOB, POD);
  const main = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(MAIN_METRICS));
  await new Promise<void>((r) => main.listen(0, '127.0.0.1', r));
  const pg = await startPushgateway();
  const { otlp, col, prom } = await collectorWithPrometheus();
  try {
    const pgUrl = pg.url;
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const sidecar = spawnPeer(
      'kso sidecar',
      process.execPath,
      [
        KSO_BIN,
        'sidecar',
        `--pod-name=${POD}`,
        `--pod-namespace=${NS}`,
        `--kubeconfig=${kubeconfig}`,
        `--otlp-endpoint=${otlp}`,
        `--pushgateway-url=${pgUrl}`,
        `--scrape-url=http://127.0.0.1:${(main.address() as AddressInfo).port}/metrics`,
        '--scrape-interval=200ms',
        // Only the first push and the final flush: what arrives is the final flush's content.
        '--interval=60s',
        '--flush-deadline=10s',
        '--final-state-wait=500ms',
      ],
      { env: cleanEnv() },
    );
    try {
      await sidecar.waitForOutput(/first push done/, 20_000);
      await terminateMain(sim, POD, 'Completed', 0);
      assert.equal(await sidecar.exited, 0, sidecar.output());
      assert.match(sidecar.output(), /final flush delivered/);
      await prom.waitForTargetsUp(30_000);

      const PG_OWN = /^(push_time_seconds|push_failure_time_seconds|pushgateway_|go_|process_)/;
      const pushed = async () => {
        const text = await pg.metrics();
        return toSet(
          parseExposition(text)
            .filter((s) => !PG_OWN.test(s.name))
            .map((s) => withoutLabels(s, new Set(['job'])))
            .map(withoutTotal),
        );
      };
      const viaCollector = async () =>
        toSet(
          (await prom.query('{__name__=~"kube_.+|report_.+"}'))
            .map((s) => withoutLabels(s, COLLECTOR_LABELS))
            .map(withoutTotal),
        );
      const { l, diff } = await converge(pushed, viaCollector, 30_000);
      assert.ok(isEmptyDiff(diff), describeDiff(diff, 'Pushgateway', 'Prometheus via Collector'));
      const keys = [...l.keys()];
      assert.ok(
        keys.some((k) => k.startsWith('report_rows_written{')),
        `relayed counter arrived: ${keys.join(' ')}`,
      );
      assert.ok(
        keys.some((k) => k.startsWith('kube_pod_container_status_terminated_reason{') && k.includes('Completed')),
        `the final state (main container Completed) was flushed: ${keys.join(' ')}`,
      );
    } finally {
      await sidecar.stop();
    }
  } finally {
    await Promise.allSettled([prom.stop(), col.stop(), pg.close()]);
    main.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
});
