// The local push endpoint on its own: OTLP protobuf as the OpenTelemetry JS serializer writes it, OTLP JSON,
// Pushgateway semantics (PUT replaces the group, POST same-named metrics, DELETE the group), 400s that leave
// accepted data untouched, and the probes-only listener.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parsePrometheusText } from '@kso/exporters/prom-parse';
import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import pino from 'pino';
import { LocalPushes, parseGroupPath, startLocalPushServer } from '../src/local-push.ts';
import { decodeOtlpProtobuf, OtlpDecodeError } from '../src/otlp-decode.ts';

const T: [number, number] = [1_700_000_000, 0];

function request(): ResourceMetrics {
  return {
    resource: resourceFromAttributes({ 'service.name': 'report' }),
    scopeMetrics: [
      {
        scope: { name: 'report' },
        metrics: [
          {
            descriptor: { name: 'rows.written', description: 'Rows', unit: '{row}', valueType: ValueType.INT },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.SUM,
            isMonotonic: true,
            dataPoints: [{ startTime: T, endTime: T, attributes: { table: 'sales', shard: 3, ok: true }, value: 1234 }],
          },
          {
            descriptor: { name: 'queue.depth', description: '', unit: '', valueType: ValueType.DOUBLE },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.GAUGE,
            dataPoints: [{ startTime: T, endTime: T, attributes: {}, value: 2.5 }],
          },
          {
            descriptor: { name: 'step.seconds', description: 'Step time', unit: 's', valueType: ValueType.DOUBLE },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.HISTOGRAM,
            dataPoints: [
              {
                startTime: T,
                endTime: T,
                attributes: { step: 'load' },
                value: { buckets: { boundaries: [1, 5], counts: [2, 3, 1] }, sum: 14, count: 6 },
              },
            ],
          },
        ],
      },
    ],
  };
}

test('OTLP protobuf from the OpenTelemetry serializer decodes to the same metrics', () => {
  const bytes = Buffer.from(ProtobufMetricsSerializer.serializeRequest(request())!);
  const { metrics } = decodeOtlpProtobuf(bytes);
  assert.deepEqual(
    metrics.map((m) => [m.name, m.kind, m.monotonic, m.delta]),
    [
      ['rows.written', 'sum', true, false],
      ['queue.depth', 'gauge', false, false],
      ['step.seconds', 'histogram', false, false],
    ],
  );
  assert.deepEqual(metrics[0]!.points[0], { attributes: { table: 'sales', shard: '3', ok: 'true' }, value: 1234 });
  assert.equal(metrics[1]!.points[0]!.value, 2.5);
  const h = metrics[2]!.points[0]!;
  assert.deepEqual([h.bounds, h.counts, h.sum, h.count], [[1, 5], [2, 3, 1], 14, 6]);
  assert.throws(() => decodeOtlpProtobuf(bytes.subarray(0, bytes.length - 3)), OtlpDecodeError);
});

test('Pushgateway paths: grouping key with @base64 values; bad paths are rejected', () => {
  assert.deepEqual(parseGroupPath('/metrics/job/report/instance@base64/L3Zhci90bXA'), {
    job: 'report',
    instance: '/var/tmp',
  });
  assert.throws(() => parseGroupPath('/metrics/job'), /grouping key path/);
  assert.throws(() => parseGroupPath('/metrics/instance/x'), /must start with job/);
});

