// Scrape benchmark: fast bridge (pre-rendered bytes per object, KSM design) vs the naive SDK path (observable
// instruments + wildcard View raising the cardinality limit + stock PrometheusExporter), in the same run, plus
// OTLP collection + protobuf encoding. Run: node packages/exporters/bench/scrape.ts [pods] (default 10000).

import { execFile } from 'node:child_process';
import { Agent, createServer, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MetricsStore } from '@kso/metrics';
import type { ObservableGauge } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { type MetricsSource, StoreEncoder, scopeFor, startPrometheusServer } from '../src/index.ts';
import { buildSyntheticSource, type SyntheticSource, syntheticPod } from '../src/testing/index.ts';
import { rawPod } from './raw-pod.ts';

export interface LatencyStats {
  n: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  bytes: number;
}

function stats(samples: number[], bytes: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50Ms: r(pick(0.5)), p99Ms: r(pick(0.99)), minMs: r(s[0] as number), bytes };
}

const execFileP = promisify(execFile);

/** A source plus a way to update one pod (k-th change). */
export interface BenchSource {
  source: MetricsSource;
  touch(k: number): void;
  kind: string;
}

export function syntheticBenchSource(pods: number, log?: (n: number) => void): BenchSource {
  const source: SyntheticSource = buildSyntheticSource(pods, 'ksm', log);
  return {
    source,
    kind: 'synthetic (SyntheticSource)',
    touch: (k) => source.setPod(syntheticPod((k * 7919) % pods, { restarts: 1000 + k })),
  };
}

/** The real @kso/metrics MetricsStore (ksm schema) fed with realistic raw pods through @kso/model compaction. */
export function storeBenchSource(pods: number, log?: (n: number) => void): BenchSource {
  const store = new MetricsStore({ schema: 'ksm', resources: ['pods'] });
  for (let i = 0; i < pods; i++) {
    store.upsertObject('pods', rawPod(i));
    if (log && (i + 1) % 1000 === 0) log(i + 1);
  }
  return {
    source: store,
    kind: 'real MetricsStore + @kso/model (raw pods)',
    touch: (k) => store.upsertObject('pods', rawPod((k * 7919) % pods, 1000 + k)),
  };
}

/** A MetricsStore (ksm schema) over raw objects listed from a cluster, e.g. kube-sim, for baselines over real data. */
export function objectsBenchSource(objects: Partial<Record<'jobs' | 'pods' | 'cronjobs', unknown[]>>): BenchSource {
  const resources = (['jobs', 'pods', 'cronjobs'] as const).filter((r) => objects[r] !== undefined);
  const store = new MetricsStore({ schema: 'ksm', resources });
  for (const r of resources) for (const o of objects[r] ?? []) store.upsertObject(r, o);
  const pods = (objects.pods ?? []) as { status?: { containerStatuses?: { restartCount?: number }[] } }[];
  return {
    source: store,
    kind: 'real MetricsStore + @kso/model (cluster objects)',
    touch: (k) => {
      const p = pods.length > 0 ? structuredClone(pods[(k * 7919) % pods.length]) : undefined;
      const cs = p?.status?.containerStatuses?.[0];
      if (!p || !cs) return;
      cs.restartCount = 1000 + k;
      store.upsertObject('pods', p);
    },
  };
}

