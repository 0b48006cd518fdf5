// `--schema semconv` OTLP through a real Collector (otlp receiver → file exporter): for a varied set of objects
// (evicted, preempted, pending, crash-looping, an indexed Job, a suspended and an active CronJob) the Collector
// must store one Resource per entity with its identity attributes (and k8s.cluster.name), only enum attributes
// on the points, Int values where the conventions say int, and kso's own resource with service.instance.id.
// The pipeline is the real one (kube-sim over HTTP → watch → store → agent → its own OTLP push), configured only
// through OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL and OTEL_RESOURCE_ATTRIBUTES.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRunConfig, makeLogger, startAgent } from '@kso/cli';
import { createOtlpPush } from '@kso/exporters';
import { startKubeSim } from '@kso/kube-sim';
import { fileExporterLines, freePort, otlpToFileConfig, skipUnlessPeers, startCollector } from '@kso/peers';

const skip = skipUnlessPeers('otelcol');
const NS = 'entities';

type KV = { key: string; value: Record<string, unknown> };
interface JsonPoint {
  attributes?: KV[];
  asInt?: string;
  asDouble?: number;
  timeUnixNano: string;
}
interface JsonMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: JsonPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  gauge?: { dataPoints: JsonPoint[] };
}
interface JsonResourceMetrics {
  resource?: { attributes?: KV[] };
  schemaUrl?: string;
  scopeMetrics?: { scope?: { name?: string; version?: string }; metrics?: JsonMetric[]; schemaUrl?: string }[];
}

const attrs = (list: KV[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, String(Object.values(a.value)[0])]));

const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox:1.36', ...extra });
const pod = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>, meta = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, ...meta },
  spec: { containers: [container('app')], ...spec },
  status,
});

