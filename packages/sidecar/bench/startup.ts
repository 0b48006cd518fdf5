// `kso sidecar` footprint and latency for one CronJob run (bench/scenario.ts): peak RSS (VmHWM), process
// spawn → first delivered push, SIGTERM → final flush delivered and process exited (pod already final).
// Runs with a warm Node compile cache (how the image runs: NODE_COMPILE_CACHE prebuilt, no TypeScript
// stripping at start) and once cold for comparison. Prints JSON; medians over N runs.
// Usage: node packages/sidecar/bench/startup.ts [runs=3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KSO_NODE_FLAGS } from '@kso/config';
import { runSidecarScenario, type ScenarioResult } from './scenario.ts';

const runs = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cache = mkdtempSync(join(tmpdir(), 'kso-compile-cache-'));
try {
  const cold = await runSidecarScenario({ run: 0, env: { NODE_COMPILE_CACHE: cache } });
  const warm: ScenarioResult[] = [];
  for (let i = 1; i <= runs; i++) warm.push(await runSidecarScenario({ run: i, env: { NODE_COMPILE_CACHE: cache } }));
  // Per-import cost, same flags and (now warm) compile cache as the measured runs.
  const importsScript = fileURLToPath(new URL('./imports.ts', import.meta.url));
  const importSteps = () =>
    JSON.parse(
      execFileSync(process.execPath, [...KSO_NODE_FLAGS, importsScript, '--with-client-node'], {
        encoding: 'utf8',
        env: { ...process.env, NODE_COMPILE_CACHE: cache },
      }),
    ) as { step: string; rssMb: number; deltaMb: number }[];
  importSteps(); // fills the cache for imports.ts itself
  const imports = importSteps();
  const out = {
    runs,
    collector: cold.collector,
    series: 1000,
    peakRssMb: median(warm.map((r) => r.peakRssMb)),
    peakAnonMb: median(warm.map((r) => r.peakAnonMb)),
    spawnToFirstPushMs: median(warm.map((r) => r.spawnToFirstPushMs)),
    sigtermToExitMs: median(warm.map((r) => r.sigtermToExitMs)),
    targets: { peakRssMb: 80, spawnToFirstPushMs: 1000, sigtermToExitMs: 1000 },
    coldCompileCache: { peakRssMb: cold.peakRssMb, spawnToFirstPushMs: cold.spawnToFirstPushMs },
    importsRssMb: Object.fromEntries(imports.map((i) => [i.step, i.rssMb])),
    loadAvg: loadavg().map((x) => Number(x.toFixed(2))),
    samples: { warm },
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  rmSync(cache, { recursive: true, force: true });
}
