// Objects for the family tables (pods/jobs/cronjobs.table.test.ts): small, but shaped like what the API server,
// the controllers and the kubelet write.

const T0 = '2026-11-01T10:00:00Z'; // 1793527200
const T1 = '2026-11-01T10:00:05Z'; // 1793527205
const T2 = '2026-11-01T10:01:00Z'; // 1793527260
const T3 = '2026-11-01T10:05:00Z'; // 1793527500

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'ns',
  uid: `uid-${name}`,
  resourceVersion: '4711',
  creationTimestamp: T0,
  labels: { app: 'web', 'app.kubernetes.io/team': 'payments' },
  annotations: { 'example.com/owner': 'alice' },
  ...extra,
});
const cond = (type: string, status: string, extra: Record<string, unknown> = {}) => ({
  type,
  status,
  lastTransitionTime: T1,
  ...extra,
});
const runningStatus = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: `docker.io/library/${name}:1.2`,
  imageID: `docker.io/library/${name}@sha256:abc`,
  containerID: `containerd://${name}-1`,
  ready: true,
  restartCount: 0,
  state: { running: { startedAt: T1 } },
  ...extra,
});

/** Running pod with everything set: owner, IPs, resources, sidecar, volumes, DRA claims, tolerations. */
export const podFull = {
  metadata: meta('web-1', {
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs', controller: true }],
  }),
  spec: {
    nodeName: 'node-a',
    hostNetwork: false,
    priorityClassName: 'high',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    serviceAccountName: 'web-sa',
    runtimeClassName: 'gvisor',
    overhead: { cpu: '250m', memory: '120Mi' },
    nodeSelector: { 'kubernetes.io/os': 'linux', 'cloud.google.com/gke-accelerator': 'nvidia-tesla-t4' },
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
    ],
    initContainers: [
      { name: 'migrate', image: 'migrate:3', resources: { requests: { cpu: '100m' } } },
      { name: 'proxy', image: 'envoy:1.30', restartPolicy: 'Always', resources: { limits: { memory: '64Mi' } } },
    ],
    containers: [
      {
        name: 'app',
        image: 'app:1.2',
        resources: {
          requests: { cpu: '500m', memory: '256Mi', 'hugepages-2Mi': '4Mi', 'example.com/fpga': '2' },
          limits: { cpu: '1', memory: '512Mi', 'ephemeral-storage': '1Gi' },
        },
      },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'web-data', readOnly: true } },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
      { name: 'cfg', configMap: { name: 'cfg' } },
    ],
    resourceClaims: [
      { name: 'gpu', resourceClaimTemplateName: 'gpu-template' },
      { name: 'nic', resourceClaimName: 'rdma-nic-0' },
      { name: 'pending', resourceClaimTemplateName: 'fpga-template' },
      { name: 'broken' },
    ],
  },
  status: {
    phase: 'Running',
    qosClass: 'Burstable',
    hostIP: '10.0.0.1',
    podIP: '10.244.1.5',
    podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00::5' }, { ip: 'not-an-ip' }],
    startTime: T1,
    conditions: [
      cond('Initialized', 'True', { lastTransitionTime: T1 }),
      cond('Ready', 'True', { lastTransitionTime: T2 }),
      cond('ContainersReady', 'True', { lastTransitionTime: T2 }),
      cond('PodScheduled', 'True', { lastTransitionTime: T0 }),
    ],
    initContainerStatuses: [
      {
        ...runningStatus('migrate'),
        ready: false,
        state: { terminated: { reason: 'Completed', exitCode: 0, startedAt: T0, finishedAt: T1 } },
      },
      runningStatus('proxy', {
        restartCount: 1,
        lastState: { terminated: { reason: 'Error', exitCode: 1, startedAt: T0, finishedAt: T1 } },
      }),
    ],
    containerStatuses: [runningStatus('app', { image: 'docker.io/library/app:1.2' })],
    resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'web-1-gpu-x7k2p' }, { name: 'pending' }],
  },
};

