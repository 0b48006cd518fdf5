import type { CronJobSnapshot, JobSnapshot, PodSnapshot } from '@kso/model';
import { CRONJOB_FAMILIES_KSM } from './families/cronjobs.ts';
import { JOB_FAMILIES_EXT, JOB_FAMILIES_KSM } from './families/jobs.ts';
import { POD_FAMILIES_EXT, POD_FAMILIES_KSM } from './families/pods.ts';
import { CRONJOB_FAMILIES_SEMCONV, JOB_FAMILIES_SEMCONV, POD_FAMILIES_SEMCONV } from './families/semconv.ts';
import type { FamilyDef } from './family.ts';
import { optInFilter } from './labels.ts';
import type { ResourceName, Schema } from './types.ts';

export interface SnapshotFor {
  pods: PodSnapshot;
  jobs: JobSnapshot;
  cronjobs: CronJobSnapshot;
}

export const ALL_RESOURCES: readonly ResourceName[] = Object.freeze(['jobs', 'pods', 'cronjobs'] as const);

type Table = { readonly [R in ResourceName]: readonly FamilyDef<SnapshotFor[R]>[] };

const KSM: Table = { jobs: JOB_FAMILIES_KSM, pods: POD_FAMILIES_KSM, cronjobs: CRONJOB_FAMILIES_KSM };
const EXT: Table = { jobs: JOB_FAMILIES_EXT, pods: POD_FAMILIES_EXT, cronjobs: [] };
const SEMCONV: Table = { jobs: JOB_FAMILIES_SEMCONV, pods: POD_FAMILIES_SEMCONV, cronjobs: CRONJOB_FAMILIES_SEMCONV };

/** Labels KSM puts first on every series of a resource (its generator's wrap function); ksm schema only. */
export const DEFAULT_LABELS: { readonly [R in ResourceName]: readonly string[] } = Object.freeze({
  jobs: Object.freeze(['namespace', 'job_name']),
  pods: Object.freeze(['namespace', 'pod', 'uid']),
  cronjobs: Object.freeze(['namespace', 'cronjob']),
});

export interface CatalogOptions {
  /** Include kube-state-otel EXTENSION families in the ksm schema (default true). */
  readonly extensions?: boolean;
  /** Keep only the families for which this returns true (--metric-allowlist / --metric-denylist). */
  readonly filter?: (name: string) => boolean;
  /**
   * --metric-opt-in-list: regular expressions naming the opt-in families to expose (KSM semantics: unanchored,
   * in addition to `filter`, which still applies). Opt-in families are off without a matching entry.
   */
  readonly optIn?: readonly string[];
}

/** Every family declared for one resource and schema, opt-in ones included (docs, tests). */
export function allFamilies<R extends ResourceName>(
  schema: Schema,
  resource: R,
  opts: { readonly extensions?: boolean } = {},
): readonly FamilyDef<SnapshotFor[R]>[] {
  if (schema === 'semconv') return SEMCONV[resource] as readonly FamilyDef<SnapshotFor[R]>[];
  const ksm = KSM[resource] as readonly FamilyDef<SnapshotFor[R]>[];
  if (opts.extensions === false) return ksm;
  return [...ksm, ...(EXT[resource] as readonly FamilyDef<SnapshotFor[R]>[])];
}

/** Names of the opt-in families of a schema (what --metric-opt-in-list can turn on). */
export function optInFamilies(schema: Schema): string[] {
  return ALL_RESOURCES.flatMap((r) => allFamilies(schema, r).filter((d) => d.optIn === true)).map((d) => d.name);
}

/** The family table for one resource and schema as served, in exposition order (KSM families, then extensions). */
export function familiesFor<R extends ResourceName>(
  schema: Schema,
  resource: R,
  opts: CatalogOptions = {},
): readonly FamilyDef<SnapshotFor[R]>[] {
  const optedIn = optInFilter(opts.optIn ?? []);
  const filter = opts.filter;
  return allFamilies(schema, resource, opts).filter(
    (d) => (d.optIn !== true || optedIn(d.name)) && (filter === undefined || filter(d.name)),
  );
}
