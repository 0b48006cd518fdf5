// Side by side at real scrape intervals (issue #12): kso and kube-state-metrics run at the same time against the
// same churning kube-sim cluster and are scraped by the same client (one curl process per scrape, kso then KSM,
// never both at once) back to back and every 15 s / 30 s, the way Prometheus scrapes. RSS and CPU of both are
// read at the same moments (after both synced, after each row, peak), so ratios hold even on a loaded host.
// Repeated `runs` times (both programs restarted each run); the table shows medians over runs.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { waitForSync } from './measure.ts';
import { type ProcUsage, procUsage } from './proc.ts';
import { percentiles, round } from './stats.ts';
import { ksmAvailable, startKsmTarget, startKso, type Target } from './targets.ts';
import type { SizeContext, SizeSection } from './types.ts';

const execFileP = promisify(execFile);

export interface IntervalRow {
  /** 0 = back to back. */
  intervalS: number;
  scrapes: number;
  encoding: 'identity' | 'gzip';
}

export interface ProgramRow {
  p50Ms: number;
  p99Ms: number;
  samplesMs: number[];
  /** CPU seconds the program used during the row (scrapes + churn meanwhile). */
  cpuS: number;
  /** RSS when the row ended (read for both programs at the same moment). */
  rssMb: number;
}

export interface IntervalRun {
  syncMs: { kso: number; ksm?: number };
  /** After both programs finished their initial sync, read together. */
  rssAfterSyncMb: { kso: number; ksm?: number };
  rows: { row: IntervalRow; kso: ProgramRow; ksm?: ProgramRow }[];
  peakRssMb: { kso: number; ksm?: number };
  series: number;
  bodyMiB: number;
}

export interface RowSummary {
  p50Ms: number;
  p99Ms: number;
  cpuS: number;
  rssMb: number;
}

export interface IntervalsResult {
  runs: IntervalRun[];
  ksmSkipped?: string;
  /** Medians over runs, per row and program. */
  median: {
    syncMs: { kso: number; ksm?: number };
    rssAfterSyncMb: { kso: number; ksm?: number };
    rows: { label: string; kso: RowSummary; ksm?: RowSummary }[];
    peakRssMb: { kso: number; ksm?: number };
  };
}

export function defaultRows(quick: boolean, scrapes?: number): IntervalRow[] {
  if (quick) {
    return [
      { intervalS: 0, scrapes: scrapes ?? 5, encoding: 'identity' },
      { intervalS: 0, scrapes: scrapes ?? 3, encoding: 'gzip' },
      { intervalS: 5, scrapes: scrapes ?? 3, encoding: 'identity' },
    ];
  }
  return [
    { intervalS: 0, scrapes: scrapes ?? 10, encoding: 'identity' },
    { intervalS: 0, scrapes: scrapes ?? 5, encoding: 'gzip' },
    { intervalS: 15, scrapes: scrapes ?? 6, encoding: 'identity' },
    { intervalS: 30, scrapes: scrapes ?? 4, encoding: 'identity' },
  ];
}

export function rowLabel(r: IntervalRow): string {
  return `${r.intervalS === 0 ? 'back to back' : `every ${r.intervalS} s`}${r.encoding === 'gzip' ? ', gzip' : ''}`;
}

/** One scrape by a fresh curl process; its own time_total (connect + full body). */
async function curlOnce(url: string, encoding: string): Promise<number> {
  const { stdout } = await execFileP(
    'curl',
    ['-s', '--fail', '-H', `Accept-Encoding: ${encoding}`, '-o', '/dev/null', '-w', '%{time_total}', url],
    { maxBuffer: 1 << 16, timeout: 300_000 },
  );
  return Number(stdout.trim()) * 1000;
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return round(s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2, 1);
}

