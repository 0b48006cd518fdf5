// Hand-written objects for the KSM parity differential (issue 12): the shapes controllers and the kubelet really
// write for indexed Jobs with per-index backoff, success and failure policies, evicted / preempted / unschedulable /
// crash-looping pods, native sidecars, ephemeral containers, PVC and generic ephemeral volumes, DRA resource
// claims, and time-zoned / suspended CronJobs. Full objects (spec + status) for kube-sim, which keeps identity.
import { type GeneratedSchedule, generateSchedules } from './cron-schedules.ts';

type Obj = Record<string, unknown>;

const T0 = '2026-11-01T10:00:00Z';
const T1 = '2026-11-01T10:00:05Z';
const T2 = '2026-11-01T10:01:00Z';
const T3 = '2026-11-01T10:05:00Z';

let uidSeq = 0;
const uid = (kind: string) =>
  `00000000-0000-4000-8000-${kind.padEnd(4, '0').slice(0, 4)}${String(++uidSeq).padStart(8, '0')}`;

const meta = (ns: string, name: string, kind: string, extra: Obj = {}) => ({
  name,
  namespace: ns,
  uid: uid(kind),
  resourceVersion: '1',
  creationTimestamp: T0,
  labels: { app: 'parity' },
  ...extra,
});
const cond = (type: string, status: string, extra: Obj = {}) => ({
  type,
  status,
  lastProbeTime: null,
  lastTransitionTime: T1,
  ...extra,
});
const container = (name: string, extra: Obj = {}) => ({
  name,
  image: `registry.invalid/${name}:1.0`,
  resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
  ...extra,
});
const running = (name: string, extra: Obj = {}) => ({
  name,
  image: `registry.invalid/${name}:1.0`,
  imageID: `registry.invalid/${name}@sha256:${'ab'.repeat(32)}`,
  containerID: `containerd://${name}${'0'.repeat(20)}`,
  ready: true,
  started: true,
  restartCount: 0,
  state: { running: { startedAt: T1 } },
  lastState: {},
  ...extra,
});
const terminated = (name: string, reason: string, exitCode: number, extra: Obj = {}) =>
  running(name, {
    ready: false,
    started: false,
    state: { terminated: { reason, exitCode, startedAt: T1, finishedAt: T2, containerID: `containerd://${name}` } },
    ...extra,
  });

function job(ns: string, name: string, spec: Obj, status: Obj, m: Obj = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(ns, name, 'job', m),
    spec: {
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      template: { spec: { restartPolicy: 'Never', containers: [container('work')] } },
      ...spec,
    },
    status,
  };
}

function pod(ns: string, name: string, spec: Obj, status: Obj, m: Obj = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(ns, name, 'pod', m),
    spec: {
      restartPolicy: 'Always',
      nodeName: 'node-a',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      containers: [container('app')],
      ...spec,
    },
    status: { hostIP: '10.0.0.1', startTime: T1, qosClass: 'Burstable', ...status },
  };
}

const readyConds = (ok: boolean) => [
  cond('PodReadyToStartContainers', 'True'),
  cond('Initialized', 'True'),
  cond('Ready', ok ? 'True' : 'False', ok ? {} : { reason: 'ContainersNotReady' }),
  cond('ContainersReady', ok ? 'True' : 'False', ok ? {} : { reason: 'ContainersNotReady' }),
  cond('PodScheduled', 'True'),
];

function cronjob(ns: string, name: string, spec: Obj, status: Obj = {}, m: Obj = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(ns, name, 'cron', m),
    spec: {
      concurrencyPolicy: 'Allow',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container('tick')] } } } },
      ...spec,
    },
    status,
  };
}

