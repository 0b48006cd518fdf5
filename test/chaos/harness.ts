// Chaos with an oracle (issue 15). One seed drives, reproducibly, writes of every kind (pod status patches
// with phase/restart/reason changes, pod creates and deletes, metadata-only writes, Job and CronJob status
// patches) and every fault kube-sim offers (dropped watches, 410 on the next watch, compaction, 429 bursts
// with Retry-After, 503 bursts, latency, stalled streams, restarts with and without state) against a fleet
// of in-process `kso run` agents: one unsharded, two static shards, two autosharding shards whose
// StatefulSet is scaled 2↔1 under the same chaos (a live view switch). Then every fault ends and writes stop:
// from that moment (the API server is healthy) each agent's store is compared, object by object, with a
// MetricsStore built from kube-sim's own state (the oracle), per resource, until they agree; the time that
// took is the resource's time to converge. Finally each agent's rendered /metrics is compared with a fresh
// agent started after the faults (union of shards = the whole, no series in two shards).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Agent, loadRunConfig, makeLogger, type RunConfig, startAgent } from '@kso/cli';
import { type KObj, type KubeSim, startKubeSim } from '@kso/kube-sim';
import { MetricsStore, parseAllowlist, type ResourceName } from '@kso/metrics';
import { assignmentFilter } from '@kso/sharding';
import { loadKubeConfig, Reflector, type ReflectorOptions, type ReflectorStore } from '@kso/watch';
import { pino } from 'pino';
import { prng } from '../prng.ts';

export const RESOURCES: readonly ResourceName[] = ['pods', 'jobs', 'cronjobs'];
const KIND: Record<ResourceName, string> = { pods: 'Pod', jobs: 'Job', cronjobs: 'CronJob' };

export interface ChaosOptions {
  seed: number;
  /** Length of the chaos phase (writes + faults). */
  seconds: number;
  /** Initial objects (deterministic names). */
  pods?: number;
  jobs?: number;
  cronJobs?: number;
  namespaces?: number;
  writesPerSecond?: number;
  /** Gap between two faults, drawn uniformly. */
  faultGapMs?: [number, number];
  /** How long a latency or stall fault lasts. */
  latencyWindowMs?: number;
  stallWindowMs?: number;
  /** Bound on convergence after the faults end; beyond it the seed fails with a divergence report. */
  convergeTimeoutMs?: number;
  /** Progress lines (soak); silent by default. */
  log?: (line: string) => void;
  /**
   * Proves the oracle can fail: the unsharded agent's store misses every other delete its reflectors report
   * (the chaos test expects a divergence report naming a deleted pod).
   */
  sabotage?: 'lose-deletes';
}

export interface HistoryEntry {
  /** ms since the chaos began. */
  t: number;
  what: string;
  /** Object key `Kind ns/name` for writes. */
  key?: string;
  uid?: string;
  rv?: string;
}

export interface ChaosResult {
  seed: number;
  writes: number;
  faults: Record<string, number>;
  /** Per resource: ms from "faults ended" until every instance agreed with the oracle (max over instances). */
  convergeMs: Record<string, number>;
  /** Per instance and resource, for the report. */
  convergeByInstance: Record<string, Record<string, number>>;
  /** undefined = zero divergence after convergence, in the stores and in the rendered /metrics. */
  divergence: string | undefined;
  /** /healthz went not-live during the chaos (it must keep its bound, default 300 s). */
  healthFailures: number;
  /** The reconnecting gauge's source was seen set during the chaos (truth while behind). */
  sawReconnecting: boolean;
  /** Differences the agents' periodic consistency checks reported (must be 0), and checks completed. */
  consistencyDifferences: number;
  consistencyChecks: number;
  /** Faults of the last 5 s before they ended (what a slow convergence is to be explained by). */
  lastFaults: string[];
  /** Per instance, the watches not open when the faults ended: `resource: since-ms lastError`. */
  behindAtEnd: Record<string, string[]>;
  /**
   * Event-loop delay of this process (all agents, kube-sim, the harness) during chaos and convergence: when
   * its max approaches a convergence time, the machine, not a reflector, was late.
   */
  loopDelayMs: { p99: number; max: number };
}

