import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createOtlpPush, prometheusName, StoreMetricProducer, serializePrometheus } from '../src/index.ts';
import {
  buildSyntheticSource,
  type OtlpReceiver,
  type ReceivedRequest,
  SyntheticSource,
  startOtlpReceiver,
  syntheticPod,
} from '../src/testing/index.ts';
import { parseExposition, realisticSource } from './helpers.ts';

let rx: OtlpReceiver;
before(async () => {
  rx = await startOtlpReceiver();
});
after(() => rx.close());

const base = {
  intervalMs: 60_000,
  timeoutMs: 2_000,
  autoStart: false,
  retry: { initialMs: 50, maxMs: 400, maxElapsedMs: 5_000 },
} as const;

function received(reqs: ReceivedRequest[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of reqs) {
    for (const m of r.metrics) {
      const name = prometheusName(m.name, m.kind === 'sum' && m.isMonotonic) as string;
      for (const p of m.points) {
        const labels = Object.entries(p.attributes).map(
          ([k, v]) => [k.replace(/[^a-zA-Z0-9_]/g, '_'), String(v)] as [string, string],
        );
        labels.sort((a, b) => (a[0] < b[0] ? -1 : 1));
        out.set(`${name}${JSON.stringify(labels)}`, p.value);
      }
    }
  }
  return out;
}

test('OTLP gRPC: every decoded point equals the Prometheus output of the same moment; headers and gzip', async () => {
  rx.received.length = 0;
  const source = realisticSource();
  const push = createOtlpPush({
    ...base,
    protocol: 'grpc',
    endpoint: `http://${rx.grpcAddress}`,
    headers: { 'x-tenant': 'acme' },
    compression: 'gzip',
    source,
    resource: resourceFromAttributes({ 'service.name': 'kso' }),
  });
  const outcome = await push.forceFlush();
  assert.equal(outcome.delivered, true, outcome.lastError);
  const prom = parseExposition(
    serializePrometheus((await new StoreMetricProducer({ source }).collect()).resourceMetrics),
  );
  const got = received(rx.received);
  assert.equal(got.size, prom.size);
  assert.equal(outcome.points, prom.size);
  for (const [k, v] of prom) assert.ok(Object.is(got.get(k), v), `${k}: otlp ${got.get(k)} prom ${v}`);
  const req = rx.received[0] as ReceivedRequest;
  assert.equal(req.headers['x-tenant'], 'acme');
  assert.equal(req.resourceAttributes[0]?.['service.name'], 'kso');
  const restarts = req.metrics.find((m) => m.name === 'kube_pod_container_status_restarts_total');
  assert.equal(restarts?.kind, 'sum');
  assert.equal(restarts?.isMonotonic, true);
  assert.equal(restarts?.temporality, 2);
  assert.equal(
    restarts?.points[0]?.startTimeUnixNano,
    1_700_000_000n * 1_000_000_000n,
    'start time = object first seen',
  );
  assert.equal(push.stats().pointsSent, prom.size);
  await push.shutdown({ timeoutMs: 2_000 });
});

test('OTLP semconv: non-monotonic cumulative sums with dotted names', async () => {
  rx.received.length = 0;
  const source = new SyntheticSource('semconv');
  source.setPod(syntheticPod(1));
  const push = createOtlpPush({ ...base, protocol: 'grpc', endpoint: `http://${rx.grpcAddress}`, source });
  assert.equal((await push.forceFlush()).delivered, true);
  const phase = rx.received.flatMap((r) => r.metrics).find((m) => m.name === 'k8s.pod.status.phase');
  assert.equal(phase?.kind, 'sum');
  assert.equal(phase?.isMonotonic, false);
  assert.equal(phase?.unit, '{pod}');
  assert.equal(phase?.points.length, 5);
  assert.equal(phase?.points.find((p) => p.attributes['k8s.pod.status.phase'] === 'Running')?.value, 1);
  await push.shutdown({ timeoutMs: 1_000 });
});

test('OTLP: split under a small maxBatchPoints, nothing lost', async () => {
  rx.received.length = 0;
  const source = realisticSource();
  const push = createOtlpPush({
    ...base,
    protocol: 'grpc',
    endpoint: `http://${rx.grpcAddress}`,
    source,
    maxBatchPoints: 100,
  });
  const outcome = await push.forceFlush();
  assert.equal(outcome.delivered, true);
  assert.ok(rx.received.length > 5);
  assert.equal(outcome.batches, rx.received.length);
  for (const r of rx.received) assert.ok(r.points <= 100, `${r.points} points in one request`);
  assert.equal(received(rx.received).size, outcome.points);
  await push.shutdown({ timeoutMs: 1_000 });
});