/** Wraps a source so that every render (one resources() call per scrape) first updates one pod: a store that changes between scrapes, as in a live cluster. */
export function churning(b: BenchSource): MetricsSource {
  let k = 0;
  return new Proxy(b.source, {
    get(target, prop, recv) {
      if (prop === 'resources') {
        return () => {
          k++;
          b.touch(k);
          return target.resources();
        };
      }
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One HTTP GET, full body read; returns [ms, bytes on the wire]. */
export function timedGet(url: string, headers: Record<string, string> = {}): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    httpGet(url, { agent, headers }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve([performance.now() - t0, n]));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/**
 * Scrapes with curl in a separate process (as Prometheus would: the client does not share our event loop),
 * one keep-alive connection for all iterations; falls back to an in-process client without curl.
 */
export async function measureScrapeCurl(
  url: string,
  iterations: number,
  headers: Record<string, string> = {},
): Promise<LatencyStats | undefined> {
  const args = ['-s', '--fail'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  for (let i = 0; i < iterations; i++) args.push('-o', '/dev/null', '-w', '%{time_total} %{size_download}\\n', url);
  try {
    const { stdout } = await execFileP('curl', args, { maxBuffer: 1 << 20 });
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number) as [number, number]);
    return stats(
      rows.map((r) => r[0] * 1000),
      rows[rows.length - 1]?.[1] ?? 0,
    );
  } catch {
    return undefined;
  }
}

export async function measureScrape(
  url: string,
  iterations: number,
  opts: { headers?: Record<string, string>; beforeEach?: () => void } = {},
): Promise<LatencyStats> {
  if (!opts.beforeEach) {
    const viaCurl = await measureScrapeCurl(url, iterations, opts.headers);
    if (viaCurl) return viaCurl;
  }
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < iterations; i++) {
    opts.beforeEach?.();
    const [ms, b] = await timedGet(url, opts.headers);
    samples.push(ms);
    bytes = b;
  }
  return stats(samples, bytes);
}

/** Fast bridge numbers: unchanged store (body cache), one pod changed before every scrape (realistic), gzip. */
export async function measureFastBridge(b: BenchSource, iterations: number) {
  const source = b.source;
  const still = await startPrometheusServer({ source, host: '127.0.0.1', port: 0, numberFormat: 'go' });
  const live = await startPrometheusServer({
    source: churning(b),
    host: '127.0.0.1',
    port: 0,
    numberFormat: 'go',
  });
  try {
    const t0 = performance.now();
    await timedGet(`${still.url}/metrics`, { 'accept-encoding': 'identity' });
    const coldMs = Math.round(performance.now() - t0);
    const id = { 'accept-encoding': 'identity' };
    await timedGet(`${live.url}/metrics`, id); // warm the live server's renderer
    await timedGet(`${live.url}/metrics`, { 'accept-encoding': 'gzip' }); // and its gzip member cache
    const unchanged = await measureScrape(`${still.url}/metrics`, iterations, { headers: id });
    const changed = await measureScrape(`${live.url}/metrics`, iterations, { headers: id });
    const gzipChanged = await measureScrape(`${live.url}/metrics`, Math.max(5, Math.floor(iterations / 4)), {
      headers: { 'accept-encoding': 'gzip' },
    });
    // Server-side work alone (render + body assembly), no transfer: what the event loop is blocked for.
    const r = live.renderer;
    const renderSamples: number[] = [];
    const churn = churning(b);
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      r.renderPieces(churn, 'text');
      renderSamples.push(performance.now() - t);
    }
    return { coldFirstScrapeMs: coldMs, unchanged, changed, gzipChanged, renderOnlyChanged: stats(renderSamples, 0) };
  } finally {
    await still.close();
    await live.close();
  }
}

/** Naive SDK path: one observable instrument per family observing every point, stock PrometheusExporter. */
export async function measureSdkBaseline(source: MetricsSource, iterations: number) {
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
  });
  const mp = new MeterProvider({
    views: [{ instrumentName: '*', aggregationCardinalityLimit: 100_000_000 }],
    readers: [exporter],
  });
  const meter = mp.getMeter('baseline');
  for (const res of source.resources()) {
    const fams = source.families(res);
    const instruments: ObservableGauge[] = fams.map((f) =>
      f.type === 'counter'
        ? meter.createObservableCounter(f.name, { description: f.help })
        : f.type === 'updowncounter'
          ? meter.createObservableUpDownCounter(f.name, { description: f.help })
          : meter.createObservableGauge(f.name, { description: f.help }),
    );
    meter.addBatchObservableCallback((r) => {
      for (const o of source.entries(res)) {
        o.families.forEach((pts, i) => {
          const inst = instruments[i];
          if (inst) for (const p of pts) r.observe(inst, p.value, p.attributes);
        });
      }
    }, instruments);
  }
  const server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    return await measureScrape(url, iterations);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await mp.shutdown();
  }
}

/** OTLP path: producer collect, split to 20k-point batches, protobuf encode. */
/**
 * The OTLP push path over the same source: `collect` = stamping the cached per-object bytes and planning the
 * requests (the first iteration also encodes every object), `splitAndEncode` = writing every request body.
 * Compression and sending are measured end to end by test/bench/otlp.ts.
 */