async function measureRun(ctx: SizeContext, rows: IntervalRow[], withKsm: boolean, run: number): Promise<IntervalRun> {
  const { log } = ctx;
  const targets: Target[] = [];
  try {
    const syncOpts = { ...ctx, log };
    // Sync one after the other so neither program's initial list competes with the other's for the CPU.
    const kso = await startKso(ctx.kubeconfig);
    targets.push(kso);
    const ksoSync = await waitForSync(kso, syncOpts);
    log(`  run ${run}: kso synced in ${(ksoSync.syncMs / 1000).toFixed(2)} s`);
    let ksm: Target | undefined;
    let ksmSyncMs: number | undefined;
    if (withKsm) {
      ksm = await startKsmTarget(ctx.kubeconfig);
      targets.push(ksm);
      ksmSyncMs = (await waitForSync(ksm, syncOpts)).syncMs;
      log(`  run ${run}: KSM synced in ${(ksmSyncMs / 1000).toFixed(2)} s`);
    }
    const usage = () => ({ kso: procUsage(kso.pid), ...(ksm ? { ksm: procUsage(ksm.pid) } : {}) });
    const atSync = usage();
    log(
      `  run ${run}: RSS after sync kso ${atSync.kso.rssMb.toFixed(0)} MB${atSync.ksm ? `, KSM ${atSync.ksm.rssMb.toFixed(0)} MB` : ''}`,
    );
    const out: IntervalRun['rows'] = [];
    for (const row of rows) {
      const label = rowLabel(row);
      const before = usage();
      const samples: { kso: number[]; ksm: number[] } = { kso: [], ksm: [] };
      const t0 = performance.now();
      for (let i = 0; i < row.scrapes; i++) {
        if (row.intervalS > 0) {
          // Scrape on the interval's grid (Prometheus keeps a fixed cadence), so each scrape sees one interval of
          // churn; the first one waits a whole interval after the previous row.
          const due = t0 + (i + 1) * row.intervalS * 1000;
          await sleep(Math.max(0, due - performance.now()));
        }
        samples.kso.push(await curlOnce(kso.metricsUrl, row.encoding));
        if (ksm) samples.ksm.push(await curlOnce(ksm.metricsUrl, row.encoding));
        if (row.intervalS > 0 || i === row.scrapes - 1) {
          const last = (xs: number[]) => (xs.length ? `${xs[xs.length - 1]?.toFixed(0)} ms` : '');
          log(
            `  run ${run}: ${label}: scrape ${i + 1}/${row.scrapes} kso ${last(samples.kso)}${ksm ? `, KSM ${last(samples.ksm)}` : ''}`,
          );
        }
      }
      const after = usage();
      const prog = (name: 'kso' | 'ksm', b: ProcUsage, a: ProcUsage): ProgramRow => {
        const p = percentiles(samples[name]);
        return {
          p50Ms: p.p50,
          p99Ms: p.p99,
          samplesMs: samples[name].map((x) => round(x, 1)),
          cpuS: round(a.cpuS - b.cpuS, 2),
          rssMb: round(a.rssMb, 1),
        };
      };
      out.push({
        row,
        kso: prog('kso', before.kso, after.kso),
        ...(ksm && before.ksm && after.ksm ? { ksm: prog('ksm', before.ksm, after.ksm) } : {}),
      });
    }
    const end = usage();
    return {
      syncMs: { kso: round(ksoSync.syncMs, 0), ...(ksmSyncMs !== undefined ? { ksm: round(ksmSyncMs, 0) } : {}) },
      rssAfterSyncMb: { kso: round(atSync.kso.rssMb, 1), ...(atSync.ksm ? { ksm: round(atSync.ksm.rssMb, 1) } : {}) },
      rows: out,
      peakRssMb: { kso: round(end.kso.peakRssMb, 1), ...(end.ksm ? { ksm: round(end.ksm.peakRssMb, 1) } : {}) },
      series: ksoSync.series,
      bodyMiB: round(ksoSync.bytes / 1048576, 1),
    };
  } finally {
    for (const t of targets.reverse()) await t.stop();
  }
}

