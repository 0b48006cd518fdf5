// A small in-memory MetricsSource with KSM-like pod/job families (~44 series per pod), for tests and
// benchmarks while no real store is wired in. Objects are replaced as a whole, like the real store.
import type { FamilyDescriptor, MetricsSource, ObjectMetrics, Point, ResourceName, Schema } from '@kso/metrics';

const g = (
  name: string,
  help: string,
  resource: ResourceName,
  type: FamilyDescriptor['type'] = 'gauge',
  unit = '',
): FamilyDescriptor => ({
  name,
  help,
  type,
  unit,
  resource,
  stability: 'STABLE',
});

export const KSM_POD_FAMILIES: readonly FamilyDescriptor[] = [
  g('kube_pod_info', '[STABLE] Information about pod.', 'pods'),
  g('kube_pod_owner', "[STABLE] Information about the Pod's owner.", 'pods'),
  g('kube_pod_created', '[STABLE] Unix creation timestamp', 'pods', 'gauge', 's'),
  g('kube_pod_start_time', '[STABLE] Start time in unix timestamp for a pod.', 'pods', 'gauge', 's'),
  g('kube_pod_status_phase', '[STABLE] The pods current phase.', 'pods'),
  g('kube_pod_status_ready', '[STABLE] Describes whether the pod is ready to serve requests.', 'pods'),
  g('kube_pod_status_scheduled', '[STABLE] Describes the status of the scheduling process for the pod.', 'pods'),
  g('kube_pod_container_info', '[STABLE] Information about a container in a pod.', 'pods'),
  g(
    'kube_pod_container_status_waiting',
    '[STABLE] Describes whether the container is currently in waiting state.',
    'pods',
  ),
  g(
    'kube_pod_container_status_waiting_reason',
    '[STABLE] Describes the reason the container is currently in waiting state.',
    'pods',
  ),
  g(
    'kube_pod_container_status_running',
    '[STABLE] Describes whether the container is currently in running state.',
    'pods',
  ),
  g(
    'kube_pod_container_status_terminated',
    '[STABLE] Describes whether the container is currently in terminated state.',
    'pods',
  ),
  g('kube_pod_container_status_ready', '[STABLE] Describes whether the containers readiness check succeeded.', 'pods'),
  g(
    'kube_pod_container_status_restarts_total',
    '[STABLE] The number of container restarts per container.',
    'pods',
    'counter',
  ),
  g('kube_pod_container_resource_requests', 'The number of requested request resource by a container.', 'pods'),
  g('kube_pod_container_resource_limits', 'The number of requested limit resource by a container.', 'pods'),
  g(
    'kube_pod_status_scheduled_time',
    '[STABLE] Unix timestamp when pod moved into scheduled status',
    'pods',
    'gauge',
    's',
  ),
  g('kube_pod_status_ready_time', 'Readiness achieved time in unix timestamp for a pod.', 'pods', 'gauge', 's'),
  g('kube_pod_restart_policy', '[STABLE] Describes the restart policy in use by this pod.', 'pods'),
  g('kube_pod_status_qos_class', 'The current qos class of a pod.', 'pods'),
  g('kube_pod_tolerations', 'Information about the pod tolerations', 'pods'),
  g('kube_pod_service_account', 'The service account for a pod.', 'pods'),
];

export const KSM_JOB_FAMILIES: readonly FamilyDescriptor[] = [
  g('kube_job_info', '[STABLE] Information about job.', 'jobs'),
  g('kube_job_status_succeeded', '[STABLE] The number of pods which reached Phase Succeeded.', 'jobs'),
  g(
    'kube_job_status_failed',
    '[STABLE] The number of pods which reached Phase Failed and the reason for failure.',
    'jobs',
  ),
  g('kube_job_complete', '[STABLE] The job has completed its execution.', 'jobs'),
];

export const KSM_CRONJOB_FAMILIES: readonly FamilyDescriptor[] = [
  g('kube_cronjob_info', '[STABLE] Info about cronjob.', 'cronjobs'),
];

