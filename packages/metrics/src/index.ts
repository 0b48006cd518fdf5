export {
  ALL_RESOURCES,
  allFamilies,
  type CatalogOptions,
  DEFAULT_LABELS,
  familiesFor,
  optInFamilies,
  type SnapshotFor,
} from './catalog.ts';
export { CronParseError, GO_ZERO_TIME_UNIX, loadLocation, nextCronTime, parseCron, parseStandard } from './cron.ts';
export { renderMetricsReference } from './docs.ts';
export { cronNextScheduleTime, cronSchedule } from './families/cronjobs.ts';
export { JOB_FAILURE_REASONS } from './families/jobs.ts';
export {
  DISRUPTION_REASONS,
  derivedPodReason,
  disruptionComponent,
  POD_STATUS_REASONS,
  podHasReason,
} from './families/pods.ts';
export { SEMCONV_SCHEMA_URL } from './families/semconv.ts';
export { DEFAULT_CONTEXT, type FamilyDef, type GenerateContext } from './family.ts';
export {
  type Allowlist,
  familyFilter,
  labelName,
  optInFilter,
  parseAllowlist,
  sanitizeLabelName,
  toPrometheusLabels,
} from './labels.ts';
export {
  contextFor,
  generateAll,
  MetricsStore,
  type MetricsStoreOptions,
  type StoreLogger,
} from './store.ts';
export type {
  FamilyDescriptor,
  FamilyType,
  InstrumentSpec,
  MetricsSource,
  ObjectMetrics,
  Point,
  ResourceName,
  Schema,
} from './types.ts';
