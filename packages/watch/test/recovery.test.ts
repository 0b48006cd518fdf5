// Convergence once the server is healthy again (issue 15) and the "unchanged update" check with the real
// compactors of @kso/model (issue 12): each test compares with kube-sim's own state or timing bounds far
// below what the pre-fix behaviour needed (a backoff grown to tens of seconds).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESOURCES } from '@kso/model';
import { Reflector } from '../src/index.ts';
import { churn, converge, createPods, pod, reflect, serverPods, sim, waitFor } from './helpers.ts';

const POD_REF = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' };
const JOB_REF = { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' };

describe('unchanged updates with the real @kso/model compactors', () => {
  it('a write the snapshot does not read is skipped, yet items() hold the newest resourceVersion', async () => {
    const { sim: s, kc } = await sim();
    s.cluster.create(pod('u', 'p'));
    const r = new Reflector(kc, { resource: POD_REF, compact: RESOURCES.pods.compact });
    const updates: unknown[] = [];
    r.on('update', (o) => updates.push(o));
    r.start();
    try {
      await r.synced;
      await waitFor('watch open', () => r.stats().watching);
      // managedFields are not part of the pod snapshot: only metadata.resourceVersion changes.
      const mf = s.cluster.patch('Pod', 'u', 'p', { metadata: { managedFields: [{ manager: 'kubectl' }] } });
      await waitFor('event consumed', () => r.stats().resourceVersion === mf.metadata.resourceVersion);
      assert.equal(updates.length, 0, 'no update for a write the snapshot does not read');
      assert.equal(r.stats().suppressedUpdates, 1);
      const held = [...r.items().values()][0] as { resourceVersion: string };
      assert.equal(held.resourceVersion, mf.metadata.resourceVersion, 'the held snapshot is the newest');
      const ph = s.cluster.patchStatus('Pod', 'u', 'p', { status: { phase: 'Failed' } });
      await waitFor('phase update', () => updates.length === 1);
      assert.equal((updates[0] as { resourceVersion: string }).resourceVersion, ph.metadata.resourceVersion);
    } finally {
      await r.stop();
      await s.close();
    }
  });

  it('unchangedIgnores: [] reports a resourceVersion-only change (kube_cronjob_metadata_resource_version)', async () => {
    const { sim: s, kc } = await sim();
    s.cluster.create(pod('u', 'p'));
    const r = new Reflector(kc, { resource: POD_REF, compact: RESOURCES.pods.compact, unchangedIgnores: [] });
    const updates: unknown[] = [];
    r.on('update', (o) => updates.push(o));
    r.start();
    try {
      await r.synced;
      await waitFor('watch open', () => r.stats().watching);
      s.cluster.patch('Pod', 'u', 'p', { metadata: { managedFields: [{ manager: 'kubectl' }] } });
      await waitFor('update', () => updates.length === 1);
      assert.equal(r.stats().suppressedUpdates, 0);
    } finally {
      await r.stop();
      await s.close();
    }
  });
});

describe('converging once the API server is healthy again', () => {
  it('after a 503 storm the backoff is reset by the next success: a later cut resumes at once', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, ['a'], 5);
    // Production backoff: before the fix, 5 failures without a 60 s healthy watch left the next wait at 3.2–6.4 s.
    const h = reflect(kc, { backoff: { initialMs: 200, maxMs: 30_000, resetAfterMs: 60_000 } });
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      s.faults.failNext(5, { status: 503, resource: 'pods' });
      s.faults.dropWatches();
      await waitFor(
        'storm consumed and watch reopened',
        () => s.stats().faultsInjected >= 5 && h.reflector.stats().watching,
        90_000,
      );
      await waitFor('a bookmark arrived', () => Date.now() - (h.reflector.stats().lastSyncTimeMs ?? 0) < 100);
      s.faults.dropWatches();
      s.cluster.create(pod('a', 'after-cut'));
      const t0 = Date.now();
      await converge(h, () => serverPods(s), 5000);
      const ms = Date.now() - t0;
      assert.ok(ms < 1500, `converged ${ms} ms after the cut`);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it("one reflector's reconnect ends another's long backoff wait; reconnectingSinceMs tells the truth", async () => {
    const { sim: s, kc } = await sim();
    createPods(s, ['a'], 3);
    const pods = reflect(kc, { backoff: { initialMs: 100, maxMs: 60_000, resetAfterMs: 60_000 } });
    const jobs = new Reflector(kc, {
      resource: JOB_REF,
      compact: RESOURCES.jobs.compact,
      backoff: { initialMs: 10, maxMs: 50 },
    });
    pods.reflector.start();
    jobs.start();
    try {
      await Promise.all([pods.reflector.synced, jobs.synced]);
      await waitFor('watches open', () => pods.reflector.stats().watching && jobs.stats().watching);
      // Only pods fail, 7 times: its waits grow to 3.2–6.4 s.
      s.faults.failNext(7, { status: 503, resource: 'pods' });
      s.faults.dropWatches();
      await waitFor('pods failures consumed', () => s.stats().faultsInjected >= 7, 30_000);
      assert.equal(pods.reflector.stats().watching, false);
      const since = pods.reflector.stats().reconnectingSinceMs;
      assert.ok(since !== undefined && since <= Date.now(), 'reconnecting while waiting');
      await waitFor('jobs watching again', () => jobs.stats().watching);
      // The outage "ends": every stream is cut once more; jobs reconnects within ms and tells pods.
      s.faults.dropWatches();
      const t0 = Date.now();
      s.cluster.create(pod('a', 'after-outage'));
      await converge(pods, () => serverPods(s), 10_000);
      const ms = Date.now() - t0;
      assert.ok(ms < 1500, `pods converged ${ms} ms after the server was back (its own wait was >= 3.2 s)`);
      assert.ok(pods.reflector.stats().recoveryWakeups >= 1);
      await waitFor('pods watching', () => pods.reflector.stats().watching);
      assert.equal(pods.reflector.stats().reconnectingSinceMs, undefined);
    } finally {
      await Promise.all([pods.reflector.stop(), jobs.stop()]);
      await s.close();
    }
  });
});

describe('periodic consistency check (consistencyCheckIntervalMs)', () => {
  it('finds objects whose events a lossy watch cache never sent, counts them and corrects them', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, ['a', 'b'], 6);
    const h = reflect(kc, { consistencyCheckIntervalMs: 300 });
    h.reflector.start();
    try {
      await h.reflector.synced;
      await waitFor('watch open', () => h.reflector.stats().watching);
      s.faults.loseNextEvents(2);
      s.cluster.patchStatus('Pod', 'a', 'p-1', { status: { phase: 'Failed' } });
      s.cluster.delete('Pod', 'b', 'p-2');
      s.cluster.create(pod('a', 'seen-normally'));
      await waitFor('the lost writes are found', () => h.reflector.stats().consistencyDifferences === 2, 10_000);
      await converge(h, () => serverPods(s));
      assert.ok(h.reflector.stats().relists >= 1, 'corrected by a relist');
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('reports nothing while writes race the check (no false positives)', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, ['a', 'b'], 8);
    const h = reflect(kc, { consistencyCheckIntervalMs: 80 });
    h.reflector.start();
    try {
      await h.reflector.synced;
      for (let round = 1; round <= 30; round++) {
        churn(s, ['a', 'b'], round);
        await new Promise((r) => setTimeout(r, 50));
      }
      await converge(h, () => serverPods(s));
      await waitFor('a few more checks', () => h.reflector.stats().consistencyChecks >= 5, 10_000);
      assert.equal(h.reflector.stats().consistencyDifferences, 0);
      assert.equal(h.reflector.stats().relists, 0);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });
});

describe('freshness of a quiet resource', () => {
  it('a watch the server ends cleanly at its timeout proves the state current (sync age stays bounded)', async () => {
    // No bookmarks at all: like a real kube-apiserver on an idle resource.
    const { sim: s, kc } = await sim({ bookmarkIntervalMs: 3_600_000 });
    createPods(s, ['q'], 2);
    const h = reflect(kc, { watchTimeoutSeconds: { min: 1, max: 1 } });
    h.reflector.start();
    try {
      await h.reflector.synced;
      const listed = h.reflector.stats().lastSyncTimeMs!;
      await waitFor('a clean watch end', () => (h.reflector.stats().lastSyncTimeMs ?? 0) > listed + 900, 10_000);
      assert.equal(h.reflector.stats().lastEventTimeMs, undefined, 'no event moved it');
      assert.equal(h.reflector.stats().errors, 0);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('watchTimeoutWithin keeps the watch term inside a staleness bound', async () => {
    const { watchTimeoutWithin } = await import('../src/index.ts');
    assert.deepEqual(watchTimeoutWithin(300_000), { min: 120, max: 240 });
    assert.deepEqual(watchTimeoutWithin(3_600_000), { min: 300, max: 600 });
    assert.deepEqual(watchTimeoutWithin(1000), { min: 5, max: 5 });
  });
});