test('semconv OTLP through a real Collector: entity resources, enum-only points, Int values', {
  skip,
  timeout: 120_000,
}, async () => {
  const sim = await startKubeSim({
    port: 0,
    scenario: 'empty',
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }],
  });
  const port = await freePort();
  const col = await startCollector(otlpToFileConfig({ grpcPort: port, file: 'metrics.json' }));
  const dir = col.dir;
  try {
    const c = sim.cluster;
    const indexed = c.create('jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'indexed', namespace: NS },
      spec: { completions: 3, parallelism: 2, completionMode: 'Indexed', template: { spec: { containers: [] } } },
      status: { active: 2, succeeded: 1 },
    }) as { metadata: { uid: string } };
    const jobOwner = [
      { apiVersion: 'batch/v1', kind: 'Job', name: 'indexed', uid: indexed.metadata.uid, controller: true },
    ];
    const suspended = c.create('cronjobs', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'suspended', namespace: NS },
      spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: { template: { spec: { containers: [] } } } } },
    }) as { metadata: { uid: string } };
    const running = (name: string) => ({
      name,
      ready: true,
      restartCount: 0,
      state: { running: { startedAt: '2026-11-30T10:00:00Z' } },
    });
    c.create(
      'pods',
      pod(
        'evicted',
        { nodeName: 'node-a' },
        {
          phase: 'Failed',
          reason: 'Evicted',
          message: 'The node was low on resource: memory.',
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet' }],
        },
      ),
    );
    c.create(
      'pods',
      pod(
        'preempted',
        { nodeName: 'node-a' },
        {
          phase: 'Failed',
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }],
          containerStatuses: [
            { name: 'app', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 137 } } },
          ],
        },
      ),
    );
    c.create(
      'pods',
      pod(
        'pending',
        {},
        {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
        },
      ),
    );
    c.create(
      'pods',
      pod(
        'crashloop',
        {
          nodeName: 'node-b',
          containers: [
            container('app', {
              resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
            }),
            container('sidecar'),
          ],
        },
        {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 7,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { reason: 'Error', exitCode: 1 } },
            },
            running('sidecar'),
          ],
        },
      ),
    );
    for (const i of [0, 1]) {
      c.create(
        'pods',
        pod(
          `indexed-${i}`,
          { nodeName: 'node-b' },
          { phase: i === 0 ? 'Succeeded' : 'Running', containerStatuses: [running('app')] },
          {
            ownerReferences: jobOwner,
            labels: { 'batch.kubernetes.io/job-completion-index': String(i) },
          },
        ),
      );
    }

    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    // Only the standard OpenTelemetry variables say where to push and what the resource is.
    const { config, problems } = loadRunConfig(
      ['--kubeconfig', kubeconfig, '--schema', 'semconv', '--prometheus-host', '127.0.0.1', '--prometheus-port', '0'],
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_METRIC_EXPORT_INTERVAL: '600000',
        OTEL_RESOURCE_ATTRIBUTES: 'k8s.cluster.name=e2e-cluster,service.instance.id=kso-e2e-0',
      },
    );
    assert.ok(config, problems.join('\n'));
    const logger = makeLogger('warn');
    const agent = await startAgent(config, logger);
    try {
      await agent.synced;
      const push = agent.push;
      assert.ok(push, 'OTEL_EXPORTER_OTLP_ENDPOINT alone enables the push');
      const outcome = await push.forceFlush();
      assert.equal(outcome.delivered, true, outcome.lastError);
      assert.equal(outcome.batches, 1, 'one request: its file line is the whole push');

      // The file exporter writes one JSON ExportMetricsServiceRequest per line, flushed on its own schedule.
      let rms: JsonResourceMetrics[] = [];
      for (let i = 0; i < 50 && rms.length === 0; i++) {
        rms = (await fileExporterLines(join(dir, 'metrics.json')))
          .slice(0, 1)
          .flatMap((l) => (JSON.parse(l) as { resourceMetrics: JsonResourceMetrics[] }).resourceMetrics);
        if (rms.length === 0) await sleep(200);
      }
      assert.ok(rms.length > 0, 'the Collector wrote metrics');

      const own = rms.filter((r) => attrs(r.resource?.attributes)['service.instance.id'] === 'kso-e2e-0');
      assert.equal(own.length, 1, "kso's own resource once");
      assert.deepEqual(
        own[0]?.scopeMetrics?.map((s) => s.scope?.name),
        ['kube-state-otel'],
        'self-metrics in their own scope',
      );
      assert.ok(own[0]?.scopeMetrics?.[0]?.metrics?.some((m) => m.name === 'kso_watch_objects'));
      const entities = rms.filter((r) => r !== own[0]);
      const byKey = new Map<string, JsonResourceMetrics>();
      for (const r of entities) {
        const a = attrs(r.resource?.attributes);
        assert.equal(a['k8s.cluster.name'], 'e2e-cluster', 'every entity carries the cluster');
        assert.equal(a['service.name'], undefined, 'entities are not kso');
        const key = a['k8s.container.name']
          ? `container/${a['k8s.pod.name']}/${a['k8s.container.name']}`
          : a['k8s.pod.name']
            ? `pod/${a['k8s.pod.name']}`
            : a['k8s.job.name']
              ? `job/${a['k8s.job.name']}`
              : `cronjob/${a['k8s.cronjob.name']}`;
        assert.equal(byKey.has(key), false, `one Resource per entity: ${key} twice`);
        byKey.set(key, r);
        assert.equal(r.scopeMetrics?.length, 1);
        assert.equal(r.scopeMetrics?.[0]?.scope?.name, 'kube-state-otel/semconv');
        assert.match(r.schemaUrl ?? '', /^https:\/\/opentelemetry\.io\/schemas\//);
        for (const m of r.scopeMetrics?.[0]?.metrics ?? []) {
          const data = m.sum ?? m.gauge;
          assert.ok(m.sum, `${m.name}: an UpDownCounter (non-monotonic sum)`);
          assert.equal(m.sum?.isMonotonic ?? false, false);
          for (const p of data?.dataPoints ?? []) {
            for (const k of Object.keys(attrs(p.attributes)))
              assert.match(k, /^k8s\.(pod|container)\.status\.(phase|reason|state)$/, `${m.name} point attribute ${k}`);
            const intMetric = !m.name.startsWith('k8s.container.cpu.');
            assert.equal(p.asInt !== undefined, intMetric, `${m.name}: ${intMetric ? 'Int' : 'Double'} value`);
          }
        }
      }
      for (const name of ['evicted', 'preempted', 'pending', 'crashloop', 'indexed-0', 'indexed-1'])
        assert.ok(byKey.has(`pod/${name}`), `pod ${name} has its Resource`);
      assert.ok(byKey.has('container/crashloop/app') && byKey.has('container/crashloop/sidecar'));
      assert.ok(byKey.has('job/indexed') && byKey.has('cronjob/suspended'));

      const metric = (key: string, name: string) =>
        byKey.get(key)?.scopeMetrics?.[0]?.metrics?.find((m) => m.name === name);
      const hot = (key: string, name: string, attr: string) =>
        (metric(key, name)?.sum?.dataPoints ?? [])
          .filter((p) => Number(p.asInt) !== 0)
          .map((p) => attrs(p.attributes)[attr]);
      assert.deepEqual(hot('pod/evicted', 'k8s.pod.status.reason', 'k8s.pod.status.reason'), ['Evicted']);
      assert.deepEqual(hot('pod/preempted', 'k8s.pod.status.reason', 'k8s.pod.status.reason'), []);
      assert.deepEqual(hot('pod/pending', 'k8s.pod.status.phase', 'k8s.pod.status.phase'), ['Pending']);
      assert.equal(attrs(byKey.get('pod/pending')?.resource?.attributes)['k8s.node.name'], undefined);
      assert.deepEqual(hot('container/crashloop/app', 'k8s.container.status.reason', 'k8s.container.status.reason'), [
        'CrashLoopBackOff',
      ]);
      assert.equal(metric('container/crashloop/app', 'k8s.container.restart.count')?.sum?.dataPoints[0]?.asInt, '7');
      assert.equal(metric('container/crashloop/app', 'k8s.container.cpu.limit')?.sum?.dataPoints[0]?.asDouble, 1);
      assert.equal(
        metric('container/crashloop/app', 'k8s.container.memory.request')?.sum?.dataPoints[0]?.asInt,
        String(64 * 1024 * 1024),
      );
      const podRes = attrs(byKey.get('pod/indexed-1')?.resource?.attributes);
      assert.equal(podRes['k8s.job.name'], 'indexed', 'owning job on the pod resource');
      assert.equal(podRes['k8s.job.uid'], indexed.metadata.uid);
      assert.ok(podRes['k8s.pod.uid'] && podRes['k8s.namespace.name'] === NS && podRes['k8s.node.name'] === 'node-b');
      assert.equal(metric('job/indexed', 'k8s.job.pod.desired_successful')?.sum?.dataPoints[0]?.asInt, '3');
      assert.equal(metric('job/indexed', 'k8s.job.pod.active')?.sum?.dataPoints[0]?.asInt, '2');
      const cj = attrs(byKey.get('cronjob/suspended')?.resource?.attributes);
      assert.equal(cj['k8s.cronjob.uid'], suspended.metadata.uid);
      assert.equal(metric('cronjob/suspended', 'k8s.cronjob.job.active')?.sum?.dataPoints[0]?.asInt, '0');
    } finally {
      await agent.stop();
    }
  } finally {
    await col.stop();
    await sim.close();
  }
});

