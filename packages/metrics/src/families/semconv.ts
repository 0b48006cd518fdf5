// OTel semantic-convention view of the same facts. Every point carries its entity's identity attributes, so
// the Prometheus bridge can label series as Prometheus users expect; the OTLP encoder lifts every attribute not
// in a family's `pointAttributes` (the enum attributes) onto one Resource per entity (pod, container, job,
// cronjob), the shape of the conventions (`docs/system/k8s-metrics.md`) and of the Collector's k8sclusterreceiver.

import type { ContainerSpec, CronJobSnapshot, JobSnapshot, PodSnapshot, ResourceQuantity } from '@kso/model';
import { b2f, type FamilyDef, familyTable, NONE } from '../family.ts';
import type { Point } from '../types.ts';
import { controllerOf } from './common.ts';
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
} from './semconv-attrs.ts';

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
function containerResource(resource: string, side: 'requests' | 'limits') {
  return (s: P): Point[] => {
    const out: Point[] = [];
    for (const c of s.containers as readonly ContainerSpec[]) {
      const v = quantity(c[side], resource);
      if (v !== undefined) out.push({ attributes: containerAttrs(s, c), value: v });
    }
    return out;
  };
}

// The semconv names are written out (so a grep finds them); semconv.test.ts holds them to the
// @opentelemetry/semantic-conventions METRIC_* constants of the pinned release.
export const POD_FAMILIES_SEMCONV: readonly FamilyDef<P>[] = familyTable<P>('pods', [
  {
    name: 'k8s.pod.status.phase',
    type: 'updowncounter',
    stability: 'development',
    help: 'Describes number of K8s Pods that are currently in a given phase.',
    unit: '{pod}',
    labels: [...POD_IDENTITY, ATTR_K8S_POD_STATUS_PHASE],
    doc: 'All five phases every interval, 1 on status.phase; nothing while the phase is empty.',
    pointAttributes: [ATTR_K8S_POD_STATUS_PHASE],
    valueType: 'int',
    generate: (s) =>
      s.phase === ''
        ? NONE
        : enumPoints(podAttrs(s), ATTR_K8S_POD_STATUS_PHASE, SEMCONV_POD_PHASES, (v) => v === s.phase),
  },
  {
    name: 'k8s.pod.status.reason',
    type: 'updowncounter',
    stability: 'development',
    help: 'Describes the number of K8s Pods that are currently in a state for a given reason.',
    unit: '{pod}',
    labels: [...POD_IDENTITY, ATTR_K8S_POD_STATUS_REASON],
    doc:
      'All five semconv reasons every interval, 1 on PodStatus.reason when it is one of them (at most one ' +
      'non-zero value; the ksm schema keeps its multi-source rule).',
    pointAttributes: [ATTR_K8S_POD_STATUS_REASON],
    valueType: 'int',
    generate: (s) => enumPoints(podAttrs(s), ATTR_K8S_POD_STATUS_REASON, SEMCONV_POD_REASONS, (v) => v === s.reason),
  },
  {
    name: 'k8s.container.status.state',
    type: 'updowncounter',
    stability: 'development',
    help: 'Describes the number of K8s containers that are currently in a given state.',
    unit: '{container}',
    labels: [...CONTAINER_IDENTITY, ATTR_K8S_CONTAINER_STATUS_STATE],
    doc: 'Per regular container status: terminated/running/waiting, 1 on the current one.',
    pointAttributes: [ATTR_K8S_CONTAINER_STATUS_STATE],
    valueType: 'int',
    generate: (s) =>
      s.containerStatuses.flatMap((cs) =>
        enumPoints(
          containerAttrs(s, cs),
          ATTR_K8S_CONTAINER_STATUS_STATE,
          SEMCONV_CONTAINER_STATES,
          (v) => v === cs.state.kind,
        ),
      ),
  },
  {
    name: 'k8s.container.status.reason',
    type: 'updowncounter',
    stability: 'development',
    help: 'Describes the number of K8s containers that are currently in a state for a given reason.',
    unit: '{container}',
    labels: [...CONTAINER_IDENTITY, ATTR_K8S_CONTAINER_STATUS_REASON],
    doc: 'Per regular container status: the nine semconv reasons, 1 on the current waiting/terminated reason.',
    pointAttributes: [ATTR_K8S_CONTAINER_STATUS_REASON],
    valueType: 'int',
    generate: (s) =>
      s.containerStatuses.flatMap((cs) =>
        enumPoints(
          containerAttrs(s, cs),
          ATTR_K8S_CONTAINER_STATUS_REASON,
          SEMCONV_CONTAINER_REASONS,
          (v) => cs.state.kind !== 'running' && v === cs.state.reason,
        ),
      ),
  },
  {
    name: 'k8s.container.restart.count',
    type: 'updowncounter',
    stability: 'development',
    help: 'Describes how many times the container has restarted (since the last counter reset).',
    unit: '{restart}',
    labels: CONTAINER_IDENTITY,
    doc: 'restartCount per regular container status.',
    pointAttributes: [],
    valueType: 'int',
    generate: (s) => s.containerStatuses.map((cs) => ({ attributes: containerAttrs(s, cs), value: cs.restartCount })),
  },
  {
    name: 'k8s.container.ready',
    type: 'updowncounter',
    stability: 'development',
    help: 'Indicates whether the container is currently marked as ready to accept traffic, based on its readiness probe (1 = ready, 0 = not ready).',
    unit: '{container}',
    labels: CONTAINER_IDENTITY,
    doc: 'ContainerStatus.ready as 0/1 per regular container status.',
    pointAttributes: [],
    valueType: 'int',
    generate: (s) => s.containerStatuses.map((cs) => ({ attributes: containerAttrs(s, cs), value: b2f(cs.ready) })),
  },
  {
    name: 'k8s.container.cpu.request',
    type: 'updowncounter',
    stability: 'development',
    help: 'CPU resource requested for the container.',
    unit: '{cpu}',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.requests.cpu (cores), when set.',
    pointAttributes: [],
    valueType: 'double',
    generate: containerResource('cpu', 'requests'),
  },
  {
    name: 'k8s.container.cpu.limit',
    type: 'updowncounter',
    stability: 'development',
    help: 'Maximum CPU resource limit set for the container.',
    unit: '{cpu}',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.limits.cpu (cores), when set.',
    pointAttributes: [],
    valueType: 'double',
    generate: containerResource('cpu', 'limits'),
  },
  {
    name: 'k8s.container.memory.request',
    type: 'updowncounter',
    stability: 'development',
    help: 'Memory resource requested for the container.',
    unit: 'By',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.requests.memory (bytes), when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: containerResource('memory', 'requests'),
  },
  {
    name: 'k8s.container.memory.limit',
    type: 'updowncounter',
    stability: 'development',
    help: 'Maximum memory resource limit set for the container.',
    unit: 'By',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.limits.memory (bytes), when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: containerResource('memory', 'limits'),
  },
  {
    name: 'k8s.container.storage.request',
    type: 'updowncounter',
    stability: 'development',
    help: 'Storage resource requested for the container.',
    unit: 'By',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.requests.storage (bytes), when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: containerResource('storage', 'requests'),
  },
  {
    name: 'k8s.container.storage.limit',
    type: 'updowncounter',
    stability: 'development',
    help: 'Maximum storage resource limit set for the container.',
    unit: 'By',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.limits.storage (bytes), when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: containerResource('storage', 'limits'),
  },
  {
    name: 'k8s.container.ephemeral_storage.request',
    type: 'updowncounter',
    stability: 'development',
    help: 'Ephemeral storage resource requested for the container.',
    unit: 'By',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.requests.ephemeral-storage (bytes), when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: containerResource('ephemeral-storage', 'requests'),
  },
  {
    name: 'k8s.container.ephemeral_storage.limit',
    type: 'updowncounter',
    stability: 'development',
    help: 'Maximum ephemeral storage resource limit set for the container.',
    unit: 'By',
    labels: CONTAINER_IDENTITY,
    doc: 'spec.containers[].resources.limits.ephemeral-storage (bytes), when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: containerResource('ephemeral-storage', 'limits'),
  },
]);