export const SEMCONV_POD_FAMILIES: readonly FamilyDescriptor[] = [
  {
    name: 'k8s.pod.status.phase',
    help: 'Describes number of K8s Pods that are currently in a given phase.',
    type: 'updowncounter',
    unit: '{pod}',
    resource: 'pods',
    stability: 'development',
  },
  {
    name: 'k8s.container.restart.count',
    help: 'Describes how many times the container has restarted.',
    type: 'updowncounter',
    unit: '{restart}',
    resource: 'pods',
    stability: 'development',
  },
  {
    name: 'k8s.pod.uptime',
    help: 'The time the Pod has been running.',
    type: 'gauge',
    unit: 's',
    resource: 'pods',
    stability: 'release_candidate',
  },
];

export interface SyntheticPod {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  phase: string;
  containers: string[];
  restarts: number;
  createdS: number;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

type PodId = { namespace: string; pod: string; uid: string };

/** One Point[] per family, in KSM_POD_FAMILIES order (the three parts below follow that list). */
export function ksmPodPoints(p: SyntheticPod): Point[][] {
  const id = { namespace: p.namespace, pod: p.name, uid: p.uid };
  return [...podStatusPoints(p, id), ...containerPoints(p, id), ...podSpecPoints(p, id)];
}

/** kube_pod_info … kube_pod_status_scheduled. */
function podStatusPoints(p: SyntheticPod, id: PodId): Point[][] {
  const running = p.phase === 'Running';
  return [
    [
      {
        attributes: {
          ...id,
          host_ip: '10.0.0.1',
          pod_ip: '10.244.1.7',
          node: p.node,
          created_by_kind: 'ReplicaSet',
          created_by_name: `${p.name.slice(0, -6)}`,
          priority_class: '',
          host_network: 'false',
        },
        value: 1,
      },
    ],
    [
      {
        attributes: { ...id, owner_kind: 'ReplicaSet', owner_name: p.name.slice(0, -6), owner_is_controller: 'true' },
        value: 1,
      },
    ],
    [{ attributes: id, value: p.createdS }],
    [{ attributes: id, value: p.createdS + 2 }],
    PHASES.map((ph) => ({ attributes: { ...id, phase: ph }, value: ph === p.phase ? 1 : 0 })),
    ['true', 'false', 'unknown'].map((c) => ({
      attributes: { ...id, condition: c },
      value: (c === 'true') === running ? 1 : 0,
    })),
    ['true', 'false', 'unknown'].map((c) => ({ attributes: { ...id, condition: c }, value: c === 'true' ? 1 : 0 })),
  ];
}

/** kube_pod_container_info … kube_pod_container_resource_limits. */
function containerPoints(p: SyntheticPod, id: PodId): Point[][] {
  const running = p.phase === 'Running';
  const per = (f: (c: string, i: number) => Point[]) => p.containers.flatMap(f);
  return [
    per((c) => [
      {
        attributes: {
          ...id,
          container: c,
          image_spec: `registry.example.com/${c}:1.2.3`,
          image: `registry.example.com/${c}:1.2.3`,
          image_id: `registry.example.com/${c}@sha256:0123456789abcdef`,
          container_id: `containerd://${p.uid.replace(/-/g, '')}${c}`,
        },
        value: 1,
      },
    ]),
    per((c) => [{ attributes: { ...id, container: c }, value: running ? 0 : 1 }]),
    running ? [] : per((c) => [{ attributes: { ...id, container: c, reason: 'ContainerCreating' }, value: 1 }]),
    per((c) => [{ attributes: { ...id, container: c }, value: running ? 1 : 0 }]),
    per((c) => [{ attributes: { ...id, container: c }, value: 0 }]),
    per((c) => [{ attributes: { ...id, container: c }, value: running ? 1 : 0 }]),
    per((c) => [{ attributes: { ...id, container: c }, value: p.restarts }]),
    per((c) => [
      { attributes: { ...id, container: c, node: p.node, resource: 'cpu', unit: 'core' }, value: 0.25 },
      { attributes: { ...id, container: c, node: p.node, resource: 'memory', unit: 'byte' }, value: 268435456 },
    ]),
    per((c) => [
      { attributes: { ...id, container: c, node: p.node, resource: 'cpu', unit: 'core' }, value: 1 },
      { attributes: { ...id, container: c, node: p.node, resource: 'memory', unit: 'byte' }, value: 536870912 },
    ]),
  ];
}

/** kube_pod_status_scheduled_time … the end of KSM_POD_FAMILIES. */
function podSpecPoints(p: SyntheticPod, id: PodId): Point[][] {
  const running = p.phase === 'Running';
  return [
    [{ attributes: id, value: p.createdS + 1 }],
    running ? [{ attributes: id, value: p.createdS + 9 }] : [],
    [{ attributes: { ...id, type: 'Always' }, value: 1 }],
    ['BestEffort', 'Burstable', 'Guaranteed'].map((q) => ({
      attributes: { ...id, qos_class: q },
      value: q === 'Burstable' ? 1 : 0,
    })),
    [
      {
        attributes: {
          ...id,
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          toleration_seconds: '300',
        },
        value: 1,
      },
      {
        attributes: {
          ...id,
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          toleration_seconds: '300',
        },
        value: 1,
      },
    ],
    [{ attributes: { ...id, service_account: 'default' }, value: 1 }],
  ];
}

export function semconvPodPoints(p: SyntheticPod): Point[][] {
  const id = { 'k8s.namespace.name': p.namespace, 'k8s.pod.name': p.name, 'k8s.pod.uid': p.uid };
  return [
    PHASES.map((ph) => ({ attributes: { ...id, 'k8s.pod.status.phase': ph }, value: ph === p.phase ? 1 : 0 })),
    p.containers.map((c) => ({ attributes: { ...id, 'k8s.container.name': c }, value: p.restarts })),
    [{ attributes: id, value: 1234.5 }],
  ];
}

export function syntheticPod(i: number, overrides: Partial<SyntheticPod> = {}): SyntheticPod {
  const hex = i.toString(16).padStart(12, '0');
  return {
    uid: `7d3f9a2e-1b4c-4e8a-9f00-${hex}`,
    namespace: `team-${i % 50}`,
    name: `web-${(i % 997).toString(36)}-7d9f8b6c5d-${hex.slice(-5)}`,
    node: `node-${i % 100}`,
    phase: i % 10 === 0 ? 'Pending' : 'Running',
    containers: ['app', 'sidecar'],
    restarts: i % 7,
    createdS: 1700000000 + i,
    ...overrides,
  };
}

/** Mutable source: set() replaces an object (new identity), delete() removes it. */
export class SyntheticSource implements MetricsSource {
  readonly schema: Schema;
  private readonly fams: Record<ResourceName, readonly FamilyDescriptor[]>;
  private readonly objects: Record<ResourceName, Map<string, ObjectMetrics>> = {
    pods: new Map(),
    jobs: new Map(),
    cronjobs: new Map(),
  };
  version = 0;

