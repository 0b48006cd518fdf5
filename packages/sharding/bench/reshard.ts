// Reshard benchmark (issue 4): time from a StatefulSet `spec.replicas` change to every shard serving its new,
// complete view, at a given pod count. kube-sim (the API server) runs in this thread; each shard runs the
// production autosharding pipeline (ShardIdentityWatcher → Resharder → createStoreView) in its own worker
// thread, as each shard is its own pod. Threads share the machine's cores, so report the core count too.
//   node packages/sharding/bench/reshard.ts [--pods 10000] [--from 2] [--to 3] [--churn 0]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { startKubeSim } from '@kso/kube-sim';
import type { ShardMessage, ShardWorkerData } from './reshard-shard.ts';

export interface ReshardBenchOptions {
  pods: number;
  /** Replicas before the scale-up (and after the scale-down). Default 2. */
  from?: number;
  /** Replicas after the scale-up. Default 3. */
  to?: number;
  /** kube-sim pod writes per second during the run. Default 0. */
  churnPerSecond?: number;
  log?: (line: string) => void;
}

export interface ReshardPhase {
  replicas: [number, number];
  /** Per shard pod: ms from the replicas change to that shard serving its complete view for the new total. */
  perShardMs: Record<string, number>;
  /** The benchmark figure: ms until every remaining shard serves its new complete view. */
  allServingMs: number;
}

export interface ReshardBenchResult {
  pods: number;
  cores: number;
  churnPerSecond: number;
  /** Cold start of the first `from` shards (GET pod, follow StatefulSet, list everything). */
  initialSyncMs: number;
  scaleUp: ReshardPhase;
  scaleDown: ReshardPhase;
  /** Objects per resource served by shard 0 after the scale-up (sanity: ~pods/to). */
  shard0Objects: Record<string, number>;
}

const NS = 'monitoring';
const STS = 'kso';
const WORKER = new URL('./reshard-shard.ts', import.meta.url);

export async function runReshardBench(o: ReshardBenchOptions): Promise<ReshardBenchResult> {
  const log = o.log ?? (() => {});
  const from = o.from ?? 2;
  const to = o.to ?? 3;
  if (!(from >= 1 && to > from)) throw new Error('need 1 <= from < to');
  const churnPerSecond = o.churnPerSecond ?? 0;
  let t = Date.now();
  const sim = await startKubeSim({
    port: 0,
    scenario: 'scale',
    scale: { pods: o.pods, jobs: Math.max(1, Math.round(o.pods / 100)), churnPerSecond },
    bookmarkIntervalMs: 1000,
  });
  log(`kube-sim: ${o.pods} pods loaded in ${Date.now() - t} ms (${availableParallelism()} cores)`);
  const dir = mkdtempSync(join(tmpdir(), 'kso-reshard-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  const sts = sim.cluster.create({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: STS, namespace: NS, labels: { app: STS } },
    spec: {
      replicas: from,
      serviceName: STS,
      selector: { matchLabels: { app: STS } },
      template: { metadata: { labels: { app: STS } }, spec: { containers: [{ name: 'kso', image: 'kso:dev' }] } },
    },
  });
  const createPod = (i: number) =>
    sim.cluster.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${STS}-${i}`,
        namespace: NS,
        labels: { app: STS },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: STS, uid: sts.metadata.uid, controller: true },
        ],
      },
      spec: { containers: [{ name: 'kso', image: 'kso:dev' }] },
      status: { phase: 'Running' },
    });

  const workers = new Map<string, Worker>();
  const switches: Extract<ShardMessage, { type: 'switch' }>[] = [];
  let failure: Error | undefined;
  let wake: () => void = () => {};
  const startShard = (i: number) => {
    const podName = `${STS}-${i}`;
    const data: ShardWorkerData = { kubeconfig, podName, namespace: NS, resources: ['pods', 'jobs', 'cronjobs'] };
    const w = new Worker(WORKER, { workerData: data });
    w.on('message', (m: ShardMessage) => {
      if (m.type === 'switch') {
        switches.push(m);
        log(`  ${m.pod}: serving shard ${m.shard}/${m.total} (${JSON.stringify(m.objects)})`);
      } else if (m.type === 'error') failure = new Error(`${m.pod}: ${m.message}`);
      wake();
    });
    w.on('error', (err) => {
      failure = err;
      wake();
    });
    workers.set(podName, w);
  };
  /** Waits until each listed pod reported a switch to `total` at or after `since`; returns their times. */
  const served = async (pods: string[], total: number, since: number): Promise<Record<string, number>> => {
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      if (failure) throw failure;
      const got: Record<string, number> = {};
      for (const s of switches) if (s.total === total && s.atMs >= since && pods.includes(s.pod)) got[s.pod] = s.atMs;
      if (Object.keys(got).length === pods.length) return got;
      if (Date.now() > deadline) throw new Error(`timed out: ${pods.join(',')} serving total ${total}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 1000).unref();
      });
    }
  };
  const names = (n: number) => Array.from({ length: n }, (_, i) => `${STS}-${i}`);
  const since = (at: Record<string, number>, t0: number) =>
    Object.fromEntries(Object.entries(at).map(([k, v]) => [k, v - t0]));

  try {
    t = Date.now();
    for (let i = 0; i < from; i++) {
      createPod(i);
      startShard(i);
    }
    await served(names(from), from, t);
    const initialSyncMs = Date.now() - t;
    log(`initial: ${from} shards serving after ${initialSyncMs} ms`);

    log(`scale ${from}→${to}: patching spec.replicas`);
    t = Date.now();
    sim.cluster.patch('StatefulSet', NS, STS, { spec: { replicas: to } });
    // The StatefulSet controller would create the new pods now; the new shards start cold.
    for (let i = from; i < to; i++) {
      createPod(i);
      startShard(i);
    }
    const up = since(await served(names(to), to, t), t);
    const scaleUp: ReshardPhase = {
      replicas: [from, to],
      perShardMs: up,
      allServingMs: Math.max(...Object.values(up)),
    };
    log(`scale ${from}→${to}: every shard serving its new view after ${scaleUp.allServingMs} ms`);
    const last = switches.filter((s) => s.pod === `${STS}-0` && s.total === to).at(-1)!;

    log(`scale ${to}→${from}: patching spec.replicas`);
    t = Date.now();
    sim.cluster.patch('StatefulSet', NS, STS, { spec: { replicas: from } });
    const down = since(await served(names(from), from, t), t);
    const scaleDown: ReshardPhase = {
      replicas: [to, from],
      perShardMs: down,
      allServingMs: Math.max(...Object.values(down)),
    };
    log(`scale ${to}→${from}: every remaining shard serving its new view after ${scaleDown.allServingMs} ms`);
    return {
      pods: o.pods,
      cores: availableParallelism(),
      churnPerSecond,
      initialSyncMs,
      scaleUp,
      scaleDown,
      shard0Objects: last.objects,
    };
  } finally {
    await Promise.all(
      [...workers.values()].map(
        (w) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => void w.terminate().then(() => resolve()), 10_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.postMessage('stop');
          }),
      ),
    );
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      pods: { type: 'string', default: '10000' },
      from: { type: 'string', default: '2' },
      to: { type: 'string', default: '3' },
      churn: { type: 'string', default: '0' },
    },
  });
  const result = await runReshardBench({
    pods: Number(values.pods),
    from: Number(values.from),
    to: Number(values.to),
    churnPerSecond: Number(values.churn),
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
