import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MetricsSource, MetricsStore } from '@kso/metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { pino } from 'pino';
import { createOtlpPush } from '../src/index.ts';
import { type OtlpReceiver, type ReceivedResource, startOtlpReceiver } from '../src/testing/index.ts';

let rx: OtlpReceiver;
before(async () => {
  rx = await startOtlpReceiver();
});
after(() => rx.close());

const POD = {
  metadata: {
    name: 'worker-0',
    namespace: 'batch',
    uid: 'pod-uid',
    ownerReferences: [{ kind: 'Job', name: 'nightly', uid: 'job-uid', controller: true }],
  },
  spec: {
    nodeName: 'node-a',
    containers: [{ name: 'main', resources: { requests: { cpu: '500m', memory: '1Gi' } } }, { name: 'side' }],
  },
  status: {
    phase: 'Failed',
    reason: 'Evicted',
    containerStatuses: [
      { name: 'main', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      { name: 'side', ready: true, restartCount: 0, state: { running: {} } },
    ],
  },
};
const JOB = {
  metadata: { name: 'nightly', namespace: 'batch', uid: 'job-uid' },
  spec: { completions: 4, parallelism: 2, completionMode: 'Indexed' },
  status: { active: 2, succeeded: 1 },
};

function semconvStore(): MetricsStore {
  const store = new MetricsStore({ schema: 'semconv', now: () => 1_700_000_000_000 });
  store.upsertObject('pods', POD);
  store.upsertObject('jobs', JOB);
  return store;
}

const base = { intervalMs: 60_000, timeoutMs: 2_000, autoStart: false, protocol: 'grpc' } as const;

function entity(resources: ReceivedResource[], key: string, value: string, extra?: string): ReceivedResource[] {
  return resources.filter(
    (r) => r.attributes[key] === value && (extra === undefined ? true : r.attributes[extra] !== undefined),
  );
}

test('semconv OTLP: one Resource per entity, enum attributes only on points, Int values, cluster name', async () => {
  rx.received.length = 0;
  const push = createOtlpPush({
    ...base,
    endpoint: `http://${rx.grpcAddress}`,
    source: semconvStore(),
    resource: resourceFromAttributes({
      'service.name': 'kube-state-otel',
      'service.instance.id': 'kso-0',
      'k8s.cluster.name': 'prod-eu',
    }),
  });
  push.meterProvider
    ?.getMeter('kube-state-otel')
    .createObservableGauge('kso_test_gauge')
    .addCallback((r) => r.observe(1));
  const o = await push.forceFlush();
  assert.equal(o.delivered, true, o.lastError);
  const resources = rx.received.flatMap((r) => r.resources);

  const pods = entity(resources, 'k8s.pod.uid', 'pod-uid').filter(
    (r) => r.attributes['k8s.container.name'] === undefined,
  );
  assert.equal(pods.length, 1, 'one pod resource');
  assert.deepEqual(pods[0]?.attributes, {
    'k8s.namespace.name': 'batch',
    'k8s.pod.name': 'worker-0',
    'k8s.pod.uid': 'pod-uid',
    'k8s.node.name': 'node-a',
    'k8s.job.name': 'nightly',
    'k8s.job.uid': 'job-uid',
    'k8s.cluster.name': 'prod-eu',
  });
  const containers = entity(resources, 'k8s.pod.uid', 'pod-uid', 'k8s.container.name');
  assert.deepEqual(containers.map((r) => r.attributes['k8s.container.name']).sort(), ['main', 'side']);
  const jobs = entity(resources, 'k8s.job.uid', 'job-uid').filter((r) => r.attributes['k8s.pod.uid'] === undefined);
  assert.equal(jobs.length, 1);

  // Scope per schema with the semconv schema URL; points carry only the enum attributes and Int values.
  for (const r of [...pods, ...containers, ...jobs]) {
    assert.match(r.schemaUrl, /^https:\/\/opentelemetry\.io\/schemas\/1\.\d+\.\d+$/);
    assert.equal(r.scopes.length, 1);
    assert.equal(r.scopes[0]?.name, 'kube-state-otel/semconv');
    assert.ok(r.scopes[0]?.version);
    for (const m of r.scopes[0]?.metrics ?? []) {
      for (const p of m.points) {
        for (const k of Object.keys(p.attributes))
          assert.match(k, /\.status\.(phase|reason|state)$/, `${m.name}: ${k}`);
        assert.equal(p.isInt, !m.name.startsWith('k8s.container.cpu.'), `${m.name} value type`);
        assert.equal(p.timeUnixNano > p.startTimeUnixNano, true);
      }
    }
  }
  const metric = (rs: ReceivedResource[], name: string) =>
    rs.flatMap((r) => r.scopes[0]?.metrics ?? []).find((m) => m.name === name);
  const reason = metric(pods, 'k8s.pod.status.reason');
  assert.deepEqual(
    reason?.points.filter((p) => p.value !== 0).map((p) => p.attributes['k8s.pod.status.reason']),
    ['Evicted'],
  );
  const main = containers.filter((r) => r.attributes['k8s.container.name'] === 'main');
  assert.equal(metric(main, 'k8s.container.restart.count')?.points[0]?.value, 3);
  assert.equal(metric(main, 'k8s.container.cpu.request')?.points[0]?.value, 0.5);
  assert.equal(metric(main, 'k8s.container.memory.request')?.points[0]?.value, 1024 ** 3);
  assert.equal(metric(jobs, 'k8s.job.pod.desired_successful')?.points[0]?.value, 4);

  // kso's own resource: self-metrics in their own scope, never on an entity.
  const own = resources.filter((r) => r.attributes['service.instance.id'] === 'kso-0');
  assert.equal(own.length, 1);
  assert.deepEqual(
    own[0]?.scopes.map((s) => s.name),
    ['kube-state-otel'],
  );
  assert.ok(own[0]?.scopes[0]?.metrics.some((m) => m.name === 'kso_test_gauge'));
  for (const r of [...pods, ...containers, ...jobs]) assert.equal(r.attributes['service.name'], undefined);
  await push.shutdown({ timeoutMs: 1_000 });
});

test('ksm OTLP keeps one resource with every attribute on the points (Prometheus shape)', async () => {
  rx.received.length = 0;
  const store = new MetricsStore({ schema: 'ksm' });
  store.upsertObject('pods', POD);
  const push = createOtlpPush({
    ...base,
    endpoint: `http://${rx.grpcAddress}`,
    source: store,
    resource: resourceFromAttributes({ 'service.name': 'kso' }),
  });
  assert.equal((await push.forceFlush()).delivered, true);
  const rs = rx.received
    .flatMap((r) => r.resources)
    .filter((r) => r.scopes.some((s) => s.name === 'kube-state-otel/ksm'));
  assert.equal(rs.length, 1);
  assert.equal(rs[0]?.attributes['service.name'], 'kso');
  const phase = rs[0]?.scopes[0]?.metrics.find((m) => m.name === 'kube_pod_status_phase');
  assert.deepEqual(Object.keys(phase?.points[0]?.attributes ?? {}), ['namespace', 'pod', 'uid', 'phase']);
  assert.equal(phase?.points[0]?.isInt, false);
  await push.shutdown({ timeoutMs: 1_000 });
});

/** A source that counts how often the push reads it: reading = collecting/encoding. */
function counting(src: MetricsSource): { source: MetricsSource; reads: () => number } {
  let n = 0;
  const source: MetricsSource = {
    schema: src.schema,
    resources: () => {
      n++;
      return src.resources();
    },
    families: (r) => src.families(r),
    entries: (r) => src.entries(r),
    size: (r) => src.size(r),
  };
  return { source, reads: () => n };
}

test('outage: one error line, nothing collected or encoded while down, counters, prompt recovery', async () => {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  const c = counting(semconvStore());
  const push = createOtlpPush({
    ...base,
    endpoint: `http://${rx.grpcAddress}`,
    source: c.source,
    intervalMs: 100,
    timeoutMs: 300,
    retry: { initialMs: 20, maxMs: 50, maxElapsedMs: 200 },
    autoStart: true,
    logger: pino({ level: 'debug' }, sink),
  });
  await rx.waitFor((r) => r.length > 0, 5_000);
  await rx.setDown(true);
  try {
    await sleep(1_500);
    const s = push.stats();
    assert.equal(s.down, true);
    assert.equal(s.outages, 1);
    assert.ok(s.pushesSkipped >= 3, `${s.pushesSkipped} skipped`);
    const readsWhileDown = c.reads();
    await sleep(500);
    assert.equal(c.reads(), readsWhileDown, 'no collection while the endpoint is down');
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]?.msg ?? '', /unreachable/);
  } finally {
    await rx.setDown(false);
  }
  rx.received.length = 0;
  await rx.waitFor((r) => r.some((q) => q.points > 0), 3_000);
  assert.equal(push.stats().down, false);
  assert.ok(lines.some((l) => l.level === 30 && /reachable again/.test(l.msg)));
  assert.equal(lines.filter((l) => l.level >= 50).length, 1, 'still one error line');
  await push.shutdown({ timeoutMs: 1_000 });
});
