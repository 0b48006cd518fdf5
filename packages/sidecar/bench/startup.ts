// Sidecar footprint and latency for one CronJob run (bench/scenario.ts): peak RSS (VmHWM), process spawn → first
// delivered push, SIGTERM → final flush delivered and process exited (pod already final), CPU seconds, and the
// sidecar's own RSS/VmHWM at each step (synced, first push, final flush). Medians over N runs of the manifest's
// command (src/launch.ts), with the compile cache warmed as deploy/Dockerfile does; in the same run, for a ratio,
// the image's default `kso sidecar` on the TypeScript sources (warm cache too), and what each import costs.
// Prints JSON. Usage: node packages/sidecar/bench/startup.ts [runs=3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSidecar } from '../scripts/bundle.ts';
import { SIDECAR_NODE_FLAGS } from '../src/launch.ts';
import { warmPodCompileCache } from '../test/process.ts';
import { runSidecarScenario, type ScenarioResult } from './scenario.ts';

const runs = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const tmp = mkdtempSync(join(tmpdir(), 'kso-sidecar-bench-'));

/** Median of every numeric figure, including the per-step memory fields. */
function summary(rs: ScenarioResult[]) {
  const step = (k: keyof ScenarioResult['steps']) => {
    const f = (field: string) => median(rs.map((r) => Number((r.steps[k] as Record<string, number>)?.[field] ?? 0)));
    return { rssMb: f('rss'), hwmMb: f('hwm'), heapUsedMb: f('heapUsed'), externalMb: f('external') };
  };
  return {
    peakRssMb: median(rs.map((r) => r.peakRssMb)),
    peakAnonMb: median(rs.map((r) => r.peakAnonMb)),
    spawnToFirstPushMs: median(rs.map((r) => r.spawnToFirstPushMs)),
    sigtermToExitMs: median(rs.map((r) => r.sigtermToExitMs)),
    cpuSeconds: median(rs.map((r) => r.cpuSeconds)),
    steps: { synced: step('synced'), firstPush: step('firstPush'), finalFlush: step('finalFlush') },
  };
}

/** RSS after each import, in one process run with the pod's flags on a bundle of bench/imports.ts. */
async function importSteps(): Promise<Record<string, number>> {
  const script = await bundleSidecar(join(tmp, 'imports.cjs'), fileURLToPath(new URL('./imports.ts', import.meta.url)));
  const out = JSON.parse(execFileSync(process.execPath, [...SIDECAR_NODE_FLAGS, script], { encoding: 'utf8' })) as {
    step: string;
    rssMb: number;
  }[];
  return Object.fromEntries(out.map((i) => [i.step, i.rssMb]));
}

try {
  const podCache = join(tmp, 'cache-pod');
  await warmPodCompileCache(podCache);
  const pod: ScenarioResult[] = [];
  for (let i = 1; i <= runs; i++) pod.push(await runSidecarScenario({ run: i, env: { NODE_COMPILE_CACHE: podCache } }));
  // The TypeScript sources as `kso sidecar` runs them: one cold run fills their compile cache.
  const ksoEnv = { NODE_COMPILE_CACHE: join(tmp, 'cache-kso') };
  await runSidecarScenario({ run: 100, command: 'kso', env: ksoEnv });
  const kso: ScenarioResult[] = [];
  for (let i = 1; i <= runs; i++) kso.push(await runSidecarScenario({ run: 100 + i, command: 'kso', env: ksoEnv }));
  const p = summary(pod);
  const k = summary(kso);
  const out = {
    runs,
    collector: pod[0]!.collector,
    series: 1000,
    command: 'node ' + [...SIDECAR_NODE_FLAGS, 'packages/sidecar/dist/kso-sidecar.cjs sidecar'].join(' '),
    ...p,
    targets: { peakRssMb: 80, spawnToFirstPushMs: 1000, sigtermToExitMs: 1000 },
    ksoSidecarOnSources: { ...k, ratioPeakRss: Number((p.peakRssMb / k.peakRssMb).toFixed(2)) },
    importsRssMb: await importSteps(),
    loadAvg: loadavg().map((x) => Number(x.toFixed(2))),
    samples: { pod, kso },
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