/** Crash-looping container with an OOM kill before, plus a completed one. */
export const podCrash = {
  metadata: meta('crash', { labels: {}, annotations: {} }),
  spec: {
    nodeName: 'node-b',
    restartPolicy: 'OnFailure',
    containers: [
      { name: 'app', image: 'app:1.2' },
      { name: 'done', image: 'batch:1' },
    ],
  },
  status: {
    phase: 'Running',
    conditions: [cond('Ready', 'False', { reason: 'ContainersNotReady' }), cond('PodScheduled', 'True')],
    containerStatuses: [
      runningStatus('app', {
        ready: false,
        restartCount: 7,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: T1, finishedAt: T2 } },
      }),
      runningStatus('done', {
        ready: false,
        state: { terminated: { reason: 'Completed', exitCode: 0, startedAt: T1, finishedAt: T3 } },
      }),
    ],
  },
};

/** Evicted by the kubelet: phase Failed, status.reason Evicted, DisruptionTarget TerminationByKubelet. */
export const podEvicted = {
  metadata: meta('evicted', { labels: {}, annotations: {}, deletionTimestamp: T3 }),
  spec: { nodeName: 'node-a', restartPolicy: 'Never', containers: [{ name: 'app', image: 'app:1.2' }] },
  status: {
    phase: 'Failed',
    reason: 'Evicted',
    message: 'The node was low on resource: memory.',
    conditions: [
      cond('DisruptionTarget', 'True', { reason: 'TerminationByKubelet', message: 'The node was low on resource' }),
      cond('Ready', 'False'),
    ],
    containerStatuses: [
      runningStatus('app', {
        ready: false,
        state: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137, startedAt: T1, finishedAt: T2 } },
      }),
    ],
  },
};

/** Pending: the scheduler found no node. Its nodeSelector keys sanitise to colliding label names. */
export const podUnschedulable = {
  metadata: meta('pending', { labels: {}, annotations: {} }),
  spec: {
    nodeSelector: { 'topology.kubernetes.io/zone': 'a', topology_kubernetes_io_zone: 'b', diskType: 'ssd' },
    containers: [{ name: 'app', image: 'app:1.2' }],
  },
  status: {
    phase: 'Pending',
    qosClass: 'BestEffort',
    conditions: [
      cond('PodScheduled', 'False', {
        reason: 'Unschedulable',
        message: '0/3 nodes are available',
        lastTransitionTime: T2,
      }),
    ],
  },
};

/** Preempted: DisruptionTarget PreemptionByScheduler while still running, with an unlisted status reason. */
export const podPreempted = {
  metadata: meta('preempted', { labels: {}, annotations: {}, deletionTimestamp: T3 }),
  spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'app:1.2' }] },
  status: {
    phase: 'Running',
    reason: 'OutOfcpu',
    conditions: [
      cond('DisruptionTarget', 'True', {
        reason: 'PreemptionByScheduler',
        message: 'default-scheduler: preempting to accommodate a higher priority pod',
        lastTransitionTime: T3,
      }),
    ],
    containerStatuses: [runningStatus('app')],
  },
};

// ---------------------------------------------------------------------------------------------- Jobs

const job = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>, m = {}) => ({
  metadata: meta(name, m),
  spec: { backoffLimit: 6, ...spec },
  status,
});

