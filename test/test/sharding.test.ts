// Sharding proof on kube-sim (issue 4): thousands of pods under churn, agents in-process (startAgent, each
// with its own Prometheus bridge scraped over HTTP). At a quiesced resourceVersion the union of n shards'
// object series equals one unsharded agent's series, and no series is in two shards — for static n = 1..4,
// then for autosharding from a StatefulSet scaled 2→3 under churn, relabelled (no reshard), and scaled
// 3→1 while watch streams are cut and 410s injected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Agent, loadRunConfig, makeLogger, startAgent } from '@kso/cli';
import { type KObj, type KubeSim, startKubeSim } from '@kso/kube-sim';

const PODS = 3000;
const CHURN_PER_SECOND = 150;
const NS = 'monitoring';
const STS = 'kso';

async function until(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Pod writes through the API (updates that change series, creates, deletes), pausable for comparisons. */
class Churn {
  readonly #sim: KubeSim;
  readonly #live: { ns: string; name: string }[];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  writes = 0;
  constructor(sim: KubeSim) {
    this.#sim = sim;
    this.#live = sim.cluster
      .list('Pod')
      .filter((p) => p.metadata.namespace !== NS)
      .map((p) => ({ ns: p.metadata.namespace as string, name: p.metadata.name as string }));
  }
  start(): void {
    if (this.#timer) return;
    const perTick = CHURN_PER_SECOND / 20;
    this.#timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) this.#step();
    }, 50);
  }
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
  #step(): void {
    const c = this.#sim.cluster;
    const r = Math.random();
    this.writes++;
    if (r < 0.15 || this.#live.length === 0) {
      const ns = `team-${this.#seq % 4}`;
      const name = `churn-${this.#seq++}`;
      c.create('Pod', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { app: 'churn' } },
        spec: { nodeName: 'node-0', containers: [{ name: 'main', image: 'busybox' }] },
        status: { phase: 'Pending' },
      });
      this.#live.push({ ns, name });
    } else if (r < 0.3) {
      const i = Math.floor(Math.random() * this.#live.length);
      const v = this.#live[i]!;
      this.#live[i] = this.#live[this.#live.length - 1]!;
      this.#live.pop();
      c.delete('Pod', v.ns, v.name);
    } else {
      const t = this.#live[Math.floor(Math.random() * this.#live.length)]!;
      const phase = ['Running', 'Pending', 'Succeeded', 'Failed'][this.#seq++ % 4];
      c.patchStatus('Pod', t.ns, t.name, { status: { phase } });
    }
  }
}

const SELF = /^(kso_|kube_state_metrics_|target_info|otel_)/;

/** Object series of one agent: sample lines of /metrics without self-metrics. */
async function objectSeries(agent: Agent): Promise<string[]> {
  const body = await (await fetch(`${agent.prometheus!.url}/metrics`)).text();
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !SELF.test(l));
}

/** Asserts union(shards) = reference and that no series is in two shards (or twice in one). */
async function assertPartition(reference: Agent, shards: Agent[], label: string): Promise<void> {
  const want = await objectSeries(reference);
  assert.ok(want.length > PODS * 5, `${label}: reference has ${want.length} series`);
  const owner = new Map<string, number>();
  const dup: string[] = [];
  for (let i = 0; i < shards.length; i++)
    for (const l of await objectSeries(shards[i]!)) {
      if (owner.has(l)) dup.push(`${l} (shards ${owner.get(l)} and ${i})`);
      owner.set(l, i);
    }
  assert.deepEqual(dup.slice(0, 5), [], `${label}: ${dup.length} series in two shards`);
  const wantSet = new Set(want);
  const missing = want.filter((l) => !owner.has(l));
  const extra = [...owner.keys()].filter((l) => !wantSet.has(l));
  assert.deepEqual(
    { missing: missing.slice(0, 5), extra: extra.slice(0, 5) },
    { missing: [], extra: [] },
    `${label}: ${missing.length} missing, ${extra.length} extra of ${want.length}`,
  );
  assert.equal(owner.size, want.length);
}

