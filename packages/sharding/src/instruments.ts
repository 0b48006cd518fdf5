// Shard self-metrics: low-cardinality process gauges, so ordinary OTel observable instruments suffice.
// Objects held per resource are the watch layer's kso_watch_objects (already after the shard filter).
import type { InstrumentSpec } from '@kso/metrics';
import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import type { ResharderStats } from './resharder.ts';

export interface ShardInstrumentStats extends ResharderStats {
  /** A view for a newer assignment is being built (the old one is still served). */
  pending?: boolean;
}

export interface ShardInstrumentsHandle {
  unregister(): void;
}

/** Name, type, help of every instrument registered here (for documentation tables). */
export const SHARD_INSTRUMENTS: readonly InstrumentSpec[] = [
  { name: 'kube_state_metrics_shard_ordinal', type: 'gauge', help: 'Current sharding ordinal/index of this instance' },
  { name: 'kube_state_metrics_total_shards', type: 'gauge', help: 'Number of sharded instances taken into account' },
  {
    name: 'kso_shard_last_reshard_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the served view last switched (initial sync included); absent before',
  },
  {
    name: 'kso_shard_last_reshard_duration_seconds',
    type: 'gauge',
    help: 'Seconds from the last new assignment to its view being complete and served',
  },
  { name: 'kso_shard_reshards_total', type: 'counter', help: 'Completed view switches (initial sync included)' },
  {
    name: 'kso_shard_reshard_pending',
    type: 'gauge',
    help: '1 while a view for a new assignment is syncing (the old one is served)',
  },
];

const help = (name: string) => SHARD_INSTRUMENTS.find((m) => m.name === name)?.help ?? '';

/** KSM-compatible names (both schemas) plus kso_shard_* extras. */
export function registerShardInstruments(meter: Meter, getStats: () => ShardInstrumentStats): ShardInstrumentsHandle {
  const g = (name: string, unit?: string) =>
    meter.createObservableGauge(name, { description: help(name), ...(unit ? { unit } : {}) });
  const ordinal = g('kube_state_metrics_shard_ordinal');
  const total = g('kube_state_metrics_total_shards');
  const lastTs = g('kso_shard_last_reshard_timestamp_seconds', 's');
  const lastDur = g('kso_shard_last_reshard_duration_seconds', 's');
  const reshards = meter.createObservableCounter('kso_shard_reshards_total', {
    description: help('kso_shard_reshards_total'),
  });
  const pending = g('kso_shard_reshard_pending');
  const all = [ordinal, total, lastTs, lastDur, reshards, pending];
  const cb = (r: BatchObservableResult): void => {
    const s = getStats();
    r.observe(ordinal, s.shard, { shard_ordinal: String(s.shard) });
    r.observe(total, s.total);
    r.observe(reshards, s.reshards);
    r.observe(pending, s.pending ? 1 : 0);
    if (s.lastReshardTimeMs > 0) {
      r.observe(lastTs, s.lastReshardTimeMs / 1000);
      r.observe(lastDur, s.lastReshardDurationMs / 1000);
    }
  };
  meter.addBatchObservableCallback(cb, all);
  return { unregister: () => meter.removeBatchObservableCallback(cb, all) };
}
