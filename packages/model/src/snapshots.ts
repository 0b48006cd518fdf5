// Compact snapshots: only what the metric families read. Immutable (frozen) so the store can share them and
// generators can be pure.

import {
  arr,
  EMPTY_RECORD,
  intern,
  MalformedObjectError,
  type Obj,
  obj,
  optBool,
  optNum,
  type ResourceQuantity,
  resourceList,
  str,
  stringMap,
  time,
} from './parse.ts';

export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  /** undefined when the reference has no `controller` field. */
  readonly controller: boolean | undefined;
}

export interface Condition {
  readonly type: string;
  /** Raw status string: "True" | "False" | "Unknown" (or anything the object says). */
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: number | undefined;
}

export interface ObjectMeta {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly creationTimestamp: number | undefined;
  readonly deletionTimestamp: number | undefined;
  readonly owners: readonly OwnerRef[];
}

function meta(raw: unknown, kind: string): ObjectMeta {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MalformedObjectError(kind, 'must be an object');
  }
  const m = obj((raw as Obj).metadata, 'metadata');
  const uid = str(m.uid, 'metadata.uid');
  const name = str(m.name, 'metadata.name');
  if (uid === '') throw new MalformedObjectError('metadata.uid', 'is missing');
  if (name === '') throw new MalformedObjectError('metadata.name', 'is missing');
  const owners = arr(m.ownerReferences, 'metadata.ownerReferences').map((o, i) => {
    const p = `metadata.ownerReferences[${i}]`;
    const r = obj(o, p);
    return Object.freeze({
      kind: intern(str(r.kind, `${p}.kind`)),
      name: str(r.name, `${p}.name`),
      uid: str(r.uid, `${p}.uid`),
      controller: optBool(r.controller, `${p}.controller`),
    });
  });
  return {
    uid,
    name,
    namespace: intern(str(m.namespace, 'metadata.namespace')),
    resourceVersion: str(m.resourceVersion, 'metadata.resourceVersion'),
    labels: stringMap(m.labels, 'metadata.labels'),
    annotations: stringMap(m.annotations, 'metadata.annotations'),
    creationTimestamp: time(m.creationTimestamp, 'metadata.creationTimestamp'),
    deletionTimestamp: time(m.deletionTimestamp, 'metadata.deletionTimestamp'),
    owners: Object.freeze(owners),
  };
}

function conditions(v: unknown, path: string): readonly Condition[] {
  return Object.freeze(
    arr(v, path).map((c, i) => {
      const p = `${path}[${i}]`;
      const o = obj(c, p);
      return Object.freeze({
        type: intern(str(o.type, `${p}.type`)),
        status: intern(str(o.status, `${p}.status`)),
        reason: intern(str(o.reason, `${p}.reason`)),
        message: str(o.message, `${p}.message`),
        lastTransitionTime: time(o.lastTransitionTime, `${p}.lastTransitionTime`),
      });
    }),
  );
}

// ---------------------------------------------------------------------------------------------- Pods

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly requests: readonly ResourceQuantity[];
  readonly limits: readonly ResourceQuantity[];
  readonly hasReadinessProbe: boolean;
  readonly hasLivenessProbe: boolean;
  readonly privileged: boolean;
  /** Init containers only: "Always" marks a sidecar; '' otherwise. */
  readonly restartPolicy: string;
}

export interface TerminatedState {
  readonly reason: string;
  readonly exitCode: number;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
}

export interface ContainerState {
  /** Which state key is present; '' when the status has no state at all. */
  readonly kind: 'waiting' | 'running' | 'terminated' | '';
  /** waiting.reason or terminated.reason. */
  readonly reason: string;
  /** running.startedAt or terminated.startedAt. */
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly exitCode: number | undefined;
}

export interface ContainerStatus {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly containerID: string;
  readonly ready: boolean;
  readonly restartCount: number;
  readonly state: ContainerState;
  readonly lastTerminated: TerminatedState | undefined;
}

export interface Toleration {
  readonly key: string;
  readonly operator: string;
  readonly value: string;
  readonly effect: string;
  readonly tolerationSeconds: number | undefined;
}

