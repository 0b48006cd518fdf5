// OTLP push vs pull, in one run on one kube-sim cluster with churn: `kso run` processes side by side, each
// charged from /proc for its own CPU and memory over the same window.
//   pull    Prometheus bridge only, scraped (gzip) every interval: the baseline
//   idle    Prometheus bridge, never scraped, no push: watch + churn cost, subtracted for "CPU per push"
//   idle-semconv  the same with --schema semconv, subtracted from the semconv pushes: a semconv store derives
//           other families from each change than a ksm one, so the ksm idle is not its baseline
//   otlp-<schema>-<compression>  OTLP/gRPC push every interval, for --schema ksm (the default) and semconv
//           (entity-shaped), each with every compression asked for (default gzip, zstd, none; gzip, zstd above
//           20k pods, where none would send ~360 MiB per push and every process costs ~2 GB)
//   down    OTLP push every 5 s to a port that refuses connections (Collector down for the whole window)
//   k8s_cluster  the Collector's k8sclusterreceiver on the same cluster and interval, when otelcol-kso has it
// CPU per push = (CPU(otlp) - CPU(idle of its schema)) / pushes: collection, encoding, compression and sending.
// Pushes go to in-process gRPC sinks (node:http2, no decoding) so the sink's CPU is the bench's, not kso's.

