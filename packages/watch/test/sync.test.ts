import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeSim } from '@kso/kube-sim';
import type { KubeConfig } from '@kubernetes/client-node';
import { converge, createPods, MALFORMED, pod, reflect, serverPods, sim, waitFor } from './helpers.ts';

describe('list + watch against kube-sim', () => {
  let s: KubeSim;
  let kc: KubeConfig;
  before(async () => {
    ({ sim: s, kc } = await sim());
    createPods(s, ['a', 'b', 'c'], 17);
  });
  after(() => s.close());

  it('initial sync follows every page and equals the server state', async () => {
    const h = reflect(kc, { pageSize: 7 });
    h.reflector.start();
    try {
      assert.equal(h.reflector.hasSynced(), false);
      await h.reflector.synced;
      const expected = serverPods(s);
      const pagesNeeded = Math.ceil(s.cluster.list('Pod').length / 7);
      assert.ok(expected.size > 7 * 2, 'fixture spans several pages');
      assert.deepEqual(new Map(h.reflector.items()), expected);
      assert.equal(h.events.length, expected.size);
      assert.ok(h.events.every((e) => e.type === 'add'));
      const st = h.reflector.stats();
      assert.equal(st.synced, true);
      assert.equal(st.objects, expected.size);
      assert.equal(st.listPages, pagesNeeded);
      assert.equal(st.relists, 0);
      assert.ok(st.lastListTimeMs !== undefined && st.lastSyncTimeMs !== undefined);
      assert.ok(Number(st.resourceVersion) > 0);
    } finally {
      await h.reflector.stop();
    }
  });

  it('updates, deletes and a same-name recreate reach the reflector as events', async () => {
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      const before = h.events.length;
      const victim = s.cluster.get('Pod', 'a', 'p-1')!;
      s.cluster.patch('Pod', 'a', 'p-0', { status: { phase: 'Succeeded' } });
      s.cluster.delete('Pod', 'a', 'p-1');
      const reborn = s.cluster.create(pod('a', 'p-1', 'Pending'));
      s.cluster.create(pod('b', 'fresh'));
      await converge(h, () => serverPods(s));
      const evs = h.events.slice(before);
      assert.ok(evs.some((e) => e.type === 'update' && e.object.name === 'p-0' && e.object.phase === 'Succeeded'));
      const del = evs.findIndex((e) => e.type === 'delete' && e.uid === victim.metadata.uid);
      const add = evs.findIndex((e) => e.type === 'add' && e.uid === reborn.metadata.uid);
      assert.ok(del >= 0 && add > del, 'recreated name = delete of the old uid, then add of the new one');
      const upd = evs.find((e) => e.type === 'update');
      assert.ok(upd?.type === 'update' && upd.previous.phase !== upd.object.phase);
      const st = h.reflector.stats();
      assert.ok(st.lastEventTimeMs !== undefined && st.lastEventTimeMs >= (st.lastListTimeMs ?? 0));
      assert.equal(st.resourceVersion, s.cluster.resourceVersion());
    } finally {
      await h.reflector.stop();
    }
  });

  it('an update that does not change the snapshot is suppressed and counted', async () => {
    const h = reflect(kc, { namespace: 'c' });
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      const before = h.events.length;
      s.cluster.patch('Pod', 'c', 'p-2', { metadata: { annotations: { irrelevant: 'x' } } });
      const rv = s.cluster.resourceVersion();
      await waitFor('event consumed', () => h.reflector.stats().resourceVersion === rv);
      assert.equal(h.events.length, before);
      assert.equal(h.reflector.stats().suppressedUpdates, 1);
    } finally {
      await h.reflector.stop();
    }
  });

  it('a namespaced reflector and a label selector see only their objects', async () => {
    s.cluster.create(pod('b', 'labelled', 'Running', { app: 'x' }));
    const ns = reflect(kc, { namespace: 'b' });
    const sel = reflect(kc, { labelSelector: 'app=x' });
    ns.reflector.start();
    sel.reflector.start();
    try {
      await Promise.all([ns.reflector.synced, sel.reflector.synced]);
      await converge(ns, () => serverPods(s, 'b'));
      const labelled = () => new Map([...serverPods(s)].filter(([, p]) => p.labels.app === 'x'));
      await converge(sel, labelled);
      s.cluster.create(pod('a', 'labelled-too', 'Running', { app: 'x' }));
      s.cluster.create(pod('a', 'not-labelled'));
      await converge(sel, labelled);
      await converge(ns, () => serverPods(s, 'b'));
      assert.equal(ns.reflector.stats().resource, 'pods/b');
    } finally {
      await Promise.all([ns.reflector.stop(), sel.reflector.stop()]);
    }
  });

  it('the shard filter applies to list and watch alike and never holds back the resourceVersion', async () => {
    const mine = (uid: string) => uid.charCodeAt(uid.length - 1) % 2 === 0;
    const h = reflect(kc, { filter: mine });
    h.reflector.start();
    try {
      await h.reflector.synced;
      const all = serverPods(s);
      const expected = serverPods(s, undefined, mine);
      assert.ok(expected.size > 0 && expected.size < all.size, 'filter splits the fixture');
      await converge(h, () => serverPods(s, undefined, mine));
      for (let i = 0; i < 12; i++) s.cluster.create(pod('a', `sharded-${i}`));
      const rv = s.cluster.resourceVersion();
      await converge(h, () => serverPods(s, undefined, mine));
      // Even when the last events were for other shards' objects, the resume point reaches the server's.
      await waitFor('resourceVersion caught up', () => Number(h.reflector.stats().resourceVersion) >= Number(rv));
    } finally {
      await h.reflector.stop();
    }
  });

  it('a malformed object is counted and skipped, never fatal, and picked up once fixed', async () => {
    const h = reflect(kc, { namespace: 'm' });
    const bad = pod('m', 'bad');
    (bad.metadata as Record<string, unknown>).annotations = { [MALFORMED]: 'yes' };
    s.cluster.create(bad);
    s.cluster.create(pod('m', 'good'));
    h.reflector.start();
    try {
      await h.reflector.synced;
      assert.equal(h.reflector.stats().parseErrors, 1);
      await converge(h, () => serverPods(s, 'm'));
      s.cluster.patch('Pod', 'm', 'good', { metadata: { annotations: { [MALFORMED]: 'yes' } } });
      s.cluster.create(pod('m', 'after'));
      await waitFor('second parse error', () => h.reflector.stats().parseErrors === 2);
      // The held snapshot of a pod whose update fails to parse is kept, and the watch goes on.
      await waitFor('later pod arrives', () => [...h.reflector.items().values()].some((p) => p.name === 'after'));
      assert.ok([...h.reflector.items().values()].some((p) => p.name === 'good'));
      s.cluster.patch('Pod', 'm', 'bad', { metadata: { annotations: { [MALFORMED]: null } } });
      s.cluster.patch('Pod', 'm', 'good', { metadata: { annotations: { [MALFORMED]: null } } });
      await converge(h, () => serverPods(s, 'm'));
      assert.equal(h.reflector.items().size, 3);
      assert.equal(h.reflector.stats().errors, 0);
    } finally {
      await h.reflector.stop();
    }
  });

  it('a throwing listener is counted and does not stop delivery to others', async () => {
    const h = reflect(kc, { namespace: 'a' });
    h.reflector.on('add', () => {
      throw new Error('listener bug');
    });
    h.reflector.start();
    try {
      await h.reflector.synced;
      await converge(h, () => serverPods(s, 'a'));
      assert.equal(h.reflector.stats().handlerErrors, serverPods(s, 'a').size);
    } finally {
      await h.reflector.stop();
    }
  });

  it('stop() before the first sync rejects `synced` and ends cleanly', async () => {
    s.faults.setLatency(300);
    const h = reflect(kc);
    h.reflector.start();
    await h.reflector.stop();
    s.faults.setLatency(0);
    await assert.rejects(h.reflector.synced, /stopped before its initial sync/);
    assert.equal(h.reflector.hasSynced(), false);
  });
});