interface Instance {
  name: string;
  agent: Agent;
  /** Reflectors of the agent's views (not for autosharding agents: they need the stock watch module). */
  reflectors: Map<string, Reflector<unknown>[]>;
  /** The assignment this instance must serve, from the server's state. */
  expected: () => { shard: number; total: number };
}

const SELF = /^(kso_|kube_state_metrics_|target_info|otel_)/;
const NS_SHARD = 'monitoring';
const STS = 'kso';

const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function jobObj(ns: string, name: string): KObj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      completions: 3,
      parallelism: 2,
      backoffLimit: 4,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    },
    status: { active: 2, startTime: ts(Date.now() - 60_000) },
  };
}

function podObj(ns: string, name: string, job: KObj | undefined, phase = 'Running'): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: job ? { 'job-name': job.metadata.name, app: 'chaos' } : { app: 'chaos' },
      ...(job
        ? {
            ownerReferences: [
              { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true },
            ],
          }
        : {}),
    },
    spec: { nodeName: 'node-0', restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase,
      containerStatuses: [{ name: 'main', ready: phase === 'Running', restartCount: 0, image: 'busybox' }],
    },
  };
}

function cronJobObj(ns: string, name: string): KObj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
    },
    status: {},
  };
}

/** The seeded writer: keeps its own view of what exists so every write targets a live object. */
class Writer {
  readonly #sim: KubeSim;
  readonly #rng: () => number;
  readonly #history: (e: Omit<HistoryEntry, 't'>) => void;
  #pods: { ns: string; name: string }[] = [];
  #jobs: KObj[] = [];
  #cronJobs: { ns: string; name: string }[] = [];
  #seq = 0;
  readonly #namespaces: string[];
  writes = 0;

  constructor(sim: KubeSim, rng: () => number, namespaces: string[], history: (e: Omit<HistoryEntry, 't'>) => void) {
    this.#sim = sim;
    this.#rng = rng;
    this.#namespaces = namespaces;
    this.#history = history;
  }

  /** Initial objects (also after a restart that lost all state). */
  populate(pods: number, jobs: number, cronJobs: number, tag: string): void {
    const c = this.#sim.cluster;
    for (let j = 0; j < jobs; j++) {
      const ns = this.#namespaces[j % this.#namespaces.length]!;
      this.#jobs.push(c.create(jobObj(ns, `job-${tag}${j}`)));
    }
    for (let i = 0; i < cronJobs; i++) {
      const ns = this.#namespaces[i % this.#namespaces.length]!;
      c.create(cronJobObj(ns, `cron-${tag}${i}`));
      this.#cronJobs.push({ ns, name: `cron-${tag}${i}` });
    }
    for (let i = 0; i < pods; i++) this.#createPod(`pod-${tag}${i}`, false);
  }

  forgetAll(): void {
    this.#pods = [];
    this.#jobs = [];
    this.#cronJobs = [];
  }

  #createPod(name: string, record: boolean): void {
    const job = this.#jobs.length > 0 && this.#rng() < 0.8 ? pick(this.#rng, this.#jobs) : undefined;
    const ns = job?.metadata.namespace ?? pick(this.#rng, this.#namespaces);
    const o = this.#sim.cluster.create(podObj(ns, name, job, pick(this.#rng, ['Pending', 'Running'])));
    this.#pods.push({ ns, name });
    if (record)
      this.#history({ what: 'create', key: `Pod ${ns}/${name}`, rv: o.metadata.resourceVersion, uid: o.metadata.uid });
  }

