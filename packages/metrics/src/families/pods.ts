import { isIP } from 'node:net';
import type { PodSnapshot } from '@kso/model';
import { b2f, type FamilyDef, familyTable, NONE } from '../family.ts';
import { toPrometheusLabels } from '../labels.ts';
import type { Point } from '../types.ts';
import { CONDITION_VALUES, conditionFlags, controllerOf, ownerTriples } from './common.ts';
import { CONTAINER_FAMILIES, INIT_CONTAINER_FAMILIES } from './containers.ts';

type P = PodSnapshot;

const PVC_LABELS = ['volume', 'persistentvolumeclaim', 'ephemeral'] as const;
const RESOURCECLAIM_LABELS = ['claim_name', 'resourceclaim_name', 'resourceclaim_template_name'] as const;
type Attrs = Record<string, string>;

function base(s: P): Attrs {
  return { namespace: s.namespace, pod: s.name, uid: s.uid };
}
function p(s: P, value: number): Point {
  return { attributes: { namespace: s.namespace, pod: s.name, uid: s.uid }, value };
}
function p1(s: P, k: string, v: string, value: number): Point {
  return { attributes: { namespace: s.namespace, pod: s.name, uid: s.uid, [k]: v }, value };
}
function px(s: P, keys: readonly string[], values: readonly string[], value: number): Point {
  const a = base(s);
  for (let i = 0; i < keys.length; i++) a[keys[i]!] = values[i]!;
  return { attributes: a, value };
}
function maybe(s: P, v: number | undefined): Point[] {
  return v === undefined ? NONE : [p(s, v)];
}

