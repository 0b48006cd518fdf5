// createStoreView + Resharder against kube-sim: views of one total partition the objects exactly, an
// ordinal outside the total owns nothing, and a reshard keeps the old complete view served until the new
// one is complete.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';
import { MetricsStore } from '@kso/metrics';
import { loadKubeConfig } from '@kso/watch';
import { pino } from 'pino';
import { createStoreView, Resharder, type ShardAssignment, type StoreView, SwitchableSource } from '../src/index.ts';

const uids = (s: { entries(r: 'pods'): Iterable<{ uid: string }> }) => [...s.entries('pods')].map((e) => e.uid);

describe('store views on kube-sim', () => {
  let sim: KubeSim;
  let dir: string;
  let kc: ReturnType<typeof loadKubeConfig>;
  const views: StoreView[] = [];
  const view = (assignment: ShardAssignment) => {
    const v = createStoreView({
      kubeConfig: kc,
      assignment,
      resources: ['pods', 'jobs'],
      createStore: () => new MetricsStore({ schema: 'ksm', resources: ['pods', 'jobs'] }),
      logger: pino({ level: 'silent' }),
      reflector: { pageSize: 100, backoff: { initialMs: 20, maxMs: 100 } },
    });
    views.push(v);
    return v;
  };

  before(async () => {
    sim = await startKubeSim({ port: 0, scenario: 'scale', scale: { pods: 600, jobs: 6 } });
    dir = mkdtempSync(join(tmpdir(), 'kso-view-'));
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    kc = loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig') });
  });
  after(async () => {
    await Promise.all(views.map((v) => v.stop()));
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('three views of total 3 are disjoint and together hold every pod; ordinal 3 of 3 holds none', async () => {
    const all = new Set(sim.cluster.list('Pod').map((p) => p.metadata.uid as string));
    const parts = [0, 1, 2].map((shard) => view({ shard, total: 3 }));
    const outside = view({ shard: 3, total: 3 });
    await Promise.all([...parts, outside].map((v) => v.synced));
    const seen = new Set<string>();
    for (const v of parts) {
      assert.ok(v.store.size('pods') > 100, `shard ${v.assignment.shard} got ${v.store.size('pods')}`);
      for (const u of uids(v.store)) {
        assert.ok(!seen.has(u), `${u} in two shards`);
        seen.add(u);
      }
    }
    assert.deepEqual([...seen].sort(), [...all].sort());
    assert.equal(outside.store.size('pods'), 0);
    assert.equal(outside.store.size('jobs'), 0);
  });

  test('reshard: the old complete view stays served while the new one lists; then switch; old stopped and cleared', async () => {
    const r = new Resharder<StoreView>({ createView: view });
    const source = new SwitchableSource(r, 'ksm');
    assert.equal(await r.apply({ shard: 0, total: 1 }), true);
    const old = r.current()!;
    const total = sim.cluster.list('Pod').length;
    assert.equal(source.size('pods'), total);
    // The new view's pod list fails until cleared: it cannot complete, so it must not be served.
    sim.faults.failNext(1_000_000, { status: 503, resource: 'pods', verb: 'list' });
    const switching = r.apply({ shard: 0, total: 2 });
    const pending = r.pending()!.view;
    while ((pending.watched.find((w) => w.resource === 'pods')!.reflector.stats().errors ?? 0) < 3)
      await new Promise((res) => setTimeout(res, 10));
    assert.equal(r.current(), old);
    assert.equal(source.size('pods'), total, 'old complete view served meanwhile');
    sim.faults.clear();
    assert.equal(await switching, true);
    assert.equal(r.current()?.assignment.total, 2);
    assert.ok(source.size('pods') < total && source.size('pods') > 0);
    assert.equal(old.store.size('pods'), 0, 'replaced view cleared');
    await r.stop();
  });
});

describe('namespaces denylist (KSM --namespaces-denylist)', () => {
  // Records what each reflector is asked to list/watch.
  const made: { namespace?: string; fieldSelector?: string }[] = [];
  class Recorder {
    readonly synced = Promise.resolve();
    constructor(_kc: unknown, o: { namespace?: string; fieldSelector?: string }) {
      made.push({
        ...(o.namespace ? { namespace: o.namespace } : {}),
        ...(o.fieldSelector ? { fieldSelector: o.fieldSelector } : {}),
      });
    }
    start() {}
    stop() {}
    hasSynced() {
      return true;
    }
    stats() {
      return {};
    }
    on() {
      return this;
    }
  }
  const build = (namespaces: string[], namespacesDenylist: string[]) => {
    made.length = 0;
    const v = createStoreView({
      kubeConfig: {},
      assignment: { shard: 0, total: 1 },
      resources: ['pods'],
      namespaces,
      namespacesDenylist,
      createStore: () => new MetricsStore({ schema: 'ksm', resources: ['pods'] }),
      logger: pino({ level: 'silent' }),
      Reflector: Recorder as never,
    });
    return v.stop().then(() => [...made]);
  };

  test('all namespaces: one cluster-wide watch with a server-side metadata.namespace!= selector', async () => {
    assert.deepEqual(await build([], ['kube-system', 'monitoring']), [
      { fieldSelector: 'metadata.namespace!=kube-system,metadata.namespace!=monitoring' },
    ]);
    assert.deepEqual(await build([], []), [{}]);
  });

  test('listed namespaces: the denied ones are not watched (KSM: only namespaces not in the denylist)', async () => {
    assert.deepEqual(await build(['a', 'b', 'c'], ['b']), [{ namespace: 'a' }, { namespace: 'c' }]);
  });
});
