// `scale`: many pods spread over Jobs, loaded straight into the store (no HTTP) and churned on a timer.
import type { Logger } from 'pino';
import { type KObj, resourceFor } from '../resources.ts';
import type { Store } from '../store.ts';
import { job, jobPodLabels, namespace, node, ownerRef, type PodPhase, pod } from './factory.ts';

export interface ScaleOptions {
  pods: number;
  jobs: number;
  /** Writes per second (updates, plus creates and deletes that keep the pod count stable). Default 0. */
  churnPerSecond?: number;
  namespaces?: number;
}

const R = (kind: string) => resourceFor(kind)!;

/** `jobs` Jobs spread over the namespaces, each owning its share of the pods. */
function createJobs(store: Store, jobs: number, nsCount: number, pods: number): KObj[] {
  const out: KObj[] = [];
  for (let j = 0; j < jobs; j++) {
    const ns = `team-${j % nsCount}`;
    out.push(
      store.create(
        R('Job'),
        ns,
        job({
          name: `batch-${j}`,
          namespace: ns,
          labels: { app: `batch-${j % 17}`, team: ns },
          completions: Math.max(1, Math.ceil(pods / jobs)),
          parallelism: 10,
          status: { active: Math.ceil(pods / jobs), startTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
        }),
        { keepIdentity: true },
      ),
    );
  }
  return out;
}

/** One churn write: 10 % new pods, 10 % deletes, the rest a restart-count bump (as a crash-looping cluster). */
function churnOnce(store: Store, live: { ns: string; name: string }[], create: () => void): void {
  const r = Math.random();
  if (live.length === 0 || r < 0.1) {
    create();
    return;
  }
  if (r < 0.2) {
    const i = Math.floor(Math.random() * live.length);
    const victim = live[i]!;
    live[i] = live[live.length - 1]!;
    live.pop();
    store.delete(R('Pod'), victim.ns, victim.name);
    return;
  }
  const t = live[Math.floor(Math.random() * live.length)]!;
  store.patch(
    R('Pod'),
    t.ns,
    t.name,
    (p) => {
      const cs = p.status?.containerStatuses?.[0];
      if (cs) cs.restartCount = (cs.restartCount ?? 0) + 1;
      p.metadata.annotations = { ...(p.metadata.annotations ?? {}), 'kube-sim/churn': String(Date.now()) };
      return p;
    },
    'all',
  );
}

export function startScale(store: Store, o: ScaleOptions, logger: Logger): { stop(): void } {
  const t0 = performance.now();
  const pods = Math.max(0, Math.floor(o.pods));
  const jobs = Math.max(1, Math.floor(o.jobs));
  const nsCount = Math.max(1, o.namespaces ?? Math.min(20, Math.ceil(jobs / 50)));
  const nodeCount = Math.max(1, Math.min(500, Math.ceil(pods / 100)));
  for (let i = 0; i < nsCount; i++)
    store.create(R('Namespace'), undefined, namespace(`team-${i}`), { keepIdentity: true });
  for (let i = 0; i < nodeCount; i++) store.create(R('Node'), undefined, node(`node-${i}`, i), { keepIdentity: true });
  const jobObjs = createJobs(store, jobs, nsCount, pods);
  const phases: PodPhase[] = ['Running', 'Running', 'Running', 'Succeeded', 'Pending', 'Failed'];
  const live: { ns: string; name: string }[] = [];
  let seq = 0;
  const makePod = (i: number) => {
    const j = jobObjs[i % jobs]!;
    const phase = phases[i % phases.length]!;
    const p = pod({
      name: `${j.metadata.name}-${(seq++).toString(36).padStart(5, '0')}`,
      namespace: j.metadata.namespace,
      nodeName: `node-${i % nodeCount}`,
      phase,
      labels: jobPodLabels(j),
      owner: ownerRef(j),
      containers:
        i % 3 === 0
          ? [{ name: 'main' }, { name: 'log-shipper', image: 'registry.example.com/infra/fluent-bit:3.2.1' }]
          : [{ name: 'main' }],
      ageMs: 60_000 + (i % 3600) * 1000,
    });
    store.create(R('Pod'), p.metadata.namespace, p, { keepIdentity: true });
    live.push({ ns: p.metadata.namespace, name: p.metadata.name });
  };
  for (let i = 0; i < pods; i++) makePod(i);
  logger.info({ pods, jobs, ms: Math.round(performance.now() - t0) }, 'scale scenario loaded');

  const churn = o.churnPerSecond ?? 0;
  if (churn <= 0) return { stop() {} };
  const tickMs = 100;
  let budget = 0;
  let n = pods;
  const timer = setInterval(() => {
    budget += (churn * tickMs) / 1000;
    for (; budget >= 1; budget--) {
      try {
        churnOnce(store, live, () => makePod(n++));
      } catch (err) {
        logger.debug({ err }, 'churn step skipped');
      }
    }
  }, tickMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
