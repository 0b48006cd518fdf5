// The monitoring bundle (deploy/monitoring): generated files up to date, promtool unit tests, a configurable
// selector, and a real Prometheus (Debian package) evaluating the rules and every dashboard query against
// `kso run` on kube-sim's demo cluster, whose failing Jobs must make the right alerts fire.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findKubectl, type KubeSim, startKubeSim } from '@kso/kube-sim';
import { freePort, httpGet, type PeerProcess, waitUntil } from '@kso/peers';
import { parse as parseYaml } from 'yaml';
import { dashboard, ROWS } from '../../deploy/monitoring/dashboard.ts';
import { FILES, generate } from '../../deploy/monitoring/generate.ts';
import { buildRules } from '../../deploy/monitoring/rules.ts';
import { spawnKsoRun } from '../peers/kso.ts';
import { prometheusAvailable, type RealPrometheus, startPrometheus } from '../peers/prometheus.ts';

const run = promisify(execFile);
const MONITORING = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';
const noPrometheus = prometheusAvailable() ? false : 'prometheus/promtool not installed (scripts/test-deps.sh)';
const tmp = mkdtempSync(join(tmpdir(), 'kso-monitoring-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('monitoring bundle files', () => {
  test('the committed rules, PrometheusRule and dashboard are the generator output with its defaults', () => {
    const out = join(tmp, 'defaults');
    generate({}, out);
    for (const f of Object.values(FILES))
      assert.equal(
        readFileSync(join(MONITORING, f), 'utf8'),
        readFileSync(join(out, f), 'utf8'),
        `${f} is out of date: run node deploy/monitoring/generate.ts`,
      );
    // The PrometheusRule carries exactly the plain rule file's groups.
    const plain = parseYaml(readFileSync(join(MONITORING, FILES.rules), 'utf8'));
    const cr = parseYaml(readFileSync(join(MONITORING, FILES.prometheusRule), 'utf8'));
    assert.equal(cr.kind, 'PrometheusRule');
    assert.deepEqual(cr.spec.groups, plain.groups);
  });

  // The Helm chart renders its PrometheusRule from a copy of the rule file (a chart cannot read files outside it).
  const chartRules = fileURLToPath(
    new URL(`../../deploy/helm/kube-state-otel/files/alerts/${FILES.rules}`, import.meta.url),
  );
  test('the Helm chart copy of the rules is identical', () => {
    assert.equal(
      readFileSync(chartRules, 'utf8'),
      readFileSync(join(MONITORING, FILES.rules), 'utf8'),
      `cp deploy/monitoring/${FILES.rules} deploy/helm/kube-state-otel/files/alerts/`,
    );
  });

  test('promtool: the rule file is valid and its unit tests pass', { skip: noPrometheus }, async () => {
    const check = await run(PROMTOOL, ['check', 'rules', join(MONITORING, FILES.rules)]);
    assert.match(check.stdout, /SUCCESS: 11 rules found/);
    const unit = await run(PROMTOOL, ['test', 'rules', join(MONITORING, 'tests/kso-alerts.test.yaml')]);
    assert.match(unit.stdout, /SUCCESS/);
  });

  test('the selector is configurable: rules generated for job="ksm" ignore every other job', {
    skip: noPrometheus,
  }, async () => {
    const out = join(tmp, 'ksm');
    generate({ selector: 'job="ksm", cluster!="lab"' }, out);
    const text = readFileSync(join(out, FILES.rules), 'utf8');
    assert.ok(!text.includes('kube-state-otel"'), 'no default selector left');
    writeFileSync(
      join(out, 'selector.test.yaml'),
      [
        `rule_files: [${FILES.rules}]`,
        'tests:',
        '  - interval: 1m',
        '    input_series:',
        `      - series: 'kube_job_failed{job="ksm", namespace="a", job_name="x", condition="true"}'`,
        "        values: '1x20'",
        `      - series: 'kube_job_failed{job="kube-state-otel", namespace="a", job_name="y", condition="true"}'`,
        "        values: '1x20'",
        `      - series: 'kube_job_failed{job="ksm", cluster="lab", namespace="a", job_name="z", condition="true"}'`,
        "        values: '1x20'",
        '    alert_rule_test:',
        '      - eval_time: 16m',
        '        alertname: KubeJobFailed',
        '        exp_alerts:',
        '          - exp_labels: { severity: warning, job: ksm, namespace: a, job_name: x, condition: "true" }',
        '            exp_annotations:',
        "              summary: 'Job failed to complete.'",
        "              description: 'Job a/x failed to complete. Removing failed job after investigation should clear this alert.'",
        "              runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubejobfailed'",
        '',
      ].join('\n'),
    );
    const r = await run(PROMTOOL, ['test', 'rules', join(out, 'selector.test.yaml')]);
    assert.match(r.stdout, /SUCCESS/);
  });

  const kubectl = findKubectl();
  test('kubectl kustomize deploy/monitoring: the PrometheusRule and the Grafana dashboard ConfigMap', {
    skip: kubectl ? false : 'kubectl not found (test/peers/build.sh kubectl)',
  }, async () => {
    const { stdout } = await run(kubectl!, ['kustomize', MONITORING]);
    const docs = stdout.split(/^---$/m).map((d) => parseYaml(d));
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    assert.equal(cm.metadata.name, 'kube-state-otel-dashboard');
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    assert.deepEqual(JSON.parse(cm.data[FILES.dashboard]), dashboard());
    const sm = docs.find((d) => d.kind === 'ServiceMonitor');
    assert.equal(sm.spec.endpoints[0].honorLabels, true, 'objects keep their namespace/pod labels');
    const rule = docs.find((d) => d.kind === 'PrometheusRule');
    assert.equal(rule.metadata.namespace, 'kube-state-otel');
    assert.deepEqual(
      rule.spec.groups.map((g: { name: string }) => g.name),
      ['kube-state-otel', 'kube-state-otel-jobs'],
    );
  });
});

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function startKso(kubeconfig: string, args: string[]): Promise<{ target: string; proc: PeerProcess }> {
  const { proc, port } = await spawnKsoRun(kubeconfig, args);
  // /healthz rather than /readyz: the unhealthy instance never completes its initial list.
  await waitUntil('kso /healthz', async () => (await httpGet(`http://127.0.0.1:${port}/healthz`)).status === 200, {
    timeoutMs: 60_000,
    peer: proc,
  });
  return { target: `127.0.0.1:${port}`, proc };
}

