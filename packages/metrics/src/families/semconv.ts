// OTel semantic-convention view of the same facts. Identity goes on every point as attributes because
// MetricProducer resources are ignored by the SDK readers (otel-side.md §0).

import type { ContainerStatus, CronJobSnapshot, JobSnapshot, PodSnapshot } from '@kso/model';
import {
  ATTR_K8S_CONTAINER_NAME,
  ATTR_K8S_CONTAINER_STATUS_REASON,
  ATTR_K8S_CONTAINER_STATUS_STATE,
  ATTR_K8S_CRONJOB_NAME,
  ATTR_K8S_CRONJOB_UID,
  ATTR_K8S_JOB_NAME,
  ATTR_K8S_JOB_UID,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_NODE_NAME,
  ATTR_K8S_POD_NAME,
  ATTR_K8S_POD_STATUS_PHASE,
  ATTR_K8S_POD_STATUS_REASON,
  ATTR_K8S_POD_UID,
  METRIC_K8S_CONTAINER_READY,
  METRIC_K8S_CONTAINER_RESTART_COUNT,
  METRIC_K8S_CONTAINER_STATUS_REASON,
  METRIC_K8S_CONTAINER_STATUS_STATE,
  METRIC_K8S_CRONJOB_JOB_ACTIVE,
  METRIC_K8S_JOB_POD_ACTIVE,
  METRIC_K8S_JOB_POD_DESIRED_SUCCESSFUL,
  METRIC_K8S_JOB_POD_FAILED,
  METRIC_K8S_JOB_POD_MAX_PARALLEL,
  METRIC_K8S_JOB_POD_SUCCESSFUL,
  METRIC_K8S_POD_STATUS_PHASE,
  METRIC_K8S_POD_STATUS_REASON,
} from '@opentelemetry/semantic-conventions/incubating';
import { b2f, type FamilyDef, family, NONE } from '../family.ts';
import type { Point } from '../types.ts';
import { podHasReason } from './pods.ts';

type Attrs = Record<string, string>;

function podAttrs(s: PodSnapshot): Attrs {
  const a: Attrs = {
    [ATTR_K8S_NAMESPACE_NAME]: s.namespace,
    [ATTR_K8S_POD_NAME]: s.name,
    [ATTR_K8S_POD_UID]: s.uid,
  };
  if (s.nodeName !== '') a[ATTR_K8S_NODE_NAME] = s.nodeName;
  return a;
}
function containerAttrs(s: PodSnapshot, cs: ContainerStatus): Attrs {
  const a = podAttrs(s);
  a[ATTR_K8S_CONTAINER_NAME] = cs.name;
  return a;
}
function jobAttrs(j: JobSnapshot): Attrs {
  const a: Attrs = { [ATTR_K8S_NAMESPACE_NAME]: j.namespace, [ATTR_K8S_JOB_NAME]: j.name, [ATTR_K8S_JOB_UID]: j.uid };
  for (const o of j.owners) {
    if (o.kind === 'CronJob' && o.controller === true) {
      a[ATTR_K8S_CRONJOB_NAME] = o.name;
      if (o.uid !== '') a[ATTR_K8S_CRONJOB_UID] = o.uid;
    }
  }
  return a;
}

export const SEMCONV_POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export const SEMCONV_POD_REASONS = [
  'Evicted',
  'NodeAffinity',
  'NodeLost',
  'Shutdown',
  'UnexpectedAdmissionError',
] as const;
export const SEMCONV_CONTAINER_STATES = ['terminated', 'running', 'waiting'] as const;
export const SEMCONV_CONTAINER_REASONS = [
  'ContainerCreating',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'ErrImagePull',
  'ImagePullBackOff',
  'OOMKilled',
  'Completed',
  'Error',
  'ContainerCannotRun',
] as const;

/** Every enum value per interval, current = 1 (semconv "report all values" rule). */
function enumPoints(base: Attrs, key: string, values: readonly string[], isCurrent: (v: string) => boolean): Point[] {
  return values.map((v) => ({ attributes: { ...base, [key]: v }, value: b2f(isCurrent(v)) }));
}

const POD_IDENTITY = [ATTR_K8S_NAMESPACE_NAME, ATTR_K8S_POD_NAME, ATTR_K8S_POD_UID, `${ATTR_K8S_NODE_NAME}?`];
const CONTAINER_IDENTITY = [...POD_IDENTITY, ATTR_K8S_CONTAINER_NAME];
const JOB_IDENTITY = [
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_JOB_NAME,
  ATTR_K8S_JOB_UID,
  `${ATTR_K8S_CRONJOB_NAME}?`,
  `${ATTR_K8S_CRONJOB_UID}?`,
];

type P = PodSnapshot;
type J = JobSnapshot;
type C = CronJobSnapshot;