/** A PVC-backed volume: `persistentVolumeClaim`, or a generic `ephemeral` volume (claim `<pod>-<volume>`). */
export interface PvcVolume {
  readonly volume: string;
  readonly claimName: string;
  readonly readOnly: boolean;
  readonly ephemeral: boolean;
}

/**
 * A `spec.resourceClaims` entry (DRA) with its claim resolved: `resourceClaimName`, or for a template-backed claim
 * the name the kubelet recorded in `status.resourceClaimStatuses` ('' while pending). Entries naming neither a
 * claim nor a template reference nothing and are dropped.
 */
export interface PodResourceClaim {
  readonly name: string;
  readonly resourceClaimName: string;
  readonly templateName: string;
}

export interface PodSnapshot extends ObjectMeta {
  readonly nodeName: string;
  readonly hostNetwork: boolean;
  readonly priorityClassName: string;
  readonly restartPolicy: string;
  readonly schedulerName: string;
  readonly serviceAccountName: string;
  readonly runtimeClassName: string | undefined;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  readonly overhead: readonly ResourceQuantity[];
  readonly pvcVolumes: readonly PvcVolume[];
  readonly resourceClaims: readonly PodResourceClaim[];
  readonly containers: readonly ContainerSpec[];
  readonly initContainers: readonly ContainerSpec[];
  readonly phase: string;
  readonly reason: string;
  readonly message: string;
  readonly hostIP: string;
  readonly podIP: string;
  readonly podIPs: readonly string[];
  readonly startTime: number | undefined;
  readonly qosClass: string;
  readonly conditions: readonly Condition[];
  readonly containerStatuses: readonly ContainerStatus[];
  readonly initContainerStatuses: readonly ContainerStatus[];
}

const NO_STATE: ContainerState = Object.freeze({
  kind: '',
  reason: '',
  startedAt: undefined,
  finishedAt: undefined,
  exitCode: undefined,
});

function containerSpecs(v: unknown, path: string): readonly ContainerSpec[] {
  return Object.freeze(
    arr(v, path).map((c, i) => {
      const p = `${path}[${i}]`;
      const o = obj(c, p);
      const res = obj(o.resources, `${p}.resources`);
      const sc = obj(o.securityContext, `${p}.securityContext`);
      return Object.freeze({
        name: intern(str(o.name, `${p}.name`)),
        image: intern(str(o.image, `${p}.image`)),
        requests: resourceList(res.requests, `${p}.resources.requests`),
        limits: resourceList(res.limits, `${p}.resources.limits`),
        hasReadinessProbe: o.readinessProbe !== undefined && o.readinessProbe !== null,
        hasLivenessProbe: o.livenessProbe !== undefined && o.livenessProbe !== null,
        privileged: optBool(sc.privileged, `${p}.securityContext.privileged`) === true,
        restartPolicy: intern(str(o.restartPolicy, `${p}.restartPolicy`)),
      });
    }),
  );
}

function containerState(v: unknown, path: string): ContainerState {
  const s = obj(v, path);
  if (s.running !== undefined && s.running !== null) {
    const r = obj(s.running, `${path}.running`);
    return Object.freeze({
      kind: 'running',
      reason: '',
      startedAt: time(r.startedAt, `${path}.running.startedAt`),
      finishedAt: undefined,
      exitCode: undefined,
    });
  }
  if (s.terminated !== undefined && s.terminated !== null) {
    const t = obj(s.terminated, `${path}.terminated`);
    return Object.freeze({
      kind: 'terminated',
      reason: intern(str(t.reason, `${path}.terminated.reason`)),
      startedAt: time(t.startedAt, `${path}.terminated.startedAt`),
      finishedAt: time(t.finishedAt, `${path}.terminated.finishedAt`),
      exitCode: optNum(t.exitCode, `${path}.terminated.exitCode`) ?? 0,
    });
  }
  if (s.waiting !== undefined && s.waiting !== null) {
    const w = obj(s.waiting, `${path}.waiting`);
    return Object.freeze({
      kind: 'waiting',
      reason: intern(str(w.reason, `${path}.waiting.reason`)),
      startedAt: undefined,
      finishedAt: undefined,
      exitCode: undefined,
    });
  }
  return NO_STATE;
}