export const jobRunning = job(
  'running',
  { parallelism: 2, completions: 4, activeDeadlineSeconds: 900, suspend: false },
  { startTime: T0, active: 2, ready: 1, succeeded: 1, terminating: 1 },
  { ownerReferences: [{ kind: 'CronJob', name: 'nightly', uid: 'cj', controller: true }] },
);
export const jobComplete = job(
  'complete',
  { completions: 1 },
  {
    startTime: T0,
    completionTime: T3,
    succeeded: 1,
    failed: 1,
    conditions: [
      cond('SuccessCriteriaMet', 'True', { reason: 'CompletionsReached', lastTransitionTime: T3 }),
      cond('Complete', 'True', { reason: 'CompletionsReached', lastTransitionTime: T3 }),
    ],
  },
);
export const jobBackoff = job(
  'backoff',
  {},
  {
    startTime: T0,
    failed: 3,
    conditions: [
      cond('FailureTarget', 'True', { reason: 'BackoffLimitExceeded', lastTransitionTime: T2 }),
      cond('Failed', 'True', { reason: 'BackoffLimitExceeded', lastTransitionTime: T2 }),
    ],
  },
);
export const jobIndexed = job(
  'indexed',
  { completionMode: 'Indexed', completions: 4, backoffLimitPerIndex: 0, maxFailedIndexes: 1 },
  {
    startTime: T0,
    failed: 2,
    succeeded: 1,
    failedIndexes: '1,3',
    conditions: [
      cond('FailureTarget', 'True', { reason: 'MaxFailedIndexesExceeded', lastTransitionTime: T2 }),
      cond('Failed', 'True', { reason: 'MaxFailedIndexesExceeded', lastTransitionTime: T2 }),
    ],
  },
);
export const jobNoConditions = job('retrying', {}, { startTime: T0, active: 1, failed: 2 });
export const jobSuspended = job(
  'suspended',
  { suspend: true },
  { conditions: [cond('Suspended', 'True', { reason: 'JobSuspended' })] },
);

// ---------------------------------------------------------------------------------------------- CronJobs

export const cronKolkata = {
  metadata: meta('report'),
  spec: {
    schedule: '30 9 * * 1-5',
    timeZone: 'Asia/Kolkata',
    concurrencyPolicy: 'Forbid',
    suspend: false,
    startingDeadlineSeconds: 120,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
  },
  status: { active: [{ name: 'report-1' }], lastScheduleTime: T0, lastSuccessfulTime: T3 },
};
export const cronSuspended = {
  metadata: meta('paused', { labels: {}, annotations: {} }),
  spec: { schedule: '*/5 * * * *', suspend: true, concurrencyPolicy: 'Allow' },
  status: {},
};
export const cronInvalid = {
  metadata: meta('broken', { labels: {}, annotations: {} }),
  spec: { schedule: '*/60 * * * *', concurrencyPolicy: 'Allow' },
  status: {},
};
export const cronNever = {
  metadata: meta('never', { labels: {}, annotations: {} }),
  spec: { schedule: '0 0 30 2 *', timeZone: 'UTC', concurrencyPolicy: 'Allow' },
  status: {},
};

/** An init container in CrashLoopBackOff keeps the pod Pending. */
export const podInitWaiting = {
  metadata: meta('init-crash', { labels: {}, annotations: {} }),
  spec: {
    nodeName: 'node-a',
    initContainers: [{ name: 'migrate', image: 'migrate:3' }],
    containers: [{ name: 'app', image: 'app:1.2' }],
  },
  status: {
    phase: 'Pending',
    conditions: [cond('Initialized', 'False', { reason: 'ContainersNotInitialized' })],
    initContainerStatuses: [
      runningStatus('migrate', {
        ready: false,
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { reason: 'Error', exitCode: 2, startedAt: T1, finishedAt: T2 } },
      }),
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'app:1.2',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'PodInitializing' } },
      },
    ],
  },
};

/** A Job's pod, done: local storage requested and limited (semconv job identity and storage families). */
export const podJobWorker = {
  metadata: meta('worker-x7k2p', {
    labels: { 'batch.kubernetes.io/job-name': 'worker' },
    annotations: {},
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'worker', uid: 'uid-worker', controller: true }],
  }),
  spec: {
    nodeName: 'node-b',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'work',
        image: 'work:7',
        resources: {
          requests: { cpu: '1', memory: '1Gi', storage: '10Gi', 'ephemeral-storage': '2Gi' },
          limits: { cpu: '2', memory: '2Gi', storage: '20Gi', 'ephemeral-storage': '4Gi' },
        },
      },
    ],
  },
  status: {
    phase: 'Succeeded',
    qosClass: 'Burstable',
    startTime: T0,
    conditions: [cond('Ready', 'False', { reason: 'PodCompleted' }), cond('PodScheduled', 'True')],
    containerStatuses: [
      runningStatus('work', {
        ready: false,
        state: { terminated: { reason: 'Completed', exitCode: 0, startedAt: T1, finishedAt: T3 } },
      }),
    ],
  },
};
