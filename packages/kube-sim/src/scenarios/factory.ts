// Builders for realistic objects, shaped like what the Job controller, the StatefulSet controller and
// the kubelet write (ownerReferences, conditions, container statuses, resources).
import { createHash, randomUUID } from 'node:crypto';
import type { KObj } from '../resources.ts';
import { timestamp } from '../store.ts';

export const iso = (msAgo = 0): string => timestamp(new Date(Date.now() - msAgo));

const hex = (s: string, n = 64) => createHash('sha256').update(s).digest('hex').slice(0, n);

export function node(name: string, i = 0): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: iso(30 * 86_400_000),
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.2xlarge',
        'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
      },
    },
    spec: { podCIDR: `10.244.${i}.0/24`, providerID: `aws:///eu-west-1a/i-${hex(name, 17)}` },
    status: {
      capacity: { cpu: '8', memory: '32386524Ki', pods: '110' },
      allocatable: { cpu: '7910m', memory: '31235548Ki', pods: '110' },
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          lastHeartbeatTime: iso(),
          lastTransitionTime: iso(86_400_000),
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          lastHeartbeatTime: iso(),
          lastTransitionTime: iso(86_400_000),
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: iso(),
          lastTransitionTime: iso(86_400_000),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.1',
        containerRuntimeVersion: 'containerd://1.7.27',
        osImage: 'Ubuntu 24.04.2 LTS',
        kernelVersion: '6.8.0-1024-aws',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function namespace(name: string): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: iso(60 * 86_400_000),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export interface JobSpec {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  owner?: { kind: string; name: string; uid: string; apiVersion: string };
  ageMs?: number;
  image?: string;
  status?: KObj;
  suspend?: boolean;
  podFailurePolicy?: KObj;
}

export function job(s: JobSpec): KObj {
  const uid = randomUUID();
  const selectorLabels = { 'batch.kubernetes.io/controller-uid': uid };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid,
      creationTimestamp: iso(s.ageMs ?? 60_000),
      labels: {
        ...(s.labels ?? {}),
        'batch.kubernetes.io/job-name': s.name,
        'job-name': s.name,
        ...selectorLabels,
        'controller-uid': uid,
      },
      ...(s.owner ? { ownerReferences: [{ ...s.owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      completions: s.completions ?? 1,
      parallelism: s.parallelism ?? 1,
      backoffLimit: s.backoffLimit ?? 6,
      completionMode: 'NonIndexed',
      suspend: s.suspend ?? false,
      manualSelector: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      ...(s.podFailurePolicy ? { podFailurePolicy: s.podFailurePolicy } : {}),
      selector: { matchLabels: selectorLabels },
      template: {
        metadata: {
          labels: {
            ...(s.labels ?? {}),
            'batch.kubernetes.io/job-name': s.name,
            'job-name': s.name,
            ...selectorLabels,
          },
        },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'main',
              image: s.image ?? 'registry.example.com/batch/worker:1.4.2',
              resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
            },
          ],
        },
      },
    },
    status: s.status ?? {},
  };
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerSpec {
  name: string;
  image?: string;
  /** state: running | waiting(reason) | terminated(reason, exitCode) */
  state?: { running?: true; waiting?: string; terminated?: { reason: string; exitCode: number } };
  restartCount?: number;
  lastTerminated?: { reason: string; exitCode: number };
  /** Native sidecar (init container with restartPolicy Always). */
  sidecar?: boolean;
  ready?: boolean;
}

export interface PodSpec {
  name: string;
  namespace: string;
  nodeName?: string;
  phase: PodPhase;
  labels?: Record<string, string>;
  owner?: { kind: string; name: string; uid: string; apiVersion: string };
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  ageMs?: number;
  podIP?: string;
  reason?: string;
  message?: string;
  extraConditions?: KObj[];
  restartPolicy?: string;
  /** Volumes after the service-account volume, e.g. `{ name, persistentVolumeClaim: { claimName } }` or `ephemeral`. */
  volumes?: KObj[];
  /**
   * DRA claims (spec.resourceClaims). A template-backed claim with `generatedName` also gets its
   * status.resourceClaimStatuses entry, as the kubelet/controller writes it once the claim exists.
   */
  resourceClaims?: {
    name: string;
    resourceClaimName?: string;
    resourceClaimTemplateName?: string;
    generatedName?: string;
  }[];
}

let ipCounter = 0;
export function nextIp(): string {
  ipCounter++;
  return `10.244.${(ipCounter >> 8) & 255}.${ipCounter & 255 || 1}`;
}

function containerSpec(c: ContainerSpec): KObj {
  return {
    name: c.name,
    image: c.image ?? 'registry.example.com/batch/worker:1.4.2',
    imagePullPolicy: 'IfNotPresent',
    ...(c.sidecar ? { restartPolicy: 'Always' } : {}),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

type StateSpec = NonNullable<ContainerSpec['state']>;

/** The container state the pod phase implies when the spec names none. */
function defaultState(phase: PodPhase): StateSpec {
  if (phase === 'Running') return { running: true };
  if (phase === 'Succeeded') return { terminated: { reason: 'Completed', exitCode: 0 } };
  if (phase === 'Failed') return { terminated: { reason: 'Error', exitCode: 1 } };
  return { waiting: 'ContainerCreating' };
}

/** `state` of a container status, as the kubelet writes it. */
function stateObject(st: StateSpec, c: ContainerSpec, pod: string, startedAt: string): KObj {
  if (st.running) return { running: { startedAt } };
  if (st.waiting)
    return {
      waiting: {
        reason: st.waiting,
        ...(st.waiting === 'CrashLoopBackOff'
          ? { message: `back-off 5m0s restarting failed container=${c.name} pod=${pod}` }
          : {}),
      },
    };
  return {
    terminated: {
      exitCode: st.terminated!.exitCode,
      reason: st.terminated!.reason,
      startedAt,
      finishedAt: iso(5_000),
      containerID: `containerd://${hex(pod + c.name)}`,
    },
  };
}

function containerStatus(c: ContainerSpec, pod: string, startedAt: string, phase: PodPhase): KObj {
  const image = c.image ?? 'registry.example.com/batch/worker:1.4.2';
  const st = c.state ?? defaultState(phase);
  const state = stateObject(st, c, pod, startedAt);
  const started = !!st.running;
  return {
    name: c.name,
    image,
    imageID: `${image.split(':')[0]}@sha256:${hex(image)}`,
    ...(st.waiting === 'ContainerCreating' ? {} : { containerID: `containerd://${hex(pod + c.name)}` }),
    ready: c.ready ?? (started && !c.sidecar ? true : !!(started && c.sidecar)),
    restartCount: c.restartCount ?? 0,
    started,
    state,
    ...(c.lastTerminated
      ? {
          lastState: {
            terminated: {
              exitCode: c.lastTerminated.exitCode,
              reason: c.lastTerminated.reason,
              startedAt: iso(120_000),
              finishedAt: iso(60_000),
              containerID: `containerd://${hex(`${pod + c.name}prev`)}`,
            },
          },
        }
      : { lastState: {} }),
    volumeMounts: [
      {
        name: 'kube-api-access',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        readOnly: true,
        recursiveReadOnly: 'Disabled',
      },
    ],
  };
}

// long: builds one complete Pod object (spec, conditions, statuses) the way the kubelet would report it
export function pod(s: PodSpec): KObj {
  const containers = s.containers ?? [{ name: 'main' }];
  const init = s.initContainers ?? [];
  const created = iso(s.ageMs ?? 30_000);
  const scheduled = s.nodeName !== undefined || s.phase !== 'Pending';
  const nodeName = s.nodeName ?? (scheduled ? 'node-0' : undefined);
  const running = s.phase === 'Running';
  const statuses = containers.map((c) => containerStatus(c, s.name, created, s.phase));
  const allReady = running && statuses.every((c: KObj) => c.ready);
  const cond = (type: string, ok: boolean, reason?: string) => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: created,
    ...(ok || !reason ? {} : { reason }),
  });
  const terminal = s.phase === 'Succeeded' || s.phase === 'Failed';
  const conditions = scheduled
    ? [
        cond('PodReadyToStartContainers', running || terminal),
        cond('Initialized', true),
        cond('Ready', allReady, terminal ? 'PodCompleted' : 'ContainersNotReady'),
        cond('ContainersReady', allReady, terminal ? 'PodCompleted' : 'ContainersNotReady'),
        cond('PodScheduled', true),
        ...(s.extraConditions ?? []),
      ]
    : [
        {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: created,
          reason: 'Unschedulable',
          message: '0/3 nodes are available: 3 Insufficient cpu.',
        },
        ...(s.extraConditions ?? []),
      ];
  const ip = scheduled && s.phase !== 'Pending' ? (s.podIP ?? nextIp()) : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: randomUUID(),
      creationTimestamp: created,
      labels: s.labels ?? {},
      ...(s.owner ? { ownerReferences: [{ ...s.owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      restartPolicy: s.restartPolicy ?? 'Never',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      ...(init.length ? { initContainers: init.map(containerSpec) } : {}),
      containers: containers.map(containerSpec),
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      volumes: [
        {
          name: 'kube-api-access',
          projected: {
            defaultMode: 420,
            sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }],
          },
        },
        ...(s.volumes ?? []),
      ],
      ...(s.resourceClaims?.length
        ? {
            resourceClaims: s.resourceClaims.map((c) => ({
              name: c.name,
              ...(c.resourceClaimName ? { resourceClaimName: c.resourceClaimName } : {}),
              ...(c.resourceClaimTemplateName ? { resourceClaimTemplateName: c.resourceClaimTemplateName } : {}),
            })),
          }
        : {}),
    },
    status: {
      phase: s.phase,
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.message ? { message: s.message } : {}),
      conditions,
      ...(scheduled ? { hostIP: '10.0.0.1', hostIPs: [{ ip: '10.0.0.1' }] } : {}),
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      ...(scheduled ? { startTime: created } : {}),
      ...(init.length
        ? {
            initContainerStatuses: init.map((c) =>
              containerStatus(
                { state: c.sidecar ? { running: true } : { terminated: { reason: 'Completed', exitCode: 0 } }, ...c },
                s.name,
                created,
                s.phase,
              ),
            ),
          }
        : {}),
      ...(scheduled ? { containerStatuses: statuses } : {}),
      ...(s.resourceClaims?.some((c) => c.generatedName)
        ? {
            resourceClaimStatuses: s.resourceClaims
              .filter((c) => c.generatedName)
              .map((c) => ({ name: c.name, resourceClaimName: c.generatedName })),
          }
        : {}),
      qosClass: 'Burstable',
    },
  };
}

export function ownerRef(o: KObj): { kind: string; name: string; uid: string; apiVersion: string } {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid };
}

export const jobPodLabels = (j: KObj): Record<string, string> => ({ ...j.spec.template.metadata.labels });
