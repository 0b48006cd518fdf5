// `demo`: a small cluster that keeps changing, covering the states the agent must report correctly
// (see "Field problems" in the README): Jobs in every condition, a Job with failed pods and no
// conditions, evicted/disrupted pods, OOMKilled and CrashLoopBackOff containers, a native sidecar,
// a CronJob spawning short runs, and the agent's own StatefulSet for autosharding.
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type KObj, resourceFor } from '../resources.ts';
import type { Store } from '../store.ts';
import { iso, job, jobPodLabels, namespace, node, ownerRef, type PodSpec, pod } from './factory.ts';

export interface DemoOptions {
  /** Interval of the scenario's clock. Default 2000 ms. */
  tickMs?: number;
  /** Replicas of the kube-state-otel StatefulSet in `monitoring`. Default 2. */
  shards?: number;
}

const R = (kind: string) => resourceFor(kind)!;
const NODES = ['node-a', 'node-b', 'node-c'];

function cond(type: string, reason: string, message: string, at = iso()): KObj {
  return { type, status: 'True', reason, message, lastProbeTime: at, lastTransitionTime: at };
}

// long: the demo cluster's script: its objects one block per field problem, then the ticking `step`
export function startDemo(store: Store, logger: Logger, o: DemoOptions = {}): { stop(): void } {
  const create = (kind: string, obj: KObj) =>
    store.create(R(kind), obj.metadata?.namespace, obj, { keepIdentity: true });
  const patch = (kind: string, ns: string | undefined, name: string, fn: (o: KObj) => void) =>
    store.patch(
      R(kind),
      ns,
      name,
      (c) => {
        fn(c);
        return c;
      },
      'all',
    );
  for (const ns of ['batch', 'demo', 'monitoring', 'kube-system']) create('Namespace', namespace(ns));
  for (const [i, n] of NODES.entries()) create('Node', node(n, i));
  let podSeq = 0;
  const podFor = (j: KObj, s: Partial<PodSpec> & { phase: PodSpec['phase'] }) =>
    create(
      'Pod',
      pod({
        name: `${j.metadata.name}-${createHash('sha1').update(`${j.metadata.uid}${podSeq++}`).digest('hex').slice(0, 5)}`,
        namespace: j.metadata.namespace,
        nodeName: NODES[podSeq % NODES.length],
        labels: jobPodLabels(j),
        owner: ownerRef(j),
        ...s,
      }),
    );

  // The agent's own StatefulSet and shard pods (autosharding reads these).
  const shards = o.shards ?? 2;
  const stsLabels = { 'app.kubernetes.io/name': 'kube-state-otel', 'app.kubernetes.io/instance': 'kso' };
  const sts = create('StatefulSet', {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: 'kube-state-otel',
      namespace: 'monitoring',
      uid: randomUUID(),
      creationTimestamp: iso(7 * 86_400_000),
      labels: { ...stsLabels, 'helm.sh/chart': 'kube-state-otel-0.1.0' },
      generation: 1,
    },
    spec: {
      replicas: shards,
      serviceName: 'kube-state-otel',
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: stsLabels },
      template: {
        metadata: { labels: stsLabels },
        spec: {
          serviceAccountName: 'kube-state-otel',
          containers: [{ name: 'kube-state-otel', image: 'ghcr.io/example/kube-state-otel:0.1.0' }],
        },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    },
    status: {
      observedGeneration: 1,
      replicas: shards,
      readyReplicas: shards,
      currentReplicas: shards,
      updatedReplicas: shards,
      availableReplicas: shards,
      currentRevision: 'kube-state-otel-6d5f8b7c9',
      updateRevision: 'kube-state-otel-6d5f8b7c9',
      collisionCount: 0,
    },
  });
  for (let i = 0; i < shards; i++)
    create(
      'Pod',
      pod({
        name: `kube-state-otel-${i}`,
        namespace: 'monitoring',
        nodeName: NODES[i % NODES.length],
        phase: 'Running',
        labels: {
          ...stsLabels,
          'controller-revision-hash': 'kube-state-otel-6d5f8b7c9',
          'statefulset.kubernetes.io/pod-name': `kube-state-otel-${i}`,
          'apps.kubernetes.io/pod-index': String(i),
        },
        owner: ownerRef(sts),
        containers: [{ name: 'kube-state-otel', image: 'ghcr.io/example/kube-state-otel:0.1.0' }],
        restartPolicy: 'Always',
        ageMs: 3 * 86_400_000,
      }),
    );

  // Finished Jobs in each terminal condition.
  const done = create(
    'Job',
    job({
      name: 'etl-nightly',
      namespace: 'batch',
      labels: { app: 'etl' },
      ageMs: 3_600_000,
      status: {
        succeeded: 1,
        ready: 0,
        terminating: 0,
        uncountedTerminatedPods: {},
        startTime: iso(3_600_000),
        completionTime: iso(3_300_000),
        conditions: [
          cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', iso(3_300_000)),
          cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', iso(3_300_000)),
        ],
      },
    }),
  );
  podFor(done, { phase: 'Succeeded', ageMs: 3_600_000 });
  const failed = create(
    'Job',
    job({
      name: 'report-export',
      namespace: 'batch',
      labels: { app: 'report' },
      backoffLimit: 2,
      ageMs: 1_800_000,
      status: {
        failed: 3,
        ready: 0,
        terminating: 0,
        uncountedTerminatedPods: {},
        startTime: iso(1_800_000),
        conditions: [
          cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', iso(1_500_000)),
          cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', iso(1_500_000)),
        ],
      },
    }),
  );
  podFor(failed, {
    phase: 'Failed',
    ageMs: 1_800_000,
    containers: [{ name: 'main', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }],
  });
  podFor(failed, { phase: 'Failed', ageMs: 1_700_000 });
  podFor(failed, { phase: 'Failed', ageMs: 1_600_000 });
  create(
    'Job',
    job({
      name: 'quarterly-report',
      namespace: 'batch',
      labels: { app: 'report' },
      suspend: true,
      ageMs: 600_000,
      status: {
        ready: 0,
        terminating: 0,
        conditions: [cond('Suspended', 'JobSuspended', 'Job suspended', iso(600_000))],
      },
    }),
  );
  // FailureTarget set, Failed not yet (pods still terminating).
  const terminating = create(
    'Job',
    job({
      name: 'index-rebuild',
      namespace: 'batch',
      labels: { app: 'search' },
      backoffLimit: 0,
      ageMs: 120_000,
      status: {
        failed: 1,
        terminating: 1,
        ready: 0,
        uncountedTerminatedPods: {},
        startTime: iso(120_000),
        conditions: [
          cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', iso(10_000)),
        ],
      },
    }),
  );
  podFor(terminating, { phase: 'Failed', ageMs: 120_000 });

  // Field problem 1: failed pods, still retrying, no conditions at all.
  const flaky = create(
    'Job',
    job({
      name: 'flaky-sync',
      namespace: 'batch',
      labels: { app: 'sync' },
      backoffLimit: 6,
      ageMs: 300_000,
      status: { active: 1, failed: 2, ready: 1, terminating: 0, uncountedTerminatedPods: {}, startTime: iso(300_000) },
    }),
  );
  podFor(flaky, { phase: 'Failed', ageMs: 300_000 });
  podFor(flaky, { phase: 'Failed', ageMs: 200_000 });
  const flakyPod = podFor(flaky, { phase: 'Running', ageMs: 60_000 });

  // A long runner with a classic init container and a native sidecar; a crash-looping service pod.
  const runner = create(
    'Job',
    job({
      name: 'model-train',
      namespace: 'batch',
      labels: { app: 'ml' },
      ageMs: 900_000,
      status: { active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {}, startTime: iso(900_000) },
    }),
  );
  podFor(runner, {
    phase: 'Running',
    ageMs: 900_000,
    initContainers: [
      { name: 'fetch-data', image: 'registry.example.com/tools/fetch:2.0' },
      { name: 'kso-sidecar', image: 'ghcr.io/example/kube-state-otel:0.1.0', sidecar: true },
    ],
    containers: [{ name: 'train', image: 'registry.example.com/ml/train:3.1' }],
  });
  const crashy = create(
    'Job',
    job({
      name: 'cache-warmer',
      namespace: 'batch',
      labels: { app: 'cache' },
      ageMs: 600_000,
      status: { active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {}, startTime: iso(600_000) },
    }),
  );
  podFor(crashy, {
    phase: 'Running',
    restartPolicy: 'OnFailure',
    ageMs: 600_000,
    containers: [
      {
        name: 'main',
        state: { waiting: 'CrashLoopBackOff' },
        restartCount: 5,
        ready: false,
        lastTerminated: { reason: 'Error', exitCode: 2 },
      },
    ],
  });

  // Field problem 2: disrupted pods, each cause as the real component records it.
  const disruptions: [string, string, string, Partial<PodSpec>][] = [
    [
      'api-drained',
      'EvictionByEvictionAPI',
      'Eviction API: evicting pod from node-b for node drain',
      { phase: 'Failed' },
    ],
    ['api-tainted', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint', { phase: 'Failed' }],
    [
      'api-preempted',
      'PreemptionByScheduler',
      'default-scheduler: preempting to accommodate a higher priority pod',
      { phase: 'Failed' },
    ],
    [
      'api-pressure',
      'TerminationByKubelet',
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi.',
      {
        phase: 'Failed',
        reason: 'Evicted',
        message:
          'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container main was using 900Mi, request is 128Mi, has larger consumption of memory.',
      },
    ],
  ];
  for (const [name, reason, message, s] of disruptions)
    create(
      'Pod',
      pod({
        name,
        namespace: 'demo',
        nodeName: 'node-b',
        labels: { app: 'api' },
        ageMs: 400_000,
        containers: [{ name: 'main', state: { terminated: { reason: 'Error', exitCode: 137 } } }],
        extraConditions: [cond('DisruptionTarget', reason, message, iso(100_000))],
        phase: 'Failed',
        ...s,
      }),
    );
  create(
    'Pod',
    pod({
      name: 'api-oom',
      namespace: 'demo',
      labels: { app: 'api' },
      phase: 'Running',
      restartPolicy: 'Always',
      nodeName: 'node-c',
      containers: [{ name: 'main', restartCount: 3, lastTerminated: { reason: 'OOMKilled', exitCode: 137 } }],
    }),
  );
  create(
    'Pod',
    pod({ name: 'api-pending', namespace: 'demo', labels: { app: 'api' }, phase: 'Pending', restartPolicy: 'Always' }),
  );

  // Field problem 4: a CronJob whose runs last seconds.
  const cron = create('CronJob', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: 'descheduler',
      namespace: 'kube-system',
      uid: randomUUID(),
      creationTimestamp: iso(86_400_000),
      labels: { app: 'descheduler' },
      generation: 1,
    },
    spec: {
      schedule: '*/2 * * * *',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      startingDeadlineSeconds: 60,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'descheduler', image: 'registry.k8s.io/descheduler/descheduler:v0.33.0' }],
            },
          },
        },
      },
    },
    status: {},
  });

  const ctx: DemoContext = { store, create, patch, podFor, cron, flakyPod };
  const runs: CronRun[] = [];
  let tick = 0;
  const step = () => {
    tick++;
    // A CronJob run every 10 ticks, running for 3 ticks; one in five fails.
    if (tick % 10 === 1) startCronRun(ctx, runs, tick);
    for (const r of runs) if (r.startedTick === tick - 3) finishCronRun(ctx, r, Math.floor(tick / 10) % 5 !== 4);
    pruneCronRuns(store, runs, tick);
    if (tick % 7 === 0) tickFlakySync(ctx, tick);
    if (tick % 5 === 0) restartCrashLoop(ctx);
  };
  const timer = setInterval(() => {
    try {
      step();
    } catch (err) {
      // The store may have been changed under the scenario (tests, kubectl); keep the cluster alive.
      logger.debug({ err }, 'demo step failed');
    }
  }, o.tickMs ?? 2000);
  timer.unref();
  logger.info({ objects: store.retainedEvents }, 'demo scenario started');
  return { stop: () => clearInterval(timer) };
}

