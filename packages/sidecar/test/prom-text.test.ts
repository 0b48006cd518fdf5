import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '@kso/exporters/prom-parse';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import { toMetricData, toPrometheusText } from '../src/relay.ts';

const DESCHEDULER = `# HELP descheduler_pods_evicted Number of evicted pods
# TYPE descheduler_pods_evicted counter
descheduler_pods_evicted{namespace="default",result="success",strategy="RemoveDuplicates"} 3
descheduler_pods_evicted{namespace="kube-system",result="error",strategy="RemoveDuplicates"} 1
# HELP descheduler_build_info Build info
# TYPE descheduler_build_info gauge
descheduler_build_info{version="v0.31.0"} 1
# TYPE loop_duration_seconds histogram
loop_duration_seconds_bucket{le="0.1"} 1
loop_duration_seconds_bucket{le="1"} 4
loop_duration_seconds_bucket{le="+Inf"} 5
loop_duration_seconds_sum 3.5
loop_duration_seconds_count 5
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.2
rpc_seconds_sum 7
rpc_seconds_count 21
plain_untyped 42 1700000000000
weird{path="a\\"b\\\\c\\nd"} -Inf
`;

// Parsing itself is @kso/exporters/prom-parse's (its tests); these check the relay's mapping of what it reads.
test('maps to OTel: counters monotonic sums, gauges, histogram buckets de-cumulated, summary as gauges; identity attached', () => {
  const { families } = parsePrometheusText(DESCHEDULER);
  const identity = { namespace: 'ops', pod: 'desched-1-abc', job_name: 'desched-1' };
  const data = toMetricData(families, identity, 1_000, 2_000);
  const byName = new Map(data.map((m) => [m.descriptor.name, m]));
  const counter = byName.get('descheduler_pods_evicted')!;
  assert.equal(counter.dataPointType, DataPointType.SUM);
  assert.equal(counter.dataPointType === DataPointType.SUM && counter.isMonotonic, true);
  assert.equal(counter.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  // The workload's own `namespace` label is kept as exported_namespace; identity wins.
  assert.deepEqual(counter.dataPoints[0]!.attributes, {
    exported_namespace: 'default',
    result: 'success',
    strategy: 'RemoveDuplicates',
    namespace: 'ops',
    pod: 'desched-1-abc',
    job_name: 'desched-1',
  });
  assert.deepEqual(counter.dataPoints[0]!.startTime, [1, 0]);
  assert.equal(byName.get('descheduler_build_info')!.dataPointType, DataPointType.GAUGE);
  const hist = byName.get('loop_duration_seconds')!;
  assert.equal(hist.dataPointType, DataPointType.HISTOGRAM);
  if (hist.dataPointType === DataPointType.HISTOGRAM) {
    assert.deepEqual(hist.dataPoints[0]!.value.buckets, { boundaries: [0.1, 1], counts: [1, 3, 1] });
    assert.equal(hist.dataPoints[0]!.value.sum, 3.5);
    assert.equal(hist.dataPoints[0]!.value.count, 5);
  }
  for (const n of ['rpc_seconds', 'rpc_seconds_sum', 'rpc_seconds_count', 'plain_untyped']) {
    assert.equal(byName.get(n)?.dataPointType, DataPointType.GAUGE, n);
  }
});

test('histogram with decreasing cumulative buckets falls back to per-line gauges', () => {
  const { families } = parsePrometheusText(
    '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 3\n',
  );
  const names = toMetricData(families, {}, 0, 0).map((m) => [m.descriptor.name, m.dataPointType]);
  assert.deepEqual(names, [
    ['h_bucket', DataPointType.GAUGE],
    ['h_sum', DataPointType.GAUGE],
    ['h_count', DataPointType.GAUGE],
  ]);
});

test('re-emitted Prometheus text round-trips through the parser with identity labels', () => {
  const { families } = parsePrometheusText(DESCHEDULER);
  const text = toPrometheusText(families, { namespace: 'ops', pod: 'p' });
  const again = parsePrometheusText(text);
  assert.deepEqual(again.errors, []);
  assert.equal(again.families.length, families.length);
  const s = again.families[0]!.samples[0]!;
  assert.equal(s.labels['exported_namespace'], 'default');
  assert.equal(s.labels['pod'], 'p');
  assert.equal(again.families.at(-1)!.samples[0]!.labels['path'], 'a"b\\c\nd');
});
