// Where kso's memory goes at N pods after a few gzip scrapes at an interval (not part of `npm run bench`):
// node test/bench/memory-probe.ts [pods=10000] [scrapes=6] [intervalS=15] [extra node flags...]
// (PROBE_MALLOC=K=V,... overrides KSO_MALLOC_ENV; PROBE_ENCODING=identity scrapes uncompressed)
// Prints VmRSS and /proc/<pid>/smaps_rollup after sync and after the scrapes, and the diagnostic report's heap
// spaces (SIGUSR2, --report-on-signal) so flags can be compared on the same cluster.
// PROBE_VARIANTS='name:checkout dir or .:K=V,K=V;...' runs several kso processes side by side on that cluster
// (each checkout with its own node flags, the given glibc settings replacing KSO_MALLOC_ENV's), scraped one
// after the other: CPU and RSS of settings or builds compared in one run, on a host whose speed moves. A fourth
// field adds node flags to that variant ('name:.::--v8-pool-size=1 --single-threaded-gc').
// PROBE_SNAPSHOT=1 also writes a V8 heap snapshot of each variant after the scrapes and prints its largest
// constructors by self size (what the old generation holds).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KSO_MALLOC_ENV, KSO_NODE_FLAGS } from '@kso/cli';
import { startKubeSim } from '@kso/kube-sim';
import { waitForSync } from './measure.ts';
import { procUsage } from './proc.ts';
import { startKso, type Target } from './targets.ts';

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

/** CPU seconds per thread name (main `node`, V8 platform workers, libuv pool...) and system time, from /proc. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const u = Number(rest[11]) / 100;
      const sy = Number(rest[12]) / 100;
      out.set(name, (out.get(name) ?? 0) + u + sy);
      out.set('(system)', (out.get('(system)') ?? 0) + sy);
    } catch {
      // Thread exited while reading.
    }
  }
  return out;
}

function cpuDiff(a: Map<string, number>, b: Map<string, number>): string {
  return [...b]
    .map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 0.01)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
}

/** Resident MB per mapping (file path, [heap], [anon], [stack]...), largest first: what the RSS is made of. */
function smapsTop(pid: number): string {
  const by = new Map<string, number>();
  let name = '';
  for (const l of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(l);
    if (head) {
      name = head[1] || '[anon]';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(l);
    if (rss) by.set(name, (by.get(name) ?? 0) + Number(rss[1]) / 1024);
  }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => `${k.replace(/^.*\//, '')} ${v.toFixed(1)}`)
    .join(', ');
}

function smaps(pid: number): string {
  return readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    .split('\n')
    .filter((l) => /^(Rss|Pss_Anon|Pss_File|Anonymous|Private_Dirty|Shared_Clean|Private_Clean):/.test(l))
    .map((l) => l.replace(/\s+/g, ' '))
    .join('; ');
}

/** The heap snapshot's self sizes summed per node type and constructor name, largest first. */
async function snapshotTop(pid: number, dir: string): Promise<string> {
  process.kill(pid, 'SIGUSR1');
  let file: string | undefined;
  for (let i = 0; i < 120 && file === undefined; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    // Written as it goes: complete once it parses.
    const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
    if (f === undefined) continue;
    try {
      JSON.parse(readFileSync(join(dir, f), 'utf8'));
      file = f;
    } catch {
      // Not complete yet.
    }
  }
  if (file === undefined) return 'no heap snapshot';
  const snap = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] as string;
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt] as number] : '';
    const k = `${type}${name ? `:${name}` : ''}`;
    const e = by.get(k) ?? { bytes: 0, count: 0 };
    e.bytes += snap.nodes[i + sizeAt] as number;
    e.count++;
    by.set(k, e);
  }
  return [...by]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, 25)
    .map(([k, v]) => `${k} ${(v.bytes / 1048576).toFixed(1)} MB/${v.count}`)
    .join(', ');
}

