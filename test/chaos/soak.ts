// `npm run soak -- --seeds N --seconds S [--first-seed K] [--concurrency C] [--pods P]`: many chaos seeds
// (test/chaos/harness.ts), a line per seed, then per resource the time to converge after the last fault
// (p50/p99/max over seeds) and the seeds that diverged. Exit 1 on any divergence or a p99 above 5 s.
// `npm run soak -- --merge a.jsonl b.jsonl`: the same summary over --json-out files of several runs.
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ChaosResult, percentile, RESOURCES, runChaos } from './harness.ts';

const { values, positionals } = parseArgs({
  options: {
    seeds: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    'first-seed': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    pods: { type: 'string', default: '300' },
    'writes-per-second': { type: 'string', default: '55' },
    /** One JSON line per seed (ChaosResult), for merging runs made in several processes. */
    'json-out': { type: 'string' },
    merge: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const num = (k: keyof typeof values) => {
  const n = Number(values[k]);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`soak: --${k} must be a whole number (got ${values[k]})\n`);
    process.exit(2);
  }
  return n;
};
const seeds = num('seeds');
const seconds = num('seconds');
const first = num('first-seed');
const concurrency = Math.max(1, num('concurrency'));
const pods = num('pods');
const wps = num('writes-per-second');
const TARGET_MS = 5000;

const results: ChaosResult[] = [];
const started = Date.now();
let next = first;
const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)}s` : 'never');

async function worker(): Promise<void> {
  while (next < first + seeds) {
    const seed = next++;
    let r: ChaosResult;
    try {
      r = await runChaos({ seed, seconds, pods, jobs: Math.max(1, Math.round(pods / 10)), writesPerSecond: wps });
    } catch (err) {
      r = {
        seed,
        writes: 0,
        faults: {},
        convergeMs: {},
        convergeByInstance: {},
        divergence: `seed ${seed}: harness error ${(err as Error).stack}`,
        healthFailures: 0,
        sawReconnecting: false,
        consistencyDifferences: 0,
        consistencyChecks: 0,
        lastFaults: [],
        behindAtEnd: {},
        loopDelayMs: { p99: 0, max: 0 },
      };
    }
    results.push(r);
    if (values['json-out']) appendFileSync(values['json-out'], `${JSON.stringify(r)}\n`);
    const conv = RESOURCES.map((x) => `${x} ${fmt(r.convergeMs[x] ?? Number.NaN)}`).join(', ');
    const faults = Object.values(r.faults).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `[${results.length}/${seeds} ${Math.round((Date.now() - started) / 1000)}s] seed ${seed}: ${r.divergence ? 'DIVERGED' : 'ok'} — converge ${conv}; ${r.writes} writes, ${faults} faults${r.healthFailures ? `, /healthz failed ${r.healthFailures}×` : ''}; event-loop delay max ${r.loopDelayMs.max} ms; last faults: ${r.lastFaults.join(', ') || '-'}\n`,
    );
    if (r.divergence) process.stdout.write(`${r.divergence}\n`);
  }
}

if (values.merge) {
  for (const f of positionals)
    for (const line of readFileSync(f, 'utf8').split('\n')) if (line.trim() !== '') results.push(JSON.parse(line));
} else await Promise.all(Array.from({ length: concurrency }, worker));

const diverged = results.filter((r) => r.divergence);
let slow = false;
process.stdout.write(
  values.merge
    ? `\n${results.length} seeds from ${positionals.length} file(s)\n`
    : `\n${results.length} seeds × ${seconds}s (first seed ${first}, concurrency ${concurrency}, ${pods} pods, ${wps} writes/s)\n`,
);
for (const res of RESOURCES) {
  const xs = results.filter((r) => !r.divergence).map((r) => r.convergeMs[res] ?? Number.NaN);
  const p99 = percentile(xs, 99);
  if (!(p99 <= TARGET_MS)) slow = true;
  process.stdout.write(
    `  ${res.padEnd(9)} time to converge after the last fault: p50 ${fmt(percentile(xs, 50))}  p99 ${fmt(p99)}  max ${fmt(percentile(xs, 100))}\n`,
  );
}
const faultTotals: Record<string, number> = {};
for (const r of results) for (const [k, v] of Object.entries(r.faults)) faultTotals[k] = (faultTotals[k] ?? 0) + v;
process.stdout.write(`  faults injected: ${JSON.stringify(faultTotals)}\n`);
const loopMax = results.map((r) => r.loopDelayMs?.max ?? Number.NaN).filter((x) => Number.isFinite(x));
if (loopMax.length > 0)
  process.stdout.write(
    `  event-loop delay (max per seed): p50 ${percentile(loopMax, 50)} ms, p99 ${percentile(loopMax, 99)} ms\n`,
  );
process.stdout.write(
  `  diverged: ${diverged.length}${diverged.length ? ` (seeds ${diverged.map((r) => r.seed).join(', ')})` : ''}; /healthz failures: ${results.reduce((a, r) => a + r.healthFailures, 0)}; seeds where kso_watch_reconnecting was seen set: ${results.filter((r) => r.sawReconnecting).length}; consistency checks ${results.reduce((a, r) => a + r.consistencyChecks, 0)}, differences ${results.reduce((a, r) => a + r.consistencyDifferences, 0)}\n`,
);
process.exit(diverged.length > 0 || slow ? 1 : 0);
