// Differential against a real kube-apiserver (v1.33, etcd 3.5): the fixtures are created through the API and
// their status is written the way the controllers would (the server validates it and applies its defaults, e.g.
// schedulerName and the default tolerations). kube-state-metrics and `kso run --schema ksm` then watch the same
// server; every family both implement must agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnlessPeers, startAll, startRealApiServer } from '@kso/peers';
import { type Comparison, compareExpositions, comparisonEqual, describeComparison } from './differential.ts';
import { createFixtures, fixtures } from './fixtures.ts';
import { startKsm } from './ksm.ts';
import { startKsoRun } from './kso.ts';

const NS = 'fixtures';

test('kube-state-metrics and kso --schema ksm agree on every common family against a real kube-apiserver', {
  skip: skipUnlessPeers('etcd', 'kube-apiserver', 'ksm'),
  timeout: 240_000,
}, async (t) => {
  const api = await startRealApiServer();
  try {
    await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await createFixtures(api.call, fixtures(NS));
    const [ksm, kso] = await startAll([
      () => startKsm(['--resources=jobs,pods,cronjobs'], { kubeconfig: api.kubeconfigPath }),
      () => startKsoRun(api.kubeconfigPath, ['--schema', 'ksm', '--resources', 'jobs,pods,cronjobs']),
    ]);
    try {
      // A change after both have synced must reach both through their watches.
      await api.call(
        'PATCH',
        `/api/v1/namespaces/${NS}/pods/web/status`,
        {
          status: {
            containerStatuses: [
              {
                name: 'app',
                image: 'registry.invalid/app:1.0',
                imageID: '',
                ready: false,
                restartCount: 4,
                state: { waiting: { reason: 'CrashLoopBackOff' } },
              },
              {
                name: 'proxy',
                image: 'registry.invalid/proxy:1.0',
                imageID: '',
                ready: true,
                restartCount: 0,
                state: { running: { startedAt: '2026-11-01T10:00:05Z' } },
              },
            ],
          },
        },
        'application/merge-patch+json',
      );
      let cmp: Comparison | undefined;
      const deadline = Date.now() + 30_000;
      for (;;) {
        cmp = compareExpositions(await ksm.scrape(), await kso.scrape());
        const seen = [...cmp.kso.keys()].some(
          (k) =>
            k.startsWith('kube_pod_container_status_restarts_total{') && k.includes('"web"') && cmp!.kso.get(k) === 4,
        );
        if ((seen && comparisonEqual(cmp)) || Date.now() > deadline) break;
        await sleep(500);
      }
      t.diagnostic(`common families: ${cmp.common.length}, series compared: ${cmp.ksm.size}`);
      assert.equal([...cmp.kso.keys()].filter((k) => k.startsWith('kube_pod_info{')).length, 5, 'all fixture pods');
      assert.equal([...cmp.kso.keys()].filter((k) => k.startsWith('kube_job_info{')).length, 4, 'all fixture jobs');
      assert.equal(
        [...cmp.kso.keys()].filter((k) => k.startsWith('kube_cronjob_info{')).length,
        2,
        'all fixture cronjobs',
      );
      assert.ok(comparisonEqual(cmp), describeComparison(cmp));
    } finally {
      await Promise.allSettled([ksm.stop(), kso.stop()]);
    }
  } finally {
    await api.stop();
  }
});
