// One OTLP-pushing `kso run` per schema on a kube-sim `scale` cluster with churn, started as deployed
// (node flags and malloc settings, spawnKsoRun) plus `--trace-gc` (and `--cpu-prof` with --cpu-prof), so a push's CPU can be taken apart in
// the real process: where the `otlp` bench section says how much a push costs, this says where it goes. With
// --cpu-prof, one .cpuprofile per process in --dir (the whole run; the printed window, in seconds after start,
// is the measured part; V8's sampler thread costs CPU of its own, so take totals from a run without it). Prints, per
// process, the CPU seconds of the window, the pushes the sink saw and the garbage collections of the window
// (scavenges and mark-compacts, with the pause milliseconds V8 reports and how many landed within 2 s after a
// push started) and the window's CPU by thread (main JS thread, V8's helper threads: concurrent marking and
// parallel scavenges, which no main-thread profile shows); every --trace-gc line goes to DIR/<name>.gc.log.
// With --extra=--trace-gc-nvp it also sums what the window's scavenges promoted (old-generation growth that is
// not the store's own: what makes a pushing process run more mark-compacts than an idle one).
//   node test/bench/otlp-push-profile.ts [pods] [--schemas idle,ksm,semconv] [--compression none] [--window 150]
//     [--baseline CHECKOUT] [--cpu-prof] [--dir DIR] [--interval 15] [--churn 50] [--extra "--node-flag ..."]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KSO_NODE_FLAGS } from '@kso/cli';
import { startKubeSim } from '@kso/kube-sim';
import { freePort, httpGet, type PeerProcess, waitUntil } from '@kso/peers';
import { startSink } from './otlp.ts';
import { procUsage, threadCpu } from './proc.ts';
import { round } from './stats.ts';
import { KSO_BIN, spawnKsoRun } from './targets.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    schemas: { type: 'string', default: 'idle,ksm,semconv' },
    compression: { type: 'string', default: 'none' },
    window: { type: 'string', default: '150' },
    interval: { type: 'string', default: '15' },
    churn: { type: 'string', default: '50' },
    dir: { type: 'string', default: join(tmpdir(), 'kso-otlp-profile') },
    extra: { type: 'string', default: '' },
    'cpu-prof': { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});

interface Gc {
  atMs: number;
  kind: string;
  pauseMs: number;
  /** What started it, as V8 words it (`allocation failure`, `finalize incremental marking via task`, ...). */
  reason: string;
}

/** `[pid:0x..]    1234 ms: Mark-Compact 80.1 (90.2) -> 60.3 (92.0) MB, pooled: 0 MB, 12.34 / 0.00 ms ...` */
function parseTraceGc(out: string): Gc[] {
  const gcs: Gc[] = [];
  for (const line of out.split('\n')) {
    const m =
      /\s(\d+) ms: (Scavenge|Mark-Compact|Minor Mark-Sweep)[^,]*,(?: pooled: [\d.]+ MB,)? ([\d.]+) \/ [\d.]+ ms/.exec(
        line,
      );
    if (!m) {
      // --trace-gc-nvp prints name=value lines instead (no reason): gc=s scavenge, gc=mc mark-compact.
      const n = /\s(\d+) ms: pause=([\d.]+) .*\bgc=(\w+)/.exec(line);
      if (n) {
        const kind = n[3] === 's' ? 'Scavenge' : n[3] === 'mc' ? 'Mark-Compact' : 'Minor Mark-Sweep';
        gcs.push({ atMs: Number(n[1]), kind, pauseMs: Number(n[2]), reason: '' });
      }
      continue;
    }
    const reason = /current mu = [\d.]+\) ([^;]*)/.exec(line)?.[1]?.trim() ?? '';
    gcs.push({ atMs: Number(m[1]), kind: m[2] as string, pauseMs: Number(m[3]), reason });
  }
  return gcs;
}

/**
 * MB the scavenges of the window promoted to the old generation (what brings the next mark-compact closer),
 * from --trace-gc-nvp lines (`... ms: pause=... gc=s ... promoted=BYTES ...`); undefined without them.
 */
function promotedMb(lines: readonly string[], t0: number, w0: number, w1: number): number | undefined {
  let sum: number | undefined;
  for (const l of lines) {
    const m = /\s(\d+) ms: .* gc=s .*\bpromoted=(\d+)/.exec(l);
    if (!m) continue;
    const at = t0 + Number(m[1]);
    if (at >= w0 && at < w1) sum = (sum ?? 0) + Number(m[2]) / 1e6;
  }
  return sum;
}

/** `reason ×n` for each distinct reason. */
function reasons(gcs: Gc[]): string {
  const n = new Map<string, number>();
  for (const g of gcs) n.set(g.reason, (n.get(g.reason) ?? 0) + 1);
  return [...n].map(([r, c]) => `${r || '?'} ×${c}`).join(', ');
}

