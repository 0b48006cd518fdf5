// The input contract lives in @kso/metrics (types only: erased at runtime, so no load-time dependency).
export type {
  FamilyDescriptor,
  FamilyType,
  MetricsSource,
  ObjectMetrics,
  Point,
  ResourceName,
  Schema,
} from '@kso/metrics';
