// Relays the main container's own Prometheus metrics: scrape → parse → keep the last good scrape →
// expose it as OTel MetricData through a MetricProducer (OTLP) and as Prometheus text (Pushgateway).
// Workloads like Descheduler expose only a pull endpoint and finish before Prometheus scrapes them;
// relaying their last good scrape with the Job/Pod identity attached is the whole point.

import { httpRequest } from '@kso/exporters/http-request';
import { type PromFamily, type PromSample, parsePrometheusText, writePrometheusText } from '@kso/exporters/prom-parse';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

export type Identity = Readonly<Record<string, string>>;

export interface Scrape {
  readonly families: PromFamily[];
  readonly atMs: number;
}

function hr(ms: number): HrTime {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

/**
 * Adds the identity labels; a same-named label from the workload is kept as `exported_<name>`,
 * the convention Prometheus uses for conflicting target labels.
 */
export function withIdentity(labels: Readonly<Record<string, string>>, identity: Identity): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k in identity ? `exported_${k}` : k] = v;
  for (const [k, v] of Object.entries(identity)) out[k] = v;
  return out;
}

function labelKey(labels: Readonly<Record<string, string>>, drop: string): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== drop)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

interface HistGroup {
  labels: Record<string, string>;
  buckets: { le: number; cum: number }[];
  sum: number;
  count: number | undefined;
}

/** Cumulative Prometheus buckets → OTel explicit-bucket histogram; undefined when inconsistent. */
function toOtelHistogram(
  g: HistGroup,
): { boundaries: number[]; counts: number[]; sum: number; count: number } | undefined {
  const sorted = [...g.buckets].sort((a, b) => a.le - b.le);
  const finite = sorted.filter((b) => Number.isFinite(b.le));
  const inf = sorted.find((b) => b.le === Number.POSITIVE_INFINITY);
  const total = inf?.cum ?? g.count;
  if (total === undefined) return undefined;
  const counts: number[] = [];
  let prev = 0;
  for (const b of finite) {
    if (b.cum < prev) return undefined;
    counts.push(b.cum - prev);
    prev = b.cum;
  }
  if (total < prev) return undefined;
  counts.push(total - prev);
  return { boundaries: finite.map((b) => b.le), counts, sum: g.sum, count: total };
}

type Pt = { labels: Attributes; value: number };

/** Samples grouped by sample name (a family's `_sum`/`_count` lines become their own metrics). */
function bySampleName(samples: readonly PromSample[], identity: Identity): Map<string, Pt[]> {
  const out = new Map<string, Pt[]>();
  for (const s of samples) {
    if (s.name.endsWith('_created')) continue;
    const list = out.get(s.name) ?? [];
    if (list.length === 0) out.set(s.name, list);
    list.push({ labels: withIdentity(s.labels, identity), value: s.value });
  }
  return out;
}