test('the Collector accepts kso pushes over gRPC and HTTP with gzip and zstd', { skip, timeout: 60_000 }, async () => {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const col = await startCollector(
    otlpToFileConfig({ grpcPort, httpPort, file: 'metrics.json', flushInterval: '100ms' }),
  );
  try {
    const { MetricsStore } = await import('@kso/metrics');
    const store = new MetricsStore({ schema: 'semconv' });
    store.upsertObject('pods', pod('p', { nodeName: 'n' }, { phase: 'Running' }, { uid: 'u-1' }));
    const variants = [
      ['grpc', `http://127.0.0.1:${grpcPort}`, 'gzip'],
      ['grpc', `http://127.0.0.1:${grpcPort}`, 'zstd'],
      ['http', `http://127.0.0.1:${httpPort}`, 'gzip'],
      ['http', `http://127.0.0.1:${httpPort}`, 'zstd'],
    ] as const;
    for (const [protocol, endpoint, compression] of variants) {
      const push = createOtlpPush({
        protocol,
        endpoint,
        compression,
        intervalMs: 60_000,
        timeoutMs: 5_000,
        autoStart: false,
        source: store,
      });
      const o = await push.forceFlush();
      assert.equal(o.delivered, true, `${protocol} ${compression}: ${o.lastError}`);
      await push.shutdown({ timeoutMs: 2_000 });
    }
    let lines: string[] = [];
    for (let i = 0; i < 50 && lines.length < variants.length * 2; i++) {
      lines = await fileExporterLines(join(col.dir, 'metrics.json'));
      await sleep(100);
    }
    // forceFlush + the final export on shutdown: two requests per variant, each with the pod's phase.
    assert.equal(lines.length, variants.length * 2);
    for (const l of lines) assert.match(l, /"k8s\.pod\.status\.phase"/);
  } finally {
    await col.stop();
  }
});
