// The contract between the instrumentation layer and the exporters.
// Generators are pure: snapshot in, points out. The store keeps the snapshot per object UID and
// generates the points when read (retained points would cost ~4x the snapshots' heap); deleted objects
// vanish at once.
import type { ResourceKind } from '@kso/model';

export type Schema = 'ksm' | 'semconv';
/** The resources metrics are derived for: model's ResourceKind without the StatefulSet (sharding reads it). */
export type ResourceName = Exclude<ResourceKind, 'statefulsets'>;

/**
 * gauge → OTel Gauge; counter → monotonic cumulative Sum; updowncounter → non-monotonic cumulative Sum
 * (the semconv instrument for k8s state metrics).
 */
export type FamilyType = 'gauge' | 'counter' | 'updowncounter';

export interface FamilyDescriptor {
  /** Exposed name. ksm: the exact kube-state-metrics name (counters keep their `_total`). semconv: dotted OTel name. */
  readonly name: string;
  /** Help text exactly as exposed (ksm STABLE families carry the `[STABLE] ` prefix). */
  readonly help: string;
  readonly type: FamilyType;
  /** UCUM unit for OTLP ('' for none). */
  readonly unit: string;
  readonly resource: ResourceName;
  /** 'STABLE' | 'ALPHA' for ksm, semconv stability for semconv, 'EXTENSION' for kube-state-otel additions. */
  readonly stability: string;
  /** OTLP value type: 'int' sends as_int (semconv says int); default 'double' (KSM values are floats). */
  readonly valueType?: 'int' | 'double';
  /**
   * Entity-shaped OTLP (semconv): the attribute keys that stay on the data points (the enum attributes). Every
   * other attribute of a point identifies its entity and goes on the Resource. Undefined: all on the points.
   */
  readonly pointAttributes?: readonly string[];
}

/** One data point. Attribute insertion order is the exposition label order. */
export interface Point {
  readonly attributes: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Immutable per-object result: replaced as a whole on update, so caches can key on identity. */
export interface ObjectMetrics {
  readonly uid: string;
  readonly resource: ResourceName;
  /** Epoch milliseconds when this object was first seen: the start time of its cumulative sums. */
  readonly startTimeMs: number;
  /**
   * Indexed like `families(resource)`; an empty array when the family has no series for this object.
   * May be generated on each read: read it once per object (then index the local array), and cache derived
   * output by object identity rather than keeping these points.
   */
  readonly families: readonly (readonly Point[])[];
}

/** Read side of the UID-keyed metrics store, what every exporter consumes. */
export interface MetricsSource {
  readonly schema: Schema;
  /** Resources currently served, in exposition order. */
  resources(): readonly ResourceName[];
  families(resource: ResourceName): readonly FamilyDescriptor[];
  /** Objects of one resource; iteration order is stable between changes. */
  entries(resource: ResourceName): Iterable<ObjectMetrics>;
  size(resource: ResourceName): number;
}

/**
 * A process self-metric (kso_*, KSM's shard gauges) as documented and registered: an OTel observable
 * instrument, not an object family.
 */
export interface InstrumentSpec {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
}