test('OTLP: retries UNAVAILABLE and RESOURCE_EXHAUSTED, does not retry INVALID_ARGUMENT', async () => {
  rx.received.length = 0;
  const source = realisticSource();
  const push = createOtlpPush({ ...base, protocol: 'grpc', endpoint: `http://${rx.grpcAddress}`, source });
  rx.failNext(2, status.UNAVAILABLE);
  let o = await push.forceFlush();
  assert.equal(o.delivered, true);
  assert.equal(o.attempts, 3);
  rx.failNext(1, status.RESOURCE_EXHAUSTED);
  o = await push.forceFlush();
  assert.equal(o.delivered, true);
  assert.equal(push.stats().retries, 3);
  rx.failNext(1, status.INVALID_ARGUMENT);
  o = await push.forceFlush();
  assert.equal(o.delivered, false);
  assert.equal(o.attempts, 1);
  assert.match(o.lastError ?? '', /injected failure/);
  assert.equal(o.lostPoints, o.points);
  assert.equal(push.stats().pointsLost, o.points);
  await push.shutdown({ timeoutMs: 1_000 });
});

test('OTLP shutdown: receiver down, back within the deadline → delivered; never back → delivered=false with error', async () => {
  const source = realisticSource();
  const push = createOtlpPush({
    ...base,
    protocol: 'grpc',
    endpoint: `http://${rx.grpcAddress}`,
    source,
    timeoutMs: 1_000,
  });
  assert.equal((await push.forceFlush()).delivered, true, 'channel connected once');
  await rx.setDown(true);
  rx.received.length = 0;
  setTimeout(() => void rx.setDown(false), 800);
  const o = await push.shutdown({ timeoutMs: 12_000 });
  assert.equal(o.delivered, true, o.lastError);
  assert.ok(o.attempts > 1);
  assert.ok(rx.received.length >= 1);

  const push2 = createOtlpPush({
    ...base,
    protocol: 'grpc',
    endpoint: `http://${rx.grpcAddress}`,
    source,
    timeoutMs: 500,
  });
  await rx.setDown(true);
  try {
    const o2 = await push2.shutdown({ timeoutMs: 1_500 });
    assert.equal(o2.delivered, false);
    assert.ok(o2.lostPoints > 0);
    assert.match(o2.lastError ?? '', /UNAVAILABLE|No connection|ECONNREFUSED|code 14/i);
  } finally {
    await rx.setDown(false);
  }
});

test('OTLP/HTTP path delivers the same points', async () => {
  rx.received.length = 0;
  const source = realisticSource();
  const push = createOtlpPush({
    ...base,
    protocol: 'http',
    endpoint: rx.httpUrl,
    source,
    headers: { authorization: 'Bearer t' },
  });
  rx.failNext(1, status.UNAVAILABLE);
  const o = await push.forceFlush();
  assert.equal(o.delivered, true, o.lastError);
  const prom = parseExposition(
    serializePrometheus((await new StoreMetricProducer({ source }).collect()).resourceMetrics),
  );
  const got = received(rx.received.filter((r) => r.transport === 'http'));
  assert.equal(got.size, prom.size);
  // OTLP/HTTP protobuf carries NaN and ±Inf exactly (OTLP/JSON could not).
  for (const [k, v] of prom) assert.ok(Object.is(got.get(k), v), k);
  assert.equal(rx.received[0]?.headers.authorization, 'Bearer t');
  await push.shutdown({ timeoutMs: 1_000 });
});

test('OTLP: a hung receiver hits the per-attempt timeout (DEADLINE_EXCEEDED) and the retry delivers', async () => {
  const source = realisticSource();
  const push = createOtlpPush({
    ...base,
    protocol: 'grpc',
    endpoint: `http://${rx.grpcAddress}`,
    source,
    timeoutMs: 400,
  });
  assert.equal((await push.forceFlush()).delivered, true);
  rx.hang(1_200);
  setTimeout(() => rx.hang(0), 500);
  const o = await push.forceFlush();
  assert.equal(o.delivered, true, o.lastError);
  assert.ok(o.attempts >= 2);
  assert.match(o.lastError ?? '', /DEADLINE|deadline|code 4/);
  await push.shutdown({ timeoutMs: 1_000 });
  await new Promise((r) => setTimeout(r, 900)); // let the hung call finish before the receiver closes
});

test('OTLP: default batching keeps every request under the receiver 4 MiB gRPC limit', async () => {
  rx.received.length = 0;
  const source = buildSyntheticSource(1500);
  const push = createOtlpPush({
    ...base,
    protocol: 'grpc',
    endpoint: `http://${rx.grpcAddress}`,
    source,
    timeoutMs: 10_000,
  });
  const o = await push.forceFlush();
  assert.equal(o.delivered, true, o.lastError);
  assert.ok(o.batches >= 2, `${o.batches} batches`);
  for (const r of rx.received) assert.ok(r.bytes < 4 * 1024 * 1024, `${r.bytes} bytes`);
  assert.equal(
    rx.received.reduce((n, r) => n + r.points, 0),
    o.points,
  );
  await push.shutdown({ timeoutMs: 1_000 });
});
