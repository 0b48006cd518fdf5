// Fidelity with the production client: @kubernetes/client-node list pagination, Watch and informers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatchV1Api, CoreV1Api, KubeConfig, makeInformer, type V1Pod, Watch } from '@kubernetes/client-node';
import type { KubeSim } from '../src/index.ts';
import type { KObj } from '../src/resources.ts';
import { job, pod, sim as startSim, until } from './helpers.ts';

describe('@kubernetes/client-node against kube-sim', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  before(async () => {
    sim = await startSim({ bookmarkIntervalMs: 100 });
    kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig());
  });
  after(() => sim.close());

  test('CoreV1Api paginates with limit/continue and sees every pod exactly once', async () => {
    const want: string[] = [];
    for (let i = 0; i < 23; i++) {
      const ns = `page-${i % 3}`;
      sim.cluster.create(pod(`p-${String(i).padStart(2, '0')}`, ns));
      want.push(`${ns}/p-${String(i).padStart(2, '0')}`);
    }
    const api = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    let firstRemaining: number | undefined;
    do {
      const page = await api.listPodForAllNamespaces({ limit: 5, _continue: cont, labelSelector: undefined });
      if (pages === 0) firstRemaining = page.metadata?.remainingItemCount;
      pages++;
      for (const p of page.items) seen.push(`${p.metadata!.namespace}/${p.metadata!.name}`);
      cont = page.metadata?._continue || undefined;
    } while (cont);
    assert.deepEqual(seen.sort(), want.sort());
    assert.equal(pages, 5);
    assert.equal(firstRemaining, 18);
    const ns1 = await api.listNamespacedPod({ namespace: 'page-1' });
    assert.equal(ns1.items.length, 8);
    assert.ok(ns1.items.every((p) => p.metadata?.namespace === 'page-1'));
  });

  test('BatchV1Api create, read, replace with a stale resourceVersion conflicts (409)', async () => {
    const api = kc.makeApiClient(BatchV1Api);
    const created = await api.createNamespacedJob({ namespace: 'batch', body: job('j1', 'batch') as KObj });
    assert.match(created.metadata!.uid!, /^[0-9a-f-]{36}$/);
    assert.ok(created.metadata!.creationTimestamp instanceof Date);
    const read = await api.readNamespacedJob({ namespace: 'batch', name: 'j1' });
    assert.equal(read.metadata!.resourceVersion, created.metadata!.resourceVersion);
    read.metadata!.labels = { updated: 'yes' };
    await api.replaceNamespacedJob({ namespace: 'batch', name: 'j1', body: read });
    await assert.rejects(
      api.replaceNamespacedJob({ namespace: 'batch', name: 'j1', body: read }),
      (e: KObj) => e.code === 409,
    );
    await assert.rejects(api.readNamespacedJob({ namespace: 'batch', name: 'nope' }), (e: KObj) => e.code === 404);
    const jobs = await api.listJobForAllNamespaces();
    assert.deepEqual(
      jobs.items.map((j) => j.metadata!.labels),
      [{ updated: 'yes' }],
    );
  });

  test('Watch streams ADDED, MODIFIED, DELETED and BOOKMARK', async () => {
    const rv = sim.cluster.resourceVersion();
    const events: { type: string; name?: string; rv?: string }[] = [];
    const watch = new Watch(kc);
    const ctl = await watch.watch(
      '/api/v1/namespaces/w/pods',
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type, obj) => events.push({ type, name: obj?.metadata?.name, rv: obj?.metadata?.resourceVersion }),
      () => {},
    );
    try {
      sim.cluster.create(pod('w1', 'w'));
      sim.cluster.patch('Pod', 'w', 'w1', { status: { phase: 'Succeeded' } });
      sim.cluster.delete('Pod', 'w', 'w1');
      // A periodic bookmark may also arrive before the events: only one after the DELETED event counts.
      const afterDelete = () => {
        const del = events.findIndex((e) => e.type === 'DELETED');
        return del < 0 ? undefined : events.find((e, i) => e.type === 'BOOKMARK' && i > del);
      };
      await until('bookmark after the delete', () => afterDelete() !== undefined);
      assert.deepEqual(
        events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name}`),
        ['ADDED w1', 'MODIFIED w1', 'DELETED w1'],
      );
      const deleted = events.find((e) => e.type === 'DELETED')!;
      assert.ok(Number(afterDelete()!.rv) >= Number(deleted.rv));
    } finally {
      ctl.abort();
    }
  });

  test('makeInformer syncs, follows updates, and recovers from a dropped watch and a 410', async () => {
    sim.cluster.create(pod('i1', 'inf'));
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/inf/pods', () =>
      core.listNamespacedPod({ namespace: 'inf' }),
    );
    const phase = (name: string) => informer.list('inf').find((p) => p.metadata?.name === name)?.status?.phase;
    let stopped = false;
    informer.on('error', () => {
      // The informer stops on errors; restart it like production code does.
      if (!stopped) setTimeout(() => void informer.start(), 50);
    });
    await informer.start();
    try {
      assert.equal(phase('i1'), 'Running');
      sim.cluster.patch('Pod', 'inf', 'i1', { status: { phase: 'Failed' } });
      await until('update seen', () => phase('i1') === 'Failed');
      sim.cluster.create(pod('i2', 'inf'));
      await until('add seen', () => phase('i2') === 'Running');
      // Drop the stream and force the next watch to expire: the informer must relist and converge.
      sim.faults.expireNextWatch('pods');
      sim.faults.dropWatches();
      sim.cluster.delete('Pod', 'inf', 'i1');
      sim.cluster.create(pod('i3', 'inf'));
      await until('converged after 410', () => phase('i1') === undefined && phase('i3') === 'Running', 8000);
      assert.deepEqual(
        informer
          .list('inf')
          .map((p) => p.metadata!.name)
          .sort(),
        ['i2', 'i3'],
      );
    } finally {
      stopped = true;
      await informer.stop();
    }
  });
});