describe('sharding on kube-sim: union of shards = unsharded, no duplicates', () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;
  let churn: Churn;
  let unsharded: Agent;
  const running = new Set<Agent>();

  const agent = async (...args: string[]): Promise<Agent> => {
    const { config, problems } = loadRunConfig(
      [`--kubeconfig=${kubeconfig}`, '--prometheus-host=127.0.0.1', '--prometheus-port=0', ...args],
      {},
    );
    assert.deepEqual(problems, []);
    const a = await startAgent(config!, makeLogger('silent'));
    running.add(a);
    return a;
  };
  const stopAgent = async (a: Agent) => {
    running.delete(a);
    await a.stop();
  };

  /** Restarts churn and waits until it has written a little (so what follows happens under churn). */
  const underChurn = async () => {
    churn.start();
    const w0 = churn.writes;
    await until('churn', () => churn.writes > w0 + 100);
  };

  /** Pauses churn and waits until every agent serves a complete view at the API server's current RV. */
  const quiesce = async (agents: Agent[], expect?: Map<Agent, [number, number]>) => {
    churn.stop();
    const rv = Number(sim.cluster.resourceVersion());
    await until(`agents at resourceVersion ${rv}`, () =>
      agents.every((a) => {
        const s = a.shard();
        const e = expect?.get(a);
        if (e && (s.ordinal !== e[0] || s.total !== e[1])) return false;
        return (
          a.ready() &&
          s.pending === undefined &&
          a.reflectorStats().every((r) => Number(r.resourceVersion) >= rv && r.watching === true)
        );
      }),
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kso-sharding-'));
    sim = await startKubeSim({
      port: 0,
      scenario: 'scale',
      scale: { pods: PODS, jobs: 40, namespaces: 4 },
      bookmarkIntervalMs: 100,
    });
    kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    churn = new Churn(sim);
    unsharded = await agent();
    await unsharded.synced;
    churn.start();
  });

  after(async () => {
    churn?.stop();
    await Promise.allSettled([...running].map((a) => a.stop()));
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fleets = new Map<number, Agent[]>();
  describe('static --shard/--total-shards', () => {
    before(async () => {
      for (const n of [1, 2, 3, 4])
        fleets.set(
          n,
          await Promise.all(Array.from({ length: n }, (_, i) => agent(`--shard=${i}`, `--total-shards=${n}`))),
        );
      await Promise.all([...fleets.values()].flat().map((a) => a.synced));
    });
    after(async () => {
      // n=3 stays for the fault phase below.
      await Promise.all([1, 2, 4].flatMap((n) => fleets.get(n)!.map(stopAgent)));
    });

    for (const n of [1, 2, 3, 4])
      test(`n=${n}: union equals the unsharded series at the same resourceVersion`, async () => {
        await underChurn();
        await quiesce([unsharded, ...fleets.get(n)!]);
        await assertPartition(unsharded, fleets.get(n)!, `static n=${n}`);
        for (const [i, a] of fleets.get(n)!.entries()) assert.deepEqual([a.shard().ordinal, a.shard().total], [i, n]);
      });
  });

  describe('autosharding (--pod/--pod-namespace) from a StatefulSet', () => {
    const shards: Agent[] = [];
    let stsUid = '';
    const shardPod = (i: number): KObj => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${STS}-${i}`,
        namespace: NS,
        labels: { app: STS },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: STS, uid: stsUid, controller: true }],
      },
      spec: { nodeName: 'node-1', containers: [{ name: 'kso', image: 'kube-state-otel:dev' }] },
      status: { phase: 'Running' },
    });
    const expectTotal = (total: number) => new Map(shards.map((a, i) => [a, [i, total] as [number, number]]));

    before(async () => {
      const sts = sim.cluster.create({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: STS, namespace: NS, labels: { app: STS, 'helm.sh/chart': 'kso-0.1.0' } },
        spec: {
          replicas: 2,
          serviceName: STS,
          selector: { matchLabels: { app: STS } },
          template: { metadata: { labels: { app: STS } }, spec: { containers: [{ name: 'kso', image: 'x' }] } },
        },
      });
      stsUid = sts.metadata.uid as string;
      churn.start();
      for (const i of [0, 1]) sim.cluster.create(shardPod(i));
      shards.push(...(await Promise.all([0, 1].map((i) => agent(`--pod=${STS}-${i}`, `--pod-namespace=${NS}`)))));
      await Promise.all(shards.map((a) => a.synced));
    });

    test('2 replicas: ordinal from the pod name, total from spec.replicas; union equals unsharded', async () => {
      assert.deepEqual(
        shards.map((a) => [a.shard().ordinal, a.shard().total, a.shard().statefulSet]),
        [
          [0, 2, STS],
          [1, 2, STS],
        ],
      );
      await quiesce([unsharded, ...shards], expectTotal(2));
      await assertPartition(unsharded, shards, 'autosharding 2 replicas');
    });

    test('scale 2→3 under churn: every shard re-shards live (no restart) and the union still equals', async () => {
      await underChurn();
      const before = shards.map((a) => a.shard().reshards);
      sim.cluster.patch('StatefulSet', NS, STS, { spec: { replicas: 3 } });
      sim.cluster.create(shardPod(2));
      shards.push(await agent(`--pod=${STS}-2`, `--pod-namespace=${NS}`));
      await until('all shards on total 3', () => shards.every((a) => a.shard().total === 3 && !a.shard().pending));
      assert.deepEqual(
        shards.slice(0, 2).map((a, i) => a.shard().reshards - before[i]!),
        [1, 1],
        'one live reshard each',
      );
      await quiesce([unsharded, ...shards], expectTotal(3));
      await assertPartition(unsharded, shards, 'autosharding after 2→3');
      const body = await (await fetch(`${shards[0]!.prometheus!.url}/metrics`)).text();
      assert.match(body, /^kube_state_metrics_total_shards 3$/m);
      assert.match(body, /^kube_state_metrics_shard_ordinal\{shard_ordinal="0"\} 0$/m);
      assert.match(body, /^kso_shard_reshards_total 2$/m);
      assert.match(body, /^kso_shard_last_reshard_duration_seconds \d/m);
      assert.match(body, /^kso_watch_objects\{resource="statefulsets"\} 1$/m);
    });

    test('relabelling the StatefulSet under churn changes nothing (no reshard, same assignment)', async () => {
      await underChurn();
      const before = shards.map((a) => a.shard());
      const relabelled = sim.cluster.patch('StatefulSet', NS, STS, {
        metadata: { labels: { app: null, 'helm.sh/chart': 'kso-0.2.0', 'app.kubernetes.io/version': '2' } },
      });
      const rv = Number(relabelled.metadata.resourceVersion);
      await until('every shard to see the relabel', () =>
        shards.every((a) => Number(a.shard().statefulSetResourceVersion) >= rv),
      );
      assert.deepEqual(
        shards.map((a) => [a.shard().ordinal, a.shard().total, a.shard().reshards, a.shard().pending]),
        before.map((s) => [s.ordinal, s.total, s.reshards, undefined]),
      );
      await quiesce([unsharded, ...shards], expectTotal(3));
      await assertPartition(unsharded, shards, 'autosharding after relabel');
    });

    test('scale 3→1 while watches are cut and 410s injected: union equals (auto and static n=3)', async () => {
      await underChurn();
      // Cut every watch and force a 410 on the next pods watch, twice a second; twice, also compact history
      // right after a cut so every resume point is older than the retained window → 410 Gone → full relist.
      // (Compacting continuously would also expire every list's continue token: no list could ever finish.)
      const cut = () => {
        sim.faults.dropWatches();
        sim.faults.expireNextWatch('pods');
      };
      const cutAndCompact = async () => {
        cut();
        await new Promise((r) => setTimeout(r, 50));
        sim.faults.compact();
      };
      const all = () => [unsharded, ...shards, ...fleets.get(3)!];
      const sum = (k: 'relists' | 'watchRestarts') =>
        all().reduce((n, a) => n + a.watchStats().reduce((m, w) => m + w[k], 0), 0);
      const before = { relists: sum('relists'), watchRestarts: sum('watchRestarts') };
      const faults = setInterval(cut, 500);
      try {
        await cutAndCompact();
        sim.cluster.patch('StatefulSet', NS, STS, { spec: { replicas: 1 } });
        await until('all shards on total 1', () => shards.every((a) => a.shard().total === 1 && !a.shard().pending));
        await cutAndCompact();
        await new Promise((r) => setTimeout(r, 1000)); // more cuts under churn after the switch
      } finally {
        clearInterval(faults);
        sim.faults.clear();
      }
      assert.ok(sum('relists') > before.relists, 'the faults forced relists');
      assert.ok(sum('watchRestarts') >= before.watchRestarts + all().length, 'the faults cut watches');
      // Ordinals 1 and 2 are outside a total of 1: until the controller removes them they serve nothing.
      await quiesce([unsharded, ...shards, ...fleets.get(3)!]);
      for (const a of shards.slice(1)) {
        const owned = await objectSeries(a);
        assert.equal(owned.length, 0, `ordinal ${a.shard().ordinal} of 1 serves ${owned.slice(0, 3).join(' | ')}…`);
      }
      await assertPartition(unsharded, [shards[0]!], 'autosharding after 3→1 with faults');
      await assertPartition(unsharded, fleets.get(3)!, 'static n=3 after faults');
      // What the StatefulSet controller would do: remove the pods beyond replicas.
      for (const i of [2, 1]) {
        sim.cluster.delete('Pod', NS, `${STS}-${i}`);
        await stopAgent(shards.pop()!);
      }
    });
  });
});