async function heapReport(pid: number, reports: string): Promise<string> {
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
interface Variant {
  name: string;
  bin: string | undefined;
  flagsFile: string | undefined;
  flags: readonly string[];
  malloc: Readonly<Record<string, string>>;
}

function variants(): Variant[] {
  const spec = process.env.PROBE_VARIANTS;
  if (!spec) return [{ name: 'kso', bin: undefined, flagsFile: undefined, flags: [], malloc: KSO_MALLOC_ENV }];
  return spec.split(';').map((v) => {
    const [name, checkout, env, more] = v.split(':') as [string, string, string | undefined, string | undefined];
    const flags = (more ?? '').split(' ').filter(Boolean);
    const malloc = { ...KSO_MALLOC_ENV };
    for (const kv of (env ?? '').split(',').filter(Boolean)) {
      const [k, x] = kv.split('=') as [string, string];
      malloc[k] = x;
    }
    if (checkout === '.' || checkout === '') return { name, bin: undefined, flagsFile: undefined, flags, malloc };
    const dir = resolve(checkout);
    return {
      name,
      bin: join(dir, 'packages/cli/bin/kso.js'),
      flagsFile: join(dir, 'packages/config/src/node-flags.ts'),
      flags,
      malloc,
    };
  });
}

const encoding = process.env.PROBE_ENCODING ?? 'gzip';
const running: { v: Variant; t: Target; reports: string }[] = [];
try {
  for (const v of variants()) {
    const flags =
      v.flagsFile === undefined
        ? KSO_NODE_FLAGS
        : ((await import(v.flagsFile)) as { KSO_NODE_FLAGS: readonly string[] }).KSO_NODE_FLAGS;
    const own = mkdtempSync(join(reports, `${v.name}-`));
    const t = await startKso(
      kubeconfig,
      [
        ...flags,
        ...v.flags,
        ...(process.env.PROBE_SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR1', `--diagnostic-dir=${own}`] : []),
        '--report-on-signal',
        '--report-signal=SIGUSR2',
        `--report-directory=${own}`,
        ...extra,
      ],
      v.bin,
      v.malloc,
    );
    running.push({ v, t, reports: own });
    // One after the other, so no sync competes with another for the CPU.
    await waitForSync(t, { pods, jobs, cronjobs: 0, syncTimeoutMs: 300_000 });
  }
  for (const { v, t } of running) {
    const at = procUsage(t.pid);
    console.log(`${v.name} after sync: RSS ${at.rssMb.toFixed(1)} MB cpu ${at.cpuS.toFixed(2)} s; ${smaps(t.pid)}`);
    console.log(`  by mapping (MB): ${smapsTop(t.pid)}`);
  }
  const cpu0 = new Map(running.map(({ v, t }) => [v.name, procUsage(t.pid).cpuS]));
  const threads0 = new Map(running.map(({ v, t }) => [v.name, threadCpu(t.pid)]));
  const t0 = performance.now();
  for (let i = 0; i < scrapes; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * intervalS * 1000 - performance.now())));
    for (const { v, t } of running) {
      const s0 = performance.now();
      await run('curl', ['-s', '-o', '/dev/null', '-H', `Accept-Encoding: ${encoding}`, t.metricsUrl]);
      const ms = performance.now() - s0;
      const u = procUsage(t.pid);
      console.log(
        `${v.name} scrape ${i + 1}: ${ms.toFixed(0)} ms, RSS ${u.rssMb.toFixed(1)} MB, cpu ${u.cpuS.toFixed(2)} s`,
      );
    }
  }
  await new Promise((r) => setTimeout(r, 5_000));
  for (const { v, t, reports: own } of running) {
    const end = procUsage(t.pid);
    const during = end.cpuS - (cpu0.get(v.name) ?? 0);
    console.log(
      `${v.name} after scrapes: RSS ${end.rssMb.toFixed(1)} MB peak ${end.peakRssMb.toFixed(1)} cpu ${end.cpuS.toFixed(2)} s (${during.toFixed(2)} s during the scrapes)`,
    );
    console.log(`  CPU s by thread: ${cpuDiff(threads0.get(v.name) ?? new Map(), threadCpu(t.pid))}`);
    console.log(`  ${smaps(t.pid)}`);
    console.log(`  by mapping (MB): ${smapsTop(t.pid)}`);
    console.log(`  ${await heapReport(t.pid, own)}`);
    if (process.env.PROBE_SNAPSHOT) console.log(`  heap snapshot: ${await snapshotTop(t.pid, own)}`);
  }
} finally {
  clearInterval(churn);
  for (const { t } of running.reverse()) await t.stop();
  await sim.close();
}
