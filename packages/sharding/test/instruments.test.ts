import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { registerShardInstruments } from '../src/index.ts';

test('registerShardInstruments exports KSM shard gauges and kso extras', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  registerShardInstruments(provider.getMeter('t'), () => ({
    shard: 1,
    total: 3,
    lastReshardTimeMs: 5000,
    lastReshardDurationMs: 250,
    reshards: 2,
    pending: true,
  }));
  const { resourceMetrics } = await reader.collect();
  const got = new Map<string, { value: number; attributes: Record<string, unknown> }[]>();
  for (const sm of resourceMetrics.scopeMetrics)
    for (const m of sm.metrics)
      got.set(
        m.descriptor.name,
        m.dataPoints.map((d) => ({ value: d.value as number, attributes: d.attributes })),
      );
  assert.deepEqual(got.get('kube_state_metrics_shard_ordinal'), [{ value: 1, attributes: { shard_ordinal: '1' } }]);
  assert.deepEqual(got.get('kube_state_metrics_total_shards'), [{ value: 3, attributes: {} }]);
  assert.deepEqual(got.get('kso_shard_reshards_total'), [{ value: 2, attributes: {} }]);
  assert.deepEqual(got.get('kso_shard_reshard_pending'), [{ value: 1, attributes: {} }]);
  assert.equal(got.get('kso_shard_last_reshard_timestamp_seconds')?.[0]?.value, 5);
  assert.equal(got.get('kso_shard_last_reshard_duration_seconds')?.[0]?.value, 0.25);
  await provider.shutdown();
});