function gauge(
  name: string,
  help: string,
  points: { labels: Attributes; value: number }[],
  start: HrTime,
  end: HrTime,
): MetricData {
  return {
    descriptor: { name, description: help, unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points.map((p) => ({ startTime: start, endTime: end, attributes: p.labels, value: p.value })),
  };
}

function sums(fam: PromFamily, identity: Identity, start: HrTime, end: HrTime): MetricData[] {
  return [...bySampleName(fam.samples, identity)].map(([name, points]) => ({
    descriptor: { name, description: fam.help, unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: points.map((p) => ({ startTime: start, endTime: end, attributes: p.labels, value: p.value })),
  }));
}

/** A histogram family's series (labels without `le`) with their buckets, sum and count. */
function histogramGroups(fam: PromFamily): HistGroup[] {
  const groups = new Map<string, HistGroup>();
  for (const s of fam.samples) {
    const key = labelKey(s.labels, 'le');
    let g = groups.get(key);
    if (!g) {
      const labels = { ...s.labels };
      delete labels['le'];
      g = { labels, buckets: [], sum: 0, count: undefined };
      groups.set(key, g);
    }
    if (s.name === `${fam.name}_bucket`) {
      const le = s.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels['le']);
      if (!Number.isNaN(le)) g.buckets.push({ le, cum: s.value });
    } else if (s.name === `${fam.name}_sum`) g.sum = s.value;
    else if (s.name === `${fam.name}_count`) g.count = s.value;
  }
  return [...groups.values()];
}

/** Undefined when any series has inconsistent buckets (the caller falls back to per-line gauges). */
function histogram(fam: PromFamily, identity: Identity, start: HrTime, end: HrTime): MetricData | undefined {
  const points = histogramGroups(fam).map((g) => ({ g, h: toOtelHistogram(g) }));
  if (!points.every((p) => p.h !== undefined)) return undefined;
  return {
    descriptor: { name: fam.name, description: fam.help, unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points.map(({ g, h }) => ({
      startTime: start,
      endTime: end,
      attributes: withIdentity(g.labels, identity),
      value: { buckets: { boundaries: h!.boundaries, counts: h!.counts }, sum: h!.sum, count: h!.count },
    })),
  };
}

/**
 * Mapping (documented in README): counter → monotonic cumulative Sum named like the sample (keeps `_total`);
 * gauge/untyped → Gauge; histogram → OTel explicit-bucket Histogram (inconsistent buckets fall back to
 * per-line gauges); summary → per-line gauges (`name{quantile}`, `name_sum`, `name_count`), because OTel
 * has no summary instrument and its legacy Summary point is not exposed by the JS SDK.
 */
export function toMetricData(
  families: readonly PromFamily[],
  identity: Identity,
  startMs: number,
  nowMs: number,
): MetricData[] {
  const start = hr(startMs);
  const end = hr(nowMs);
  const perLine = (fam: PromFamily): MetricData[] =>
    [...bySampleName(fam.samples, identity)].map(([name, points]) => gauge(name, fam.help, points, start, end));
  return families.flatMap((fam) => {
    if (fam.type === 'counter') return sums(fam, identity, start, end);
    if (fam.type === 'histogram') return histogram(fam, identity, start, end) ?? perLine(fam);
    return perLine(fam);
  });
}

/** Re-emits a scrape as Prometheus text with the identity labels added (for the Pushgateway body). */
export function toPrometheusText(families: readonly PromFamily[], identity: Identity): string {
  return writePrometheusText(
    families.map((fam) => ({
      ...fam,
      samples: fam.samples.map((s) => ({ ...s, labels: withIdentity(s.labels, identity) })),
    })),
  );
}

export interface ScrapeResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly families?: number;
}

export interface RelayOptions {
  readonly url: string;
  readonly timeoutMs: number;
  /** Identity attributes for OTLP (schema-dependent names). */
  readonly identity: () => Identity;
  readonly startMs?: number;
}

/**
 * Keeps the last good scrape. A failed scrape (main container already gone, 500, garbage) never
 * replaces good data: the last known values are what the user wants to see after the Job ends.
 */
export class Relay implements MetricProducer {
  readonly #opts: RelayOptions;
  readonly #startMs: number;
  #last: Scrape | undefined;
  #scrapes = 0;
  #failures = 0;

  constructor(opts: RelayOptions) {
    this.#opts = opts;
    this.#startMs = opts.startMs ?? Date.now();
  }

  get last(): Scrape | undefined {
    return this.#last;
  }

  stats(): { scrapes: number; failures: number; lastScrapeMs: number | undefined; families: number } {
    return {
      scrapes: this.#scrapes,
      failures: this.#failures,
      lastScrapeMs: this.#last?.atMs,
      families: this.#last?.families.length ?? 0,
    };
  }

  async scrape(timeoutMs = this.#opts.timeoutMs): Promise<ScrapeResult> {
    this.#scrapes++;
    try {
      const res = await httpRequest(this.#opts.url, { timeoutMs, headers: { accept: 'text/plain;version=0.0.4' } });
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      const parsed = parsePrometheusText(res.body.toString('utf8'));
      if (parsed.families.length === 0 && parsed.errors.length > 0) {
        throw new Error(`unparseable body (line ${parsed.errors[0]!.line}: ${parsed.errors[0]!.message})`);
      }
      this.#last = { families: parsed.families, atMs: Date.now() };
      return { ok: true, families: parsed.families.length };
    } catch (err) {
      this.#failures++;
      const e = err as Error & { code?: string };
      return { ok: false, error: e.code ?? e.message };
    }
  }

  metricData(nowMs = Date.now()): MetricData[] {
    if (!this.#last) return [];
    return toMetricData(this.#last.families, this.#opts.identity(), this.#startMs, nowMs);
  }

  async collect(): Promise<CollectionResult> {
    return scopeCollection('@kso/sidecar/relay', this.metricData());
  }

  prometheusText(identity: Identity): string {
    return this.#last ? toPrometheusText(this.#last.families, identity) : '';
  }
}

/**
 * One scope's metrics as a producer's collection. The Resource stays empty: the reader's own Resource (the
 * sidecar's identity) is the one exported.
 */
export function scopeCollection(scope: string, metrics: MetricData[]): CollectionResult {
  return {
    resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: { name: scope }, metrics }] },
    errors: [],
  };
}
