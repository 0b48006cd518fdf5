// The container families of a pod (kube_pod_container_* and kube_pod_init_container_*), in KSM order: the
// resource rows of requests and limits, then each family written out twice, for regular and init containers,
// sharing generators that take the list they read.
import type { ContainerSpec, ContainerStatus, PodSnapshot, ResourceQuantity } from '@kso/model';
import { b2f, type FamilySpec, NONE } from '../family.ts';
import { sanitizeLabelName } from '../labels.ts';
import type { Point } from '../types.ts';

type P = PodSnapshot;
type Attrs = Record<string, string>;

function pc(s: P, container: string, value: number): Point {
  return { attributes: { namespace: s.namespace, pod: s.name, uid: s.uid, container }, value };
}
function pcr(s: P, container: string, reason: string): Point {
  return { attributes: { namespace: s.namespace, pod: s.name, uid: s.uid, container, reason }, value: 1 };
}

// ---------------------------------------------------------------------------------------------- resources

const NATIVE_PREFIX = 'kubernetes.io/';
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
function isExtendedResourceName(name: string): boolean {
  const native = !name.includes('/') || name.includes(NATIVE_PREFIX);
  if (native || name.startsWith('requests.')) return false;
  // KSM validates `requests.<name>` as a qualified name: prefix (DNS subdomain) '/' name.
  const slash = name.indexOf('/');
  const prefix = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  return (
    rest.length <= 63 && QUALIFIED_NAME.test(rest) && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(`requests.${prefix}`)
  );
}

const rowCache = new Map<string, readonly (readonly [string, string])[]>();
/** KSM resource → (sanitised resource label, unit) rows; unknown native resources yield nothing. Memoised by name. */
function resourceRows(r: ResourceQuantity): readonly (readonly [string, string])[] {
  let rows = rowCache.get(r.name);
  if (rows === undefined) {
    rows = computeResourceRows(r.name);
    if (rowCache.size < 10_000) rowCache.set(r.name, rows);
  }
  return rows;
}
function computeResourceRows(n: string): [string, string][] {
  if (n === 'cpu') return [['cpu', 'core']];
  if (n === 'memory' || n === 'storage' || n === 'ephemeral-storage') return [[sanitizeLabelName(n), 'byte']];
  const rows: [string, string][] = [];
  if (n.startsWith('hugepages-')) rows.push([sanitizeLabelName(n), 'byte']);
  if (n.startsWith('attachable-volumes-')) rows.push([sanitizeLabelName(n), 'byte']);
  if (isExtendedResourceName(n)) rows.push([sanitizeLabelName(n), 'integer']);
  return rows;
}