interface CronRun {
  job: KObj;
  pod: KObj;
  startedTick: number;
}

/** What the ticking part of the demo changes: the store, its write helpers and the objects it follows. */
interface DemoContext {
  store: Store;
  create(kind: string, obj: KObj): KObj;
  patch(kind: string, ns: string | undefined, name: string, fn: (o: KObj) => void): unknown;
  podFor(j: KObj, s: Partial<PodSpec> & { phase: PodSpec['phase'] }): KObj;
  cron: KObj;
  /** flaky-sync's current running pod; replaced on every retry. */
  flakyPod: KObj;
}

/** The descheduler CronJob starts a Job with one running pod (recorded in `runs`). */
function startCronRun(ctx: DemoContext, runs: CronRun[], tick: number): void {
  const name = `descheduler-${Math.floor(Date.now() / 1000)}`;
  const j = ctx.create(
    'Job',
    job({
      name,
      namespace: 'kube-system',
      labels: { app: 'descheduler' },
      backoffLimit: 0,
      owner: ownerRef(ctx.cron),
      ageMs: 0,
      image: 'registry.k8s.io/descheduler/descheduler:v0.33.0',
      status: { active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {}, startTime: iso() },
    }),
  );
  const p = ctx.podFor(j, {
    phase: 'Running',
    ageMs: 0,
    containers: [{ name: 'descheduler', image: 'registry.k8s.io/descheduler/descheduler:v0.33.0' }],
  });
  runs.push({ job: j, pod: p, startedTick: tick });
  ctx.patch('CronJob', 'kube-system', 'descheduler', (c) => {
    c.status = {
      ...c.status,
      active: [{ apiVersion: 'batch/v1', kind: 'Job', name, namespace: 'kube-system', uid: j.metadata.uid }],
      lastScheduleTime: iso(),
    };
  });
}

