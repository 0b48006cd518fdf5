// kso `--schema semconv` vs the Collector's k8sclusterreceiver through the same Collector (see k8scluster.ts):
// on kube-sim and on a real kube-apiserver, every metric both emit for the fixture Pods, containers, Jobs and
// CronJobs must agree in values and resource attributes; every name/shape difference must be a documented one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { startKubeSim } from '@kso/kube-sim';
import { peerBinary, skipUnlessPeers, startRealApiServer } from '@kso/peers';
import { createFixtures, fixtures, withFinalStatus } from './fixtures.ts';
import { type DifferentialRun, runK8sClusterDifferential } from './k8scluster.ts';

const NS = 'fixtures';

function receiverMissing(): string | false {
  const peers = skipUnlessPeers('otelcol');
  if (peers) return peers;
  const out = execFileSync(peerBinary('otelcol-kso') as string, ['components'], { encoding: 'utf8' });
  return /name: k8s_cluster/.test(out)
    ? false
    : 'otelcol-kso was built without k8sclusterreceiver (test/peers/build.sh otelcol)';
}

function expectedEntities(): string[] {
  const out: string[] = [];
  for (const f of fixtures(NS)) {
    const o = f.object as { kind: string; metadata: { name: string } };
    out.push(`${o.kind.toLowerCase()} ${NS}/${o.metadata.name}`);
  }
  return out;
}

function check(t: TestContext, run: DifferentialRun): void {
  const r = run.report;
  t.diagnostic(`entities: receiver ${r.entities.receiver}, kso ${r.entities.kso}, compared ${r.entities.compared}`);
  t.diagnostic(`values compared: ${r.valuesCompared}`);
  t.diagnostic(`matching metrics: ${r.matching.join(', ')}`);
  t.diagnostic(`deliberate differences: ${r.deliberate.join('; ')}`);
  for (const k of expectedEntities()) {
    assert.ok(run.receiver.has(k), `receiver reported ${k}`);
    assert.ok(run.kso.has(k), `kso reported ${k}`);
  }
  assert.ok(
    [...run.kso.keys()].some((k) => k.startsWith('container ')),
    'containers compared',
  );
  assert.deepEqual(r.unexpected, [], 'only documented differences');
  for (const m of ['k8s.pod.phase', 'k8s.container.restarts', 'k8s.job.active_pods', 'k8s.cronjob.active_jobs'])
    assert.ok(r.matching.includes(m), `${m} compared and equal`);
}

test('k8sclusterreceiver vs kso semconv on kube-sim', { skip: receiverMissing(), timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-k8scluster-'));
  const sim = await startKubeSim({
    port: 0,
    scenario: 'empty',
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...fixtures(NS).map(withFinalStatus)],
  });
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    check(
      t,
      await runK8sClusterDifferential({ kubeconfig, namespace: NS, expected: expectedEntities(), timeoutMs: 90_000 }),
    );
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('k8sclusterreceiver vs kso semconv on a real kube-apiserver', {
  skip: receiverMissing() || skipUnlessPeers('etcd', 'kube-apiserver'),
  timeout: 240_000,
}, async (t) => {
  const api = await startRealApiServer();
  try {
    await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await createFixtures(api.call, fixtures(NS));
    check(
      t,
      await runK8sClusterDifferential({
        kubeconfig: api.kubeconfigPath,
        namespace: NS,
        expected: expectedEntities(),
        timeoutMs: 120_000,
      }),
    );
  } finally {
    await api.stop();
  }
});