function resourceFamily(s: P, containers: readonly ContainerSpec[], which: 'requests' | 'limits'): Point[] {
  const out: Point[] = [];
  for (const c of containers) {
    for (const r of c[which]) {
      for (const [resource, unit] of resourceRows(r)) {
        out.push({
          attributes: {
            namespace: s.namespace,
            pod: s.name,
            uid: s.uid,
            container: c.name,
            node: s.nodeName,
            resource,
            unit,
          },
          value: r.value,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- container twins
// KSM declares each container family twice, for regular and for init containers; so do we, each with its full
// name. The generators are shared and take the status (and spec) list they read.

type StatusList = (s: P) => readonly ContainerStatus[];
type SpecList = (s: P) => readonly ContainerSpec[];
const regular: StatusList = (s) => s.containerStatuses;
const init: StatusList = (s) => s.initContainerStatuses;
const regularSpecs: SpecList = (s) => s.containers;
const initSpecs: SpecList = (s) => s.initContainers;

function perStatus(list: StatusList, f: (cs: ContainerStatus) => number) {
  return (s: P): Point[] => list(s).map((cs) => pc(s, cs.name, f(cs)));
}

/** 1 per spec container with a same-named status entry (init containers add their restart_policy). */
function containerInfo(specs: SpecList, statuses: StatusList, isInit: boolean) {
  return (s: P): Point[] => {
    const out: Point[] = [];
    const sts = statuses(s);
    for (const c of specs(s)) {
      const cs = sts.find((x) => x.name === c.name);
      if (!cs) continue;
      const a: Attrs = {
        namespace: s.namespace,
        pod: s.name,
        uid: s.uid,
        container: c.name,
        image_spec: c.image,
        image: cs.image,
        image_id: cs.imageID,
        container_id: cs.containerID,
      };
      if (isInit) a.restart_policy = c.restartPolicy;
      out.push({ attributes: a, value: 1 });
    }
    return out;
  };
}

function currentReason(list: StatusList, kind: 'waiting' | 'terminated') {
  return (s: P): Point[] =>
    list(s).flatMap((cs) => (cs.state.kind === kind ? [pcr(s, cs.name, cs.state.reason)] : NONE));
}
function lastTerminatedReason(list: StatusList) {
  return (s: P): Point[] =>
    list(s).flatMap((cs) => (cs.lastTerminated ? [pcr(s, cs.name, cs.lastTerminated.reason)] : NONE));
}
function lastTerminatedExitCode(list: StatusList) {
  return (s: P): Point[] =>
    list(s).flatMap((cs) => (cs.lastTerminated ? [pc(s, cs.name, cs.lastTerminated.exitCode)] : NONE));
}
function lastTerminatedTimestamp(list: StatusList) {
  return (s: P): Point[] =>
    list(s).flatMap((cs) =>
      cs.lastTerminated?.finishedAt !== undefined ? [pc(s, cs.name, cs.lastTerminated.finishedAt)] : NONE,
    );
}
function stateStarted(list: StatusList) {
  return (s: P): Point[] =>
    list(s).flatMap((cs) =>
      (cs.state.kind === 'running' || cs.state.kind === 'terminated') && cs.state.startedAt !== undefined
        ? [pc(s, cs.name, cs.state.startedAt)]
        : NONE,
    );
}

export const CONTAINER_FAMILIES: readonly FamilySpec<P>[] = [
  {
    name: 'kube_pod_container_info',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Information about a container in a pod.',
    labels: ['container', 'image_spec', 'image', 'image_id', 'container_id'],
    doc: '1 per spec container that has a same-named status entry; image_spec from the spec, image from the status.',
    generate: containerInfo(regularSpecs, regular, false),
  },
  {
    name: 'kube_pod_container_status_ready',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the containers readiness check succeeded.',
    labels: ['container'],
    doc: 'status `ready` as 0/1 per status entry.',
    generate: perStatus(regular, (cs) => b2f(cs.ready)),
  },
  {
    name: 'kube_pod_container_status_restarts_total',
    type: 'counter',
    stability: 'STABLE',
    help: 'The number of container restarts per container.',
    labels: ['container'],
    doc: 'restartCount per status entry (a copy of the API field: resets when the pod is recreated).',
    generate: perStatus(regular, (cs) => cs.restartCount),
  },
  {
    name: 'kube_pod_container_status_running',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the container is currently in running state.',
    labels: ['container'],
    doc: '1 if state.running is present, else 0.',
    generate: perStatus(regular, (cs) => b2f(cs.state.kind === 'running')),
  },
  {
    name: 'kube_pod_container_status_terminated',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the container is currently in terminated state.',
    labels: ['container'],
    doc: '1 if state.terminated is present, else 0.',
    generate: perStatus(regular, (cs) => b2f(cs.state.kind === 'terminated')),
  },
  {
    name: 'kube_pod_container_status_waiting',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the container is currently in waiting state.',
    labels: ['container'],
    doc: '1 if state.waiting is present, else 0.',
    generate: perStatus(regular, (cs) => b2f(cs.state.kind === 'waiting')),
  },
  {
    name: 'kube_pod_container_status_waiting_reason',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes the reason the container is currently in waiting state.',
    labels: ['container', 'reason'],
    doc: 'Value 1, only for currently waiting containers; raw reason string. No zero rows.',
    generate: currentReason(regular, 'waiting'),
  },
  {
    name: 'kube_pod_container_status_terminated_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the reason the container is currently in terminated state.',
    labels: ['container', 'reason'],
    doc: 'Value 1, only for currently terminated containers (OOMKilled, Completed, Error, …).',
    generate: currentReason(regular, 'terminated'),
  },
  {
    name: 'kube_pod_container_status_last_terminated_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the last reason the container was in terminated state.',
    labels: ['container', 'reason'],
    doc: 'Value 1, only when lastState.terminated is set (survives a restart, e.g. OOMKilled).',
    generate: lastTerminatedReason(regular),
  },
  {
    name: 'kube_pod_container_status_last_terminated_exitcode',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the exit code for the last container in terminated state.',
    labels: ['container'],
    doc: 'lastState.terminated.exitCode, when set.',
    generate: lastTerminatedExitCode(regular),
  },
  {
    name: 'kube_pod_container_status_last_terminated_timestamp',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Last terminated time for a pod container in unix timestamp.',
    labels: ['container'],
    doc: 'lastState.terminated.finishedAt (s), when set (no Go zero-time value when unset).',
    generate: lastTerminatedTimestamp(regular),
  },
  {
    name: 'kube_pod_container_state_started',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Start time in unix timestamp for a pod container.',
    labels: ['container'],
    doc:
      'state.running.startedAt, else state.terminated.startedAt; nothing while waiting or when unset ' +
      '(KSM would emit the Go zero time -6.21355968e+10; deliberately not copied).',
    generate: stateStarted(regular),
  },
  {
    name: 'kube_pod_container_resource_requests',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The number of requested request resource by a container. It is recommended to use the kube_pod_resource_requests metric exposed by kube-scheduler instead, as it is more precise.',
    labels: ['container', 'node', 'resource', 'unit'],
    doc:
      'Per spec container and resource: cpu in cores (unit core), memory/storage/ephemeral-storage/hugepages/' +
      'attachable volumes in bytes (unit byte), extended resources unit integer. Resource names sanitised (ephemeral_storage).',
    generate: (s) => resourceFamily(s, regularSpecs(s), 'requests'),
  },
  {
    name: 'kube_pod_container_resource_limits',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The number of requested limit resource by a container. It is recommended to use the kube_pod_resource_limits metric exposed by kube-scheduler instead, as it is more precise.',
    labels: ['container', 'node', 'resource', 'unit'],
    doc: 'As *_resource_requests, for limits.',
    generate: (s) => resourceFamily(s, regularSpecs(s), 'limits'),
  },
];

export const INIT_CONTAINER_FAMILIES: readonly FamilySpec<P>[] = [
  {
    name: 'kube_pod_init_container_info',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Information about an init container in a pod.',
    labels: ['container', 'image_spec', 'image', 'image_id', 'container_id', 'restart_policy'],
    doc: '1 per spec init container that has a same-named status entry; image_spec from the spec, image from the status.',
    generate: containerInfo(initSpecs, init, true),
  },
  {
    name: 'kube_pod_init_container_status_ready',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the init containers readiness check succeeded.',
    labels: ['container'],
    doc: 'status `ready` as 0/1 per status entry.',
    generate: perStatus(init, (cs) => b2f(cs.ready)),
  },
  {
    name: 'kube_pod_init_container_status_restarts_total',
    type: 'counter',
    stability: 'STABLE',
    help: 'The number of restarts for the init container.',
    labels: ['container'],
    doc: 'restartCount per status entry (a copy of the API field: resets when the pod is recreated).',
    generate: perStatus(init, (cs) => cs.restartCount),
  },
  {
    name: 'kube_pod_init_container_status_running',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the init container is currently in running state.',
    labels: ['container'],
    doc: '1 if state.running is present, else 0.',
    generate: perStatus(init, (cs) => b2f(cs.state.kind === 'running')),
  },
  {
    name: 'kube_pod_init_container_status_terminated',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the init container is currently in terminated state.',
    labels: ['container'],
    doc: '1 if state.terminated is present, else 0.',
    generate: perStatus(init, (cs) => b2f(cs.state.kind === 'terminated')),
  },
  {
    name: 'kube_pod_init_container_status_waiting',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Describes whether the init container is currently in waiting state.',
    labels: ['container'],
    doc: '1 if state.waiting is present, else 0.',
    generate: perStatus(init, (cs) => b2f(cs.state.kind === 'waiting')),
  },
  {
    name: 'kube_pod_init_container_status_waiting_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the reason the init container is currently in waiting state.',
    labels: ['container', 'reason'],
    doc: 'Value 1, only for currently waiting containers; raw reason string. No zero rows.',
    generate: currentReason(init, 'waiting'),
  },
  {
    name: 'kube_pod_init_container_status_terminated_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the reason the init container is currently in terminated state.',
    labels: ['container', 'reason'],
    doc: 'Value 1, only for currently terminated containers (OOMKilled, Completed, Error, …).',
    generate: currentReason(init, 'terminated'),
  },
  {
    name: 'kube_pod_init_container_status_last_terminated_reason',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the last reason the init container was in terminated state.',
    labels: ['container', 'reason'],
    doc: 'Value 1, only when lastState.terminated is set (survives a restart, e.g. OOMKilled).',
    generate: lastTerminatedReason(init),
  },
  {
    name: 'kube_pod_init_container_status_last_terminated_exitcode',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Describes the exit code for the last init container in terminated state.',
    labels: ['container'],
    doc: 'lastState.terminated.exitCode, when set.',
    generate: lastTerminatedExitCode(init),
  },
  {
    name: 'kube_pod_init_container_status_last_terminated_timestamp',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Last terminated time for a pod init container in unix timestamp.',
    labels: ['container'],
    doc: 'lastState.terminated.finishedAt (s), when set (no Go zero-time value when unset).',
    generate: lastTerminatedTimestamp(init),
  },
  {
    name: 'kube_pod_init_container_state_started',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Start time in unix timestamp for a pod init container.',
    labels: ['container'],
    doc:
      'state.running.startedAt, else state.terminated.startedAt; nothing while waiting or when unset ' +
      '(KSM would emit the Go zero time -6.21355968e+10; deliberately not copied).',
    generate: stateStarted(init),
  },
  {
    name: 'kube_pod_init_container_resource_requests',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The number of requested request resource by an init container.',
    labels: ['container', 'node', 'resource', 'unit'],
    doc:
      'Per spec container and resource: cpu in cores (unit core), memory/storage/ephemeral-storage/hugepages/' +
      'attachable volumes in bytes (unit byte), extended resources unit integer. Resource names sanitised (ephemeral_storage).',
    generate: (s) => resourceFamily(s, initSpecs(s), 'requests'),
  },
  {
    name: 'kube_pod_init_container_resource_limits',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The number of requested limit resource by an init container.',
    labels: ['container', 'node', 'resource', 'unit'],
    doc: 'As *_resource_requests, for limits.',
    generate: (s) => resourceFamily(s, initSpecs(s), 'limits'),
  },
];
