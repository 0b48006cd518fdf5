// `kso sidecar` reads the same configuration as `kso run` (@kso/config): names, OTEL_* variables, durations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSidecarArgs } from '../src/cli.ts';

const POD = { KSO_POD: 'run-1-abcde', KSO_POD_NAMESPACE: 'batch' };

test('OTEL_* variables configure the sidecar as they configure kso run', () => {
  const r = parseSidecarArgs([], {
    ...POD,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a%2Cb',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.cluster.name=prod',
  });
  assert.equal(r.help, false);
  if (r.help) return;
  assert.deepEqual(r.options.otlp, {
    endpoint: 'http://collector:4318/v1/metrics',
    protocol: 'http',
    compression: 'gzip',
    headers: { 'x-tenant': 'a,b' },
    timeoutMs: 2500,
  });
  assert.equal(r.options.resourceAttributes?.['service.instance.id'], 'batch.run-1-abcde');
  assert.equal(r.options.resourceAttributes?.['k8s.cluster.name'], 'prod');
  assert.deepEqual(r.options.entityAttributes, { 'k8s.cluster.name': 'prod' });
});

test('same defaults as kso run: gzip, 10s timeout; KSO_* beats OTEL_*; flags beat both', () => {
  const r = parseSidecarArgs(['--otlp-timeout=3s', '--otlp-header', 'a=1', '--otlp-header', 'b=2'], {
    ...POD,
    KSO_OTLP_ENDPOINT: 'http://kso:4317',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
    OTEL_EXPORTER_OTLP_TIMEOUT: '9000',
  });
  assert.ok(!r.help);
  if (r.help) return;
  assert.equal(r.options.otlp?.endpoint, 'http://kso:4317');
  assert.equal(r.options.otlp?.protocol, 'grpc', "kso's default: the OTEL_* endpoint (and its http default) lost");
  assert.equal(r.options.otlp?.timeoutMs, 3000);
  assert.deepEqual(r.options.otlp?.headers, { a: '1', b: '2' });
  const d = parseSidecarArgs(['--otlp-endpoint=http://c:4317'], POD);
  assert.ok(!d.help);
  if (d.help) return;
  assert.equal(d.options.otlp?.compression, 'gzip');
  assert.equal(d.options.otlp?.timeoutMs, 10_000);
  assert.equal(d.options.otlp?.protocol, 'grpc');
});

test('old names still work with a warning; bad values are all reported, one line each', () => {
  const r = parseSidecarArgs(['--pod-name=p'], { KSO_POD_NAMESPACE: 'ns' });
  assert.ok(!r.help);
  if (!r.help) {
    assert.equal(r.options.podName, 'p');
    assert.deepEqual(r.warnings, ['--pod-name is deprecated: use --pod']);
  }
  let message = '';
  try {
    parseSidecarArgs(['--interval=10', '--otlp-protocol=http/json', '--otlp-headers=bad'], POD);
  } catch (err) {
    message = (err as Error).message;
  }
  const lines = message.split('\n');
  assert.equal(lines.length, 3, message);
  assert.match(message, /interval \(--interval, KSO_INTERVAL\): "10" has no unit/);
  assert.match(message, /otlp\.protocol .*http\/json is not supported/);
  assert.match(message, /otlp\.headers .*entry 1 is not key=value/);
});