describe('a real Prometheus evaluating the bundle against kso run on the kube-sim demo', {
  skip: noPrometheus,
}, () => {
  let demo: KubeSim;
  let broken: KubeSim;
  let resharding: KubeSim;
  let prom: RealPrometheus;
  const procs: PeerProcess[] = [];
  let healthy = '';
  let unhealthy = '';
  let autosharded = '';

  before(async () => {
    // The demo cluster, plus what the demo does not have: a CronJob whose controller stopped scheduling it two
    // hours ago and a CronJob run whose native sidecar exited 1 (final flush not delivered).
    demo = await startKubeSim({ port: 0, scenario: 'demo', demo: { tickMs: 500 }, bookmarkIntervalMs: 300 });
    const twoHoursAgo = new Date(Date.now() - 7_200_000).toISOString();
    demo.cluster.create({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly-backup', namespace: 'kube-system', uid: randomUUID(), creationTimestamp: twoHoursAgo },
      spec: {
        schedule: '*/5 * * * *',
        suspend: false,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'backup', image: 'backup:1' }] } } } },
      },
      status: { lastScheduleTime: twoHoursAgo },
    });
    const now = new Date().toISOString();
    demo.cluster.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'report-29001-q8x7z', namespace: 'batch', uid: randomUUID(), creationTimestamp: now },
      spec: {
        restartPolicy: 'Never',
        initContainers: [{ name: 'kso-sidecar', image: 'kube-state-otel:dev', restartPolicy: 'Always' }],
        containers: [{ name: 'report', image: 'report:1' }],
      },
      status: {
        phase: 'Succeeded',
        initContainerStatuses: [
          {
            name: 'kso-sidecar',
            image: 'kube-state-otel:dev',
            imageID: '',
            ready: false,
            restartCount: 0,
            started: false,
            state: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } },
          },
        ],
        containerStatuses: [
          {
            name: 'report',
            image: 'report:1',
            imageID: '',
            ready: false,
            restartCount: 0,
            started: false,
            state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } },
          },
        ],
      },
    });
    const demoConfig = join(tmp, 'demo.kubeconfig');
    await demo.writeKubeconfig(demoConfig);
    // A second instance that is unhealthy on purpose: its API server refuses every CronJob list, its OTLP
    // endpoint is a closed port, and it runs as static shard 1 of 3 where the others say 1 shard in all.
    broken = await startKubeSim({ port: 0, scenario: 'empty', bookmarkIntervalMs: 300 });
    broken.faults.failNext(1_000_000, { status: 503, resource: 'cronjobs', verb: 'list' });
    const brokenConfig = join(tmp, 'broken.kubeconfig');
    await broken.writeKubeconfig(brokenConfig);
    const closed = await freePort();

    const a = await startKso(demoConfig, []);
    procs.push(a.proc);
    const b = await startKso(brokenConfig, [
      '--otlp-endpoint',
      `http://127.0.0.1:${closed}`,
      '--otlp-interval',
      '1s',
      '--otlp-timeout',
      '500ms',
      '--shard',
      '1',
      '--total-shards',
      '3',
    ]);
    procs.push(b.proc);
    // A third one autosharding from its StatefulSet (one replica for now), for the stuck reshard.
    const stsUid = randomUUID();
    resharding = await startKubeSim({
      port: 0,
      scenario: 'empty',
      bookmarkIntervalMs: 300,
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'kube-state-otel', namespace: 'monitoring', uid: stsUid },
          spec: {
            replicas: 1,
            serviceName: 'kube-state-otel',
            selector: { matchLabels: { app: 'kso' } },
            template: { metadata: { labels: { app: 'kso' } }, spec: { containers: [{ name: 'kso', image: 'x' }] } },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'kube-state-otel-0',
            namespace: 'monitoring',
            uid: randomUUID(),
            labels: { app: 'kso' },
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'kube-state-otel', uid: stsUid, controller: true },
            ],
          },
          spec: { containers: [{ name: 'kso', image: 'x' }] },
          status: { phase: 'Running' },
        },
      ],
    });
    const reshardingConfig = join(tmp, 'resharding.kubeconfig');
    await resharding.writeKubeconfig(reshardingConfig);
    const c = await startKso(reshardingConfig, ['--pod', 'kube-state-otel-0', '--pod-namespace', 'monitoring']);
    procs.push(c.proc);
    healthy = a.target;
    unhealthy = b.target;
    autosharded = c.target;

    // The shipped expressions, with test-sized thresholds and no `for:` (the promtool tests cover those).
    const rulesDir = join(tmp, 'e2e-rules');
    generate({ forOverride: '0s', jobTimeoutSeconds: 120, cronJobLateSeconds: 600, staleSeconds: 5 }, rulesDir);
    prom = await startPrometheus([healthy, unhealthy, autosharded], {
      config: () =>
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          '  evaluation_interval: 1s',
          'rule_files:',
          `  - ${JSON.stringify(join(rulesDir, FILES.rules))}`,
          'scrape_configs:',
          '  - job_name: kube-state-otel',
          '    static_configs:',
          `      - targets: [${[healthy, unhealthy, autosharded].map((t) => JSON.stringify(t)).join(', ')}]`,
          '',
        ].join('\n'),
    });
    await prom.waitForTargetsUp(30_000).catch(async (err: Error) => {
      const t = await prom.api<{ activeTargets: { scrapeUrl: string; lastError: string }[] }>('/api/v1/targets');
      const down = t.activeTargets.filter((x) => x.lastError !== '').map((x) => `${x.scrapeUrl}: ${x.lastError}`);
      const exited = procs.filter((p) => p.hasExited()).map((p) => p.output().slice(-2000));
      throw new Error(`${err.message}; down: ${down.join('; ')}; exited kso: ${exited.join('\n---\n')}`);
    });
  });

  after(async () => {
    await prom?.stop();
    await Promise.all(procs.map((p) => p.stop()));
    await demo?.close();
    await broken?.close();
    await resharding?.close();
  });

  const alerts = async () =>
    (await prom.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.state === 'firing');
  const firing = (list: Alert[], name: string, labels: Record<string, string> = {}) =>
    list.filter((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

  test('the demo failing Jobs, the late CronJob, the failed sidecar and the unhealthy instance fire the right alerts', async () => {
    const expected: [string, Record<string, string>][] = [
      ['KubeJobFailed', { namespace: 'batch', job_name: 'report-export' }],
      ['KubeJobNotCompleted', { namespace: 'batch', job_name: 'model-train' }],
      ['KubeJobNotCompleted', { namespace: 'batch', job_name: 'cache-warmer' }],
      ['KubeCronJobMissedSchedule', { namespace: 'kube-system', cronjob: 'nightly-backup' }],
      ['KsoSidecarFinalFlushFailed', { namespace: 'batch', pod: 'report-29001-q8x7z', container: 'kso-sidecar' }],
      ['KsoWatchNotSynced', { instance: unhealthy, resource: 'cronjobs' }],
      ['KsoOtlpExportFailing', { instance: unhealthy }],
      ['KsoOtlpPointsLost', { instance: unhealthy }],
      ['KsoShardingMismatch', { job: 'kube-state-otel' }],
      ['KsoShardsMissing', { job: 'kube-state-otel' }],
    ];
    let list: Alert[] = [];
    await waitUntil(
      'expected alerts firing',
      async () => {
        list = await alerts();
        return expected.every(([n, l]) => firing(list, n, l).length > 0);
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    ).catch((err: Error) => {
      const missing = expected.filter(([n, l]) => firing(list, n, l).length === 0);
      throw new Error(
        `${err.message}; missing ${JSON.stringify(missing)}; firing ${JSON.stringify(list.map((a) => a.labels))}`,
      );
    });
    // ... and nothing fires that should not.
    assert.deepEqual(firing(list, 'KubeJobFailed', { job_name: 'etl-nightly' }), [], 'a completed Job');
    assert.deepEqual(firing(list, 'KubeJobFailed', { job_name: 'index-rebuild' }), [], 'FailureTarget, not Failed yet');
    assert.deepEqual(firing(list, 'KubeCronJobMissedSchedule', { cronjob: 'descheduler' }), [], 'keeps its schedule');
    assert.deepEqual(
      firing(list, 'KsoSidecarFinalFlushFailed').map((a) => a.labels.pod),
      ['report-29001-q8x7z'],
      'the running sidecar of model-train is fine',
    );
    assert.deepEqual(firing(list, 'KsoWatchNotSynced', { instance: healthy }), []);
    assert.deepEqual(firing(list, 'KsoOtlpExportFailing', { instance: healthy }), []);
    for (const name of ['KsoReshardStuck', 'KsoWatchStale']) assert.deepEqual(firing(list, name), [], name);
  });

  test('every dashboard panel query returns data from that Prometheus', async () => {
    const vars: Record<string, string> = {
      job: 'kube-state-otel',
      namespace: '.*',
      sidecar: 'kso-sidecar',
      __rate_interval: '30s',
    };
    const subst = (q: string) => q.replace(/\$\{?(\w+)\}?/g, (m, v: string) => vars[v] ?? m);
    const empty: string[] = [];
    let queries = 0;
    for (const row of ROWS)
      for (const p of row.panels)
        for (const t of p.targets) {
          const q = subst(t.expr);
          assert.ok(!q.includes('$'), `unsubstituted variable in ${q}`);
          queries++;
          if ((await prom.query(q)).length === 0) empty.push(`${p.title}: ${q}`);
        }
    // ROWS is what the JSON is built from: the same number of queries reaches Grafana.
    const panels = dashboard().panels as { targets?: unknown[] }[];
    assert.equal(queries, panels.flatMap((p) => p.targets ?? []).length);
    assert.deepEqual(empty, [], 'panels without data');
    // The variables' label_values() queries, through the label values API Grafana uses.
    const jobs = await prom.api<string[]>(`/api/v1/label/job/values?match[]=${encodeURIComponent('kso_watch_synced')}`);
    assert.ok(jobs.includes('kube-state-otel'), JSON.stringify(jobs));
    const ns = await prom.api<string[]>(
      `/api/v1/label/namespace/values?match[]=${encodeURIComponent('kube_pod_info{job=~"kube-state-otel"}')}`,
    );
    for (const n of ['batch', 'demo', 'kube-system']) assert.ok(ns.includes(n), JSON.stringify(ns));
  });

  test('a reshard whose new view cannot sync fires KsoReshardStuck on that instance', async () => {
    // The new assignment's Job list keeps failing, so its view never completes; the old one stays served.
    resharding.faults.failNext(1_000_000, { status: 503, resource: 'jobs', verb: 'list' });
    resharding.cluster.patch('StatefulSet', 'monitoring', 'kube-state-otel', { spec: { replicas: 2 } });
    await waitUntil(
      'KsoReshardStuck firing',
      async () => firing(await alerts(), 'KsoReshardStuck', { instance: autosharded }).length > 0,
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    // Stuck, not merely in progress: still pending seconds later.
    await new Promise((r) => setTimeout(r, 3000));
    const list = await alerts();
    assert.equal(firing(list, 'KsoReshardStuck', { instance: autosharded }).length, 1);
    assert.deepEqual(firing(list, 'KsoReshardStuck', { instance: healthy }), []);
    assert.deepEqual(firing(list, 'KsoReshardStuck', { instance: unhealthy }), []);
  });

  test('a watch that stops making progress fires KsoWatchStale on that instance only', async () => {
    demo.faults.stallWatches(true);
    try {
      await waitUntil(
        'KsoWatchStale firing',
        async () => firing(await alerts(), 'KsoWatchStale', { instance: healthy }).length > 0,
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      assert.deepEqual(firing(await alerts(), 'KsoWatchStale', { instance: unhealthy }), []);
    } finally {
      demo.faults.stallWatches(false);
    }
  });
});

// Keep the rule set and the test list in step: every alert is covered by promtool and named above.
test('every alert of the bundle has a promtool unit test', () => {
  const tests = readFileSync(join(MONITORING, 'tests/kso-alerts.test.yaml'), 'utf8');
  for (const g of buildRules())
    for (const r of g.rules)
      assert.match(tests, new RegExp(`alertname: ${r.alert}\\n`), `${r.alert} has no promtool test`);
});
