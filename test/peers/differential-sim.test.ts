// Differential: kube-state-metrics v2.20.0 and `kso run --schema ksm` watch the same kube-sim cluster (scale
// scenario with churn, plus fixtures covering conditions, container states and CronJobs). Once churn pauses, every
// family both implement must hold the same series set with the same values.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKubeSim } from '@kso/kube-sim';
import { skipUnlessPeers, startAll } from '@kso/peers';
import { type Comparison, compareExpositions, comparisonEqual, describeComparison } from './differential.ts';
import { fixtures, withFinalStatus } from './fixtures.ts';
import { startKsm } from './ksm.ts';
import { startKsoRun } from './kso.ts';

const NS = 'fixtures';

test('kube-state-metrics and kso --schema ksm agree on every common family over a churning kube-sim cluster', {
  skip: skipUnlessPeers('ksm'),
  timeout: 180_000,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-diff-sim-'));
  const sim = await startKubeSim({
    port: 0,
    scenario: 'scale',
    scale: { pods: 400, jobs: 40, churnPerSecond: 40, namespaces: 4 },
    bookmarkIntervalMs: 1_000,
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...fixtures(NS).map(withFinalStatus)],
  });
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  try {
    const [ksm, kso] = await startAll([
      () => startKsm(['--resources=jobs,pods,cronjobs'], { kubeconfig }),
      () => startKsoRun(kubeconfig, ['--schema', 'ksm', '--resources', 'jobs,pods,cronjobs']),
    ]);
    try {
      // Both follow the churn for a while (creates, deletes, restart-count updates) before it pauses.
      await sleep(3_000);
      sim.stopScenario();
      let cmp: Comparison | undefined;
      const deadline = Date.now() + 30_000;
      for (;;) {
        cmp = compareExpositions(await ksm.scrape(), await kso.scrape());
        if (comparisonEqual(cmp) || Date.now() > deadline) break;
        await sleep(500);
      }
      t.diagnostic(`common families: ${cmp.common.length}, series compared: ${cmp.ksm.size}`);
      t.diagnostic(`only in kube-state-metrics: ${cmp.onlyKsm.join(', ') || '-'}`);
      t.diagnostic(`only in kso: ${cmp.onlyKso.join(', ') || '-'}`);
      const pods = sim.cluster.list('Pod').length;
      const podInfo = [...cmp.kso.keys()].filter((k) => k.startsWith('kube_pod_info{')).length;
      assert.equal(podInfo, pods, 'kso exposes every pod of the cluster (the comparison is not vacuous)');
      assert.ok(cmp.common.length >= 40, `only ${cmp.common.length} common families`);
      // Opt-in families stay off in both without --metric-opt-in-list.
      assert.ok(![...cmp.onlyKsm, ...cmp.onlyKso, ...cmp.common].includes('kube_pod_nodeselectors'), 'opt-in is off');
      assert.ok(comparisonEqual(cmp), describeComparison(cmp));
    } finally {
      await Promise.allSettled([ksm.stop(), kso.stop()]);
    }
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
});