export const POD_FAMILIES_SEMCONV: readonly FamilyDef<P>[] = [
  family<P>(
    'pods',
    METRIC_K8S_POD_STATUS_PHASE,
    'updowncounter',
    'development',
    'Describes number of K8s Pods that are currently in a given phase.',
    [...POD_IDENTITY, ATTR_K8S_POD_STATUS_PHASE],
    'All five phases every interval, 1 on status.phase; nothing while the phase is empty.',
    (s) =>
      s.phase === ''
        ? NONE
        : enumPoints(podAttrs(s), ATTR_K8S_POD_STATUS_PHASE, SEMCONV_POD_PHASES, (v) => v === s.phase),
    '{pod}',
  ),
  family<P>(
    'pods',
    METRIC_K8S_POD_STATUS_REASON,
    'updowncounter',
    'development',
    'Describes the number of K8s Pods that are currently in a state for a given reason.',
    [...POD_IDENTITY, ATTR_K8S_POD_STATUS_REASON],
    'All five semconv reasons every interval, 1 where the pod has the reason by the KSM rules (status.reason, any ' +
      'condition reason, a container terminated reason).',
    (s) => enumPoints(podAttrs(s), ATTR_K8S_POD_STATUS_REASON, SEMCONV_POD_REASONS, (v) => podHasReason(s, v)),
    '{pod}',
  ),
  family<P>(
    'pods',
    METRIC_K8S_CONTAINER_STATUS_STATE,
    'updowncounter',
    'development',
    'Describes the number of K8s containers that are currently in a given state.',
    [...CONTAINER_IDENTITY, ATTR_K8S_CONTAINER_STATUS_STATE],
    'Per regular container status: terminated/running/waiting, 1 on the current one.',
    (s) =>
      s.containerStatuses.flatMap((cs) =>
        enumPoints(
          containerAttrs(s, cs),
          ATTR_K8S_CONTAINER_STATUS_STATE,
          SEMCONV_CONTAINER_STATES,
          (v) => v === cs.state.kind,
        ),
      ),
    '{container}',
  ),
  family<P>(
    'pods',
    METRIC_K8S_CONTAINER_STATUS_REASON,
    'updowncounter',
    'development',
    'Describes the number of K8s containers that are currently in a state for a given reason.',
    [...CONTAINER_IDENTITY, ATTR_K8S_CONTAINER_STATUS_REASON],
    'Per regular container status: the nine semconv reasons, 1 on the current waiting/terminated reason.',
    (s) =>
      s.containerStatuses.flatMap((cs) =>
        enumPoints(
          containerAttrs(s, cs),
          ATTR_K8S_CONTAINER_STATUS_REASON,
          SEMCONV_CONTAINER_REASONS,
          (v) => cs.state.kind !== 'running' && v === cs.state.reason,
        ),
      ),
    '{container}',
  ),
  family<P>(
    'pods',
    METRIC_K8S_CONTAINER_RESTART_COUNT,
    'updowncounter',
    'development',
    'Describes how many times the container has restarted (since the last counter reset).',
    CONTAINER_IDENTITY,
    'restartCount per regular container status.',
    (s) => s.containerStatuses.map((cs) => ({ attributes: containerAttrs(s, cs), value: cs.restartCount })),
    '{restart}',
  ),
  family<P>(
    'pods',
    METRIC_K8S_CONTAINER_READY,
    'updowncounter',
    'development',
    'Indicates whether the container is currently marked as ready to accept traffic, based on its readiness probe (1 = ready, 0 = not ready).',
    CONTAINER_IDENTITY,
    'ContainerStatus.ready as 0/1 per regular container status.',
    (s) => s.containerStatuses.map((cs) => ({ attributes: containerAttrs(s, cs), value: b2f(cs.ready) })),
    '{container}',
  ),
];

function jobFamily(name: string, help: string, doc: string, f: (j: J) => number | undefined): FamilyDef<J> {
  return family<J>(
    'jobs',
    name,
    'updowncounter',
    'development',
    help,
    JOB_IDENTITY,
    doc,
    (j) => {
      const v = f(j);
      return v === undefined ? NONE : [{ attributes: jobAttrs(j), value: v }];
    },
    '{pod}',
  );
}

export const JOB_FAMILIES_SEMCONV: readonly FamilyDef<J>[] = [
  jobFamily(
    METRIC_K8S_JOB_POD_ACTIVE,
    'The number of pending and actively running pods for a job.',
    'status.active, 0 when absent.',
    (j) => j.active ?? 0,
  ),
  jobFamily(
    METRIC_K8S_JOB_POD_FAILED,
    'The number of pods which reached phase Failed for a job.',
    'status.failed, 0 when absent.',
    (j) => j.failed ?? 0,
  ),
  jobFamily(
    METRIC_K8S_JOB_POD_SUCCESSFUL,
    'The number of pods which reached phase Succeeded for a job.',
    'status.succeeded, 0 when absent.',
    (j) => j.succeeded ?? 0,
  ),
  jobFamily(
    METRIC_K8S_JOB_POD_DESIRED_SUCCESSFUL,
    'The desired number of successfully finished pods the job should be run with.',
    'spec.completions, when set.',
    (j) => j.completions,
  ),
  jobFamily(
    METRIC_K8S_JOB_POD_MAX_PARALLEL,
    'The max desired number of pods the job should run at any given time.',
    'spec.parallelism, when set.',
    (j) => j.parallelism,
  ),
];

export const CRONJOB_FAMILIES_SEMCONV: readonly FamilyDef<C>[] = [
  family<C>(
    'cronjobs',
    METRIC_K8S_CRONJOB_JOB_ACTIVE,
    'updowncounter',
    'development',
    'The number of actively running jobs for a cronjob.',
    [ATTR_K8S_NAMESPACE_NAME, ATTR_K8S_CRONJOB_NAME, ATTR_K8S_CRONJOB_UID],
    'Entries in status.active.',
    (c) => [
      {
        attributes: {
          [ATTR_K8S_NAMESPACE_NAME]: c.namespace,
          [ATTR_K8S_CRONJOB_NAME]: c.name,
          [ATTR_K8S_CRONJOB_UID]: c.uid,
        },
        value: c.activeJobs,
      },
    ],
    '{job}',
  ),
];
