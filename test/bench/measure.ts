// One program (kso or KSM) against the running kube-sim cluster: initial sync, scrape latency, event-to-metric
// latency, CPU and memory, all measured from outside the process and identically for both programs.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type LatencyStats, measureScrape } from '@kso/exporters/bench/scrape';
import type { KubeSim } from '@kso/kube-sim';
import { type ProcUsage, procUsage } from './proc.ts';
import { countObjects, getStatus } from './scan.ts';
import { percentiles, round } from './stats.ts';
import type { Target } from './targets.ts';

export interface PodRef {
  namespace: string;
  name: string;
  container: string;
}

export interface MeasureOptions {
  sim: KubeSim;
  pods: number;
  jobs: number;
  cronjobs: number;
  podRefs: PodRef[];
  scrapeIterations: number;
  gzipIterations: number;
  eventSamples: number;
  /** Window without scrapes (churn only) to measure steady CPU use. */
  idleWindowMs: number;
  syncTimeoutMs: number;
  log: (s: string) => void;
}

export interface EventLatency {
  n: number;
  /** Patch → end of the first scrape that shows the new value (what a continuous scraper sees). */
  p50Ms: number;
  p99Ms: number;
  /** Share of samples whose first scrape (sent right after the patch) already showed the value: propagation was
   * faster than the request reaching the renderer, so the latency is essentially one scrape. */
  firstScrapeHitPercent: number;
  timeouts: number;
}

export interface TargetResult {
  /** Spawn → end of the first scrape with every pod, job and cronjob (both programs polled the same way). */
  syncMs: number;
  /** kso: spawn → /readyz 200. */
  readyMs?: number;
  syncScrapes: number;
  series: number;
  bodyMiB: number;
  atSync: ProcUsage;
  scrape: LatencyStats;
  scrapeGzip: LatencyStats;
  events: EventLatency;
  /** CPU share of one core while only churn runs (no scrapes). */
  idleCpuPercent: number;
  /** VmHWM checkpoints: which phase set the peak (sync → identity scrapes → gzip scrapes → events). */
  peakRssMbAfter: { scrapes: number; gzipScrapes: number };
  end: ProcUsage;
  rssPer1kPodsMb: number;
}

const execFileP = promisify(execFile);
let eventSeq = 0;

export async function measureTarget(t: Target, o: MeasureOptions): Promise<TargetResult> {
  const { log } = o;
  log(`  ${t.name}: waiting for the first complete sync (${o.pods} pods, ${o.jobs} jobs, ${o.cronjobs} cronjobs)...`);
  const sync = await waitForSync(t, o);
  const atSync = procUsage(t.pid);
  log(
    `  ${t.name}: synced in ${(sync.syncMs / 1000).toFixed(2)} s${sync.readyMs ? ` (readyz ${(sync.readyMs / 1000).toFixed(2)} s)` : ''}; ${sync.series} series, ${(sync.bytes / 1048576).toFixed(1)} MiB; RSS ${atSync.rssMb.toFixed(0)} MB`,
  );

  log(`  ${t.name}: ${o.scrapeIterations} scrapes (identity) + ${o.gzipIterations} gzip...`);
  const scrape = await measureScrape(t.metricsUrl, o.scrapeIterations, { headers: { 'accept-encoding': 'identity' } });
  const peakAfterScrapes = procUsage(t.pid).peakRssMb;
  const scrapeGzip = await measureScrape(t.metricsUrl, o.gzipIterations, { headers: { 'accept-encoding': 'gzip' } });
  const peakAfterGzip = procUsage(t.pid).peakRssMb;
  log(`  ${t.name}: scrape p50 ${scrape.p50Ms} ms, p99 ${scrape.p99Ms} ms; gzip p50 ${scrapeGzip.p50Ms} ms`);

  log(`  ${t.name}: ${o.eventSamples} event-to-metric samples...`);
  const events = await measureEvents(t, o);
  log(`  ${t.name}: event→metric p50 ${events.p50Ms} ms (first scrape hit ${events.firstScrapeHitPercent}%)`);

  const before = procUsage(t.pid);
  await sleep(o.idleWindowMs);
  const after = procUsage(t.pid);
  const idleCpuPercent = round(((after.cpuS - before.cpuS) / (o.idleWindowMs / 1000)) * 100, 1);
  const end = procUsage(t.pid);
  return {
    syncMs: round(sync.syncMs, 0),
    ...(sync.readyMs !== undefined ? { readyMs: round(sync.readyMs, 0) } : {}),
    syncScrapes: sync.scrapes,
    series: sync.series,
    bodyMiB: round(sync.bytes / 1048576, 1),
    atSync: roundUsage(atSync),
    scrape,
    scrapeGzip,
    events,
    idleCpuPercent,
    peakRssMbAfter: { scrapes: round(peakAfterScrapes, 1), gzipScrapes: round(peakAfterGzip, 1) },
    end: roundUsage(end),
    rssPer1kPodsMb: round(end.rssMb / (o.pods / 1000), 2),
  };
}

