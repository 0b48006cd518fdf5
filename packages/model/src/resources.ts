import {
  type CronJobSnapshot,
  compactCronJob,
  compactJob,
  compactPod,
  compactStatefulSet,
  type JobSnapshot,
  type PodSnapshot,
  type StatefulSetSnapshot,
} from './snapshots.ts';

export type ResourceKind = 'pods' | 'jobs' | 'cronjobs' | 'statefulsets';

export interface SnapshotOf {
  pods: PodSnapshot;
  jobs: JobSnapshot;
  cronjobs: CronJobSnapshot;
  statefulsets: StatefulSetSnapshot;
}

export interface ResourceInfo<K extends ResourceKind = ResourceKind> {
  /** API group ('' for core). */
  readonly group: string;
  readonly version: string;
  readonly plural: K;
  readonly kind: string;
  /** Throws MalformedObjectError on objects that cannot be valid. */
  readonly compact: (raw: unknown) => SnapshotOf[K];
}

export const RESOURCES: { readonly [K in ResourceKind]: ResourceInfo<K> } = Object.freeze({
  pods: Object.freeze({ group: '', version: 'v1', plural: 'pods', kind: 'Pod', compact: compactPod }),
  jobs: Object.freeze({ group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', compact: compactJob }),
  cronjobs: Object.freeze({
    group: 'batch',
    version: 'v1',
    plural: 'cronjobs',
    kind: 'CronJob',
    compact: compactCronJob,
  }),
  statefulsets: Object.freeze({
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    kind: 'StatefulSet',
    compact: compactStatefulSet,
  }),
});
