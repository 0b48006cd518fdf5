// MetricProducer over the UID-keyed store: ready MetricData per family at every collection. Unlike SDK
// observables, deleted objects vanish at the next collection, there is no cardinality cap and no attribute
// hashing. Registered on readers via `metricProducers` (the producer's resource is ignored by the SDK).

import { readFileSync } from 'node:fs';
import {
  type FamilyDescriptor,
  type MetricsSource,
  type ObjectMetrics,
  type Schema,
  SEMCONV_SCHEMA_URL,
} from '@kso/metrics';
import type { HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { emptyResource, type Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

export const SCOPE_NAME = 'kube-state-otel';
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/**
 * The instrumentation scope of the store's metrics, one per schema (a backend can tell the two shapes apart);
 * semconv carries the semantic-conventions schema URL its names follow. Self-metrics use their own meter scope.
 */
export function scopeFor(schema: Schema): { name: string; version: string; schemaUrl?: string } {
  return schema === 'semconv'
    ? { name: `${SCOPE_NAME}/semconv`, version: VERSION, schemaUrl: SEMCONV_SCHEMA_URL }
    : { name: `${SCOPE_NAME}/ksm`, version: VERSION };
}

export interface StoreMetricProducerOptions {
  source: MetricsSource;
  /** Emit families without any point (KSM writes their headers). Default true; OTLP push turns it off. */
  emptyFamilies?: boolean;
  scopeVersion?: string;
  resource?: Resource;
  /** Clock for endTime (tests). */
  now?: () => number;
}

export function msToHrTime(ms: number): HrTime {
  const sec = Math.floor(ms / 1000);
  return [sec, Math.round((ms - sec * 1000) * 1e6)];
}

export function familyMetricData(f: FamilyDescriptor, dataPoints: DataPoint<number>[]): MetricData {
  const descriptor = {
    name: f.name,
    description: f.help,
    unit: f.unit,
    valueType: f.valueType === 'int' ? ValueType.INT : ValueType.DOUBLE,
  };
  if (f.type === 'gauge') {
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints,
    };
  }
  return {
    descriptor,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    dataPoints,
    isMonotonic: f.type === 'counter',
  };
}

export class StoreMetricProducer implements MetricProducer {
  readonly source: MetricsSource;
  private readonly emptyFamilies: boolean;
  private readonly scopeVersion: string | undefined;
  private readonly resource: Resource;
  private readonly now: () => number;
  /** Start times as HrTime per immutable object, so repeated collections allocate nothing for them. */
  private readonly startCache = new WeakMap<ObjectMetrics, HrTime>();

  constructor(opts: StoreMetricProducerOptions) {
    this.source = opts.source;
    this.emptyFamilies = opts.emptyFamilies ?? true;
    this.scopeVersion = opts.scopeVersion;
    this.resource = opts.resource ?? emptyResource();
    this.now = opts.now ?? Date.now;
  }

  async collect(): Promise<CollectionResult> {
    return { resourceMetrics: this.collectSync(), errors: [] };
  }

  collectSync() {
    const endTime = msToHrTime(this.now());
    const metrics: MetricData[] = [];
    const src = this.source;
    for (const res of src.resources()) {
      // KSM rule: a resource without objects contributes no headers at all.
      if (src.size(res) === 0) continue;
      const fams = src.families(res);
      const points: DataPoint<number>[][] = fams.map(() => []);
      for (const obj of src.entries(res)) {
        let start = this.startCache.get(obj);
        if (start === undefined) {
          start = msToHrTime(obj.startTimeMs);
          this.startCache.set(obj, start);
        }
        // Read once: a store may generate the points on each read.
        const families = obj.families;
        const n = Math.min(fams.length, families.length);
        for (let i = 0; i < n; i++) {
          const fp = families[i] as (typeof families)[number];
          const out = points[i] as DataPoint<number>[];
          for (const p of fp) out.push({ startTime: start, endTime, attributes: p.attributes, value: p.value });
        }
      }
      for (let i = 0; i < fams.length; i++) {
        const dps = points[i] as DataPoint<number>[];
        if (dps.length === 0 && !this.emptyFamilies) continue;
        metrics.push(familyMetricData(fams[i] as FamilyDescriptor, dps));
      }
    }
    const { schemaUrl, ...named } = scopeFor(src.schema);
    const scope = {
      ...named,
      ...(this.scopeVersion ? { version: this.scopeVersion } : {}),
      ...(schemaUrl ? { schemaUrl } : {}),
    };
    return { resource: this.resource, scopeMetrics: [{ scope, metrics }] };
  }
}
