// kso_watch_reconnecting and kso_watch_last_sync_age_seconds tell the truth while a resource is behind
// (issue 15): read through a real SDK MeterProvider, as the Prometheus bridge and OTLP push read them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { type ResourceWatchStats, registerSelfMetrics } from '../src/self-metrics.ts';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function gauges(reader: Reader, name: string): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const out: Record<string, number> = {};
  for (const sm of resourceMetrics.scopeMetrics)
    for (const m of sm.metrics)
      if (m.descriptor.name === name)
        for (const p of m.dataPoints) out[String(p.attributes.resource)] = p.value as number;
  return out;
}

test('a reconnecting resource reports 1 and its sync age keeps growing; the others 0', async () => {
  let now = 1_000_000;
  const base: ResourceWatchStats = {
    resource: 'pods',
    objects: 3,
    lastEventTimeMs: now,
    lastSyncTimeMs: now,
    relists: 0,
    watchRestarts: 1,
    errors: 1,
    parseErrors: 0,
    synced: true,
  };
  const stats = [
    { ...base, reconnecting: true },
    { ...base, resource: 'jobs', reconnecting: false },
  ];
  const reader = new Reader();
  const mp = new MeterProvider({ readers: [reader] });
  registerSelfMetrics(mp.getMeter('t'), { watch: () => stats, now: () => now });
  assert.deepEqual(await gauges(reader, 'kso_watch_reconnecting'), { pods: 1, jobs: 0 });
  now += 7000;
  const age = await gauges(reader, 'kso_watch_last_sync_age_seconds');
  assert.equal(age.pods, 7, 'no progress while reconnecting: the age grows');
  stats[0]!.reconnecting = false;
  assert.deepEqual(await gauges(reader, 'kso_watch_reconnecting'), { pods: 0, jobs: 0 });
  await mp.shutdown();
});
