// OTel semantic-convention view of the same facts. Every point carries its entity's identity attributes, so
// the Prometheus bridge can label series as Prometheus users expect; the OTLP encoder lifts every attribute not
// in a family's `pointAttributes` (the enum attributes) onto one Resource per entity (pod, container, job,
// cronjob), the shape of the conventions (`docs/system/k8s-metrics.md`) and of the Collector's k8sclusterreceiver.

import type { ContainerSpec, CronJobSnapshot, JobSnapshot, PodSnapshot, ResourceQuantity } from '@kso/model';
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
  METRIC_K8S_CONTAINER_CPU_LIMIT,
  METRIC_K8S_CONTAINER_CPU_REQUEST,
  METRIC_K8S_CONTAINER_EPHEMERAL_STORAGE_LIMIT,
  METRIC_K8S_CONTAINER_EPHEMERAL_STORAGE_REQUEST,
  METRIC_K8S_CONTAINER_MEMORY_LIMIT,
  METRIC_K8S_CONTAINER_MEMORY_REQUEST,
  METRIC_K8S_CONTAINER_READY,
  METRIC_K8S_CONTAINER_RESTART_COUNT,
  METRIC_K8S_CONTAINER_STATUS_REASON,
  METRIC_K8S_CONTAINER_STATUS_STATE,
  METRIC_K8S_CONTAINER_STORAGE_LIMIT,
  METRIC_K8S_CONTAINER_STORAGE_REQUEST,
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
import { controllerOf } from './common.ts';

/**
 * The semantic-conventions release whose names this table follows (@opentelemetry/semantic-conventions 1.45.0
 * carries the convention version as its own): the schema URL of the semconv OTLP scope and resources.
 */
export const SEMCONV_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.45.0';

type Attrs = Record<string, string>;

/** k8s.pod entity: identifying uid/name/namespace, descriptive node and owning job (when a Job controls it). */
function podAttrs(s: PodSnapshot): Attrs {
  const a: Attrs = {
    [ATTR_K8S_NAMESPACE_NAME]: s.namespace,
    [ATTR_K8S_POD_NAME]: s.name,
    [ATTR_K8S_POD_UID]: s.uid,
  };
  if (s.nodeName !== '') a[ATTR_K8S_NODE_NAME] = s.nodeName;
  const owner = controllerOf(s.owners);
  if (owner?.kind === 'Job') {
    a[ATTR_K8S_JOB_NAME] = owner.name;
    if (owner.uid !== '') a[ATTR_K8S_JOB_UID] = owner.uid;
  }
  return a;
}
function containerAttrs(s: PodSnapshot, container: { readonly name: string }): Attrs {
  const a = podAttrs(s);
  a[ATTR_K8S_CONTAINER_NAME] = container.name;
  return a;
}

/** Adds the OTLP shape to a family: its enum (point) attributes and the conventions' value type. */
function otlp<S>(
  def: FamilyDef<S>,
  pointAttributes: readonly string[],
  valueType: 'int' | 'double' = 'int',
): FamilyDef<S> {
  return Object.freeze({ ...def, pointAttributes: Object.freeze([...pointAttributes]), valueType });
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

const POD_IDENTITY = [
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_POD_NAME,
  ATTR_K8S_POD_UID,
  `${ATTR_K8S_NODE_NAME}?`,
  `${ATTR_K8S_JOB_NAME}?`,
  `${ATTR_K8S_JOB_UID}?`,
];
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

/** A container's spec quantity by resource name (`cpu`, `memory`, `storage`, `ephemeral-storage`). */
function quantity(list: readonly ResourceQuantity[], name: string): number | undefined {
  for (const q of list) if (q.name === name) return q.value;
  return undefined;
}

/** k8s.container.<resource>.request|limit from the pod spec, one point per regular container that sets it. */
function containerResourceFamily(
  name: string,
  help: string,
  resource: string,
  side: 'requests' | 'limits',
  unit: string,
  valueType: 'int' | 'double',
): FamilyDef<P> {
  return otlp(
    family<P>(
      'pods',
      name,
      'updowncounter',
      'development',
      help,
      CONTAINER_IDENTITY,
      `spec.containers[].resources.${side}.${resource} (${valueType === 'int' ? 'bytes' : 'cores'}), when set.`,
      (s) => {
        const out: Point[] = [];
        for (const c of s.containers as readonly ContainerSpec[]) {
          const v = quantity(c[side], resource);
          if (v !== undefined) out.push({ attributes: containerAttrs(s, c), value: v });
        }
        return out;
      },
      unit,
    ),
    [],
    valueType,
  );
}

export const POD_FAMILIES_SEMCONV: readonly FamilyDef<P>[] = [
  otlp(
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
    [ATTR_K8S_POD_STATUS_PHASE],
  ),
  otlp(
    family<P>(
      'pods',
      METRIC_K8S_POD_STATUS_REASON,
      'updowncounter',
      'development',
      'Describes the number of K8s Pods that are currently in a state for a given reason.',
      [...POD_IDENTITY, ATTR_K8S_POD_STATUS_REASON],
      'All five semconv reasons every interval, 1 on PodStatus.reason when it is one of them (at most one ' +
        'non-zero value; the ksm schema keeps its multi-source rule).',
      (s) => enumPoints(podAttrs(s), ATTR_K8S_POD_STATUS_REASON, SEMCONV_POD_REASONS, (v) => v === s.reason),
      '{pod}',
    ),
    [ATTR_K8S_POD_STATUS_REASON],
  ),
  otlp(
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
    [ATTR_K8S_CONTAINER_STATUS_STATE],
  ),
  otlp(
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
    [ATTR_K8S_CONTAINER_STATUS_REASON],
  ),
  otlp(
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
    [],
  ),
  otlp(
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
    [],
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_CPU_REQUEST,
    'CPU resource requested for the container.',
    'cpu',
    'requests',
    '{cpu}',
    'double',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_CPU_LIMIT,
    'Maximum CPU resource limit set for the container.',
    'cpu',
    'limits',
    '{cpu}',
    'double',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_MEMORY_REQUEST,
    'Memory resource requested for the container.',
    'memory',
    'requests',
    'By',
    'int',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_MEMORY_LIMIT,
    'Maximum memory resource limit set for the container.',
    'memory',
    'limits',
    'By',
    'int',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_STORAGE_REQUEST,
    'Storage resource requested for the container.',
    'storage',
    'requests',
    'By',
    'int',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_STORAGE_LIMIT,
    'Maximum storage resource limit set for the container.',
    'storage',
    'limits',
    'By',
    'int',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_EPHEMERAL_STORAGE_REQUEST,
    'Ephemeral storage resource requested for the container.',
    'ephemeral-storage',
    'requests',
    'By',
    'int',
  ),
  containerResourceFamily(
    METRIC_K8S_CONTAINER_EPHEMERAL_STORAGE_LIMIT,
    'Maximum ephemeral storage resource limit set for the container.',
    'ephemeral-storage',
    'limits',
    'By',
    'int',
  ),
];

function jobFamily(name: string, help: string, doc: string, f: (j: J) => number | undefined): FamilyDef<J> {
  const def = family<J>(
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
  return otlp(def, []);
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
  otlp(
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
    [],
  ),
];
