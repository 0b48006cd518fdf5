// End to end against real peers: kube-sim (HTTP API server), the OTLP gRPC test receiver, a real
// prometheus-pushgateway and a local HTTP server standing in for the main container's /metrics.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePrometheusText } from '@kso/exporters/prom-parse';
import { startOtlpReceiver } from '@kso/exporters/testing';
// Loaded only when the peers exist (a static import would fail at link time while they are stubs).
import { startKubeSim } from '@kso/kube-sim';
import { startSidecar } from '../src/sidecar.ts';
import { createRun, cronJobOf, MAIN_METRICS, NS, terminateMain } from './fixtures.ts';
import { pushgatewayAvailable, startMetricsEndpoint, startPushgateway, waitUntil } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Received = Awaited<ReturnType<typeof startOtlpReceiver>>['received'];
function findPoint(received: Received, name: string, attrs: Record<string, string>) {
  for (let i = received.length - 1; i >= 0; i--) {
    for (const m of received[i]!.metrics) {
      if (m.name !== name) continue;
      const p = m.points.find((pt) => Object.entries(attrs).every(([k, v]) => pt.attributes[k] === v));
      if (p) return { metric: m, point: p, request: i };
    }
  }
  return undefined;
}

async function env(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'kso-sidecar-'));
  const sim = await startKubeSim({});
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  const rx = await startOtlpReceiver();
  t.after(async () => {
    await rx.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sim, rx, kubeconfig };
}

test('a job that lives 2 s delivers its final Job/Pod state and the relayed metrics to OTLP and the Pushgateway', {
  skip: !pushgatewayAvailable() && 'prometheus-pushgateway not installed (scripts/test-deps.sh)',
  timeout: 30_000,
}, async (t) => {
  const { sim, rx, kubeconfig } = await env(t);
  const pg = await startPushgateway();
  t.after(() => pg.close());
  const ep = await startMetricsEndpoint(MAIN_METRICS(0));
  t.after(() => ep.close());
  const job = 'desched-29000001';
  const pod = `${job}-x7k2p`;
  await createRun(sim, job, pod);

  const sc = startSidecar({
    podName: pod,
    podNamespace: NS,
    kubeconfig,
    otlp: { endpoint: `http://${rx.grpcAddress}`, timeoutMs: 2_000 },
    pushgateway: { url: pg.url },
    scrapeUrl: ep.url,
    scrapeIntervalMs: 200,
    intervalMs: 1_000,
    flushDeadlineMs: 8_000,
  });
  await sc.ready;
  await sleep(1_000);
  // The workload updates its counter, the sidecar scrapes it, then the workload exits and its
  // endpoint disappears with it: only the relayed last good scrape can deliver the 5.
  ep.body = MAIN_METRICS(5);
  const seen = ep.scrapes;
  await waitUntil(() => ep.scrapes >= seen + 2, 5_000, 'two scrapes of the final values');
  await sleep(1_000 - 400);
  await ep.close();
  await terminateMain(sim, pod, 'Error', 2);

  const result = await sc.done;
  assert.equal(result.trigger, 'main-container-terminated');
  assert.equal(result.exitCode, 0, JSON.stringify(result));
  assert.equal(result.otlp?.delivered, true);
  assert.equal(result.pushgateway?.delivered, true);

  // OTLP: the final batch has the relayed counter with the Job/Pod identity and the terminated container.
  const relayed = findPoint(rx.received, 'descheduler_pods_evicted', { pod, namespace: NS, job_name: job });
  assert.ok(relayed, 'relayed counter delivered with identity');
  assert.equal(relayed.point.value, 5);
  assert.equal(relayed.metric.kind, 'sum');
  assert.equal(relayed.metric.isMonotonic, true);
  const reason = findPoint(rx.received, 'kube_pod_container_status_terminated_reason', {
    pod,
    container: 'descheduler',
    reason: 'Error',
  });
  assert.equal(reason?.point.value, 1, 'terminated reason delivered');
  const exit = findPoint(rx.received, 'kube_pod_container_status_terminated_exitcode', {
    pod,
    container: 'descheduler',
  });
  assert.equal(exit?.point.value, 2, 'exit code delivered');
  assert.ok(findPoint(rx.received, 'kube_job_status_active', { job_name: job, namespace: NS }), 'job series delivered');

  // Pushgateway: one group per CronJob (job=<cronjob>, namespace), not per pod; the pod stays a label of the
  // pod series and of the relayed ones. Carries both the relayed metric and the Job/Pod state.
  const families = parsePrometheusText(await pg.metrics()).families;
  const sample = (name: string) =>
    families
      .flatMap((f) => f.samples)
      .find(
        (s) =>
          s.name === name &&
          s.labels['job'] === cronJobOf(job) &&
          s.labels['namespace'] === NS &&
          (s.labels['pod'] === pod || name.startsWith('kube_job_')),
      );
  assert.equal(sample('descheduler_pods_evicted')?.value, 5);
  assert.equal(sample('descheduler_pods_evicted')?.labels['job_name'], job);
  assert.ok(sample('kube_pod_container_status_terminated_reason'), 'pod state pushed');
  assert.equal(sample('kube_pod_container_status_terminated_exitcode')?.value, 2, 'exit code pushed');
  assert.equal(sample('kube_job_status_active')?.labels['job_name'], job, 'job state pushed');
  assert.equal(sample('descheduler_pods_evicted')?.labels['pod'], pod, 'pod identity is a label');
  const groups = families
    .flatMap((f) => f.samples)
    .filter((s) => s.name === 'push_time_seconds')
    .map((s) => s.labels);
  // The Pushgateway adds instance="" to every group.
  assert.deepEqual(groups, [{ instance: '', job: cronJobOf(job), namespace: NS }], 'one group, keyed by the CronJob');
});

test('a collector that is down during the final flush and returns within the deadline still gets the data', {
  timeout: 30_000,
}, async (t) => {
  const { sim, rx, kubeconfig } = await env(t);
  const ep = await startMetricsEndpoint(MAIN_METRICS(7));
  t.after(() => ep.close());
  const job = 'desched-29000002';
  const pod = `${job}-abcde`;
  await createRun(sim, job, pod);
  const sc = startSidecar({
    podName: pod,
    podNamespace: NS,
    kubeconfig,
    otlp: { endpoint: `http://${rx.grpcAddress}`, timeoutMs: 1_000 },
    scrapeUrl: ep.url,
    scrapeIntervalMs: 200,
    intervalMs: 60_000,
    flushDeadlineMs: 10_000,
    retry: { initialMs: 200, maxMs: 1_000 },
  });
  await sc.ready;
  await rx.setDown(true);
  const before = rx.received.length;
  await terminateMain(sim, pod, 'Completed', 0);
  await waitUntil(() => sc.stats().pod?.mainDone === true, 5_000, 'termination observed');
  await sleep(1_500);
  assert.equal(rx.received.length, before, 'nothing delivered while the collector is down');
  await rx.setDown(false);
  const result = await sc.done;
  assert.equal(result.exitCode, 0, JSON.stringify(result));
  assert.equal(result.otlp?.delivered, true);
  assert.ok((result.otlp?.attempts ?? 0) > 1, 'delivery needed retries');
  assert.ok(result.flushMs < 10_000);
  const reason = findPoint(rx.received.slice(before), 'kube_pod_container_status_terminated_reason', {
    pod,
    reason: 'Completed',
  });
  assert.equal(reason?.point.value, 1, 'final state delivered after the collector came back');
  assert.equal(findPoint(rx.received.slice(before), 'descheduler_pods_evicted', { pod })?.point.value, 7);
});