  constructor(schema: Schema = 'ksm') {
    this.schema = schema;
    this.fams =
      schema === 'ksm'
        ? { pods: KSM_POD_FAMILIES, jobs: KSM_JOB_FAMILIES, cronjobs: KSM_CRONJOB_FAMILIES }
        : { pods: SEMCONV_POD_FAMILIES, jobs: [], cronjobs: [] };
  }
  resources(): readonly ResourceName[] {
    return ['pods', 'jobs', 'cronjobs'];
  }
  families(resource: ResourceName): readonly FamilyDescriptor[] {
    return this.fams[resource];
  }
  entries(resource: ResourceName): Iterable<ObjectMetrics> {
    return this.objects[resource].values();
  }
  size(resource: ResourceName): number {
    return this.objects[resource].size;
  }
  set(resource: ResourceName, uid: string, families: Point[][], startTimeMs = 1_700_000_000_000): ObjectMetrics {
    const prev = this.objects[resource].get(uid);
    const o: ObjectMetrics = { uid, resource, startTimeMs: prev?.startTimeMs ?? startTimeMs, families };
    this.objects[resource].set(uid, o);
    this.version++;
    return o;
  }
  setPod(p: SyntheticPod): ObjectMetrics {
    return this.set('pods', p.uid, this.schema === 'ksm' ? ksmPodPoints(p) : semconvPodPoints(p), p.createdS * 1000);
  }
  delete(resource: ResourceName, uid: string): boolean {
    this.version++;
    return this.objects[resource].delete(uid);
  }
}

export function buildSyntheticSource(
  pods: number,
  schema: Schema = 'ksm',
  onProgress?: (done: number) => void,
): SyntheticSource {
  const s = new SyntheticSource(schema);
  for (let i = 0; i < pods; i++) {
    s.setPod(syntheticPod(i));
    if (onProgress && (i + 1) % 1000 === 0) onProgress(i + 1);
  }
  return s;
}
