// Rough load/list/watch timings of the scale scenario: `node packages/kube-sim/bench/scale.ts [pods] [jobs] [churn]`.
import { startKubeSim } from '../src/index.ts';

const [pods = 50_000, jobs = 2000, churn = 200] = process.argv.slice(2).map(Number);
const t0 = performance.now();
const sim = await startKubeSim({ scenario: 'scale', scale: { pods, jobs, churnPerSecond: churn } });
const ms = (t: number) => Math.round(performance.now() - t);
const result: Record<string, number> = {
  pods,
  jobs,
  churn,
  loadMs: ms(t0),
  rssMB: Math.round(process.memoryUsage().rss / 1e6),
};
let t = performance.now();
let cont = '';
let n = 0;
let bytes = 0;
do {
  const r = await fetch(`${sim.url}/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
  const text = await r.text();
  bytes += text.length;
  const b = JSON.parse(text);
  n += b.items.length;
  cont = b.metadata.continue;
} while (cont);
Object.assign(result, { pagedListMs: ms(t), pagedItems: n, avgPodBytes: Math.round(bytes / n) });
t = performance.now();
await (await fetch(`${sim.url}/api/v1/pods`)).text();
result.fullListMs = ms(t);
t = performance.now();
const w = await fetch(`${sim.url}/api/v1/pods?watch=1`);
const reader = w.body!.getReader();
let lines = 0;
while (lines < pods) {
  const { value, done } = await reader.read();
  if (done) break;
  for (const c of value) if (c === 10) lines++;
}
result.watchInitialMs = ms(t);
await reader.cancel();
await sim.close();
console.log(JSON.stringify(result));