export function summarize(runs: IntervalRun[], rows: IntervalRow[]): IntervalsResult['median'] {
  const pick = (f: (r: IntervalRun) => number | undefined) => median(runs.map((r) => f(r) ?? Number.NaN));
  const hasKsm = runs.some((r) => r.syncMs.ksm !== undefined);
  const pair = (f: (r: IntervalRun, w: 'kso' | 'ksm') => number | undefined) => ({
    kso: pick((r) => f(r, 'kso')),
    ...(hasKsm ? { ksm: pick((r) => f(r, 'ksm')) } : {}),
  });
  return {
    syncMs: pair((r, w) => r.syncMs[w]),
    rssAfterSyncMb: pair((r, w) => r.rssAfterSyncMb[w]),
    rows: rows.map((row, i) => {
      const prog = (w: 'kso' | 'ksm') => ({
        p50Ms: pick((r) => r.rows[i]?.[w]?.p50Ms),
        p99Ms: pick((r) => r.rows[i]?.[w]?.p99Ms),
        cpuS: pick((r) => r.rows[i]?.[w]?.cpuS),
        rssMb: pick((r) => r.rows[i]?.[w]?.rssMb),
      });
      return { label: rowLabel(row), kso: prog('kso'), ...(hasKsm ? { ksm: prog('ksm') } : {}) };
    }),
    peakRssMb: pair((r, w) => r.peakRssMb[w]),
  };
}

export const intervalsSection: SizeSection<IntervalsResult> = {
  name: 'intervals',
  async run(ctx) {
    const opts = { runs: ctx.runs, rows: defaultRows(ctx.quick, ctx.intervalScrapes) };
    const withKsm = ksmAvailable();
    const skipped = withKsm ? undefined : 'kube-state-metrics not built — run `bash test/peers/build.sh ksm`';
    const total = opts.rows.reduce((s, r) => s + r.scrapes * r.intervalS, 0);
    ctx.log(
      `side by side at real intervals: ${opts.runs} run(s) × (${opts.rows.map((r) => `${rowLabel(r)} ×${r.scrapes}`).join('; ')}) ≈ ${Math.ceil((opts.runs * total) / 60)} min of intervals`,
    );
    if (skipped) ctx.log(`  KSM side skipped: ${skipped}`);
    const runs: IntervalRun[] = [];
    for (let i = 1; i <= opts.runs; i++) runs.push(await measureRun(ctx, opts.rows, withKsm, i));
    return { runs, ...(skipped ? { ksmSkipped: skipped } : {}), median: summarize(runs, opts.rows) };
  },
  format(r) {
    const m = r.median;
    const W = [38, 10, 10, 9];
    const line = (c: string[]) =>
      c.map((x, i) => (i === 0 ? x.padEnd(W[0] as number) : x.padStart(W[i] ?? 10))).join(' ');
    const f = (x: number | undefined, d = 1) =>
      x === undefined || Number.isNaN(x) ? '—' : x >= 1000 ? x.toFixed(0) : x.toFixed(d);
    const row = (label: string, a: number, b: number | undefined, d = 1) =>
      line([label, f(a, d), f(b, d), b !== undefined && b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '—']);
    const out = [
      `side by side (same run, same curl client, medians of ${r.runs.length} run(s)) — ${r.runs[0]?.series ?? '?'} series, ${r.runs[0]?.bodyMiB ?? '?'} MiB`,
      line(['', 'kso', 'KSM', 'kso/KSM']),
      row(
        'first complete sync (s)',
        m.syncMs.kso / 1000,
        m.syncMs.ksm !== undefined ? m.syncMs.ksm / 1000 : undefined,
        2,
      ),
      row('RSS after sync (MB)', m.rssAfterSyncMb.kso, m.rssAfterSyncMb.ksm),
    ];
    for (const x of m.rows) {
      out.push(row(`scrape p50 (ms), ${x.label}`, x.kso.p50Ms, x.ksm?.p50Ms));
      out.push(row(`  p99 (ms)`, x.kso.p99Ms, x.ksm?.p99Ms));
      out.push(row(`  CPU s during the row`, x.kso.cpuS, x.ksm?.cpuS, 2));
      out.push(row(`  RSS after the row (MB)`, x.kso.rssMb, x.ksm?.rssMb));
    }
    out.push(row('peak RSS (MB)', m.peakRssMb.kso, m.peakRssMb.ksm));
    if (r.ksmSkipped) out.push(`KSM side skipped: ${r.ksmSkipped}`);
    return out;
  },
};