/** lastTransitionTime of the first condition of `type` with status True (KSM *_time families). */
function conditionTimeIf(s: P, type: string, status: string): Point[] {
  const out: Point[] = [];
  for (const c of s.conditions) {
    if (c.type === type && c.status === status && c.lastTransitionTime !== undefined) {
      out.push(p(s, c.lastTransitionTime));
    }
  }
  return out;
}
function conditionTriples(s: P, type: string): Point[] {
  const out: Point[] = [];
  for (const c of s.conditions) {
    if (c.type !== type) continue;
    const f = conditionFlags(c.status);
    for (let i = 0; i < 3; i++) out.push(p1(s, 'condition', CONDITION_VALUES[i]!, f[i]!));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- reasons

/** KSM v2.20 podStatusReasons, in iteration order. */
export const POD_STATUS_REASONS = [
  'Evicted',
  'NodeAffinity',
  'NodeLost',
  'PreemptionByScheduler',
  'SchedulingGated',
  'Shutdown',
  'TerminationByKubelet',
  'UnexpectedAdmissionError',
] as const;
const POD_STATUS_REASON_SET: ReadonlySet<string> = new Set(POD_STATUS_REASONS);

/** KSM rules 1–3: status.reason, any condition's reason, a regular container's current terminated reason. */
export function podHasReason(s: P, reason: string): boolean {
  if (s.reason === reason) return true;
  for (const c of s.conditions) if (c.reason === reason) return true;
  for (const cs of s.containerStatuses) if (cs.state.kind === 'terminated' && cs.state.reason === reason) return true;
  return false;
}

export const DISRUPTION_REASONS = [
  'PreemptionByScheduler',
  'DeletionByTaintManager',
  'EvictionByEvictionAPI',
  'DeletionByPodGC',
  'TerminationByKubelet',
] as const;
const DISRUPTION_REASON_SET: ReadonlySet<string> = new Set(DISRUPTION_REASONS);

function statusReason(s: P): Point[] {
  const out: Point[] = [];
  for (const r of POD_STATUS_REASONS) if (podHasReason(s, r)) out.push(p1(s, 'reason', r, 1));
  if (s.reason !== '' && !POD_STATUS_REASON_SET.has(s.reason)) out.push(p1(s, 'reason', 'Other', 1));
  return out;
}

function disruptionReason(s: P): Point[] {
  const out: Point[] = [];
  for (const c of s.conditions) {
    if (c.type !== 'DisruptionTarget') continue;
    out.push(p1(s, 'reason', DISRUPTION_REASON_SET.has(c.reason) ? c.reason : 'Other', 1));
  }
  return out;
}

/** Which component disrupted the pod: the message's "<component>: …" prefix when the object says so, else by reason. */
const COMPONENT_BY_REASON: Readonly<Record<string, string>> = {
  EvictionByEvictionAPI: 'eviction-api',
  DeletionByTaintManager: 'taint-manager',
  DeletionByPodGC: 'pod-gc',
  PreemptionByScheduler: 'scheduler',
  TerminationByKubelet: 'kubelet',
};
export function disruptionComponent(reason: string, message: string): string {
  // Upstream messages: "Eviction API: evicting", "Taint manager: deleting due to NoExecute taint",
  // "PodGC: node no longer exists", "<scheduler-name>: preempting to accommodate a higher priority pod".
  const m = /^([A-Za-z0-9][A-Za-z0-9 ._-]{0,62}):\s/.exec(message);
  if (m) return m[1]!.trim().toLowerCase().replace(/\s+/g, '-');
  return COMPONENT_BY_REASON[reason] ?? '';
}

/**
 * Derived pod reason, documented priority: 1. status.reason (the API's own verdict, e.g. Evicted by kubelet
 * pressure), 2. DisruptionTarget condition reason (Eviction API, taint manager, pod GC, preemption, kubelet
 * shutdown), 3. a regular container's current terminated reason, preferring anything over "Completed"
 * (OOMKilled, Error, …), in container order.
 */
export function derivedPodReason(s: P): { reason: string; source: string } | undefined {
  if (s.reason !== '') return { reason: s.reason, source: 'status' };
  for (const c of s.conditions) {
    if (c.type === 'DisruptionTarget' && c.status !== 'False' && c.reason !== '') {
      return { reason: c.reason, source: 'disruption_target' };
    }
  }
  let completed: string | undefined;
  for (const cs of s.containerStatuses) {
    if (cs.state.kind !== 'terminated' || cs.state.reason === '') continue;
    if (cs.state.reason !== 'Completed') return { reason: cs.state.reason, source: 'container_terminated' };
    completed ??= cs.state.reason;
  }
  return completed ? { reason: completed, source: 'container_terminated' } : undefined;
}

const EVERY_KEY: readonly string[] = Object.freeze(['*']);

function mapFamily(s: P, prefix: string, data: Readonly<Record<string, string>>, allow: readonly string[] | undefined) {
  if (allow === undefined) return NONE;
  const a = base(s);
  for (const [k, v] of toPrometheusLabels(prefix, data, allow)) a[k] = v;
  return [{ attributes: a, value: 1 }];
}

function ipFamily(ip: string): string | undefined {
  const v = isIP(ip);
  if (v === 4) return '4';
  if (v === 6) return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? '4' : '6';
  return undefined;
}

const PHASES = ['Pending', 'Succeeded', 'Failed', 'Unknown', 'Running'] as const;
const QOS = ['BestEffort', 'Burstable', 'Guaranteed'] as const;

export const POD_FAMILIES_KSM: readonly FamilyDef<P>[] = familyTable<P>('pods', [
  {
    name: 'kube_pod_annotations',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Kubernetes annotations converted to Prometheus labels.',
    labels: ['annotation_*'],
    doc: 'One series only when `--metric-annotations-allowlist` names pods.',
    generate: (s, ctx) => mapFamily(s, 'annotation', s.annotations, ctx.annotationsAllow),
  },
  {
    name: 'kube_pod_labels',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Kubernetes labels converted to Prometheus labels.',
    labels: ['label_*'],
    doc: 'One series only when `--metric-labels-allowlist` names pods.',
    generate: (s, ctx) => mapFamily(s, 'label', s.labels, ctx.labelsAllow),
  },
  {
    name: 'kube_pod_info',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Information about pod.',
    labels: ['host_ip', 'pod_ip', 'node', 'created_by_kind', 'created_by_name', 'priority_class', 'host_network'],
    doc: 'Always 1; created_by_* from the controller ownerReference ("" without one).',
    generate: (s) => {
      const ctl = controllerOf(s.owners);
      return [
        {
          attributes: {
            namespace: s.namespace,
            pod: s.name,
            uid: s.uid,
            host_ip: s.hostIP,
            pod_ip: s.podIP,
            node: s.nodeName,
            created_by_kind: ctl?.kind ?? '',
            created_by_name: ctl?.name ?? '',
            priority_class: s.priorityClassName,
            host_network: s.hostNetwork ? 'true' : 'false',
          },
          value: 1,
        },
      ];
    },
  },
  {
    name: 'kube_pod_ips',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Pod IP addresses',
    labels: ['ip', 'ip_family'],
    doc: 'One per parseable status.podIPs entry (IPv4-mapped IPv6 counts as 4); unparseable entries skipped.',
    generate: (s) =>
      s.podIPs.flatMap((ip) => {
        const fam = ipFamily(ip);
        return fam ? [px(s, ['ip', 'ip_family'], [ip, fam], 1)] : NONE;
      }),
  },
  {
    name: 'kube_pod_start_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Start time in unix timestamp for a pod.',
    labels: [],
    doc: 'status.startTime (s), when set.',
    generate: (s) => maybe(s, s.startTime),
  },
  {
    name: 'kube_pod_completion_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Completion time in unix timestamp for a pod.',
    labels: [],
    doc: 'Latest state.terminated.finishedAt over currently terminated regular containers, if > 0.',
    generate: (s) => {
      let last = 0;
      for (const cs of s.containerStatuses) {
        if (cs.state.kind === 'terminated' && cs.state.finishedAt !== undefined && cs.state.finishedAt > last) {
          last = cs.state.finishedAt;
        }
      }
      return last > 0 ? [p(s, last)] : NONE;
    },
  },
  {
    name: 'kube_pod_owner',
    type: 'gauge',
    stability: 'STABLE',
    help: "Information about the Pod's owner.",
    labels: ['owner_kind', 'owner_name', 'owner_is_controller'],
    doc: 'One series per ownerReference; none → one series with all three labels "".',
    generate: (s) =>
      ownerTriples(s.owners).map((o) => px(s, ['owner_kind', 'owner_name', 'owner_is_controller'], o, 1)),
  },
  {
    name: 'kube_pod_resourceclaim_info',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Information about a DRA ResourceClaim referenced by a pod, one series per pod.spec.resourceClaims entry; claim_name is the pod-local reference and resourceclaim_name is the resolved ResourceClaim object name.',
    labels: RESOURCECLAIM_LABELS,
    doc:
      '1 per spec.resourceClaims entry naming a claim or a template; resourceclaim_name of a template-backed claim ' +
      'comes from status.resourceClaimStatuses ("" while pending).',
    generate: (s) =>
      s.resourceClaims.map((c) => px(s, RESOURCECLAIM_LABELS, [c.name, c.resourceClaimName, c.templateName], 1)),
  },
  {
    name: 'kube_pod_created',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Unix creation timestamp',
    labels: [],
    doc: 'creationTimestamp (s), when set.',
    generate: (s) => maybe(s, s.creationTimestamp),
  },
  {
    name: 'kube_pod_deletion_timestamp',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Unix deletion timestamp',
    labels: [],
    doc: 'metadata.deletionTimestamp (s), when set and non-zero.',
    generate: (s) => maybe(s, s.deletionTimestamp),
  },
  {
    name: 'kube_pod_restart_policy',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes the restart policy in use by this pod.',
    labels: ['type'],
    doc: 'Always 1 with type=spec.restartPolicy.',
    generate: (s) => [p1(s, 'type', s.restartPolicy, 1)],
  },
  {
    name: 'kube_pod_runtimeclass_name_info',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The runtimeclass associated with the pod.',
    labels: ['runtimeclass_name'],
    doc: '1 when spec.runtimeClassName is set.',
    generate: (s) => (s.runtimeClassName === undefined ? NONE : [p1(s, 'runtimeclass_name', s.runtimeClassName, 1)]),
  },
  {
    name: 'kube_pod_overhead_cpu_cores',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The pod overhead in regards to cpu cores associated with running a pod.',
    labels: [],
    doc: 'spec.overhead cpu in cores, when set.',
    generate: (s) => s.overhead.filter((r) => r.name === 'cpu').map((r) => p(s, r.value)),
  },
  {
    name: 'kube_pod_overhead_memory_bytes',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The pod overhead in regards to memory associated with running a pod.',
    labels: [],
    doc: 'spec.overhead memory in bytes, when set.',
    generate: (s) => s.overhead.filter((r) => r.name === 'memory').map((r) => p(s, r.value)),
  },
  {
    name: 'kube_pod_spec_volumes_persistentvolumeclaims_info',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Information about persistentvolumeclaim and ephemeral volumes in a pod.',
    labels: PVC_LABELS,
    doc:
      '1 per persistentVolumeClaim volume (`ephemeral="false"`) and per generic ephemeral volume (claim ' +
      '`<pod>-<volume>`, `ephemeral="true"`).',
    generate: (s) =>
      s.pvcVolumes.map((v) => px(s, PVC_LABELS, [v.volume, v.claimName, v.ephemeral ? 'true' : 'false'], 1)),
  },
  {
    name: 'kube_pod_spec_volumes_persistentvolumeclaims_readonly',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether a persistentvolumeclaim is mounted read only. Ephemeral volumes always report 0 since the ephemeral volume source does not support a read-only flag.',
    labels: PVC_LABELS,
    doc: 'persistentVolumeClaim.readOnly as 0/1 per PVC volume; 0 for generic ephemeral volumes.',
    generate: (s) =>
      s.pvcVolumes.map((v) =>
        px(s, PVC_LABELS, [v.volume, v.claimName, v.ephemeral ? 'true' : 'false'], b2f(v.readOnly)),
      ),
  },
  {
    name: 'kube_pod_tolerations',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Information about the pod tolerations',
    labels: ['key', 'operator', 'value', 'effect', 'toleration_seconds'],
    doc: '1 per distinct toleration (duplicates in the spec count once, like KSM); only the fields that are set become labels; a toleration with none is skipped.',
    generate: (s) => {
      const seen = new Set<string>();
      return s.tolerations.flatMap((t) => {
        // The API server accepts repeated tolerations; one series each would be a duplicate sample.
        const id = JSON.stringify([t.key, t.operator, t.value, t.effect, t.tolerationSeconds]);
        if (seen.has(id)) return NONE;
        seen.add(id);
        const a = base(s);
        if (t.key !== '') a.key = t.key;
        if (t.operator !== '') a.operator = t.operator;
        if (t.value !== '') a.value = t.value;
        if (t.effect !== '') a.effect = t.effect;
        if (t.tolerationSeconds !== undefined) a.toleration_seconds = String(t.tolerationSeconds);
        return Object.keys(a).length === 3 ? NONE : [{ attributes: a, value: 1 }];
      });
    },
  },
  {
    name: 'kube_pod_nodeselectors',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the Pod nodeSelectors.',
    labels: ['nodeselector_*'],
    doc:
      'Opt-in (`--metric-opt-in-list=kube_pod_nodeselectors`). One series per pod, value 1, with every ' +
      'spec.nodeSelector entry as `nodeselector_<key>` (keys sorted and sanitised like `kube_pod_labels`, ' +
      'colliding names get `_conflictN`); a pod without a nodeSelector still has its series, with no extra label.',
    optIn: true,
    generate: (s) => mapFamily(s, 'nodeselector', s.nodeSelector, EVERY_KEY),
  },
  {
    name: 'kube_pod_service_account',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The service account for a pod.',
    labels: ['service_account'],
    doc: '1 with service_account=spec.serviceAccountName.',
    generate: (s) => [p1(s, 'service_account', s.serviceAccountName, 1)],
  },
  {
    name: 'kube_pod_scheduler',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The scheduler for a pod.',
    labels: ['name'],
    doc: '1 with name=spec.schedulerName (always, like kube-state-metrics; the API server defaults it).',
    generate: (s) => [p1(s, 'name', s.schedulerName, 1)],
  },
  {
    name: 'kube_pod_status_phase',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The pods current phase.',
    labels: ['phase'],
    doc: 'Five series Pending/Succeeded/Failed/Unknown/Running, 1 on status.phase (raw API value); none when empty.',
    generate: (s) => (s.phase === '' ? NONE : PHASES.map((ph) => p1(s, 'phase', ph, b2f(s.phase === ph)))),
  },
  {
    name: 'kube_pod_status_qos_class',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The pods current qosClass.',
    labels: ['qos_class'],
    doc: 'Triple BestEffort/Burstable/Guaranteed, 1 on status.qosClass; none when empty.',
    generate: (s) => (s.qosClass === '' ? NONE : QOS.map((q) => p1(s, 'qos_class', q, b2f(s.qosClass === q)))),
  },
  {
    name: 'kube_pod_status_ready',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the pod is ready to serve requests.',
    labels: ['condition'],
    doc: 'Triple true/false/unknown per Ready condition.',
    generate: (s) => conditionTriples(s, 'Ready'),
  },
  {
    name: 'kube_pod_status_ready_time',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Readiness achieved time in unix timestamp for a pod.',
    labels: [],
    doc: 'Ready lastTransitionTime, only while True.',
    generate: (s) => conditionTimeIf(s, 'Ready', 'True'),
  },
  {
    name: 'kube_pod_status_container_ready_time',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Readiness achieved time in unix timestamp for a pod containers.',
    labels: [],
    doc: 'ContainersReady lastTransitionTime, only while True.',
    generate: (s) => conditionTimeIf(s, 'ContainersReady', 'True'),
  },
  {
    name: 'kube_pod_status_initialized_time',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Initialized time in unix timestamp for a pod.',
    labels: [],
    doc: 'Initialized lastTransitionTime, only while True.',
    generate: (s) => conditionTimeIf(s, 'Initialized', 'True'),
  },
  {
    name: 'kube_pod_status_scheduled',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes the status of the scheduling process for the pod.',
    labels: ['condition'],
    doc: 'Triple true/false/unknown per PodScheduled condition.',
    generate: (s) => conditionTriples(s, 'PodScheduled'),
  },
  {
    name: 'kube_pod_status_scheduled_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Unix timestamp when pod moved into scheduled status',
    labels: [],
    doc: 'PodScheduled lastTransitionTime, only when True.',
    generate: (s) => conditionTimeIf(s, 'PodScheduled', 'True'),
  },
  {
    name: 'kube_pod_status_unschedulable',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes the unschedulable status for the pod.',
    labels: [],
    doc: '1 when PodScheduled is False (any reason).',
    generate: (s) => s.conditions.filter((c) => c.type === 'PodScheduled' && c.status === 'False').map(() => p(s, 1)),
  },
  {
    name: 'kube_pod_status_unscheduled_time',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Unix timestamp when pod moved into unscheduled status',
    labels: [],
    doc: 'lastTransitionTime of a False PodScheduled condition.',
    generate: (s) => conditionTimeIf(s, 'PodScheduled', 'False'),
  },
  {
    name: 'kube_pod_status_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The pod status reasons',
    labels: ['reason'],
    doc:
      `Sparse (v2.20): value 1 per reason in ${POD_STATUS_REASONS.join(', ')} found in status.reason, any ` +
      'condition reason or a regular container\'s terminated reason; plus reason="Other" when status.reason is set ' +
      'and unlisted. No zero rows.',
    generate: statusReason,
  },
  {
    name: 'kube_pod_status_disruption_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The pod disruption condition reason',
    labels: ['reason'],
    doc:
      `Sparse: 1 per DisruptionTarget condition, reason in ${DISRUPTION_REASONS.join(', ')} else "Other"; ` +
      'condition status ignored.',
    generate: disruptionReason,
  },
  ...CONTAINER_FAMILIES,
  ...INIT_CONTAINER_FAMILIES,
]);

// ---------------------------------------------------------------------------------------------- extensions
// Field problem 2: one place that says why a pod went away and who did it.

export const POD_FAMILIES_EXT: readonly FamilyDef<P>[] = familyTable<P>('pods', [
  {
    name: 'kube_pod_status_disruption',
    type: 'gauge',
    stability: 'EXTENSION',
    help: 'The pod is targeted by a disruption (DisruptionTarget condition), with its raw reason and the disrupting component.',
    labels: ['reason', 'component', 'condition'],
    doc:
      'Value 1 per DisruptionTarget condition. `reason` is the raw condition reason (no "Other" folding); ' +
      '`component` the message\'s "<component>: " prefix when the object states it (e.g. "eviction-api", ' +
      '"taint-manager", "default-scheduler", "podgc"), otherwise derived from the reason (EvictionByEvictionAPI→' +
      'eviction-api, DeletionByTaintManager→taint-manager, DeletionByPodGC→pod-gc, PreemptionByScheduler→scheduler, ' +
      'TerminationByKubelet→kubelet, else ""); `condition` the lower-cased condition status (true/false/unknown).',
    generate: (s) =>
      s.conditions
        .filter((c) => c.type === 'DisruptionTarget')
        .map((c) =>
          px(
            s,
            ['reason', 'component', 'condition'],
            [c.reason, disruptionComponent(c.reason, c.message), c.status.toLowerCase()],
            1,
          ),
        ),
  },
  {
    name: 'kube_pod_status_disruption_time',
    type: 'gauge',
    stability: 'EXTENSION',
    help: 'Unix timestamp when the DisruptionTarget condition last transitioned.',
    labels: ['reason'],
    doc: 'lastTransitionTime (s) per DisruptionTarget condition that has one; tells when the eviction/deletion was decided.',
    generate: (s) =>
      s.conditions
        .filter((c) => c.type === 'DisruptionTarget' && c.lastTransitionTime !== undefined)
        .map((c) => p1(s, 'reason', c.reason, c.lastTransitionTime!)),
  },
  {
    name: 'kube_pod_status_reason_source',
    type: 'gauge',
    stability: 'EXTENSION',
    help: "The single most specific reason for the pod's state and where it was read from.",
    labels: ['reason', 'source'],
    doc:
      'At most one series, value 1. Priority: 1. status.reason (source="status"); 2. a DisruptionTarget condition ' +
      'that is not False (source="disruption_target"); 3. a regular container\'s current terminated reason, any ' +
      'reason before "Completed", in container order (source="container_terminated"). Raw reason, no "Other".',
    generate: (s) => {
      const d = derivedPodReason(s);
      return d ? [px(s, ['reason', 'source'], [d.reason, d.source], 1)] : NONE;
    },
  },
]);
