// Benchmarks owned by other packages, run in the same `npm run bench` when they are present.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const SIDECAR = fileURLToPath(new URL('../../packages/sidecar/bench/startup.ts', import.meta.url));
const RESHARD = fileURLToPath(new URL('../../packages/sharding/bench/reshard.ts', import.meta.url));

export type Extra = { skipped: string } | { result: Record<string, unknown> };

/** The sidecar bench is a script printing one JSON document: run it as a process (it spawns the sidecar itself). */
export async function runSidecarBench(runs: number, log: (s: string) => void): Promise<Extra> {
  if (!existsSync(SIDECAR)) return { skipped: 'packages/sidecar/bench/startup.ts not found' };
  log(`sidecar startup bench (${runs} run(s))...`);
  try {
    const { stdout } = await execFileP(process.execPath, [SIDECAR, String(runs)], {
      maxBuffer: 16 << 20,
      timeout: 180_000,
    });
    const start = stdout.indexOf('{');
    return { result: JSON.parse(stdout.slice(start)) as Record<string, unknown> };
  } catch (err) {
    return { skipped: `sidecar bench failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}

/** Imported dynamically: the reshard bench may not exist in this checkout. */
export async function runReshard(pods: number, churnPerSecond: number, log: (s: string) => void): Promise<Extra> {
  if (!existsSync(RESHARD)) return { skipped: 'packages/sharding/bench/reshard.ts not found' };
  try {
    const mod = (await import(pathToFileURL(RESHARD).href)) as { runReshardBench?: (o: object) => Promise<unknown> };
    if (typeof mod.runReshardBench !== 'function') return { skipped: 'reshard.ts does not export runReshardBench' };
    log(`reshard bench (${pods} pods, churn ${churnPerSecond}/s)...`);
    const r = await mod.runReshardBench({ pods, churnPerSecond, log });
    return { result: (r && typeof r === 'object' ? r : { value: r }) as Record<string, unknown> };
  } catch (err) {
    return { skipped: `reshard bench failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}