const pods = Number(positionals[0] ?? 10_000);
const intervalS = Number(values.interval);
const windowS = Number(values.window);
const log = (s: string) => process.stderr.write(`[otlp-profile ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
mkdirSync(values.dir, { recursive: true });
const sim = await startKubeSim({
  port: 0,
  scenario: 'scale',
  scale: { pods, jobs: Math.round(pods / 5), churnPerSecond: Number(values.churn) },
});
const tmp = mkdtempSync(join(tmpdir(), 'kso-otlp-profile-'));
const kubeconfig = join(tmp, 'kubeconfig');
await sim.writeKubeconfig(kubeconfig);
interface Pushing {
  schema: string;
  proc: PeerProcess;
  sink: Awaited<ReturnType<typeof startSink>>;
  t0: number;
  /** --trace-gc lines (the peer keeps only a short tail of its output). */
  gcLines: string[];
}
const procs: Pushing[] = [];
try {
  const runs = values.schemas.split(',').map((schema) => ({ schema, name: schema, bin: KSO_BIN }));
  // --baseline DIR: the same processes from another checkout, side by side (same-run ratios).
  if (values.baseline)
    for (const r of [...runs])
      if (r.schema !== 'idle')
        runs.push({ ...r, name: `${r.schema}@baseline`, bin: join(values.baseline, 'packages/cli/bin/kso.js') });
  for (const { schema, name, bin } of runs) {
    const sink = await startSink((intervalS * 1000) / 2);
    const port = await freePort();
    const t0 = Date.now();
    const proc = spawnKsoRun(`kso ${name}`, {
      kubeconfig,
      port,
      bin,
      nodeArgs: [
        ...KSO_NODE_FLAGS,
        ...(values['cpu-prof']
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${values.dir}`,
              `--cpu-prof-name=${name}-${values.compression}-${pods}.cpuprofile`,
            ]
          : []),
        '--trace-gc',
        ...values.extra.split(' ').filter((x) => x !== ''),
      ],
      // `idle`: the same process without a push, to subtract (watch, churn and the bridge's own work).
      args:
        schema === 'idle'
          ? []
          : [
              `--schema=${schema}`,
              `--otlp-endpoint=${sink.url}`,
              `--otlp-interval=${intervalS}s`,
              `--otlp-compression=${values.compression}`,
            ],
    });
    const gcLines: string[] = [];
    let rest = '';
    proc.child.stdout?.on('data', (b: Buffer) => {
      const lines = (rest + b.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      // (--extra --trace-incremental-marking adds what started each marking: allocation limit, external memory.)
      // (--extra --trace-gc-nvp adds one name=value line per collection: what each scavenge promoted.)
      for (const l of lines)
        if (/ ms: (Scavenge|Mark-Compact|Minor Mark-Sweep)|IncrementalMarking\] Start| gc=\w+ /.test(l))
          gcLines.push(l);
    });
    await waitUntil(
      `kso ${name} ready`,
      async () => (await httpGet(`http://127.0.0.1:${port}/readyz`)).status === 200,
      {
        timeoutMs: Math.max(120_000, pods * 12),
        peer: proc,
      },
    );
    procs.push({ schema: name, proc, sink, t0, gcLines });
    log(`kso ${name} ready`);
  }
  await sleep(intervalS * 1000 + 2_000);
  const start = procs.map((p) => ({
    cpu: procUsage(p.proc.child.pid as number).cpuS,
    threads: threadCpu(p.proc.child.pid as number),
    pushes: p.sink.pushes.length,
  }));
  const w0 = Date.now();
  log(`measuring ${windowS}s...`);
  await sleep(windowS * 1000);
  const w1 = Date.now();
  const cpu = procs.map((p, i) => procUsage(p.proc.child.pid as number).cpuS - (start[i]?.cpu ?? 0));
  const idleCpu = cpu[procs.findIndex((p) => p.schema === 'idle')];
  for (const [i, p] of procs.entries()) {
    const u = procUsage(p.proc.child.pid as number);
    const pushes = p.sink.pushes.filter((t) => t >= w0 && t < w1);
    const perPush =
      idleCpu !== undefined && pushes.length > 0
        ? `, ${round((((cpu[i] as number) - idleCpu) * 1000) / pushes.length, 0)} ms per push over idle`
        : '';
    // trace-gc times are ms since the process started (≈ spawn time t0).
    const gcs = parseTraceGc(p.gcLines.join('\n')).filter((g) => p.t0 + g.atMs >= w0 && p.t0 + g.atMs < w1);
    // Every --trace-gc line of the process (heap sizes before/after, what finished each marking), to read apart.
    writeFileSync(join(values.dir, `${p.schema}-${values.compression}-${pods}.gc.log`), `${p.gcLines.join('\n')}\n`);
    const inPush = (g: Gc) => pushes.some((t) => p.t0 + g.atMs >= t - 2_000 && p.t0 + g.atMs < t + 2_000);
    const sum = (k: string) => gcs.filter((g) => g.kind === k).reduce((a, g) => a + g.pauseMs, 0);
    const mc = gcs.filter((g) => g.kind === 'Mark-Compact');
    const promoted = promotedMb(p.gcLines, p.t0, w0, w1);
    // Where the window's CPU went by thread kind: the main thread, V8's helpers (concurrent GC), the pool.
    const t1 = threadCpu(p.proc.child.pid as number);
    const t0 = start[i]?.threads ?? {};
    const byThread = Object.entries(t1)
      .map(([k, v]) => [k, v - (t0[k] ?? 0)] as const)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${round(v, 2)}`)
      .join(', ');
    process.stdout.write(
      `${p.schema}: CPU ${round(cpu[i] as number, 2)} s in ${windowS} s, ${pushes.length} pushes${perPush}, RSS ${round(u.rssMb, 0)} MB; ` +
        `window ${round((w0 - p.t0) / 1000, 1)}–${round((w1 - p.t0) / 1000, 1)} s after start; ` +
        `GC: ${gcs.length - mc.length} scavenges ${round(sum('Scavenge') + sum('Minor Mark-Sweep'), 0)} ms, ` +
        `${mc.length} mark-compacts ${round(sum('Mark-Compact'), 0)} ms (${mc.filter(inPush).length} within 2 s of a push; ${reasons(mc)})` +
        `${promoted === undefined ? '' : `, ${round(promoted, 1)} MB promoted by scavenges`}; threads (CPU s): ${byThread}\n`,
    );
  }
} finally {
  for (const p of procs) await p.proc.stop(60_000);
  for (const p of procs) await p.sink.close();
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
  log(`profiles in ${values.dir}`);
}