/** A run ends after 3 ticks: pod terminated, Job Complete or Failed, the CronJob's last times updated. */
function finishCronRun(ctx: DemoContext, r: CronRun, ok: boolean): void {
  const jn = r.job.metadata.name;
  ctx.patch('Pod', 'kube-system', r.pod.metadata.name, (p) => {
    p.status.phase = ok ? 'Succeeded' : 'Failed';
    const cs = p.status.containerStatuses[0];
    cs.ready = false;
    cs.started = false;
    cs.state = {
      terminated: {
        exitCode: ok ? 0 : 1,
        reason: ok ? 'Completed' : 'Error',
        startedAt: cs.state.running?.startedAt ?? iso(),
        finishedAt: iso(),
      },
    };
    for (const c of p.status.conditions)
      if (c.type === 'Ready' || c.type === 'ContainersReady')
        Object.assign(c, { status: 'False', reason: 'PodCompleted', lastTransitionTime: iso() });
  });
  ctx.patch('Job', 'kube-system', jn, (j) => {
    const c = ok
      ? ['SuccessCriteriaMet', 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods']
      : ['FailureTarget', 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    j.status = {
      ...j.status,
      active: 0,
      ready: 0,
      ...(ok ? { succeeded: 1, completionTime: iso() } : { failed: 1 }),
      conditions: [cond(c[0]!, c[2]!, c[3]!), cond(c[1]!, c[2]!, c[3]!)],
    };
  });
  ctx.patch('CronJob', 'kube-system', 'descheduler', (c) => {
    c.status = {
      lastScheduleTime: c.status.lastScheduleTime,
      ...(ok
        ? { lastSuccessfulTime: iso() }
        : c.status.lastSuccessfulTime
          ? { lastSuccessfulTime: c.status.lastSuccessfulTime }
          : {}),
    };
  });
}

/** History limit: keep the last three runs. */
function pruneCronRuns(store: Store, runs: CronRun[], tick: number): void {
  while (runs.length > 3 && runs[0]!.startedTick < tick - 3) {
    const old = runs.shift()!;
    if (store.get(R('Pod'), 'kube-system', old.pod.metadata.name))
      store.delete(R('Pod'), 'kube-system', old.pod.metadata.name);
    if (store.get(R('Job'), 'kube-system', old.job.metadata.name))
      store.delete(R('Job'), 'kube-system', old.job.metadata.name);
  }
}

/**
 * flaky-sync: its running pod fails every 7 ticks until the backoff limit, then the Job fails
 * (FailureTarget, then Failed) and is recreated later.
 */
function tickFlakySync(ctx: DemoContext, tick: number): void {
  const cur = ctx.store.get(R('Job'), 'batch', 'flaky-sync');
  if (cur && !cur.status?.conditions) {
    ctx.patch('Pod', 'batch', ctx.flakyPod.metadata.name, (p) => {
      p.status.phase = 'Failed';
      const cs = p.status.containerStatuses[0];
      cs.ready = false;
      cs.started = false;
      cs.state = { terminated: { exitCode: 1, reason: 'Error', startedAt: iso(30_000), finishedAt: iso() } };
    });
    const failedCount = (cur.status.failed ?? 0) + 1;
    if (failedCount > cur.spec.backoffLimit) {
      ctx.patch('Job', 'batch', 'flaky-sync', (j) => {
        j.status = {
          ...j.status,
          active: 0,
          ready: 0,
          failed: failedCount,
          conditions: [cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')],
        };
      });
      ctx.patch('Job', 'batch', 'flaky-sync', (j) => {
        j.status.conditions.push(cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'));
      });
    } else {
      ctx.patch('Job', 'batch', 'flaky-sync', (j) => {
        j.status = { ...j.status, failed: failedCount };
      });
      ctx.flakyPod = ctx.podFor(ctx.store.get(R('Job'), 'batch', 'flaky-sync'), { phase: 'Running', ageMs: 0 });
    }
  } else if (cur && tick % 35 === 0) {
    for (const p of ctx.store.list(R('Pod'), 'batch'))
      if (p.metadata.ownerReferences?.[0]?.uid === cur.metadata.uid)
        ctx.store.delete(R('Pod'), 'batch', p.metadata.name);
    ctx.store.delete(R('Job'), 'batch', 'flaky-sync');
    const fresh = ctx.create(
      'Job',
      job({
        name: 'flaky-sync',
        namespace: 'batch',
        labels: { app: 'sync' },
        backoffLimit: 6,
        ageMs: 0,
        status: { active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {}, startTime: iso() },
      }),
    );
    ctx.flakyPod = ctx.podFor(fresh, { phase: 'Running', ageMs: 0 });
  }
}

/** The crash-looping container keeps restarting. */
function restartCrashLoop(ctx: DemoContext): void {
  for (const p of ctx.store.list(R('Pod'), 'batch')) {
    if (p.metadata.labels?.['job-name'] !== 'cache-warmer') continue;
    ctx.patch('Pod', 'batch', p.metadata.name, (x) => {
      x.status.containerStatuses[0].restartCount++;
    });
  }
}