import { mkdtempSync, rmSync } from 'node:fs';
import { type Http2ServerRequest, type Http2ServerResponse, createServer as h2server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';
import { freePort, httpGet, type PeerProcess, peerBinary, spawnPeer, waitUntil } from '@kso/peers';
import { procUsage } from './proc.ts';
import { round } from './stats.ts';
import { spawnKsoRun } from './targets.ts';

interface Sink {
  url: string;
  requests: number;
  bytes: number;
  /** Start times of pushes (bursts of requests). */
  pushes: number[];
  close(): Promise<void>;
}

export async function startSink(burstGapMs: number): Promise<Sink> {
  const s: Sink = { url: '', requests: 0, bytes: 0, pushes: [], close: async () => {} };
  let last = 0;
  const server = h2server((req: Http2ServerRequest, res: Http2ServerResponse) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => {
      const now = Date.now();
      s.requests++;
      s.bytes += n;
      if (n > 5 && now - last > burstGapMs) s.pushes.push(now);
      if (n > 5) last = now;
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({ 'grpc-status': '0' });
      // An empty ExportMetricsServiceResponse: one uncompressed zero-length message.
      res.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () => new Promise<void>((r) => server.close(() => r()));
  return s;
}

interface Proc {
  name: string;
  proc: PeerProcess;
  pid: number;
  base?: string;
}

async function startKso(name: string, kubeconfig: string, args: string[], timeoutMs: number): Promise<Proc> {
  const port = await freePort();
  const proc = spawnKsoRun(`kso ${name}`, { kubeconfig, port, args });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(`kso ${name} ready`, async () => (await httpGet(`${base}/readyz`)).status === 200, {
    timeoutMs,
    peer: proc,
  });
  return { name, proc, pid: proc.child.pid as number, base };
}

async function startReceiver(kubeconfig: string, intervalS: number, dir: string): Promise<Proc | { skipped: string }> {
  const bin = peerBinary('otelcol-kso');
  if (!bin) return { skipped: 'otelcol-kso not built' };
  const { writeFileSync } = await import('node:fs');
  const config = join(dir, 'k8s-cluster.yaml');
  writeFileSync(
    config,
    `receivers:
  k8s_cluster:
    auth_type: kubeConfig
    collection_interval: ${intervalS}s
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [k8s_cluster]
      exporters: [debug]
`,
  );
  const proc = spawnPeer('otelcol k8s_cluster', bin, [`--config=file:${config}`], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  try {
    await proc.waitForOutput(/Everything is ready/, 60_000);
  } catch (err) {
    await proc.stop();
    if (/unknown type: "k8s_cluster"|k8s_cluster/.test(proc.output()))
      return { skipped: 'otelcol-kso has no k8s_cluster receiver' };
    throw err;
  }
  return { name: 'k8s_cluster', proc, pid: proc.child.pid as number };
}

export interface OtlpProcResult {
  cpuS: number;
  rssMb: number;
  peakRssMb: number;
  pushes?: number;
  cpuPerPushMs?: number;
  mbPerPush?: number;
  errorLines?: number;
}

export type OtlpCompression = 'gzip' | 'zstd' | 'none';

export interface OtlpBenchResult {
  pods: number;
  churnPerSecond: number;
  intervalS: number;
  windowS: number;
  loadavg: number[];
  procs: Record<string, OtlpProcResult | { skipped: string }>;
  /** Push process name → CPU(push) / CPU(pull scraped every interval). Target ≤ 1.5. */
  pushVsPull: Record<string, number>;
}

/** The compressions measured by default: all three up to 20k pods, gzip and zstd above. */
export function defaultCompressions(pods: number): OtlpCompression[] {
  return pods <= 20_000 ? ['gzip', 'zstd', 'none'] : ['gzip', 'zstd'];
}

const pushName = (schema: string, c: OtlpCompression) => `otlp-${schema}-${c}`;

export async function runOtlpBench(opts: {
  pods: number;
  churnPerSecond: number;
  quick?: boolean;
  compressions?: OtlpCompression[];
  log: (s: string) => void;
}): Promise<OtlpBenchResult> {
  const { pods, log } = opts;
  const compressions = opts.compressions ?? defaultCompressions(pods);
  const intervalS = opts.quick ? 5 : 15;
  const windowS = opts.quick ? 30 : 150;
  const jobs = Math.max(1, Math.round(pods / 5));
  log(
    `otlp: ${pods} pods / ${jobs} jobs, kube-sim churn ${opts.churnPerSecond} pod writes/s (10% creations, 10% deletions, the rest restart-count bumps), interval ${intervalS}s, window ${windowS}s`,
  );
  const sim: KubeSim = await startKubeSim({
    port: 0,
    scenario: 'scale',
    scale: { pods, jobs, churnPerSecond: opts.churnPerSecond },
  });
  const dir = mkdtempSync(join(tmpdir(), 'kso-bench-otlp-'));
  const procs: Proc[] = [];
  const sinks: Sink[] = [];
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const timeoutMs = Math.max(120_000, pods * 12);
    const pushes: { name: string; idle: string; args: string[]; sink: Sink }[] = [];
    for (const schema of ['ksm', 'semconv'] as const)
      for (const c of compressions) {
        const sink = await startSink((intervalS * 1000) / 2);
        sinks.push(sink);
        const args = [`--otlp-endpoint=${sink.url}`, `--otlp-interval=${intervalS}s`, `--otlp-compression=${c}`];
        pushes.push({
          name: pushName(schema, c),
          idle: schema === 'ksm' ? 'idle' : 'idle-semconv',
          args: schema === 'ksm' ? args : [...args, '--schema=semconv'],
          sink,
        });
      }
    const refused = `http://127.0.0.1:${await freePort()}`;
    // Sequential start-up: several initial lists at once would measure the sim, not kso.
    for (const [name, args] of [
      ['pull', []],
      ['idle', []],
      ['idle-semconv', ['--schema=semconv']],
      ...pushes.map((p) => [p.name, p.args] as const),
      ['down', [`--otlp-endpoint=${refused}`, '--otlp-interval=5s', '--otlp-timeout=2s']],
    ] as const) {
      log(`otlp: starting kso ${name}...`);
      procs.push(await startKso(name, kubeconfig, [...args], timeoutMs));
    }
    const receiver = await startReceiver(kubeconfig, intervalS, dir).catch((err: Error) => ({
      skipped: `k8s_cluster receiver failed: ${err.message.split('\n')[0]}`,
    }));
    if ('proc' in receiver) procs.push(receiver);
    else log(`otlp: k8s_cluster column skipped — ${receiver.skipped}`);
    // Two intervals of warm-up: first pushes encode and compress everything (the cache fill: ~3 s of CPU for
    // the gzip pieces at 10k pods), not the steady state.
    await sleep(2 * intervalS * 1000 + 2_000);
    const pull = procs.find((p) => p.name === 'pull') as Proc;
    const start = new Map(procs.map((p) => [p.name, procUsage(p.pid)]));
    const at0 = new Map(pushes.map((p) => [p.name, { pushes: p.sink.pushes.length, bytes: p.sink.bytes }]));
    log(`otlp: measuring ${windowS}s...`);
    const t0 = Date.now();
    while (Date.now() - t0 < windowS * 1000) {
      // fetch asks for gzip, like Prometheus; the body is read in full. A generous timeout: on a host loaded by
      // other work (load 20+ on 2 cores) one 10k-pod scrape took over 30 s and lost the whole run.
      const r = await fetch(`${pull.base}/metrics`, { signal: AbortSignal.timeout(Math.max(120_000, pods * 6)) });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`pull scrape: HTTP ${r.status}`);
      await sleep(Math.max(0, intervalS * 1000 - ((Date.now() - t0) % (intervalS * 1000))));
    }
    const out: OtlpBenchResult['procs'] = {};
    const idleCpu = (name: string) =>
      procUsage((procs.find((p) => p.name === name) as Proc).pid).cpuS - (start.get(name)?.cpuS ?? 0);
    const idle = new Map([...new Set(pushes.map((p) => p.idle))].map((n) => [n, idleCpu(n)]));
    for (const p of procs) {
      const u = procUsage(p.pid);
      const cpuS = round(u.cpuS - (start.get(p.name)?.cpuS ?? 0), 2);
      const r: OtlpProcResult = { cpuS, rssMb: round(u.rssMb, 0), peakRssMb: round(u.peakRssMb, 0) };
      const push = pushes.find((x) => x.name === p.name);
      const before = at0.get(p.name);
      if (push && before) {
        const n = push.sink.pushes.length - before.pushes;
        r.pushes = n;
        if (n > 0) {
          r.cpuPerPushMs = round(((cpuS - (idle.get(push.idle) as number)) * 1000) / n, 0);
          r.mbPerPush = round((push.sink.bytes - before.bytes) / n / 1048576, 2);
        }
      }
      if (p.name === 'down') r.errorLines = (p.proc.output().match(/"level":50/g) ?? []).length;
      out[p.name] = r;
    }
    if (!('proc' in receiver)) out.k8s_cluster = receiver;
    const cpu = (n: string) => (out[n] as OtlpProcResult | undefined)?.cpuS ?? Number.NaN;
    return {
      pods,
      churnPerSecond: opts.churnPerSecond,
      intervalS,
      windowS,
      loadavg: (await import('node:os')).loadavg().map((x) => round(x, 2)),
      procs: out,
      pushVsPull: Object.fromEntries(pushes.map((p) => [p.name, round(cpu(p.name) / cpu('pull'), 2)])),
    };
  } finally {
    for (const p of procs.reverse()) await p.proc.stop();
    for (const s of sinks) await s.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Table rows for formatReport-style output. */
export function formatOtlp(r: OtlpBenchResult): string {
  const lines = [
    `OTLP push vs pull — ${r.pods} pods, churn ${r.churnPerSecond}/s, interval ${r.intervalS}s, window ${r.windowS}s (load ${r.loadavg.join(' ')})`,
    '| process | CPU s | per push | MiB/push | RSS MB | peak MB | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, p] of Object.entries(r.procs)) {
    if ('skipped' in p) {
      lines.push(`| ${name} | – | – | – | – | – | skipped: ${p.skipped} |`);
      continue;
    }
    const notes =
      p.errorLines !== undefined ? `${p.errorLines} error line(s)` : p.pushes !== undefined ? `${p.pushes} pushes` : '';
    lines.push(
      `| ${name} | ${p.cpuS} | ${p.cpuPerPushMs !== undefined ? `${p.cpuPerPushMs} ms` : '–'} | ${p.mbPerPush ?? '–'} | ${p.rssMb} | ${p.peakRssMb} | ${notes} |`,
    );
  }
  const ratios = Object.entries(r.pushVsPull).map(([n, x]) => `${n.replace(/^otlp-/, '')} ${x}×`);
  lines.push(`push/pull CPU: ${ratios.join(', ')} (target ≤ 1.5×)`);
  lines.push('CPU per push targets: ≤ 250 ms at 10k pods, ≤ 1.5 s at 50k pods');
  return lines.join('\n');
}

export interface OtlpSection {
  results: (OtlpBenchResult | { pods: number; error: string })[];
  table: string;
}

/** The `otlp` part of `npm run bench`: one OTLP-vs-pull run per size. */
export async function runOtlpSection(o: {
  sizes: number[];
  churnPerSecond: number;
  quick: boolean;
  /** Default: defaultCompressions(pods) for each size. */
  compressions?: OtlpCompression[];
  log: (s: string) => void;
}): Promise<OtlpSection> {
  const results: OtlpSection['results'] = [];
  const tables: string[] = [];
  for (const pods of o.sizes) {
    try {
      const r = await runOtlpBench({
        pods,
        churnPerSecond: o.churnPerSecond,
        quick: o.quick,
        ...(o.compressions ? { compressions: o.compressions } : {}),
        log: o.log,
      });
      results.push(r);
      tables.push(formatOtlp(r));
    } catch (err) {
      const error = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      results.push({ pods, error });
      tables.push(`OTLP push vs pull — ${pods} pods: failed — ${error}`);
    }
  }
  return { results, table: tables.join('\n\n') };
}

// `node test/bench/otlp.ts [pods] [--quick] [--compressions gzip,zstd,none]`: this section alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const pods = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
  const i = process.argv.indexOf('--compressions');
  const r = await runOtlpBench({
    pods,
    churnPerSecond: 50,
    quick: process.argv.includes('--quick'),
    ...(i > 0 ? { compressions: parseCompressions(process.argv[i + 1] ?? '') } : {}),
    log: (s) => process.stderr.write(`[otlp ${new Date().toISOString().slice(11, 19)}] ${s}\n`),
  });
  process.stdout.write(`${formatOtlp(r)}\n${JSON.stringify(r)}\n`);
}

/** `gzip,zstd,none` → the list; throws on anything else. */
export function parseCompressions(v: string): OtlpCompression[] {
  const list = v.split(',').map((x) => x.trim());
  for (const c of list) if (c !== 'gzip' && c !== 'zstd' && c !== 'none') throw new Error(`unknown compression "${c}"`);
  return list as OtlpCompression[];
}
