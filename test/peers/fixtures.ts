// Objects that exercise most KSM families for Jobs, Pods and CronJobs (conditions, container states, resources,
// owners, CronJob schedule/status), valid for a real kube-apiserver: spec is created first, status is written
// afterwards through the status subresource in the order the controllers would (real-peers.md §7).
import type { ResourceName } from '@kso/metrics';

export interface Fixture {
  /** kube-sim resource / REST plural */
  resource: ResourceName;
  apiPath: string;
  object: Record<string, unknown>;
  /** Status subresource writes, applied in order (Job conditions must follow the controller's sequence). */
  statuses: Record<string, unknown>[];
}

const T0 = '2026-11-01T10:00:00Z';
const T1 = '2026-11-01T10:00:05Z';
const T2 = '2026-11-01T10:01:00Z';
const T3 = '2026-11-01T10:05:00Z';

const container = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: `registry.invalid/${name}:1.0`,
  resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
  ...extra,
});

const jobTemplate = (restartPolicy = 'Never') => ({
  spec: { restartPolicy, containers: [container('work')] },
});

function job(ns: string, name: string, spec: Record<string, unknown>, statuses: Record<string, unknown>[]): Fixture {
  return {
    resource: 'jobs',
    apiPath: `/apis/batch/v1/namespaces/${ns}/jobs/${name}`,
    object: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: ns, labels: { app: 'fixture', tier: 'batch' } },
      spec: { backoffLimit: 2, completions: 1, parallelism: 1, template: jobTemplate(), ...spec },
    },
    statuses,
  };
}

function pod(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): Fixture {
  return {
    resource: 'pods',
    apiPath: `/api/v1/namespaces/${ns}/pods/${name}`,
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app: 'fixture' }, ...meta },
      spec: { restartPolicy: 'Never', nodeName: 'node-a', containers: [container('app')], ...spec },
    },
    statuses: [status],
  };
}

const cond = (type: string, status: string, extra: Record<string, unknown> = {}) => ({
  type,
  status,
  lastProbeTime: null,
  lastTransitionTime: T1,
  ...extra,
});

