// The `kso run` pipeline in-process with a stand-in list/watch layer (the real one is covered end to end in
// test/test/kso-run.test.ts against kube-sim): events reach /metrics, health follows sync and staleness,
// self-metrics are exposed, the final OTLP export reaches a real gRPC receiver.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type OtlpReceiver, startOtlpReceiver } from '@kso/exporters/testing';
import { pino } from 'pino';
import { type Agent, startAgent } from '../src/agent.ts';
import { loadRunConfig } from '../src/config.ts';
import type { ReflectorOptions, WatchModule, WatchStats } from '../src/watch-adapter.ts';

class StandInReflector {
  readonly opts: ReflectorOptions;
  stats_: WatchStats = { relists: 0, watchRestarts: 0, errors: 0, parseErrors: 0, synced: false };
  #resolve!: () => void;
  readonly synced = new Promise<void>((r) => {
    this.#resolve = r;
  });
  constructor(_kc: unknown, opts: ReflectorOptions) {
    this.opts = opts;
    reflectors.push(this);
  }
  start() {}
  stop() {}
  hasSynced() {
    return this.stats_.synced === true;
  }
  stats() {
    return this.stats_;
  }
  /** Delivers like the real Reflector: to its `store` (the view's MetricsStore sink). */
  emitRaw(type: 'add' | 'update', raw: unknown) {
    this.stats_.lastEventTimeMs = Date.now();
    const snap = this.opts.compact(raw) as { uid: string };
    if (type === 'add') this.opts.store!.add(snap.uid, snap);
    else this.opts.store!.update(snap.uid, snap, snap);
  }
  emitDelete(uid: string) {
    this.opts.store!.delete(uid, { uid });
  }
  sync() {
    this.stats_.synced = true;
    this.stats_.lastSyncTimeMs = Date.now();
    this.#resolve();
  }
}
const reflectors: StandInReflector[] = [];
const standIn: WatchModule = { loadKubeConfig: () => ({}), Reflector: StandInReflector as never };

const pod = (name: string, phase: string) => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { containers: [{ name: 'c', image: 'i' }] },
  status: { phase },
});

describe('kso run pipeline (in-process)', () => {
  let agent: Agent;
  let receiver: OtlpReceiver;
  let base: string;
  before(async () => {
    receiver = await startOtlpReceiver();
    const { config, problems } = loadRunConfig(
      [
        '--prometheus-host=127.0.0.1',
        '--prometheus-port=0',
        '--resources=pods,jobs',
        '--namespaces=ns,other',
        `--otlp-endpoint=http://${receiver.grpcAddress}`,
        '--otlp-interval=1h',
        '--max-staleness=1s',
      ],
      {},
    );
    assert.deepEqual(problems, []);
    agent = await startAgent(config!, pino({ level: 'silent' }), { watch: standIn });
    base = agent.prometheus!.url;
  });
  after(async () => {
    await agent?.stop();
    await receiver?.close();
  });

  test('one reflector per resource × namespace, each with the model compaction', () => {
    assert.deepEqual(reflectors.map((r) => `${r.opts.resource.plural}/${r.opts.namespace}`).sort(), [
      'jobs/ns',
      'jobs/other',
      'pods/ns',
      'pods/other',
    ]);
  });

  test('not ready until every reflector synced; events reach /metrics; delete removes', async () => {
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    const pods = reflectors.filter((r) => r.opts.resource.plural === 'pods');
    pods[0]!.emitRaw('add', pod('a', 'Pending'));
    for (const r of reflectors) r.sync();
    await agent.synced;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    let body = await (await fetch(`${base}/metrics`)).text();
    assert.match(body, /kube_pod_status_phase\{namespace="ns",pod="a",uid="uid-a",phase="Pending"\} 1/);
    pods[0]!.emitRaw('update', pod('a', 'Running'));
    body = await (await fetch(`${base}/metrics`)).text();
    assert.match(body, /kube_pod_status_phase\{namespace="ns",pod="a",uid="uid-a",phase="Running"\} 1/);
    assert.match(body, /kso_watch_objects\{resource="pods"\} 1/);
    assert.match(body, /kube_state_metrics_total_shards 1/);
    pods[0]!.emitDelete('uid-a');
    body = await (await fetch(`${base}/metrics`)).text();
    assert.doesNotMatch(body, /pod="a"/);
  });

  test('/healthz: 200 while fresh, 503 naming the resource once one watch is older than max-staleness', async () => {
    for (const r of reflectors) r.stats_.lastSyncTimeMs = Date.now();
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const stale = reflectors.find((r) => r.opts.resource.plural === 'jobs' && r.opts.namespace === 'other')!;
    stale.stats_.lastSyncTimeMs = Date.now() - 5_000;
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /stale.*jobs/);
    const body = await (await fetch(`${base}/metrics`)).text();
    const age = /kso_watch_last_sync_age_seconds\{resource="jobs"\} (\S+)/.exec(body);
    assert.ok(age && Number(age[1]) >= 5, body);
  });

  test('stop(): final OTLP export delivered with store and self-metrics', async () => {
    reflectors[0]!.emitRaw('add', pod('b', 'Running'));
    const { otlp } = await agent.stop();
    assert.equal(otlp?.delivered, true);
    const names = new Set(receiver.received.flatMap((r) => r.metrics.map((m) => m.name)));
    assert.ok(names.has('kube_pod_info'), [...names].join(','));
    assert.ok(names.has('kso_watch_last_sync_age_seconds'));
    assert.ok(names.has('kube_state_metrics_shard_ordinal'));
  });
});

describe('static sharding', () => {
  test('two shards split objects disjointly and completely (KSM hash via @kso/sharding)', async () => {
    // The filter each view's reflectors apply to object UIDs.
    const { assignmentFilter } = await import('@kso/sharding');
    const f0 = assignmentFilter({ shard: 0, total: 2 })!;
    const f1 = assignmentFilter({ shard: 1, total: 2 })!;
    let n0 = 0;
    for (let i = 0; i < 200; i++) {
      const uid = `uid-${i}`;
      assert.notEqual(f0(uid), f1(uid), `exactly one shard owns ${uid}`);
      if (f0(uid)) n0++;
    }
    assert.ok(n0 > 50 && n0 < 150, `balanced split, shard 0 got ${n0}/200`);
  });
});
