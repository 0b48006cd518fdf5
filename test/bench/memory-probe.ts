// Where kso's memory goes at N pods after a few gzip scrapes at an interval (not part of `npm run bench`):
// node test/bench/memory-probe.ts [pods=10000] [scrapes=6] [intervalS=15] [extra node flags...]
// (PROBE_MALLOC=K=V,... overrides KSO_MALLOC_ENV)
// Prints VmRSS and /proc/<pid>/smaps_rollup after sync and after the scrapes, and the diagnostic report's heap
// spaces (SIGUSR2, --report-on-signal) so flags can be compared on the same cluster.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KSO_MALLOC_ENV, KSO_NODE_FLAGS } from '@kso/cli';
import { startKubeSim } from '@kso/kube-sim';
import { waitForSync } from './measure.ts';
import { procUsage } from './proc.ts';
import { startKso } from './targets.ts';

const run = promisify(execFile);
const [podsArg, scrapesArg, intervalArg, ...extra] = process.argv.slice(2);
const pods = Number(podsArg ?? 10_000);
const scrapes = Number(scrapesArg ?? 6);
const intervalS = Number(intervalArg ?? 15);
const jobs = Math.round(pods / 5);
const reports = mkdtempSync(join(tmpdir(), 'kso-probe-'));
// PROBE_MALLOC=MALLOC_MMAP_THRESHOLD_=4096,... replaces glibc settings for this probe (startKso applies them last).
for (const kv of (process.env.PROBE_MALLOC ?? '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=') as [string, string];
  (KSO_MALLOC_ENV as Record<string, string>)[k] = v;
}

function smaps(pid: number): string {
  return readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    .split('\n')
    .filter((l) => /^(Rss|Pss_Anon|Pss_File|Anonymous|Private_Dirty|Shared_Clean|Private_Clean):/.test(l))
    .map((l) => l.replace(/\s+/g, ' '))
    .join('; ');
}

async function heapReport(pid: number): Promise<string> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 3_000));
  const f = readdirSync(reports).sort().at(-1);
  if (f === undefined) return 'no report';
  const rep = JSON.parse(readFileSync(join(reports, f), 'utf8')) as {
    javascriptHeap: {
      totalMemory: number;
      usedMemory: number;
      externalMemory: number;
      mallocedMemory: number;
      heapSpaces: Record<string, { memorySize: number; used: number }>;
    };
  };
  const mb = (n: number) => (n / 1048576).toFixed(1);
  const spaces = Object.entries(rep.javascriptHeap.heapSpaces)
    .map(([k, v]) => `${k} ${mb(v.used)}/${mb(v.memorySize)}`)
    .join(', ');
  const h = rep.javascriptHeap;
  return `heap ${mb(h.usedMemory)}/${mb(h.totalMemory)} MB, external ${mb(h.externalMemory)}, malloced ${mb(h.mallocedMemory)}: ${spaces}`;
}

const sim = await startKubeSim({ port: 0, scenario: 'scale', scale: { pods, jobs, churnPerSecond: 0 } });
const dir = mkdtempSync(join(tmpdir(), 'kso-probe-kc-'));
const kubeconfig = join(dir, 'kubeconfig');
await sim.writeKubeconfig(kubeconfig);
const refs = sim.cluster
  .list('pods')
  .map((o) => ({ ns: o.metadata.namespace as string, name: o.metadata.name as string }));
const churn = setInterval(() => {
  for (let i = 0; i < 5; i++) {
    const r = refs[Math.floor(Math.random() * refs.length)] as { ns: string; name: string };
    const pod = sim.cluster.get('pods', r.ns, r.name);
    const cs = pod?.status?.containerStatuses?.[0];
    if (!cs) continue;
    cs.restartCount = (cs.restartCount ?? 0) + 1;
    sim.cluster.updateStatus(pod);
  }
}, 100);
const t = await startKso(kubeconfig, [
  ...KSO_NODE_FLAGS,
  '--report-on-signal',
  '--report-signal=SIGUSR2',
  `--report-directory=${reports}`,
  ...extra,
]);
try {
  await waitForSync(t, { pods, jobs, cronjobs: 0, syncTimeoutMs: 300_000 });
  const at = procUsage(t.pid);
  console.log(`after sync: RSS ${at.rssMb.toFixed(1)} MB cpu ${at.cpuS.toFixed(2)} s; ${smaps(t.pid)}`);
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    await run('curl', ['-s', '-o', '/dev/null', '-H', 'Accept-Encoding: gzip', t.metricsUrl]);
    const ms = performance.now() - t0;
    const u = procUsage(t.pid);
    console.log(`scrape ${i + 1}: ${ms.toFixed(0)} ms, RSS ${u.rssMb.toFixed(1)} MB, cpu ${u.cpuS.toFixed(2)} s`);
    if (i < scrapes - 1) await new Promise((r) => setTimeout(r, intervalS * 1000));
  }
  await new Promise((r) => setTimeout(r, 5_000));
  const end = procUsage(t.pid);
  console.log(
    `after scrapes: RSS ${end.rssMb.toFixed(1)} MB peak ${end.peakRssMb.toFixed(1)} cpu ${end.cpuS.toFixed(2)} s`,
  );
  console.log(`  ${smaps(t.pid)}`);
  console.log(`  ${await heapReport(t.pid)}`);
} finally {
  clearInterval(churn);
  await t.stop();
  await sim.close();
}