function containerStatuses(v: unknown, path: string): readonly ContainerStatus[] {
  return Object.freeze(
    arr(v, path).map((c, i) => {
      const p = `${path}[${i}]`;
      const o = obj(c, p);
      const last = obj(o.lastState, `${p}.lastState`);
      let lastTerminated: TerminatedState | undefined;
      if (last.terminated !== undefined && last.terminated !== null) {
        const t = obj(last.terminated, `${p}.lastState.terminated`);
        lastTerminated = Object.freeze({
          reason: intern(str(t.reason, `${p}.lastState.terminated.reason`)),
          exitCode: optNum(t.exitCode, `${p}.lastState.terminated.exitCode`) ?? 0,
          startedAt: time(t.startedAt, `${p}.lastState.terminated.startedAt`),
          finishedAt: time(t.finishedAt, `${p}.lastState.terminated.finishedAt`),
        });
      }
      return Object.freeze({
        name: intern(str(o.name, `${p}.name`)),
        image: intern(str(o.image, `${p}.image`)),
        imageID: intern(str(o.imageID, `${p}.imageID`)),
        containerID: str(o.containerID, `${p}.containerID`),
        ready: optBool(o.ready, `${p}.ready`) === true,
        restartCount: optNum(o.restartCount, `${p}.restartCount`) ?? 0,
        state: containerState(o.state, `${p}.state`),
        lastTerminated,
      });
    }),
  );
}

const NO_CLAIMS: readonly PodResourceClaim[] = Object.freeze([]);

function optStr(v: unknown, path: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path);
}

function podResourceClaims(specClaims: unknown, statuses: unknown): readonly PodResourceClaim[] {
  const claims = arr(specClaims, 'spec.resourceClaims');
  if (claims.length === 0) return NO_CLAIMS;
  const resolved = new Map<string, string>();
  arr(statuses, 'status.resourceClaimStatuses').forEach((e, i) => {
    const p = `status.resourceClaimStatuses[${i}]`;
    const o = obj(e, p);
    const n = optStr(o.resourceClaimName, `${p}.resourceClaimName`);
    if (n !== undefined) resolved.set(str(o.name, `${p}.name`), n);
  });
  const out: PodResourceClaim[] = [];
  claims.forEach((e, i) => {
    const p = `spec.resourceClaims[${i}]`;
    const o = obj(e, p);
    const name = str(o.name, `${p}.name`);
    const claim = optStr(o.resourceClaimName, `${p}.resourceClaimName`);
    const template = optStr(o.resourceClaimTemplateName, `${p}.resourceClaimTemplateName`);
    if (claim === undefined && template === undefined) return;
    out.push(
      Object.freeze({ name, resourceClaimName: claim ?? resolved.get(name) ?? '', templateName: template ?? '' }),
    );
  });
  return Object.freeze(out);
}

