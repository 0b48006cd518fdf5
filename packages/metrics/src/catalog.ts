import type { CronJobSnapshot, JobSnapshot, PodSnapshot } from '@kso/model';
import { CRONJOB_FAMILIES_KSM } from './families/cronjobs.ts';
import { JOB_FAMILIES_EXT, JOB_FAMILIES_KSM } from './families/jobs.ts';
import { POD_FAMILIES_EXT, POD_FAMILIES_KSM } from './families/pods.ts';
import { CRONJOB_FAMILIES_SEMCONV, JOB_FAMILIES_SEMCONV, POD_FAMILIES_SEMCONV } from './families/semconv.ts';
import type { FamilyDef } from './family.ts';
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

export interface CatalogOptions {
  /** Include kube-state-otel EXTENSION families in the ksm schema (default true). */
  readonly extensions?: boolean;
  /** Keep only the families for which this returns true (--metric-allowlist / --metric-denylist). */
  readonly filter?: (name: string) => boolean;
}

/** The family table for one resource and schema, in exposition order (KSM families first, then extensions). */
export function familiesFor<R extends ResourceName>(
  schema: Schema,
  resource: R,
  opts: CatalogOptions = {},
): readonly FamilyDef<SnapshotFor[R]>[] {
  const all = (): readonly FamilyDef<SnapshotFor[R]>[] => {
    if (schema === 'semconv') return SEMCONV[resource] as readonly FamilyDef<SnapshotFor[R]>[];
    const ksm = KSM[resource] as readonly FamilyDef<SnapshotFor[R]>[];
    if (opts.extensions === false) return ksm;
    return [...ksm, ...(EXT[resource] as readonly FamilyDef<SnapshotFor[R]>[])];
  };
  const filter = opts.filter;
  return filter ? all().filter((d) => filter(d.name)) : all();
}