/** One point with the job's identity, or none when the field is unset. */
function jobValue(f: (j: J) => number | undefined) {
  return (j: J): Point[] => {
    const v = f(j);
    return v === undefined ? NONE : [{ attributes: jobAttrs(j), value: v }];
  };
}

export const JOB_FAMILIES_SEMCONV: readonly FamilyDef<J>[] = familyTable<J>('jobs', [
  {
    name: 'k8s.job.pod.active',
    type: 'updowncounter',
    stability: 'development',
    help: 'The number of pending and actively running pods for a job.',
    unit: '{pod}',
    labels: JOB_IDENTITY,
    doc: 'status.active, 0 when absent.',
    pointAttributes: [],
    valueType: 'int',
    generate: jobValue((j) => j.active ?? 0),
  },
  {
    name: 'k8s.job.pod.failed',
    type: 'updowncounter',
    stability: 'development',
    help: 'The number of pods which reached phase Failed for a job.',
    unit: '{pod}',
    labels: JOB_IDENTITY,
    doc: 'status.failed, 0 when absent.',
    pointAttributes: [],
    valueType: 'int',
    generate: jobValue((j) => j.failed ?? 0),
  },
  {
    name: 'k8s.job.pod.successful',
    type: 'updowncounter',
    stability: 'development',
    help: 'The number of pods which reached phase Succeeded for a job.',
    unit: '{pod}',
    labels: JOB_IDENTITY,
    doc: 'status.succeeded, 0 when absent.',
    pointAttributes: [],
    valueType: 'int',
    generate: jobValue((j) => j.succeeded ?? 0),
  },
  {
    name: 'k8s.job.pod.desired_successful',
    type: 'updowncounter',
    stability: 'development',
    help: 'The desired number of successfully finished pods the job should be run with.',
    unit: '{pod}',
    labels: JOB_IDENTITY,
    doc: 'spec.completions, when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: jobValue((j) => j.completions),
  },
  {
    name: 'k8s.job.pod.max_parallel',
    type: 'updowncounter',
    stability: 'development',
    help: 'The max desired number of pods the job should run at any given time.',
    unit: '{pod}',
    labels: JOB_IDENTITY,
    doc: 'spec.parallelism, when set.',
    pointAttributes: [],
    valueType: 'int',
    generate: jobValue((j) => j.parallelism),
  },
]);

export const CRONJOB_FAMILIES_SEMCONV: readonly FamilyDef<C>[] = familyTable<C>('cronjobs', [
  {
    name: 'k8s.cronjob.job.active',
    type: 'updowncounter',
    stability: 'development',
    help: 'The number of actively running jobs for a cronjob.',
    unit: '{job}',
    labels: [ATTR_K8S_NAMESPACE_NAME, ATTR_K8S_CRONJOB_NAME, ATTR_K8S_CRONJOB_UID],
    doc: 'Entries in status.active.',
    pointAttributes: [],
    valueType: 'int',
    generate: (c) => [
      {
        attributes: {
          [ATTR_K8S_NAMESPACE_NAME]: c.namespace,
          [ATTR_K8S_CRONJOB_NAME]: c.name,
          [ATTR_K8S_CRONJOB_UID]: c.uid,
        },
        value: c.activeJobs,
      },
    ],
  },
]);