// long: a field-by-field projection of the Pod (every field a family reads), in PodSnapshot order
export function compactPod(raw: unknown): PodSnapshot {
  const m = meta(raw, 'pod');
  const r = raw as Obj;
  const spec = obj(r.spec, 'spec');
  const status = obj(r.status, 'status');
  const tolerations = arr(spec.tolerations, 'spec.tolerations').map((t, i) => {
    const p = `spec.tolerations[${i}]`;
    const o = obj(t, p);
    return Object.freeze({
      key: intern(str(o.key, `${p}.key`)),
      operator: intern(str(o.operator, `${p}.operator`)),
      value: intern(str(o.value, `${p}.value`)),
      effect: intern(str(o.effect, `${p}.effect`)),
      tolerationSeconds: optNum(o.tolerationSeconds, `${p}.tolerationSeconds`),
    });
  });
  const pvcVolumes: PvcVolume[] = [];
  arr(spec.volumes, 'spec.volumes').forEach((v, i) => {
    const p = `spec.volumes[${i}]`;
    const o = obj(v, p);
    // KSM checks persistentVolumeClaim before ephemeral.
    if (o.persistentVolumeClaim !== undefined && o.persistentVolumeClaim !== null) {
      const c = obj(o.persistentVolumeClaim, `${p}.persistentVolumeClaim`);
      pvcVolumes.push(
        Object.freeze({
          volume: str(o.name, `${p}.name`),
          claimName: str(c.claimName, `${p}.persistentVolumeClaim.claimName`),
          readOnly: optBool(c.readOnly, `${p}.persistentVolumeClaim.readOnly`) === true,
          ephemeral: false,
        }),
      );
    } else if (o.ephemeral !== undefined && o.ephemeral !== null) {
      // Generic ephemeral volumes get a PVC named <pod>-<volume> (KSM reports them in the PVC families).
      const volume = str(o.name, `${p}.name`);
      pvcVolumes.push(Object.freeze({ volume, claimName: `${m.name}-${volume}`, readOnly: false, ephemeral: true }));
    }
  });
  const resourceClaims = podResourceClaims(spec.resourceClaims, status.resourceClaimStatuses);
  const podIPs = arr(status.podIPs, 'status.podIPs').map((e, i) =>
    str(obj(e, `status.podIPs[${i}]`).ip, `status.podIPs[${i}].ip`),
  );
  const runtimeClass = spec.runtimeClassName;
  return Object.freeze({
    ...m,
    nodeName: intern(str(spec.nodeName, 'spec.nodeName')),
    hostNetwork: optBool(spec.hostNetwork, 'spec.hostNetwork') === true,
    priorityClassName: intern(str(spec.priorityClassName, 'spec.priorityClassName')),
    restartPolicy: intern(str(spec.restartPolicy, 'spec.restartPolicy')),
    schedulerName: intern(str(spec.schedulerName, 'spec.schedulerName')),
    serviceAccountName: intern(str(spec.serviceAccountName, 'spec.serviceAccountName')),
    runtimeClassName:
      runtimeClass === undefined || runtimeClass === null
        ? undefined
        : intern(str(runtimeClass, 'spec.runtimeClassName')),
    nodeSelector: spec.nodeSelector ? stringMap(spec.nodeSelector, 'spec.nodeSelector') : EMPTY_RECORD,
    tolerations: Object.freeze(tolerations),
    overhead: resourceList(spec.overhead, 'spec.overhead'),
    pvcVolumes: Object.freeze(pvcVolumes),
    resourceClaims,
    containers: containerSpecs(spec.containers, 'spec.containers'),
    initContainers: containerSpecs(spec.initContainers, 'spec.initContainers'),
    phase: intern(str(status.phase, 'status.phase')),
    reason: intern(str(status.reason, 'status.reason')),
    message: str(status.message, 'status.message'),
    hostIP: intern(str(status.hostIP, 'status.hostIP')),
    podIP: str(status.podIP, 'status.podIP'),
    podIPs: Object.freeze(podIPs),
    startTime: time(status.startTime, 'status.startTime'),
    qosClass: intern(str(status.qosClass, 'status.qosClass')),
    conditions: conditions(status.conditions, 'status.conditions'),
    containerStatuses: containerStatuses(status.containerStatuses, 'status.containerStatuses'),
    initContainerStatuses: containerStatuses(status.initContainerStatuses, 'status.initContainerStatuses'),
  });
}

// ---------------------------------------------------------------------------------------------- Jobs

export interface JobSnapshot extends ObjectMeta {
  readonly parallelism: number | undefined;
  readonly completions: number | undefined;
  readonly activeDeadlineSeconds: number | undefined;
  readonly backoffLimit: number | undefined;
  readonly suspend: boolean | undefined;
  /** status counters: undefined when absent from the object. */
  readonly active: number | undefined;
  readonly succeeded: number | undefined;
  readonly failed: number | undefined;
  readonly ready: number | undefined;
  readonly terminating: number | undefined;
  readonly startTime: number | undefined;
  readonly completionTime: number | undefined;
  readonly conditions: readonly Condition[];
}

