// Job + Pod objects as the Job controller and kubelet would write them for a CronJob run with the
// sidecar as a native sidecar, and the status transition when the main container exits.
import type { KubeSim } from '@kso/kube-sim';

export const NS = 'ops';

/** The CronJob a run's Job belongs to: its name without the schedule-time suffix (descheduler-29000001). */
export const cronJobOf = (job: string): string => job.replace(/-\d+$/, '');

export function jobObject(name: string): Record<string, unknown> {
  const cron = cronJobOf(name);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      labels: { 'app.kubernetes.io/name': 'descheduler' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cron, uid: `uid-${cron}`, controller: true }],
    },
    spec: { completions: 1, parallelism: 1, backoffLimit: 0, template: { spec: { containers: [] } } },
    status: { active: 1, startTime: new Date().toISOString() },
  };
}

export function podObject(name: string, job: string, graceSeconds = 30): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      labels: { 'batch.kubernetes.io/job-name': job, 'job-name': job },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job, uid: `uid-${job}`, controller: true }],
      creationTimestamp: now,
    },
    spec: {
      nodeName: 'node-1',
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: graceSeconds,
      initContainers: [{ name: 'kso-sidecar', image: 'kso', restartPolicy: 'Always' }],
      containers: [{ name: 'descheduler', image: 'busybox' }],
    },
    status: {
      phase: 'Running',
      startTime: now,
      conditions: [{ type: 'Ready', status: 'True' }],
      initContainerStatuses: [
        {
          name: 'kso-sidecar',
          image: 'kso',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now } },
        },
      ],
      containerStatuses: [
        { name: 'descheduler', image: 'busybox', ready: true, restartCount: 0, state: { running: { startedAt: now } } },
      ],
    },
  };
}

/** What the kubelet reports once the main container has exited. */
export function terminatedStatus(reason: string, exitCode: number): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    containerStatuses: [
      {
        name: 'descheduler',
        image: 'busybox',
        ready: false,
        restartCount: 0,
        state: { terminated: { reason, exitCode, startedAt: now, finishedAt: now } },
      },
    ],
  };
}

export async function createRun(sim: KubeSim, job: string, pod: string, graceSeconds = 30): Promise<void> {
  await sim.cluster.create('jobs', jobObject(job));
  await sim.cluster.create('pods', podObject(pod, job, graceSeconds));
}

export async function terminateMain(sim: KubeSim, pod: string, reason: string, exitCode: number): Promise<void> {
  await sim.cluster.patch('pods', NS, pod, { status: terminatedStatus(reason, exitCode) });
}

export const MAIN_METRICS = (evicted: number) => `# HELP descheduler_pods_evicted Number of evicted pods
# TYPE descheduler_pods_evicted counter
descheduler_pods_evicted{strategy="RemoveDuplicates",result="success"} ${evicted}
# HELP descheduler_loop_duration_seconds Time taken by the last descheduling loop
# TYPE descheduler_loop_duration_seconds gauge
descheduler_loop_duration_seconds 0.42
`;