export function fixtures(ns: string): Fixture[] {
  const list: Fixture[] = [
    job(ns, 'running', { completions: 3, parallelism: 2 }, [{ startTime: T0, active: 2, ready: 1, succeeded: 1 }]),
    job(ns, 'done', {}, [
      { startTime: T0, active: 1 },
      {
        startTime: T0,
        completionTime: T2,
        succeeded: 1,
        active: 0,
        conditions: [
          cond('SuccessCriteriaMet', 'True', {
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          }),
          cond('Complete', 'True', {
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          }),
        ],
      },
    ]),
    job(ns, 'broken', { backoffLimit: 0 }, [
      { startTime: T0, active: 1 },
      {
        startTime: T0,
        failed: 1,
        active: 0,
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
    ]),
    job(ns, 'paused', { suspend: true, activeDeadlineSeconds: 600 }, []),
    {
      resource: 'cronjobs',
      apiPath: `/apis/batch/v1/namespaces/${ns}/cronjobs/nightly`,
      object: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly', namespace: ns, labels: { app: 'fixture' } },
        spec: {
          schedule: '0 3 * * *',
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 120,
          successfulJobsHistoryLimit: 2,
          failedJobsHistoryLimit: 1,
          jobTemplate: { spec: { template: jobTemplate() } },
        },
      },
      statuses: [{ lastScheduleTime: T0, lastSuccessfulTime: T2 }],
    },
    {
      resource: 'cronjobs',
      apiPath: `/apis/batch/v1/namespaces/${ns}/cronjobs/frequent`,
      object: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'frequent', namespace: ns },
        spec: { schedule: '*/5 * * * *', suspend: true, jobTemplate: { spec: { template: jobTemplate('OnFailure') } } },
      },
      statuses: [
        {
          lastScheduleTime: T3,
          active: [{ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'running', uid: 'not-checked' }],
        },
      ],
    },
    pod(
      ns,
      'pending',
      { nodeName: undefined },
      {
        phase: 'Pending',
        conditions: [cond('PodScheduled', 'False', { reason: 'Unschedulable', message: '0/1 nodes are available' })],
      },
    ),
    pod(
      ns,
      'creating',
      { initContainers: [container('init')] },
      {
        phase: 'Pending',
        startTime: T0,
        conditions: [cond('PodScheduled', 'True'), cond('Initialized', 'False'), cond('Ready', 'False')],
        initContainerStatuses: [
          {
            name: 'init',
            image: 'registry.invalid/init:1.0',
            imageID: '',
            ready: false,
            restartCount: 2,
            started: false,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
            lastState: { terminated: { reason: 'Error', exitCode: 1, startedAt: T0, finishedAt: T1 } },
          },
        ],
        containerStatuses: [
          {
            name: 'app',
            image: 'registry.invalid/app:1.0',
            imageID: '',
            ready: false,
            restartCount: 0,
            started: false,
            state: { waiting: { reason: 'PodInitializing' } },
          },
        ],
      },
    ),
    pod(
      ns,
      'web',
      {
        restartPolicy: 'Always',
        containers: [container('app'), container('proxy')],
        priorityClassName: '',
        // The same toleration twice (the API server accepts it): one series, not two.
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
          { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
          { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
        ],
      },
      {
        phase: 'Running',
        startTime: T0,
        podIP: '10.1.0.7',
        podIPs: [{ ip: '10.1.0.7' }],
        hostIP: '192.168.0.2',
        qosClass: 'Burstable',
        conditions: [
          cond('PodScheduled', 'True'),
          cond('Initialized', 'True'),
          cond('ContainersReady', 'True'),
          cond('Ready', 'True'),
        ],
        containerStatuses: [
          {
            name: 'app',
            image: 'registry.invalid/app:1.0',
            imageID: 'registry.invalid/app@sha256:aaaa',
            containerID: 'containerd://app1',
            ready: true,
            restartCount: 3,
            started: true,
            state: { running: { startedAt: T1 } },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: T0, finishedAt: T1 } },
          },
          {
            name: 'proxy',
            image: 'registry.invalid/proxy:1.0',
            imageID: 'registry.invalid/proxy@sha256:bbbb',
            containerID: 'containerd://proxy1',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: T1 } },
          },
        ],
      },
      { ownerReferences: undefined },
    ),
    pod(
      ns,
      'done-worker',
      {},
      {
        phase: 'Succeeded',
        startTime: T0,
        conditions: [cond('PodScheduled', 'True'), cond('Ready', 'False', { reason: 'PodCompleted' })],
        containerStatuses: [
          {
            name: 'app',
            image: 'registry.invalid/app:1.0',
            imageID: '',
            ready: false,
            restartCount: 0,
            started: false,
            state: { terminated: { reason: 'Completed', exitCode: 0, startedAt: T0, finishedAt: T2 } },
          },
        ],
      },
    ),
    pod(
      ns,
      'evicted',
      {},
      {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        startTime: T0,
        conditions: [
          cond('PodScheduled', 'True'),
          cond('DisruptionTarget', 'True', { reason: 'TerminationByKubelet' }),
        ],
        containerStatuses: [
          {
            name: 'app',
            image: 'registry.invalid/app:1.0',
            imageID: '',
            ready: false,
            restartCount: 1,
            started: false,
            state: { terminated: { reason: 'Error', exitCode: 137, startedAt: T0, finishedAt: T3 } },
          },
        ],
      },
    ),
  ];
  return list.map(clean);
}

/** Drops `undefined` keys (used above to remove defaults), as JSON.stringify would. */
function clean(f: Fixture): Fixture {
  return JSON.parse(JSON.stringify(f)) as Fixture;
}

/** For kube-sim: the object with its final status merged in (kube-sim accepts status on create). */
export function withFinalStatus(f: Fixture): Record<string, unknown> {
  const status = Object.assign({}, ...f.statuses) as Record<string, unknown>;
  return { ...f.object, status };
}

export type ApiCall = (method: string, path: string, body?: unknown, contentType?: string) => Promise<unknown>;

/** Creates each fixture through the REST API, then replays its status writes on the status subresource. */
export async function createFixtures(call: ApiCall, list: Fixture[]): Promise<void> {
  for (const f of list) {
    await call('POST', f.apiPath.slice(0, f.apiPath.lastIndexOf('/')), f.object);
    for (const status of f.statuses)
      await call('PATCH', `${f.apiPath}/status`, { status }, 'application/merge-patch+json');
  }
}