export function compactJob(raw: unknown): JobSnapshot {
  const m = meta(raw, 'job');
  const r = raw as Obj;
  const spec = obj(r.spec, 'spec');
  const status = obj(r.status, 'status');
  return Object.freeze({
    ...m,
    parallelism: optNum(spec.parallelism, 'spec.parallelism'),
    completions: optNum(spec.completions, 'spec.completions'),
    activeDeadlineSeconds: optNum(spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds'),
    backoffLimit: optNum(spec.backoffLimit, 'spec.backoffLimit'),
    suspend: optBool(spec.suspend, 'spec.suspend'),
    active: optNum(status.active, 'status.active'),
    succeeded: optNum(status.succeeded, 'status.succeeded'),
    failed: optNum(status.failed, 'status.failed'),
    ready: optNum(status.ready, 'status.ready'),
    terminating: optNum(status.terminating, 'status.terminating'),
    startTime: time(status.startTime, 'status.startTime'),
    completionTime: time(status.completionTime, 'status.completionTime'),
    conditions: conditions(status.conditions, 'status.conditions'),
  });
}

// ---------------------------------------------------------------------------------------------- CronJobs

export interface CronJobSnapshot extends ObjectMeta {
  readonly schedule: string;
  readonly timeZone: string | undefined;
  readonly concurrencyPolicy: string;
  readonly suspend: boolean | undefined;
  readonly startingDeadlineSeconds: number | undefined;
  readonly successfulJobsHistoryLimit: number | undefined;
  readonly failedJobsHistoryLimit: number | undefined;
  /** len(status.active) */
  readonly activeJobs: number;
  readonly lastScheduleTime: number | undefined;
  readonly lastSuccessfulTime: number | undefined;
}

export function compactCronJob(raw: unknown): CronJobSnapshot {
  const m = meta(raw, 'cronjob');
  const r = raw as Obj;
  const spec = obj(r.spec, 'spec');
  const status = obj(r.status, 'status');
  const tz = spec.timeZone;
  return Object.freeze({
    ...m,
    schedule: intern(str(spec.schedule, 'spec.schedule')),
    timeZone: tz === undefined || tz === null ? undefined : intern(str(tz, 'spec.timeZone')),
    concurrencyPolicy: intern(str(spec.concurrencyPolicy, 'spec.concurrencyPolicy')),
    suspend: optBool(spec.suspend, 'spec.suspend'),
    startingDeadlineSeconds: optNum(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'),
    successfulJobsHistoryLimit: optNum(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'),
    failedJobsHistoryLimit: optNum(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'),
    activeJobs: arr(status.active, 'status.active').length,
    lastScheduleTime: time(status.lastScheduleTime, 'status.lastScheduleTime'),
    lastSuccessfulTime: time(status.lastSuccessfulTime, 'status.lastSuccessfulTime'),
  });
}

// ---------------------------------------------------------------------------------------------- StatefulSets

export interface StatefulSetSnapshot extends ObjectMeta {
  /** spec.replicas; undefined when absent (the API defaults it to 1). */
  readonly replicas: number | undefined;
  readonly statusReplicas: number;
  readonly readyReplicas: number;
  readonly currentReplicas: number;
  readonly updatedReplicas: number;
  readonly observedGeneration: number | undefined;
  readonly generation: number | undefined;
}

export function compactStatefulSet(raw: unknown): StatefulSetSnapshot {
  const m = meta(raw, 'statefulset');
  const r = raw as Obj;
  const spec = obj(r.spec, 'spec');
  const status = obj(r.status, 'status');
  return Object.freeze({
    ...m,
    replicas: optNum(spec.replicas, 'spec.replicas'),
    statusReplicas: optNum(status.replicas, 'status.replicas') ?? 0,
    readyReplicas: optNum(status.readyReplicas, 'status.readyReplicas') ?? 0,
    currentReplicas: optNum(status.currentReplicas, 'status.currentReplicas') ?? 0,
    updatedReplicas: optNum(status.updatedReplicas, 'status.updatedReplicas') ?? 0,
    observedGeneration: optNum(status.observedGeneration, 'status.observedGeneration'),
    generation: optNum(obj(r.metadata, 'metadata').generation, 'metadata.generation'),
  });
}
