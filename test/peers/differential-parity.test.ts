// Parity with kube-state-metrics v2.20.0 (issue 12): the real KSM and `kso run --schema ksm` watch one kube-sim
// cluster holding (a) CronJobs with many generated schedules (seeded: fields, macros, steps, wrapping ranges,
// lists, names, TZ=/CRON_TZ= prefixes, spec.timeZone, invalid ones) and (b) hand-written Jobs, Pods and CronJobs
// of every kind KSM distinguishes. Every KSM series must be in kso with the same value, and kso must implement
// every family KSM exposes. Both processes run with TZ=America/New_York so "no time zone" (the process zone,
// Go's time.Local) is exercised too.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKubeSim } from '@kso/kube-sim';
import { skipUnlessPeers, startAll } from '@kso/peers';
import { type Comparison, compareExpositions, comparisonEqual, describeComparison } from './differential.ts';
import { startKsm } from './ksm.ts';
import { startKsoRun } from './kso.ts';
import { generatedCronJobs, PARITY_FAMILIES, parityObjects } from './parity-fixtures.ts';

const SCHEDULES = Number(process.env.KSO_PARITY_SCHEDULES ?? 1500);
const SEED = Number(process.env.KSO_PARITY_SEED ?? 20261201);
// The opt-in family too, turned on in both by the same flag.
const OPT_IN = '--metric-opt-in-list=kube_pod_nodeselectors';
process.env.TZ = 'America/New_York';

test(`kube-state-metrics and kso agree on ${SCHEDULES} generated CronJob schedules and hand-written objects of every kind`, {
  skip: skipUnlessPeers('ksm'),
  timeout: 240_000,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-parity-'));
  const gen = generatedCronJobs('cron-gen', SCHEDULES, SEED);
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'parity' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cron-gen' } },
    ...parityObjects('parity'),
    ...gen.objects,
  ];
  const sim = await startKubeSim({ port: 0, scenario: 'empty', bookmarkIntervalMs: 1_000, objects });
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  try {
    const [ksm, kso] = await startAll([
      () => startKsm(['--resources=jobs,pods,cronjobs', OPT_IN], { kubeconfig }),
      () => startKsoRun(kubeconfig, ['--schema', 'ksm', '--resources', 'jobs,pods,cronjobs', OPT_IN]),
    ]);
    try {
      let cmp: Comparison | undefined;
      const deadline = Date.now() + 30_000;
      for (;;) {
        cmp = compareExpositions(await ksm.scrape(), await kso.scrape());
        const synced = [...cmp.ksm.keys()].filter((k) => k.startsWith('kube_cronjob_info{')).length;
        if (
          (synced === objects.filter((o) => o.kind === 'CronJob').length && comparisonEqual(cmp)) ||
          Date.now() > deadline
        )
          break;
        await sleep(500);
      }
      const generated = (family: string) =>
        [...cmp.ksm.keys()].filter((k) => k.startsWith(`${family}{`) && k.includes('namespace="cron-gen"')).length;
      const nextTimes = generated('kube_cronjob_next_schedule_time');
      const invalid = generated('kube_cronjob_schedule_invalid');
      const matching = [...cmp.ksm].filter(([k, v]) => cmp.kso.has(k) && Object.is(cmp.kso.get(k), v)).length;
      t.diagnostic(`KSM series: ${cmp.ksm.size}, matching in kso: ${matching}; common families: ${cmp.common.length}`);
      t.diagnostic(
        `generated schedules: ${SCHEDULES} (seed ${SEED}): ${nextTimes} next_schedule_time and ${invalid} schedule_invalid series`,
      );
      t.diagnostic(`only in kube-state-metrics: ${cmp.onlyKsm.join(', ') || '-'}`);
      t.diagnostic(
        `KSM node selectors: ${[...cmp.ksm.keys()].filter((k) => k.startsWith('kube_pod_nodeselectors{') && k.includes('node-selected')).join(' ')}`,
      );
      t.diagnostic(`only in kso: ${cmp.onlyKso.join(', ') || '-'}`);
      assert.deepEqual(cmp.onlyKsm, [], 'kso implements every family KSM exposes');
      assert.deepEqual(cmp.headerDiffs, [], 'HELP ([STABLE] prefix included) and TYPE as KSM writes them');
      // The fixtures reach the families this issue is about (DRA claims, ephemeral volumes, sidecars, ...).
      const ksmFamilies = new Set([...cmp.ksm.keys()].map((k) => k.slice(0, k.indexOf('{'))));
      for (const f of PARITY_FAMILIES) assert.ok(ksmFamilies.has(f), `KSM exposes ${f} for the fixtures`);
      assert.ok(
        [...cmp.ksm.keys()].some((k) => k.includes('ephemeral="true"')),
        'an ephemeral volume claim',
      );
      assert.ok(invalid > 50 && nextTimes > SCHEDULES / 2, 'the generated set mixes valid and invalid schedules');
      assert.ok(comparisonEqual(cmp), describeComparison(cmp));
      assert.equal(matching, cmp.ksm.size);
    } finally {
      await Promise.allSettled([ksm.stop(), kso.stop()]);
    }
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
});