export async function measureOtlp(source: MetricsSource, iterations: number) {
  const encoder = new StoreEncoder({ scope: scopeFor(source.schema) });
  const collect: number[] = [];
  const encode: number[] = [];
  let bytes = 0;
  let batches = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const requests = encoder.plan(source, Date.now(), { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 });
    const t1 = performance.now();
    bytes = 0;
    for (const r of requests) bytes += r.write().length;
    batches = requests.length;
    encode.push(performance.now() - t1);
    collect.push(t1 - t0);
  }
  return { collect: stats(collect, 0), splitAndEncode: stats(encode, bytes), batches };
}

export async function runScrapeBench(
  opts: {
    pods?: number;
    iterations?: number;
    baselineIterations?: number;
    source?: 'store' | 'synthetic';
    log?: (s: string) => void;
  } = {},
) {
  const pods = opts.pods ?? 10_000;
  const iterations = opts.iterations ?? 30;
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const progress = (n: number) => n % 2000 === 0 && log(`  ${n}/${pods} pods`);
  let b: BenchSource;
  if (opts.source === 'synthetic') b = syntheticBenchSource(pods, progress);
  else {
    log(`building real MetricsStore with ${pods} raw pods...`);
    try {
      b = storeBenchSource(pods, progress);
    } catch (err) {
      log(`MetricsStore unavailable (${err instanceof Error ? err.message : String(err)}); using the synthetic source`);
      b = syntheticBenchSource(pods, progress);
    }
  }
  const source = b.source;
  let series = 0;
  for (const o of source.entries('pods')) for (const f of o.families) series += f.length;
  log(`source ready: ${series} series (${(series / pods).toFixed(1)}/pod). fast bridge...`);
  const fast = await measureFastBridge(b, iterations);
  log(`fast: changed p50 ${fast.changed.p50Ms} ms. OTLP collect+encode...`);
  const otlp = await measureOtlp(source, 5);
  log('SDK baseline (observables + PrometheusExporter), this is slow...');
  const sdk = await measureSdkBaseline(source, opts.baselineIterations ?? 4);
  const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
  return {
    pods,
    series,
    source: b.kind,
    loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
    client: 'curl (separate process, keep-alive)',
    fast,
    sdkBaseline: sdk,
    otlp,
    ratios: {
      sdkP50OverFastChangedP50: ratio(sdk.p50Ms, fast.changed.p50Ms),
      sdkP50OverFastUnchangedP50: ratio(sdk.p50Ms, fast.unchanged.p50Ms),
    },
    pass: { p50Under50ms: fast.changed.p50Ms <= 50, atLeast20xFaster: sdk.p50Ms / fast.changed.p50Ms >= 20 },
  };
}

export function formatTable(r: Awaited<ReturnType<typeof runScrapeBench>>): string {
  const row = (name: string, s: LatencyStats) =>
    `${name.padEnd(44)} ${String(s.p50Ms).padStart(9)} ${String(s.p99Ms).padStart(9)} ${String((s.bytes / 1048576).toFixed(1)).padStart(8)}`;
  return [
    `scrape benchmark: ${r.pods} pods, ${r.series} series (${r.source}); load average ${r.loadAverage.join(' ')} (2 cores)`,
    `${'path'.padEnd(44)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'MiB'.padStart(8)}`,
    row('fast bridge, store changed each scrape', r.fast.changed),
    row('fast bridge, store unchanged (body cache)', r.fast.unchanged),
    row('fast bridge, gzip, store changed', r.fast.gzipChanged),
    row('fast render only (no HTTP), store changed', r.fast.renderOnlyChanged),
    row('SDK observables + PrometheusExporter', r.sdkBaseline),
    row('OTLP producer collect', r.otlp.collect),
    row(`OTLP split (${r.otlp.batches} batches) + protobuf encode`, r.otlp.splitAndEncode),
    `fast first (cold) scrape: ${r.fast.coldFirstScrapeMs} ms`,
    `ratio SDK/fast (changed): ${r.ratios.sdkP50OverFastChangedP50}x   (unchanged): ${r.ratios.sdkP50OverFastUnchangedP50}x`,
    `bar: p50 ≤ 50 ms ${r.pass.p50Under50ms ? 'PASS' : 'FAIL'}; ≥ 20× faster ${r.pass.atLeast20xFaster ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pods = Number(process.argv[2] ?? process.env.KSO_BENCH_PODS ?? 10_000);
  const r = await runScrapeBench({
    pods,
    source: process.env.KSO_BENCH_SOURCE === 'synthetic' ? 'synthetic' : 'store',
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n${formatTable(r)}\n`);
  agent.destroy();
}