  step(): void {
    const r = this.#rng();
    const c = this.#sim.cluster;
    this.writes++;
    try {
      if (r < 0.1 || this.#pods.length === 0) {
        this.#createPod(`new-${this.#seq++}`, true);
        return;
      }
      if (r < 0.2) {
        const i = Math.floor(this.#rng() * this.#pods.length);
        const p = this.#pods[i]!;
        this.#pods[i] = this.#pods[this.#pods.length - 1]!;
        this.#pods.pop();
        const o = c.delete('Pod', p.ns, p.name);
        this.#history({
          what: 'delete',
          key: `Pod ${p.ns}/${p.name}`,
          rv: o.metadata.resourceVersion,
          uid: o.metadata.uid,
        });
        return;
      }
      if (r < 0.35) {
        const j = pick(this.#rng, this.#jobs);
        const failed = Math.floor(this.#rng() * 4);
        const succeeded = Math.floor(this.#rng() * 4);
        const status: KObj = { active: Math.floor(this.#rng() * 3), succeeded, failed, ready: 0 };
        if (this.#rng() < 0.2)
          status.conditions = [
            this.#rng() < 0.5
              ? { type: 'Complete', status: 'True', reason: 'CompletionsReached', lastTransitionTime: ts(Date.now()) }
              : { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: ts(Date.now()) },
          ];
        else status.conditions = null;
        const o = c.patchStatus('Job', j.metadata.namespace, j.metadata.name, { status });
        this.#history({
          what: 'job status',
          key: `Job ${j.metadata.namespace}/${j.metadata.name}`,
          rv: o.metadata.resourceVersion,
          uid: o.metadata.uid,
        });
        return;
      }
      if (r < 0.38 && this.#cronJobs.length > 0) {
        const cj = pick(this.#rng, this.#cronJobs);
        const o = c.patchStatus('CronJob', cj.ns, cj.name, {
          status: { lastScheduleTime: ts(Date.now() - Math.floor(this.#rng() * 600) * 1000) },
        });
        this.#history({
          what: 'cronjob status',
          key: `CronJob ${cj.ns}/${cj.name}`,
          rv: o.metadata.resourceVersion,
          uid: o.metadata.uid,
        });
        return;
      }
      const p = pick(this.#rng, this.#pods);
      if (r < 0.43) {
        // Only metadata the snapshot ignores: the reflector skips it, the store must still be right.
        const o = c.patch('Pod', p.ns, p.name, { metadata: { managedFields: [{ manager: `m${this.#seq++}` }] } });
        this.#history({
          what: 'metadata-only',
          key: `Pod ${p.ns}/${p.name}`,
          rv: o.metadata.resourceVersion,
          uid: o.metadata.uid,
        });
        return;
      }
      const v = this.#rng();
      let status: KObj;
      if (v < 0.4) status = { phase: pick(this.#rng, ['Pending', 'Running', 'Succeeded', 'Failed']) };
      else if (v < 0.7)
        status = {
          containerStatuses: [
            {
              name: 'main',
              ready: false,
              restartCount: 1 + Math.floor(this.#rng() * 20),
              image: 'busybox',
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { reason: pick(this.#rng, ['OOMKilled', 'Error']), exitCode: 137 } },
            },
          ],
        };
      else if (v < 0.85) status = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on memory.' };
      else
        status = {
          conditions: [
            {
              type: 'DisruptionTarget',
              status: 'True',
              reason: pick(this.#rng, ['EvictionByEvictionAPI', 'PreemptionByScheduler', 'DeletionByTaintManager']),
              lastTransitionTime: ts(Date.now()),
            },
          ],
        };
      const o = c.patchStatus('Pod', p.ns, p.name, { status });
      this.#history({
        what: `pod status ${Object.keys(status).join('+')}`,
        key: `Pod ${p.ns}/${p.name}`,
        rv: o.metadata.resourceVersion,
        uid: o.metadata.uid,
      });
    } catch (err) {
      // A target that vanished (restart without state) is not a bug of the writer's; note it and go on.
      this.#history({ what: `write failed: ${(err as Error).message}` });
    }
  }
}

type FaultKind =
  | 'dropWatches'
  | 'expireNextWatch'
  | 'compact'
  | 'burst429'
  | 'burst503'
  | 'latency'
  | 'stall'
  | 'restart'
  | 'restartLosingState'
  | 'viewSwitch';

const FAULTS: readonly FaultKind[] = [
  'dropWatches',
  'expireNextWatch',
  'compact',
  'burst429',
  'burst503',
  'latency',
  'stall',
  'restart',
  'viewSwitch',
];

/**
 * A MetricsStore kept equal to kube-sim's state (what every agent must serve once converged), refreshed
 * incrementally: only objects whose resourceVersion changed are compacted again, and families are rendered
 * to JSON once per object version, so a poll costs little even on a loaded machine (the poll interval is
 * the resolution of the measured convergence time).
 */
class Oracle {
  readonly store: MetricsStore;
  readonly objects = new Map<string, KObj>();
  readonly sorted = new Map<ResourceName, string[]>();
  readonly #rv = new Map<string, string>();
  readonly #json = new Map<string, string>();

  constructor(config: RunConfig) {
    this.store = new MetricsStore({
      schema: config.schema,
      resources: config.resources,
      allowlists: {
        labels: parseAllowlist(config.metricLabelsAllowlist),
        annotations: parseAllowlist(config.metricAnnotationsAllowlist),
      },
    });
  }

  #seenRv = '';

  refresh(sim: KubeSim): void {
    // After the faults no write happens: the state (and this oracle) only changes with the server's RV.
    const rv = sim.cluster.resourceVersion();
    if (rv === this.#seenRv) return;
    this.#seenRv = rv;
    for (const r of RESOURCES) {
      const seen: string[] = [];
      for (const o of sim.cluster.list(KIND[r])) {
        const uid = o.metadata.uid as string;
        seen.push(uid);
        if (this.#rv.get(uid) === o.metadata.resourceVersion) continue;
        this.store.upsertObject(r, o);
        this.#rv.set(uid, o.metadata.resourceVersion);
        this.#json.delete(uid);
        this.objects.set(uid, o);
      }
      const live = new Set(seen);
      for (const e of [...this.store.entries(r)])
        if (!live.has(e.uid)) {
          this.store.remove(r, e.uid);
          this.#rv.delete(e.uid);
          this.#json.delete(e.uid);
          this.objects.delete(e.uid);
        }
      // cluster.list is in etcd key order (namespace/name): the first difference found is deterministic.
      this.sorted.set(r, seen);
    }
  }

  json(r: ResourceName, uid: string): string {
    let j = this.#json.get(uid);
    if (j === undefined) {
      j = JSON.stringify(this.store.get(r, uid)!.families);
      this.#json.set(uid, j);
    }
    return j;
  }
}

/** Entries are immutable and replaced on every change: their rendering can be cached by identity. */
const entryJson = new WeakMap<object, string>();
function familiesJson(e: { families: unknown }): string {
  let j = entryJson.get(e);
  if (j === undefined) {
    j = JSON.stringify(e.families);
    entryJson.set(e, j);
  }
  return j;
}

interface Diff {
  instance: string;
  resource: string;
  uid: string;
  problem: 'missing' | 'extra' | 'stale';
  detail: string;
}

/** The first object of `resource` (in key order) where the instance's store differs from the oracle. */
function firstDiff(inst: Instance, resource: ResourceName, oracle: Oracle): Diff | undefined {
  const { shard, total } = inst.expected();
  const served = inst.agent.shard();
  if (served.ordinal !== shard || served.total !== total || served.pending !== undefined)
    return {
      instance: inst.name,
      resource,
      uid: '',
      problem: 'stale',
      detail: `serves shard ${served.ordinal}/${served.total}${served.pending ? ' (switch pending)' : ''}, the server says ${shard}/${total}`,
    };
  const owns = assignmentFilter({ shard, total }) ?? (() => true);
  const store = inst.agent.store;
  let wanted = 0;
  for (const uid of oracle.sorted.get(resource) ?? []) {
    if (!owns(uid)) continue;
    wanted++;
    const got = store.get(resource, uid);
    if (!got) return { instance: inst.name, resource, uid, problem: 'missing', detail: '' };
    const want = oracle.json(resource, uid);
    const have = familiesJson(got);
    if (want !== have)
      return { instance: inst.name, resource, uid, problem: 'stale', detail: firstSeriesDiff(want, have) };
  }
  if (store.size(resource) !== wanted)
    for (const e of store.entries(resource))
      if (!oracle.objects.has(e.uid) || !owns(e.uid))
        return { instance: inst.name, resource, uid: e.uid, problem: 'extra', detail: '' };
  return undefined;
}

function firstSeriesDiff(want: string, have: string): string {
  let i = 0;
  while (i < want.length && want[i] === have[i]) i++;
  const from = Math.max(0, i - 80);
  return `expected …${want.slice(from, i + 60)}… got …${have.slice(from, i + 60)}…`;
}

async function objectSeries(agent: Agent): Promise<string[]> {
  const body = await (await fetch(`${agent.prometheus!.url}/metrics`)).text();
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !SELF.test(l));
}

/** '' when union(parts) = whole with no series twice; otherwise the first problem. */
function partitionProblem(whole: string[], parts: string[][], label: string): string {
  const owner = new Map<string, number>();
  for (let i = 0; i < parts.length; i++)
    for (const l of parts[i]!) {
      if (owner.has(l)) return `${label}: series in two places (${owner.get(l)} and ${i}): ${l}`;
      owner.set(l, i);
    }
  const wholeSet = new Set(whole);
  const missing = whole.find((l) => !owner.has(l));
  if (missing) return `${label}: missing ${missing}`;
  const extra = [...owner.keys()].find((l) => !wholeSet.has(l));
  if (extra) return `${label}: extra ${extra}`;
  return '';
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const rng = prng(o.seed);
  const log = o.log ?? (() => {});
  const nsCount = o.namespaces ?? 3;
  const namespaces = Array.from({ length: nsCount }, (_, i) => `team-${i}`);
  const gap = o.faultGapMs ?? [2000, 5000];
  const latencyWindow = o.latencyWindowMs ?? 3000;
  const stallWindow = o.stallWindowMs ?? 5000;
  const writesPerSecond = o.writesPerSecond ?? 55;
  const convergeTimeout = o.convergeTimeoutMs ?? 30_000;

  const history: HistoryEntry[] = [];
  let t0 = Date.now();
  const note = (e: Omit<HistoryEntry, 't'>) => history.push({ t: Date.now() - t0, ...e });

  const dir = mkdtempSync(join(tmpdir(), 'kso-chaos-'));
  const sim = await startKubeSim({ port: 0, scenario: 'empty', bookmarkIntervalMs: 1000, compactionWindow: 5000 });
  const running: Agent[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const writer = new Writer(sim, rng, namespaces, note);
    writer.populate(o.pods ?? 300, o.jobs ?? 30, o.cronJobs ?? 6, '');

    // The autosharding StatefulSet and its pods (recreated after a restart that lost all state).
    let replicas = 2;
    const createShardSet = () => {
      const sts = sim.cluster.create({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: STS, namespace: NS_SHARD, labels: { app: STS } },
        spec: {
          replicas,
          serviceName: STS,
          selector: { matchLabels: { app: STS } },
          template: { metadata: { labels: { app: STS } }, spec: { containers: [{ name: 'kso', image: 'x' }] } },
        },
      });
      for (const i of [0, 1])
        sim.cluster.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${STS}-${i}`,
            namespace: NS_SHARD,
            labels: { app: STS },
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'StatefulSet', name: STS, uid: sts.metadata.uid, controller: true },
            ],
          },
          spec: { nodeName: 'node-1', containers: [{ name: 'kso', image: 'kube-state-otel:dev' }] },
          status: { phase: 'Running' },
        });
    };
    createShardSet();

    // Consistency checks every few seconds: under chaos they must never report a difference (kube-sim loses
    // no event, so any would be a reflector bug or a false positive of the check).
    const args = [
      `--kubeconfig=${kubeconfig}`,
      '--prometheus-host=127.0.0.1',
      '--prometheus-port=0',
      '--consistency-check-interval=3s',
    ];
    const configOf = (...extra: string[]): RunConfig => {
      const { config, problems } = loadRunConfig([...args, ...extra], {});
      if (!config) throw new Error(`chaos: bad agent config: ${problems.join('; ')}`);
      return config;
    };
    const logger = makeLogger('silent');
    // KSO_CHAOS_LOG=file: the unsharded agent's JSON log (retry delays, errors), to explain a slow seed.
    const fullLogger = process.env.KSO_CHAOS_LOG
      ? pino({ level: 'debug' }, pino.destination({ dest: process.env.KSO_CHAOS_LOG, sync: true }))
      : logger;
    const recorded = async (name: string, expected: Instance['expected'], ...extra: string[]): Promise<Instance> => {
      const reflectors = new Map<string, Reflector<unknown>[]>();
      const lose = o.sabotage === 'lose-deletes' && name === 'full';
      class Recording extends Reflector<unknown> {
        constructor(kc: unknown, opts: ReflectorOptions<unknown>) {
          super(kc as never, lose && opts.store ? { ...opts, store: losingDeletes(opts.store) } : opts);
          const list = reflectors.get(opts.resource.plural) ?? [];
          list.unshift(this as unknown as Reflector<unknown>);
          reflectors.set(opts.resource.plural, list);
        }
      }
      const agent = await startAgent(configOf(...extra), name === 'full' ? fullLogger : logger, {
        watch: { loadKubeConfig: (kc) => loadKubeConfig(kc), Reflector: Recording as never },
      });
      running.push(agent);
      return { name, agent, reflectors, expected };
    };
    const auto = async (i: number): Promise<Instance> => {
      const agent = await startAgent(configOf(`--pod=${STS}-${i}`, `--pod-namespace=${NS_SHARD}`), logger);
      running.push(agent);
      return { name: `auto-${i}`, agent, reflectors: new Map(), expected: () => ({ shard: i, total: replicas }) };
    };
    const instances = await Promise.all([
      recorded('full', () => ({ shard: 0, total: 1 })),
      recorded('static-0/2', () => ({ shard: 0, total: 2 }), '--shard=0', '--total-shards=2'),
      recorded('static-1/2', () => ({ shard: 1, total: 2 }), '--shard=1', '--total-shards=2'),
      auto(0),
      auto(1),
    ]);
    await Promise.all(instances.map((i) => i.agent.synced));
    log(`seed ${o.seed}: ${instances.length} agents synced; chaos for ${o.seconds}s`);

    // Chaos ---------------------------------------------------------------------------------------------
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    t0 = Date.now();
    const end = t0 + o.seconds * 1000;
    const faults: Record<string, number> = {};
    let healthFailures = 0;
    let sawReconnecting = false;
    // The write rate follows the clock, not the timer's ticks: a loaded machine delays ticks, not writes.
    let budget = 0;
    let lastTick = Date.now();
    timers.push(
      setInterval(() => {
        const tick = Date.now();
        budget += Math.min(1, (tick - lastTick) / 1000) * writesPerSecond;
        lastTick = tick;
        for (; budget >= 1; budget--) writer.step();
        for (const i of instances) {
          if (!i.agent.health().live) healthFailures++;
          if (i.agent.reflectorStats().some((s) => s.reconnectingSinceMs !== undefined)) sawReconnecting = true;
        }
      }, 50),
    );
    let lostStateOnce = false;
    const pending: Promise<unknown>[] = [];
    while (Date.now() < end) {
      await sleep(gap[0] + rng() * (gap[1] - gap[0]));
      if (Date.now() >= end) break;
      let kind = pick(rng, FAULTS);
      if (kind === 'restart' && !lostStateOnce && rng() < 0.3) kind = 'restartLosingState';
      faults[kind] = (faults[kind] ?? 0) + 1;
      note({ what: `fault ${kind}` });
      const f = sim.faults;
      switch (kind) {
        case 'dropWatches':
          f.dropWatches();
          break;
        case 'expireNextWatch': {
          const r = rng();
          f.expireNextWatch(r < 0.25 ? undefined : pick(rng, ['pods', 'jobs', 'cronjobs', 'statefulsets']));
          break;
        }
        case 'compact':
          f.compact();
          break;
        case 'burst429':
          f.failNext(8, { status: 429, retryAfterSeconds: 1 });
          break;
        case 'burst503':
          f.failNext(8, { status: 503 });
          break;
        case 'latency':
          f.setLatency(400);
          pending.push(sleep(latencyWindow).then(() => f.setLatency(0)));
          break;
        case 'stall':
          f.stallWatches(true);
          pending.push(sleep(stallWindow).then(() => f.stallWatches(false)));
          break;
        case 'restart':
          await sim.restart({ preserveState: true });
          break;
        case 'restartLosingState': {
          lostStateOnce = true;
          // Every object the restart wipes is a delete the agents must see (through a relist): record each
          // as a write, so a divergence on one names the object and when it went, like any other delete.
          const wiped = RESOURCES.flatMap((r) => sim.cluster.list(KIND[r]).map((x) => ({ kind: KIND[r], x })));
          await sim.restart({ preserveState: false });
          for (const { kind, x } of wiped)
            note({
              what: 'wiped by restartLosingState',
              key: `${kind} ${x.metadata.namespace}/${x.metadata.name}`,
              rv: x.metadata.resourceVersion,
              uid: x.metadata.uid,
            });
          writer.forgetAll();
          createShardSet();
          writer.populate(Math.ceil((o.pods ?? 300) / 2), 1, 1, `r${o.seed}-`);
          note({ what: 'repopulated after state loss' });
          break;
        }
        case 'viewSwitch':
          replicas = replicas === 2 ? 1 : 2;
          sim.cluster.patch('StatefulSet', NS_SHARD, STS, { spec: { replicas } });
          break;
      }
    }
    // Faults end and writes stop: from here on the API server is healthy.
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    sim.faults.clear();
    const healthyAt = Date.now();
    const behindAtEnd: Record<string, string[]> = {};
    for (const inst of instances)
      behindAtEnd[inst.name] = inst.agent
        .reflectorStats()
        .filter((s) => !s.watching)
        .map(
          (s) =>
            `${s.resource}: ${s.reconnectingSinceMs ? `reconnecting ${healthyAt - s.reconnectingSinceMs}ms` : 'not watching'} (${s.lastError ?? ''})`,
        );
    note({ what: 'end: faults cleared, writes stopped' });
    log(`seed ${o.seed}: ${writer.writes} writes, faults ${JSON.stringify(faults)}; converging`);

    // Convergence ---------------------------------------------------------------------------------------
    const oracle = new Oracle(configOf());
    const matchedSince = new Map<string, number | undefined>();
    const convergeByInstance: Record<string, Record<string, number>> = {};
    let last: Diff | undefined;
    const STABLE_MS = 1000;
    for (;;) {
      const now = Date.now();
      oracle.refresh(sim);
      let allStable = true;
      last = undefined;
      for (const inst of instances)
        for (const r of RESOURCES) {
          const k = `${inst.name} ${r}`;
          const d = firstDiff(inst, r, oracle);
          if (d) {
            matchedSince.set(k, undefined);
            last ??= d;
            allStable = false;
          } else {
            if (matchedSince.get(k) === undefined) matchedSince.set(k, now);
            if (now - matchedSince.get(k)! < STABLE_MS) allStable = false;
          }
        }
      if (allStable) break;
      if (now - healthyAt > convergeTimeout) break;
      await sleep(50);
    }
    await Promise.allSettled(pending);
    loop.disable();
    const convergeMs: Record<string, number> = {};
    for (const inst of instances) {
      convergeByInstance[inst.name] = {};
      for (const r of RESOURCES) {
        const since = matchedSince.get(`${inst.name} ${r}`);
        const ms = since === undefined ? Number.POSITIVE_INFINITY : Math.max(0, since - healthyAt);
        convergeByInstance[inst.name]![r] = ms;
        convergeMs[r] = Math.max(convergeMs[r] ?? 0, ms);
      }
    }
    const result: ChaosResult = {
      seed: o.seed,
      writes: writer.writes,
      faults,
      convergeMs,
      convergeByInstance,
      divergence: undefined,
      healthFailures,
      sawReconnecting,
      consistencyDifferences: 0,
      consistencyChecks: 0,
      behindAtEnd,
      loopDelayMs: { p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) },
      lastFaults: history
        .filter((h) => h.what.startsWith('fault ') && h.t >= healthyAt - t0 - 5000)
        .map((h) => `-${healthyAt - t0 - h.t}ms ${h.what.slice(6)}`),
    };
    for (const inst of instances)
      for (const s of inst.agent.reflectorStats()) {
        result.consistencyDifferences += s.consistencyDifferences ?? 0;
        result.consistencyChecks += s.consistencyChecks ?? 0;
      }
    if (last) {
      result.divergence = describeDivergence(o.seed, last, sim, instances, history, convergeTimeout);
      return result;
    }

    // Rendered /metrics against a fresh agent started after the faults ------------------------------------
    const fresh = await startAgent(configOf(), logger);
    running.push(fresh);
    await fresh.synced;
    const rv = Number(sim.cluster.resourceVersion());
    const deadline = Date.now() + 20_000;
    while (!fresh.reflectorStats().every((s) => Number(s.resourceVersion) >= rv && s.watching)) {
      if (Date.now() > deadline) {
        result.divergence = `seed ${o.seed}: the fresh oracle agent did not reach resourceVersion ${rv}`;
        return result;
      }
      await sleep(50);
    }
    const want = await objectSeries(fresh);
    const [full, s0, s1, a0, a1] = await Promise.all(instances.map((i) => objectSeries(i.agent)));
    const problem =
      partitionProblem(want, [full!], 'unsharded /metrics vs fresh agent') ||
      partitionProblem(want, [s0!, s1!], 'static shards 0,1 of 2 vs fresh agent') ||
      partitionProblem(want, [a0!, a1!], `autosharding shards (replicas ${replicas}) vs fresh agent`);
    if (problem) result.divergence = `seed ${o.seed}: ${problem}`;
    else if (result.consistencyDifferences > 0)
      result.divergence = `seed ${o.seed}: consistency checks reported ${result.consistencyDifferences} differences under chaos`;
    return result;
  } finally {
    for (const t of timers) clearInterval(t);
    await Promise.allSettled(running.map((a) => a.stop({ timeoutMs: 1000 })));
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Names the first differing object, its resourceVersions, and the fault history around its last write. */
function describeDivergence(
  seed: number,
  d: Diff,
  sim: KubeSim,
  instances: Instance[],
  history: HistoryEntry[],
  timeoutMs: number,
): string {
  const inst = instances.find((i) => i.name === d.instance)!;
  const server = sim.cluster.list(KIND[d.resource as ResourceName]).find((x) => x.metadata.uid === d.uid);
  const held = (inst.reflectors.get(d.resource) ?? [])
    .map((r) => r.items().get(d.uid) as { resourceVersion?: string; namespace?: string; name?: string } | undefined)
    .find((x) => x !== undefined);
  const written = history.find((h) => h.uid === d.uid)?.key;
  const key = server
    ? `${KIND[d.resource as ResourceName]} ${server.metadata.namespace}/${server.metadata.name}`
    : (written ?? (held ? `${KIND[d.resource as ResourceName]} ${held.namespace}/${held.name}` : `uid ${d.uid}`));
  const stats = inst.agent.reflectorStats().map((s) => ({
    resource: s.resource,
    rv: s.resourceVersion,
    watching: s.watching,
    reconnectingSinceMs: s.reconnectingSinceMs,
    relists: s.relists,
    errors: s.errors,
    lastError: s.lastError,
  }));
  const lastWrite = [...history].reverse().find((h) => h.uid === d.uid || (h.uid === undefined && h.key === key));
  const around = lastWrite
    ? history.filter((h) => h.what.startsWith('fault ') && Math.abs(h.t - lastWrite.t) <= 5000)
    : history.filter((h) => h.what.startsWith('fault '));
  return [
    `seed ${seed}: ${d.instance} ${d.resource} still differs ${timeoutMs} ms after the faults ended (reproduce: npm run soak -- --first-seed ${seed} --seeds 1)`,
    `  first differing object: ${key} (${d.problem}) uid ${d.uid}`,
    `  resourceVersion: server ${server?.metadata.resourceVersion ?? '(deleted)'}, held by the reflector ${held?.resourceVersion ?? '(none)'}, server now at ${sim.cluster.resourceVersion()}`,
    d.detail ? `  ${d.detail}` : '',
    `  last write: ${lastWrite ? `${lastWrite.what} at +${lastWrite.t} ms rv ${lastWrite.rv}` : '(none during the chaos)'}`,
    `  faults within 5 s of it: ${around.map((h) => `+${h.t}ms ${h.what.slice(6)}`).join(', ') || '(none)'}`,
    `  reflectors: ${JSON.stringify(stats)}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** p-th percentile (nearest rank) of finite-or-infinite samples. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Sabotage: every other delete the reflector delivers is dropped, so the store keeps objects the server deleted. */
function losingDeletes<S>(store: ReflectorStore<S>): ReflectorStore<S> {
  let n = 0;
  return {
    add: (uid, object) => store.add(uid, object),
    update: (uid, object, previous) => store.update(uid, object, previous),
    delete: (uid, object) => void (n++ % 2 === 1 && store.delete(uid, object)),
    replace: (objects, rv) => store.replace(objects, rv),
  };
}
