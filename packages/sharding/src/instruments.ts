// Shard self-metrics: low-cardinality process gauges, so ordinary OTel observable instruments suffice.
import type { Meter } from '@opentelemetry/api';
import type { ResharderStats } from './resharder.ts';

export interface ShardInstrumentStats extends ResharderStats {
  /** Objects held by this shard, per resource (e.g. { pods: 1234 }). */
  objects?: Record<string, number>;
}

export interface ShardInstrumentsHandle {
  unregister(): void;
}

/** KSM-compatible names (both schemas) plus kso_shard_* extras. */
export function registerShardInstruments(meter: Meter, getStats: () => ShardInstrumentStats): ShardInstrumentsHandle {
  const ordinal = meter.createObservableGauge('kube_state_metrics_shard_ordinal', {
    description: 'Current sharding ordinal/index of this instance',
  });
  const total = meter.createObservableGauge('kube_state_metrics_total_shards', {
    description: 'Number of sharded instances taken into account',
  });
  const objects = meter.createObservableGauge('kso_shard_objects', {
    description: 'Objects held by this shard, per resource',
  });
  const lastTs = meter.createObservableGauge('kso_shard_last_reshard_timestamp_seconds', {
    description: 'Unix time of the last completed shard switch',
    unit: 's',
  });
  const lastDur = meter.createObservableGauge('kso_shard_last_reshard_duration_seconds', {
    description: 'Time from new assignment to synced switch for the last reshard',
    unit: 's',
  });
  const all = [ordinal, total, objects, lastTs, lastDur];
  const cb = (r: import('@opentelemetry/api').BatchObservableResult): void => {
    const s = getStats();
    r.observe(ordinal, s.shard, { shard_ordinal: String(s.shard) });
    r.observe(total, s.total);
    for (const [resource, n] of Object.entries(s.objects ?? {})) r.observe(objects, n, { resource });
    if (s.lastReshardTimeMs > 0) {
      r.observe(lastTs, s.lastReshardTimeMs / 1000);
      r.observe(lastDur, s.lastReshardDurationMs / 1000);
    }
  };
  meter.addBatchObservableCallback(cb, all);
  return { unregister: () => meter.removeBatchObservableCallback(cb, all) };
}