/** Families the hand-written objects must produce series for (on top of the always-present ones). */
export const PARITY_FAMILIES = [
  'kube_pod_resourceclaim_info',
  'kube_pod_spec_volumes_persistentvolumeclaims_readonly',
  'kube_pod_init_container_info',
  'kube_pod_init_container_status_waiting_reason',
  'kube_pod_container_status_last_terminated_reason',
  'kube_pod_status_reason',
  'kube_pod_status_disruption_reason',
  'kube_pod_status_unschedulable',
  'kube_pod_overhead_cpu_cores',
  'kube_pod_runtimeclass_name_info',
  'kube_pod_nodeselectors',
  'kube_job_failed',
  'kube_job_complete',
  'kube_job_status_suspended',
  'kube_job_status_completion_time',
  'kube_cronjob_schedule_invalid',
  'kube_cronjob_next_schedule_time',
  'kube_cronjob_status_last_successful_time',
];

export function parityObjects(ns: string): Obj[] {
  const cronOwner = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'hourly', uid: 'cron-owner', controller: true };
  const jobOwner = (name: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    name,
    uid: `job-${name}`,
    controller: true,
  });
  return [
    // --------------------------------------------------------------------------------------------- Jobs
    job(
      ns,
      'indexed-backoff-per-index',
      { completionMode: 'Indexed', completions: 4, parallelism: 2, backoffLimitPerIndex: 1, maxFailedIndexes: 1 },
      {
        startTime: T0,
        active: 2,
        ready: 1,
        succeeded: 1,
        failed: 2,
        failedIndexes: '2',
        completedIndexes: '0',
        terminating: 1,
        uncountedTerminatedPods: {},
      },
    ),
    job(
      ns,
      'indexed-max-failed',
      { completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 0, maxFailedIndexes: 1 },
      {
        startTime: T0,
        failed: 2,
        succeeded: 1,
        failedIndexes: '1,3',
        completedIndexes: '0',
        conditions: [
          cond('FailureTarget', 'True', {
            reason: 'MaxFailedIndexesExceeded',
            message: 'Job has exceeded the specified maximal number of failed indexes',
          }),
          cond('Failed', 'True', {
            reason: 'MaxFailedIndexesExceeded',
            message: 'Job has exceeded the specified maximal number of failed indexes',
          }),
        ],
      },
    ),
    job(
      ns,
      'success-policy',
      {
        completionMode: 'Indexed',
        completions: 3,
        parallelism: 3,
        successPolicy: { rules: [{ succeededIndexes: '0' }] },
      },
      {
        startTime: T0,
        completionTime: T3,
        succeeded: 1,
        completedIndexes: '0',
        conditions: [
          cond('SuccessCriteriaMet', 'True', { reason: 'SuccessPolicy', message: 'Matched rules at index 0' }),
          cond('Complete', 'True', { reason: 'SuccessPolicy', message: 'Matched rules at index 0' }),
        ],
      },
    ),
    job(
      ns,
      'pod-failure-policy',
      {
        podFailurePolicy: {
          rules: [{ action: 'FailJob', onExitCodes: { containerName: 'work', operator: 'In', values: [42] } }],
        },
      },
      {
        startTime: T0,
        failed: 1,
        conditions: [
          cond('FailureTarget', 'True', {
            reason: 'PodFailurePolicy',
            message: 'Container work for pod exited with 42',
          }),
          cond('Failed', 'True', { reason: 'PodFailurePolicy', message: 'Container work for pod exited with 42' }),
        ],
      },
    ),
    job(
      ns,
      'backoff-exceeded',
      { backoffLimit: 2 },
      {
        startTime: T0,
        failed: 3,
        conditions: [
          cond('FailureTarget', 'True', {
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          }),
          cond('Failed', 'True', {
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          }),
        ],
      },
    ),
    job(
      ns,
      'deadline',
      { activeDeadlineSeconds: 60 },
      {
        startTime: T0,
        failed: 0,
        conditions: [
          cond('FailureTarget', 'True', { reason: 'DeadlineExceeded' }),
          cond('Failed', 'True', {
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          }),
        ],
      },
    ),
    job(
      ns,
      'suspended',
      { suspend: true },
      {
        conditions: [cond('Suspended', 'True', { reason: 'JobSuspended', message: 'Job suspended' })],
      },
    ),
    job(
      ns,
      'resumed',
      { suspend: false },
      {
        startTime: T2,
        active: 1,
        ready: 0,
        conditions: [cond('Suspended', 'False', { reason: 'JobResumed', message: 'Job resumed' })],
      },
    ),
    job(ns, 'failing-no-conditions', {}, { startTime: T0, active: 1, failed: 2, ready: 0 }),
    job(
      ns,
      'from-cronjob',
      { completions: 2, parallelism: 2 },
      { startTime: T0, active: 2, ready: 2 },
      {
        ownerReferences: [cronOwner],
      },
    ),
    job(
      ns,
      'succeeded-after-retry',
      {},
      {
        startTime: T0,
        completionTime: T3,
        succeeded: 1,
        failed: 1,
        conditions: [
          cond('SuccessCriteriaMet', 'True', { reason: 'CompletionsReached' }),
          cond('Complete', 'True', { reason: 'CompletionsReached' }),
        ],
      },
    ),
    job(ns, 'unknown-condition', {}, { startTime: T0, conditions: [cond('Complete', 'Unknown')] }),

    // --------------------------------------------------------------------------------------------- Pods
    // kube_pod_nodeselectors (opt-in): four keys that all sanitise to nodeselector_disk_type, one of them literally
    // the name the first collision would take (KSM skips taken _conflictN names), plus a prefixed camelCase key.
    pod(
      ns,
      'node-selected',
      {
        nodeSelector: {
          'disk.type': 'ssd',
          diskType: 'nvme',
          disk_type: 'hdd',
          disk_type_conflict1: 'tape',
          'example.com/GPU-Model': 'a100',
        },
      },
      { phase: 'Running', conditions: readyConds(true), podIP: '10.244.0.9', podIPs: [{ ip: '10.244.0.9' }] },
    ),
    pod(
      ns,
      'evicted',
      { restartPolicy: 'Never' },
      {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        conditions: [
          cond('DisruptionTarget', 'True', {
            reason: 'TerminationByKubelet',
            message: 'The node was low on resource: memory.',
          }),
          cond('Ready', 'False', { reason: 'PodFailed' }),
          cond('PodScheduled', 'True'),
        ],
        containerStatuses: [terminated('app', 'ContainerStatusUnknown', 137)],
      },
      { ownerReferences: [jobOwner('batch-1')] },
    ),
    pod(
      ns,
      'preempted',
      { priorityClassName: 'low' },
      {
        phase: 'Running',
        conditions: [
          ...readyConds(true),
          cond('DisruptionTarget', 'True', {
            reason: 'PreemptionByScheduler',
            message: 'default-scheduler: preempting to accommodate a higher priority pod',
          }),
        ],
        podIP: '10.244.0.7',
        podIPs: [{ ip: '10.244.0.7' }],
        containerStatuses: [running('app')],
      },
      { deletionTimestamp: T3, deletionGracePeriodSeconds: 30 },
    ),
    pod(
      ns,
      'drained',
      {},
      {
        phase: 'Running',
        conditions: [
          ...readyConds(true),
          cond('DisruptionTarget', 'True', { reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }),
        ],
        podIP: '10.244.0.8',
        podIPs: [{ ip: '10.244.0.8' }, { ip: 'fd00::8' }],
        containerStatuses: [running('app')],
      },
      { deletionTimestamp: T3 },
    ),
    pod(
      ns,
      'unschedulable',
      { nodeName: undefined, nodeSelector: { 'node.kubernetes.io/instance-type': 'gpu-xl' } },
      {
        phase: 'Pending',
        hostIP: undefined,
        startTime: undefined,
        conditions: [
          cond('PodScheduled', 'False', {
            reason: 'Unschedulable',
            message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
          }),
        ],
      },
    ),
    pod(
      ns,
      'scheduling-gated',
      { nodeName: undefined, schedulingGates: [{ name: 'example.com/quota' }] },
      {
        phase: 'Pending',
        hostIP: undefined,
        startTime: undefined,
        conditions: [
          cond('PodScheduled', 'False', {
            reason: 'SchedulingGated',
            message: 'Scheduling is blocked due to non-empty scheduling gates',
          }),
        ],
      },
    ),
    pod(
      ns,
      'crash-looping',
      {},
      {
        phase: 'Running',
        conditions: readyConds(false),
        podIP: '10.244.0.9',
        podIPs: [{ ip: '10.244.0.9' }],
        containerStatuses: [
          running('app', {
            ready: false,
            started: false,
            restartCount: 7,
            state: {
              waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app' },
            },
            lastState: {
              terminated: {
                reason: 'OOMKilled',
                exitCode: 137,
                startedAt: T1,
                finishedAt: T2,
                containerID: 'containerd://prev',
              },
            },
          }),
        ],
      },
    ),
    pod(
      ns,
      'image-pull',
      { containers: [container('app'), container('helper', { image: 'registry.invalid/missing:0' })] },
      {
        phase: 'Pending',
        conditions: readyConds(false),
        containerStatuses: [
          running('app'),
          {
            name: 'helper',
            image: 'registry.invalid/missing:0',
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
            lastState: {},
          },
        ],
      },
    ),
    pod(
      ns,
      'native-sidecar',
      {
        initContainers: [container('init-db'), container('proxy', { restartPolicy: 'Always' })],
      },
      {
        phase: 'Running',
        conditions: readyConds(true),
        podIP: '10.244.0.10',
        podIPs: [{ ip: '10.244.0.10' }],
        initContainerStatuses: [
          terminated('init-db', 'Completed', 0),
          running('proxy', {
            restartCount: 1,
            lastState: { terminated: { reason: 'Error', exitCode: 1, startedAt: T0, finishedAt: T1 } },
          }),
        ],
        containerStatuses: [running('app')],
      },
      {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-1', controller: true },
        ],
      },
    ),
    pod(
      ns,
      'ephemeral-debug',
      {
        ephemeralContainers: [
          { name: 'debugger', image: 'busybox:1.36', targetContainerName: 'app', stdin: true, tty: true },
        ],
      },
      {
        phase: 'Running',
        conditions: readyConds(true),
        podIP: '10.244.0.11',
        podIPs: [{ ip: '10.244.0.11' }],
        containerStatuses: [running('app')],
        ephemeralContainerStatuses: [running('debugger', { ready: false })],
      },
    ),
    pod(
      ns,
      'volumes',
      {
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'dataset', readOnly: true } },
          { name: 'logs', persistentVolumeClaim: { claimName: 'logs-pvc' } },
          {
            name: 'scratch',
            ephemeral: {
              volumeClaimTemplate: {
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
              },
            },
          },
          { name: 'cfg', configMap: { name: 'cfg' } },
        ],
      },
      {
        phase: 'Running',
        conditions: readyConds(true),
        podIP: '10.244.0.12',
        podIPs: [{ ip: '10.244.0.12' }],
        containerStatuses: [running('app')],
      },
    ),
    pod(
      ns,
      'dra-claims',
      {
        containers: [
          container('trainer', {
            resources: {
              requests: { cpu: '2', memory: '8Gi', 'hugepages-2Mi': '64Mi', 'example.com/fpga': '1' },
              limits: { cpu: '4', memory: '8Gi', 'hugepages-2Mi': '64Mi', 'example.com/fpga': '1' },
              claims: [{ name: 'gpu' }],
            },
          }),
        ],
        resourceClaims: [
          { name: 'gpu', resourceClaimTemplateName: 'gpu-template' },
          { name: 'shared-nic', resourceClaimName: 'rdma-nic-0' },
          { name: 'pending', resourceClaimTemplateName: 'fpga-template' },
        ],
        runtimeClassName: 'nvidia',
        overhead: { cpu: '250m', memory: '120Mi' },
        hostNetwork: true,
        tolerations: [
          { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
      },
      {
        phase: 'Running',
        qosClass: 'Burstable',
        conditions: readyConds(true),
        podIP: '10.0.0.1',
        podIPs: [{ ip: '10.0.0.1' }],
        containerStatuses: [running('trainer')],
        resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'dra-claims-gpu-x7k2p' }, { name: 'pending' }],
      },
    ),
    pod(
      ns,
      'job-pod-succeeded',
      { restartPolicy: 'Never' },
      {
        phase: 'Succeeded',
        conditions: [
          cond('Initialized', 'True'),
          cond('Ready', 'False', { reason: 'PodCompleted' }),
          cond('ContainersReady', 'False', { reason: 'PodCompleted' }),
          cond('PodScheduled', 'True'),
        ],
        podIP: '10.244.0.13',
        podIPs: [{ ip: '10.244.0.13' }],
        containerStatuses: [terminated('app', 'Completed', 0)],
      },
      { ownerReferences: [jobOwner('from-cronjob')] },
    ),
    pod(
      ns,
      'node-lost',
      {},
      {
        phase: 'Running',
        reason: 'NodeLost',
        message: 'Node node-a which was running pod node-lost is unresponsive',
        conditions: readyConds(false),
        podIP: '10.244.0.14',
        podIPs: [{ ip: '10.244.0.14' }],
        containerStatuses: [running('app', { ready: false })],
      },
      { deletionTimestamp: T3 },
    ),
    pod(
      ns,
      'unknown-reason',
      {},
      {
        phase: 'Failed',
        reason: 'OutOfcpu',
        message: "Pod was rejected: Node didn't have enough resource: cpu",
        conditions: [cond('DisruptionTarget', 'True', { reason: 'DeletionByPodGC' })],
      },
    ),
    pod(
      ns,
      'init-crash',
      { initContainers: [container('migrate')] },
      {
        phase: 'Pending',
        conditions: [
          cond('Initialized', 'False', { reason: 'ContainersNotInitialized' }),
          ...readyConds(false).slice(2),
        ],
        initContainerStatuses: [
          running('migrate', {
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { reason: 'Error', exitCode: 2, startedAt: T1, finishedAt: T2 } },
          }),
        ],
        containerStatuses: [
          {
            name: 'app',
            image: 'registry.invalid/app:1.0',
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'PodInitializing' } },
            lastState: {},
          },
        ],
      },
    ),

    // --------------------------------------------------------------------------------------------- CronJobs
    cronjob(
      ns,
      'hourly',
      { schedule: '0 * * * *' },
      { lastScheduleTime: T2, active: [{ kind: 'Job', name: 'from-cronjob' }] },
    ),
    cronjob(
      ns,
      'kolkata',
      { schedule: '30 9 * * 1-5', timeZone: 'Asia/Kolkata', startingDeadlineSeconds: 120 },
      { lastScheduleTime: T2, lastSuccessfulTime: T3 },
    ),
    cronjob(
      ns,
      'new-york-dst',
      { schedule: '30 2 * * *', timeZone: 'America/New_York' },
      {},
      { creationTimestamp: '2026-03-07T12:00:00Z' },
    ),
    cronjob(ns, 'suspended', {
      schedule: '*/5 * * * *',
      suspend: true,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 0,
    }),
    cronjob(ns, 'first-monday', { schedule: '0 9 1-7 * MON', concurrencyPolicy: 'Forbid' }),
    cronjob(ns, 'every-2h', { schedule: '@every 2h', concurrencyPolicy: 'Replace' }, { lastScheduleTime: T3 }),
    cronjob(ns, 'step-too-big', { schedule: '*/60 * * * *' }),
    cronjob(ns, 'bad-zone', { schedule: '0 0 * * *', timeZone: 'Mars/Olympus' }),
    cronjob(ns, 'never', { schedule: '0 0 30 2 *' }),
  ];
}

/** One CronJob per generated schedule, named by index. */
export function generatedCronJobs(
  ns: string,
  count: number,
  seed: number,
): { objects: Obj[]; schedules: GeneratedSchedule[] } {
  const schedules = generateSchedules(count, seed);
  const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const objects = schedules.map((g, i) =>
    cronjob(
      ns,
      `gen-${String(i).padStart(4, '0')}`,
      {
        schedule: g.schedule,
        ...(g.timeZone === undefined ? {} : { timeZone: g.timeZone }),
        ...(g.suspend ? { suspend: true } : {}),
      },
      g.fromLastSchedule ? { lastScheduleTime: iso(g.from) } : {},
      g.fromLastSchedule ? {} : { creationTimestamp: iso(g.from) },
    ),
  );
  return { objects, schedules };
}
