// Self-metrics of `kso run` as ordinary SDK observable instruments: few, low-cardinality series (one per
// watched resource at most), so the SDK's cardinality and stale-series traps do not apply. The wildcard View
// in agent.ts still sets an explicit cardinality limit. Names and meaning are listed in SELF_METRICS (README).
// Shard gauges come from @kso/sharding's registerShardInstruments.
import type { InstrumentSpec } from '@kso/metrics';
import { SHARD_INSTRUMENTS } from '@kso/sharding';
import type { Meter } from '@opentelemetry/api';

export interface ResourceWatchStats {
  resource: string;
  objects: number;
  /** Epoch ms of the newest event (0 = none yet). */
  lastEventTimeMs: number;
  /** Epoch ms of the oldest "last successful sync/progress" among this resource's watches (0 = never). */
  lastSyncTimeMs: number;
  relists: number;
  watchRestarts: number;
  errors: number;
  parseErrors: number;
  synced: boolean;
  /** Some watch of this resource is waiting to reconnect (after a failure, a broken stream or a relist). */
  reconnecting?: boolean;
  /** Objects periodic consistency checks found different from the server (corrected by a relist). */
  consistencyDifferences?: number;
}

export interface OtlpSelfStats {
  exports: number;
  failures: number;
  lastSuccessMs: number;
  pointsSent: number;
  pointsLost: number;
  pushesSkipped?: number;
  outages?: number;
}

export interface SelfMetricsSources {
  watch: () => ResourceWatchStats[];
  otlp?: () => OtlpSelfStats;
  now?: () => number;
}

/** The documented self-metrics (README "Self-metrics"), each with its full name. */
export const SELF_METRICS: readonly InstrumentSpec[] = [
  {
    name: 'kso_watch_objects',
    type: 'gauge',
    help: 'Objects currently held per resource (after sharding; resource="statefulsets" is the autosharding watch)',
  },
  {
    name: 'kso_watch_last_event_age_seconds',
    type: 'gauge',
    help: 'Seconds since the last watch event per resource (-1 = none yet)',
  },
  {
    name: 'kso_watch_last_sync_age_seconds',
    type: 'gauge',
    help: 'Seconds since the last successful list/watch progress per resource (-1 = never); /healthz bound',
  },
  { name: 'kso_watch_synced', type: 'gauge', help: '1 when the initial list of the resource completed' },
  {
    name: 'kso_watch_reconnecting',
    type: 'gauge',
    help: '1 while a watch of the resource waits to reconnect or relist after a failure (data may be behind)',
  },
  { name: 'kso_watch_relists_total', type: 'counter', help: 'Full relists per resource (e.g. after 410 Gone)' },
  { name: 'kso_watch_restarts_total', type: 'counter', help: 'Watch restarts per resource' },
  { name: 'kso_watch_errors_total', type: 'counter', help: 'List/watch errors per resource' },
  { name: 'kso_watch_parse_errors_total', type: 'counter', help: 'Objects rejected as malformed per resource' },
  {
    name: 'kso_watch_consistency_differences_total',
    type: 'counter',
    help: 'Objects a periodic consistency check found out of date, corrected by a relist (non-zero = a bug)',
  },
  { name: 'kso_otlp_exports_total', type: 'counter', help: 'OTLP export requests by result (success|failure)' },
  { name: 'kso_otlp_points_total', type: 'counter', help: 'OTLP data points by result (sent|lost)' },
  {
    name: 'kso_otlp_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last successful OTLP export (0 = none)',
  },
  {
    name: 'kso_otlp_pushes_skipped_total',
    type: 'counter',
    help: 'OTLP pushes not encoded: endpoint down or previous push running',
  },
  {
    name: 'kso_otlp_outages_total',
    type: 'counter',
    help: 'Times the OTLP endpoint went from reachable to unreachable',
  },
  ...SHARD_INSTRUMENTS,
];

export function registerSelfMetrics(meter: Meter, src: SelfMetricsSources): void {
  const now = src.now ?? Date.now;
  const age = (t: number) => (t > 0 ? Math.max(0, (now() - t) / 1000) : -1);
  const g = (name: string) => meter.createObservableGauge(name, { description: describeOf(name) });
  const c = (name: string) => meter.createObservableCounter(name, { description: describeOf(name) });

  const objects = g('kso_watch_objects');
  const eventAge = g('kso_watch_last_event_age_seconds');
  const syncAge = g('kso_watch_last_sync_age_seconds');
  const synced = g('kso_watch_synced');
  const reconnecting = g('kso_watch_reconnecting');
  const relists = c('kso_watch_relists_total');
  const restarts = c('kso_watch_restarts_total');
  const errors = c('kso_watch_errors_total');
  const parseErrors = c('kso_watch_parse_errors_total');
  const differences = c('kso_watch_consistency_differences_total');
  meter.addBatchObservableCallback(
    (r) => {
      for (const s of src.watch()) {
        const a = { resource: s.resource };
        r.observe(objects, s.objects, a);
        r.observe(eventAge, age(s.lastEventTimeMs), a);
        r.observe(syncAge, age(s.lastSyncTimeMs), a);
        r.observe(synced, s.synced ? 1 : 0, a);
        r.observe(reconnecting, s.reconnecting ? 1 : 0, a);
        r.observe(relists, s.relists, a);
        r.observe(restarts, s.watchRestarts, a);
        r.observe(errors, s.errors, a);
        r.observe(parseErrors, s.parseErrors, a);
        r.observe(differences, s.consistencyDifferences ?? 0, a);
      }
    },
    [objects, eventAge, syncAge, synced, reconnecting, relists, restarts, errors, parseErrors, differences],
  );

  const otlp = src.otlp;
  if (otlp) {
    const exports = c('kso_otlp_exports_total');
    const points = c('kso_otlp_points_total');
    const last = g('kso_otlp_last_success_timestamp_seconds');
    const skipped = c('kso_otlp_pushes_skipped_total');
    const outages = c('kso_otlp_outages_total');
    meter.addBatchObservableCallback(
      (r) => {
        const s = otlp();
        r.observe(exports, s.exports - s.failures, { result: 'success' });
        r.observe(exports, s.failures, { result: 'failure' });
        r.observe(points, s.pointsSent, { result: 'sent' });
        r.observe(points, s.pointsLost, { result: 'lost' });
        r.observe(last, s.lastSuccessMs / 1000);
        r.observe(skipped, s.pushesSkipped ?? 0);
        r.observe(outages, s.outages ?? 0);
      },
      [exports, points, last, skipped, outages],
    );
  }
}

function describeOf(name: string): string {
  return SELF_METRICS.find((m) => m.name === name)?.help ?? '';
}
