// Fault injection: every scenario ends by comparing the reflector (items and the event stream) with the
// server's own state, so "no update lost" is checked against ground truth, not expected counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { churn, compactPod, converge, createPods, pod, reflect, serverPods, sim, waitFor } from './helpers.ts';

const NS = ['x', 'y'];

describe('fault tolerance against kube-sim', () => {
  it('no update is lost across repeatedly dropped watch streams (resume, no relist)', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 10);
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      for (let round = 1; round <= 5; round++) {
        await waitFor('watch open', () => h.reflector.stats().watching);
        // Watches refused for a while, so these writes happen while no stream is open.
        s.faults.failNext(2, { status: 503, verb: 'watch' });
        s.faults.dropWatches();
        churn(s, NS, round);
      }
      await converge(h, () => serverPods(s));
      const st = h.reflector.stats();
      assert.ok(st.watchRestarts >= 5, `watchRestarts ${st.watchRestarts}`);
      assert.ok(st.errors >= 5, `errors ${st.errors}`);
      assert.equal(st.relists, 0, 'resumed from the last resourceVersion, no relist needed');
      assert.equal(st.listPages, Math.ceil(20 / 7), 'only the initial list');
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('410 Expired → full relist over every page; objects deleted while disconnected become delete events', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 15);
    const h = reflect(kc, { pageSize: 4 });
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      const pagesBefore = h.reflector.stats().listPages;
      s.faults.failNext(1000, { status: 503, verb: 'watch' });
      s.faults.dropWatches();
      const deleted = s.cluster
        .list('Pod', 'x')
        .slice(0, 5)
        .map((p) => {
          s.cluster.delete('Pod', 'x', p.metadata.name);
          return p.metadata.uid as string;
        });
      churn(s, NS, 1);
      s.faults.compact(); // the resume point is gone: the next watch gets 410
      s.faults.clear();
      await converge(h, () => serverPods(s));
      const st = h.reflector.stats();
      assert.equal(st.relists, 1);
      const total = s.cluster.list('Pod').length;
      assert.equal(st.listPages - pagesBefore, Math.ceil(total / 4), 'the relist fetched every page');
      const deletes = new Set(h.events.filter((e) => e.type === 'delete').map((e) => e.uid));
      for (const uid of deleted) assert.ok(deletes.has(uid), 'deletion during the outage was emitted');
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('a watch ERROR 410 (expireNextWatch) triggers a relist and the reflector converges', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 5);
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      s.faults.expireNextWatch('pods');
      s.faults.dropWatches();
      churn(s, NS, 1);
      await waitFor('relisted', () => h.reflector.stats().relists === 1);
      await converge(h, () => serverPods(s));
      assert.equal(h.reflector.stats().errors, 1, 'only the dropped stream is an error; the 410 is a relist');
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('a page failing mid-relist retries the whole list and never reconciles partial data', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 15);
    let arm: 'none' | 'fail' | 'expire' = 'none';
    // The hook runs while page 1 is processed, i.e. before page 2 is requested.
    const compact = (raw: unknown) => {
      if (arm !== 'none') {
        if (arm === 'fail') s.faults.failNext(1, { status: 500, verb: 'list' });
        else {
          // A write then compaction make the continue token older than the retained window → 410.
          s.cluster.patch('Pod', 'y', 'p-14', { status: { phase: 'Failed' } });
          s.faults.compact();
        }
        arm = 'none';
      }
      return compactPod(raw);
    };
    const h = reflect(kc, { compact, pageSize: 5 });
    h.reflector.start();
    try {
      await h.reflector.synced;
      for (const mode of ['fail', 'expire'] as const) {
        await waitFor('watch open', () => h.reflector.stats().watching);
        const eventsBefore = h.events.length;
        const before = h.reflector.stats();
        arm = mode;
        h.reflector.requestRelist();
        await waitFor('hook fired', () => arm === 'none');
        await converge(h, () => serverPods(s));
        await waitFor('watch open', () => h.reflector.stats().watching);
        const after = h.reflector.stats();
        const wrongDeletes = h.events.slice(eventsBefore).filter((e) => e.type === 'delete');
        assert.deepEqual(wrongDeletes, [], `${mode}: no object was deleted on partial data`);
        const total = s.cluster.list('Pod').length;
        // The failed attempt's pages plus one complete list.
        assert.ok(after.listPages - before.listPages >= 1 + Math.ceil(total / 5), `${mode}: full list repeated`);
        if (mode === 'fail') assert.equal(after.errors, before.errors + 1);
        else assert.ok(after.relists >= before.relists + 2, 'requested relist + continue-token 410');
      }
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('a 429 storm is waited out honouring Retry-After, and a 5xx storm is recovered from', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 6);
    s.faults.failNext(2, { status: 429, retryAfterSeconds: 1, verb: 'list' });
    const h = reflect(kc);
    const t0 = Date.now();
    h.reflector.start();
    try {
      await h.reflector.synced;
      // Retry-After (1 s) twice, although the configured backoff starts at 10 ms.
      assert.ok(Date.now() - t0 >= 2000, 'Retry-After was honoured');
      assert.equal(h.reflector.stats().errors, 2);
      assert.match(h.reflector.stats().lastError ?? '', /Too many requests/i);
      await waitFor('watch open', () => h.reflector.stats().watching);
      const injected = s.stats().faultsInjected;
      s.faults.failNext(4, { status: 500 });
      s.faults.failNext(4, { status: 503 });
      s.faults.dropWatches();
      churn(s, NS, 1);
      await waitFor('storm consumed', () => s.stats().faultsInjected === injected + 8);
      churn(s, NS, 2);
      await converge(h, () => serverPods(s));
      assert.ok(h.reflector.stats().errors >= 2 + 8, 'every failed request counted');
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('an API server restart with state preserved is resumed without a relist', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 6);
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      await s.restart({ preserveState: true });
      churn(s, NS, 1);
      await converge(h, () => serverPods(s));
      await waitFor('watch reopened', () => h.reflector.stats().watching);
      churn(s, NS, 2);
      await converge(h, () => serverPods(s));
      const st = h.reflector.stats();
      assert.equal(st.relists, 0);
      assert.ok(st.watchRestarts >= 1);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('an API server restart that lost its state converges: 410 → relist, vanished objects deleted', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 8);
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      const old = [...h.reflector.items().keys()];
      await s.restart({ preserveState: false });
      createPods(s, ['x'], 3, 'after');
      await converge(h, () => serverPods(s));
      const deletes = new Set(h.events.filter((e) => e.type === 'delete').map((e) => e.uid));
      assert.ok(
        old.every((uid) => deletes.has(uid)),
        'every pod lost with the old state was deleted',
      );
      assert.ok(h.reflector.stats().relists >= 1);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('bookmarks advance the resourceVersion so a quiet watch resumes without 410', async () => {
    const window = 20;
    const { sim: s, kc } = await sim({ compactionWindow: window, bookmarkIntervalMs: 50 });
    s.cluster.create(pod('quiet', 'only'));
    const h = reflect(kc, { namespace: 'quiet' });
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      const listRv = Number(h.reflector.stats().resourceVersion);
      const syncBefore = h.reflector.stats().lastSyncTimeMs ?? 0;
      for (let i = 0; i < window * 3; i++) s.cluster.create(pod('busy', `b-${i}`));
      const rv = s.cluster.resourceVersion();
      assert.ok(Number(rv) - listRv > window, 'without bookmarks the list RV would be compacted away');
      await waitFor('bookmark delivered', () => h.reflector.stats().resourceVersion === rv);
      assert.ok((h.reflector.stats().lastSyncTimeMs ?? 0) > syncBefore, 'bookmarks count as sync progress');
      assert.equal(h.reflector.stats().lastEventTimeMs, undefined, 'bookmarks are not object events');
      // With no write since, the next bookmarks repeat the same RV: received, counted as not advancing.
      const seen = h.reflector.stats();
      await waitFor('a repeated bookmark', () => h.reflector.stats().staleBookmarks > seen.staleBookmarks);
      assert.ok(h.reflector.stats().bookmarks > seen.bookmarks && seen.bookmarks > seen.staleBookmarks);
      const restarts = h.reflector.stats().watchRestarts;
      s.faults.dropWatches();
      await waitFor('resumed', () => h.reflector.stats().watchRestarts > restarts && h.reflector.stats().watching);
      s.cluster.patch('Pod', 'quiet', 'only', { status: { phase: 'Succeeded' } });
      await converge(h, () => serverPods(s, 'quiet'));
      assert.equal(h.reflector.stats().relists, 0);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('stalled streams hold events back; once delivered, nothing is missing', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 4);
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      s.faults.stallWatches(true);
      churn(s, NS, 1);
      await sleep(100);
      assert.notEqual(h.reflector.stats().resourceVersion, s.cluster.resourceVersion(), 'nothing delivered yet');
      s.faults.stallWatches(false);
      await converge(h, () => serverPods(s));
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });
});
