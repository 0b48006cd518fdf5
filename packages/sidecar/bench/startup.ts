// Startup and final-flush cost of the real sidecar process against kube-sim + the OTLP test receiver.
// Reports: spawn → first OTLP export received (ms), main-container exit → final export received and
// process exit (ms), and the process RSS (MB) just before the final flush. Runs N times, prints medians.
// Usage: node packages/sidecar/bench/startup.ts [runs=5]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOtlpReceiver } from '@kso/exporters';
import { startKubeSim } from '@kso/kube-sim';
import { createRun, MAIN_METRICS, NS, terminateMain } from '../test/fixtures.ts';
import { startMetricsEndpoint } from '../test/helpers.ts';
import { spawnSidecar } from '../test/process.ts';

const runs = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'kso-sidecar-bench-'));
const sim = await startKubeSim({});
const kubeconfig = join(dir, 'kubeconfig');
await sim.writeKubeconfig(kubeconfig);
const rx = await startOtlpReceiver();
const ep = await startMetricsEndpoint(MAIN_METRICS(1));
const firstPush: number[] = [];
const finalFlush: number[] = [];
const exitAfter: number[] = [];
const rss: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const job = `bench-${i}`;
    const pod = `${job}-pod`;
    await createRun(sim, job, pod);
    const before = rx.received.length;
    const t0 = performance.now();
    const p = spawnSidecar([
      `--pod-name=${pod}`,
      `--pod-namespace=${NS}`,
      `--kubeconfig=${kubeconfig}`,
      `--otlp-endpoint=http://${rx.grpcAddress}`,
      `--scrape-url=${ep.url}`,
      '--interval=10s',
      '--log-level=warn',
    ]);
    await rx.waitFor((r) => r.length > before, 15_000);
    firstPush.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 500));
    rss.push(rssMb(p.child.pid!));
    const n = rx.received.length;
    const t1 = performance.now();
    await terminateMain(sim, pod, 'Completed', 0);
    await rx.waitFor((r) => r.length > n, 15_000);
    finalFlush.push(performance.now() - t1);
    const { code } = await p.exited;
    exitAfter.push(performance.now() - t1);
    if (code !== 0) throw new Error(`sidecar exited ${code}: ${p.stderr}`);
  }
} finally {
  await ep.close();
  await rx.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
const out = {
  runs,
  startToFirstPushMs: Math.round(median(firstPush)),
  finalFlushLatencyMs: Math.round(median(finalFlush)),
  mainExitToProcessExitMs: Math.round(median(exitAfter)),
  rssMb: Number(median(rss).toFixed(1)),
  samples: {
    firstPush: firstPush.map(Math.round),
    finalFlush: finalFlush.map(Math.round),
    rss: rss.map((x) => Number(x.toFixed(1))),
  },
};
console.log(JSON.stringify(out, null, 2));
