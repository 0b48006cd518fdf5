// The real process: exit codes and signal handling as the kubelet drives them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startOtlpReceiver } from '@kso/exporters/testing';
// Loaded only when the peers exist (a static import would fail at link time while they are stubs).
import { startKubeSim } from '@kso/kube-sim';
import { createRun, MAIN_METRICS, NS, terminateMain } from './fixtures.ts';
import { freePort, startMetricsEndpoint } from './helpers.ts';
import { podCommand, spawnSidecar } from './process.ts';

async function cluster(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'kso-sidecar-'));
  const sim = await startKubeSim({});
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  t.after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sim, kubeconfig };
}

test('a collector that never comes back: clear error naming what was lost, non-zero exit', {
  timeout: 30_000,
}, async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  const job = 'desched-29000003';
  const pod = `${job}-zzzzz`;
  await createRun(sim, job, pod);
  const deadPort = await freePort();
  // The pod command (bundled entry, --jitless) with a kubeconfig file: the bundle still finds client-node
  // (loaded lazily for kubeconfig files only) where the workspace has it.
  const p = spawnSidecar(
    [
      `--pod-name=${pod}`,
      `--pod-namespace=${NS}`,
      `--kubeconfig=${kubeconfig}`,
      `--otlp-endpoint=http://127.0.0.1:${deadPort}`,
      '--otlp-timeout=500ms',
      '--interval=60s',
      '--flush-deadline=2s',
      '--retry-initial=200ms',
    ],
    await podCommand(),
  );
  t.after(() => p.kill());
  await p.waitForLog((l) => l['msg'] === 'first push done', 10_000);
  await terminateMain(sim, pod, 'Completed', 0);
  const { code } = await p.exited;
  assert.equal(code, 1, p.stderr);
  const err = p.logs.find((l) => l['level'] === 50 && /NOT delivered/.test(String(l['msg'])));
  assert.ok(err, `an error line says the final flush was NOT delivered: ${p.stderr}`);
  assert.ok(Number(err['lostFamilies']) > 0, 'lost family count reported');
  assert.ok(Number(err['lostPoints']) > 0, 'lost point count reported');
  const otlp = err['otlp'] as { delivered: boolean; attempts: number; lastError?: string };
  assert.equal(otlp.delivered, false);
  assert.ok(otlp.attempts > 1, 'retried before giving up');
  assert.ok(otlp.lastError, 'cause reported');
});

test('SIGTERM during a push: the final flush happens exactly once, is delivered, and the process exits 0', {
  timeout: 30_000,
}, async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  const ep = await startMetricsEndpoint(MAIN_METRICS(3));
  t.after(() => ep.close());
  const job = 'desched-29000004';
  const pod = `${job}-sigtm`;
  await createRun(sim, job, pod);
  const p = spawnSidecar([
    `--pod-name=${pod}`,
    `--pod-namespace=${NS}`,
    `--kubeconfig=${kubeconfig}`,
    `--otlp-endpoint=http://${rx.grpcAddress}`,
    `--scrape-url=${ep.url}`,
    '--scrape-interval=200ms',
    '--interval=500ms',
    '--flush-deadline=8s',
    '--final-state-wait=300ms',
  ]);
  t.after(() => p.kill());
  await p.waitForLog((l) => l['msg'] === 'first push done', 10_000);
  // Hold the next periodic export in flight, then signal in the middle of it (twice, as an impatient
  // runtime might): one final flush, not two, and no crash.
  rx.hang(1_500);
  const attempts = rx.attempts;
  const start = Date.now();
  while (rx.attempts === attempts && Date.now() - start < 5_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(rx.attempts > attempts, 'a periodic push is in flight');
  p.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  p.child.kill('SIGTERM');
  setTimeout(() => rx.hang(0), 500);
  const { code, signal } = await p.exited;
  assert.equal(signal, null, `crashed: ${p.stderr}`);
  assert.equal(code, 0, p.stderr);
  assert.equal(p.logs.filter((l) => l['msg'] === 'final flush started').length, 1);
  const delivered = p.logs.filter((l) => l['msg'] === 'final flush delivered');
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0]!['trigger'], 'SIGTERM');
  const last = rx.received.at(-1)!;
  const relayed = last.metrics.find((m) => m.name === 'descheduler_pods_evicted');
  assert.equal(relayed?.points[0]?.attributes['pod'], pod);
  assert.equal(relayed?.points[0]?.value, 3);
});