test('the endpoint: OTLP and Pushgateway-style pushes, their semantics, and 400s that lose nothing', async (t) => {
  const pushes = new LocalPushes({ startMs: 0, identity: () => ({ pod: 'p-1' }) });
  const srv = await startLocalPushServer({
    listen: '127.0.0.1:0',
    pushes,
    ready: () => true,
    logger: pino({ level: 'silent' }),
  });
  t.after(() => srv.close());
  const base = `http://${srv.address}`;
  const send = (method: string, path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method, body, headers }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const text = () => parsePrometheusText(pushes.prometheusText({ pod: 'p-1' }));
  const value = (name: string, labels: Record<string, string> = {}) =>
    text()
      .families.flatMap((f) => f.samples)
      .find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  const proto = ProtobufMetricsSerializer.serializeRequest(request())!;
  assert.equal(
    (
      await send('POST', '/v1/metrics', gzipSync(proto), {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
      })
    ).status,
    200,
  );
  assert.equal(value('rows_written', { table: 'sales', pod: 'p-1' }), 1234, 'OTLP sum, names sanitised for Prometheus');
  assert.equal(value('step_seconds_bucket', { le: '5' }), 5, 'histogram re-cumulated');
  const json = new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(request())!);
  assert.equal((await send('POST', '/v1/metrics', json, { 'content-type': 'application/json' })).status, 200);

  assert.equal(
    (await send('PUT', '/metrics/job/report/step/a', '# TYPE step_ok gauge\nstep_ok 1\nother 2\n')).status,
    200,
  );
  assert.equal((await send('POST', '/metrics/job/report/step/a', '# TYPE step_ok gauge\nstep_ok 0\n')).status, 200);
  assert.equal(value('step_ok', { exported_job: 'report', step: 'a' }), 0, 'POST replaced the same-named metric');
  assert.equal(value('other', { step: 'a' }), 2, '... and kept the others');
  assert.equal((await send('PUT', '/metrics/job/report/step/a', '# TYPE step_ok gauge\nstep_ok 1\n')).status, 200);
  assert.equal(value('other', { step: 'a' }), undefined, 'PUT replaced the group');

  // Malformed: 400 with the reason, and everything accepted before is still there.
  const before = pushes.prometheusText({ pod: 'p-1' });
  const bad = await send('PUT', '/metrics/job/report/step/a', 'step_ok{ 1\n');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /line 1/);
  const conflict = await send('PUT', '/metrics/job/x', '# TYPE queue.depth counter\nqueue_depth 1\n');
  assert.equal(conflict.status, 200, 'a different (sanitised) name is no conflict');
  const typeClash = await send('PUT', '/metrics/job/y', '# TYPE step_ok counter\nstep_ok 1\n');
  assert.equal(typeClash.status, 400);
  assert.match(typeClash.text, /step_ok is a counter here but was pushed as a gauge/);
  const badJson = await send(
    'POST',
    '/v1/metrics',
    '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{}}]}]}]}',
    { 'content-type': 'application/json' },
  );
  assert.equal(badJson.status, 400);
  assert.match(badJson.text, /no name/);
  assert.equal(
    (await send('POST', '/v1/metrics', 'garbage', { 'content-type': 'application/x-protobuf' })).status,
    400,
  );
  assert.ok(pushes.prometheusText({ pod: 'p-1' }).includes(before.split('\n')[0]!), 'accepted data kept');
  assert.equal(value('rows_written', { table: 'sales' }), 1234);

  assert.equal((await send('DELETE', '/metrics/job/report/step/a', '')).status, 202);
  assert.equal(value('step_ok', { step: 'a' }), undefined, 'DELETE removed the group');
  // OTLP for the sinks: identity attached, the Sum stays monotonic.
  const rows = pushes.metricData().find((m) => m.descriptor.name === 'rows.written')!;
  assert.equal(rows.dataPointType, DataPointType.SUM);
  assert.equal(rows.dataPoints[0]!.attributes['pod'], 'p-1');
});

test('the probes-only listener answers /readyz and nothing else', async (t) => {
  let ready = false;
  const srv = await startLocalPushServer({
    listen: '127.0.0.1:0',
    pushes: new LocalPushes({ startMs: 0, identity: () => ({}) }),
    ready: () => ready,
    logger: pino({ level: 'silent' }),
    probesOnly: true,
  });
  t.after(() => srv.close());
  assert.equal((await fetch(`http://${srv.address}/readyz`)).status, 503);
  ready = true;
  assert.equal((await fetch(`http://${srv.address}/readyz`)).status, 200);
  assert.equal((await fetch(`http://${srv.address}/metrics/job/x`, { method: 'PUT', body: 'a 1\n' })).status, 404);
});