/** Spawn → end of the first scrape listing every pod, job and cronjob (polled the same way for every program). */
export async function waitForSync(t: Target, o: Pick<MeasureOptions, 'pods' | 'jobs' | 'cronjobs' | 'syncTimeoutMs'>) {
  const deadline = performance.now() + o.syncTimeoutMs;
  let readyMs: number | undefined;
  let lastScrapeStart = Number.NEGATIVE_INFINITY;
  let lastScrapeMs = 0;
  let scrapes = 0;
  for (;;) {
    const now = performance.now();
    if (t.hasExited()) throw new Error(`${t.name} exited during the initial sync:\n${t.output()}`);
    if (now > deadline) throw new Error(`${t.name}: no complete scrape within ${o.syncTimeoutMs} ms\n${t.output()}`);
    if (t.readyUrl && readyMs === undefined && (await getStatus(t.readyUrl)) === 200) {
      readyMs = performance.now() - t.spawnedAt;
    }
    // Full scrapes cost the program CPU while it syncs: poll at most every 250 ms and never more than a third
    // of the time, the same way for every program.
    if (now - lastScrapeStart >= Math.max(250, 2 * lastScrapeMs)) {
      lastScrapeStart = now;
      try {
        const r = await countObjects(t.metricsUrl);
        scrapes++;
        lastScrapeMs = r.endMs - r.startMs;
        if (r.pods >= o.pods && r.jobs >= o.jobs && r.cronjobs >= o.cronjobs) {
          return { syncMs: r.endMs - t.spawnedAt, readyMs, scrapes, series: r.series, bytes: r.bytes };
        }
      } catch {
        // Not listening yet.
      }
    }
    await sleep(50);
  }
}

/**
 * One full scrape by curl piped into `grep -F` (separate processes, like the scrape-latency numbers, so this
 * process's event loop and string handling stay out of the measurement); returns the matching lines.
 */
async function grepScrape(url: string, needle: string): Promise<string[]> {
  const script = 'curl -s --fail -H "Accept-Encoding: identity" "$BENCH_URL" | grep -F -- "$BENCH_NEEDLE"; exit 0';
  const { stdout } = await execFileP('sh', ['-c', script], {
    env: { ...process.env, BENCH_URL: url, BENCH_NEEDLE: needle },
    maxBuffer: 16 << 20,
  });
  return stdout.split('\n');
}

async function measureEvents(t: Target, o: MeasureOptions): Promise<EventLatency> {
  const total: number[] = [];
  let firstHits = 0;
  let timeouts = 0;
  const withStatus = o.podRefs;
  for (let i = 0; i < o.eventSamples; i++) {
    const ref = withStatus[Math.floor(Math.random() * withStatus.length)]!;
    const value = 100_000 + ++eventSeq;
    const pod = o.sim.cluster.get('pods', ref.namespace, ref.name);
    const cs = pod?.['status']?.containerStatuses?.[0];
    if (!pod || !cs) continue;
    cs.restartCount = value;
    const t0 = performance.now();
    o.sim.cluster.updateStatus(pod);
    for (let scrapes = 1; ; scrapes++) {
      const lines = await grepScrape(t.metricsUrl, `pod="${ref.name}"`);
      // Churn may bump the same counter meanwhile, so any value from ours upwards counts.
      const seen = lines.some(
        (l) =>
          l.startsWith('kube_pod_container_status_restarts_total{') &&
          l.includes(`container="${ref.container}"`) &&
          Number(l.slice(l.lastIndexOf(' ') + 1)) >= value,
      );
      if (seen) {
        total.push(performance.now() - t0);
        if (scrapes === 1) firstHits++;
        break;
      }
      if (performance.now() - t0 > 60_000) {
        timeouts++;
        break;
      }
    }
    await sleep(100 + Math.random() * 200);
  }
  const p = percentiles(total);
  return {
    n: total.length,
    p50Ms: p.p50,
    p99Ms: p.p99,
    firstScrapeHitPercent: total.length > 0 ? round((firstHits / total.length) * 100, 0) : Number.NaN,
    timeouts,
  };
}

function roundUsage(u: ProcUsage): ProcUsage {
  return {
    rssMb: round(u.rssMb, 1),
    peakRssMb: round(u.peakRssMb, 1),
    anonMb: round(u.anonMb, 1),
    cpuS: round(u.cpuS, 2),
  };
}
