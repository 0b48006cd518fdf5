// Side by side at real scrape intervals (issue #12): kso and kube-state-metrics run at the same time against the
// same churning kube-sim cluster and are scraped by the same client (one curl process per scrape, one program
// after the other, never two at once) back to back and every 15 s / 30 s, the way Prometheus scrapes. RSS and
// CPU of all programs are read at the same moments (after all synced, after each row, peak), so ratios hold even
// on a loaded host. Optionally a third program: another checkout's kso (--kso-baseline DIR), for before/after.
// Repeated `runs` times (programs restarted each run); the table shows medians over runs.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { waitForSync } from './measure.ts';
import { procUsage } from './proc.ts';
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
  /** RSS when the row ended (read for all programs at the same moment). */
  rssMb: number;
  /** Its anonymous part (proc.ts). */
  anonMb?: number;
}

/** Program name → value: 'kso', 'ksm', and 'base' (the --kso-baseline checkout) when given. */
export type PerProgram<T> = Record<string, T>;

export interface IntervalRun {
  syncMs: PerProgram<number>;
  /** After every program finished its initial sync, read together. */
  rssAfterSyncMb: PerProgram<number>;
  anonAfterSyncMb?: PerProgram<number>;
  rows: { row: IntervalRow; programs: PerProgram<ProgramRow> }[];
  peakRssMb: PerProgram<number>;
  series: number;
  bodyMiB: number;
}

export interface RowSummary {
  p50Ms: number;
  p99Ms: number;
  cpuS: number;
  rssMb: number;
  anonMb: number;
}

export interface IntervalsResult {
  programs: string[];
  runs: IntervalRun[];
  ksmSkipped?: string;
  /** Medians over runs, per row and program. */
  median: {
    syncMs: PerProgram<number>;
    rssAfterSyncMb: PerProgram<number>;
    anonAfterSyncMb: PerProgram<number>;
    rows: { label: string; programs: PerProgram<RowSummary> }[];
    peakRssMb: PerProgram<number>;
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
  // Prometheus always asks for gzip (its scrape client sends `Accept-Encoding: gzip`), so the interval rows a
  // migrating team would see are the gzip ones; the 15 s identity row is what curl or another plain client gets.
  return [
    { intervalS: 0, scrapes: scrapes ?? 10, encoding: 'identity' },
    { intervalS: 0, scrapes: scrapes ?? 5, encoding: 'gzip' },
    { intervalS: 15, scrapes: scrapes ?? 6, encoding: 'gzip' },
    { intervalS: 15, scrapes: scrapes ?? 6, encoding: 'identity' },
    { intervalS: 30, scrapes: scrapes ?? 4, encoding: 'gzip' },
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

/** Unrecorded scrapes at the start of each interval row (see measureRun). */
const WARMUP_SCRAPES = 2;

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return round(s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2, 1);
}

interface Program {
  name: string;
  start(kubeconfig: string): Promise<Target>;
}

function programsFor(withKsm: boolean, baseline: string | undefined): Program[] {
  const out: Program[] = [{ name: 'kso', start: (kc) => startKso(kc) }];
  if (baseline) {
    const bin = join(baseline, 'packages/cli/bin/kso.js');
    // With the baseline's own node flags and glibc malloc settings: they are part of what is compared.
    // Older checkouts kept them in the cli package (and had no malloc settings: glibc's defaults).
    const settings = async (): Promise<{ flags: readonly string[]; malloc: Readonly<Record<string, string>> }> => {
      const file = ['packages/config/src/node-flags.ts', 'packages/cli/src/node-flags.ts']
        .map((f) => join(baseline, f))
        .find((f) => existsSync(f));
      if (!file) return { flags: [], malloc: {} };
      const m = (await import(file)) as {
        KSO_NODE_FLAGS: readonly string[];
        KSO_MALLOC_ENV?: Readonly<Record<string, string>>;
      };
      return { flags: m.KSO_NODE_FLAGS, malloc: m.KSO_MALLOC_ENV ?? {} };
    };
    out.push({
      name: 'base',
      start: async (kc) => {
        const { flags, malloc } = await settings();
        return startKso(kc, flags, bin, malloc);
      },
    });
  }
  if (withKsm) out.push({ name: 'ksm', start: (kc) => startKsmTarget(kc) });
  return out;
}

async function measureRun(ctx: SizeContext, rows: IntervalRow[], programs: Program[], run: number) {
  const { log } = ctx;
  const running: { name: string; t: Target }[] = [];
  try {
    const syncMs: PerProgram<number> = {};
    let series = 0;
    let bytes = 0;
    // Sync one after the other so no program's initial list competes with another's for the CPU.
    for (const p of programs) {
      const t = await p.start(ctx.kubeconfig);
      running.push({ name: p.name, t });
      const s = await waitForSync(t, ctx);
      syncMs[p.name] = round(s.syncMs, 0);
      if (p.name === 'kso') ({ series, bytes } = s);
      log(`  run ${run}: ${p.name} synced in ${(s.syncMs / 1000).toFixed(2)} s`);
    }
    const usage = () => Object.fromEntries(running.map(({ name, t }) => [name, procUsage(t.pid)]));
    const atSync = usage();
    log(
      `  run ${run}: RSS after sync ${running.map(({ name }) => `${name} ${atSync[name]?.rssMb.toFixed(0)} MB`).join(', ')}`,
    );
    const out: IntervalRun['rows'] = [];
    for (const row of rows) {
      const label = rowLabel(row);
      // Prometheus scrapes a target at one interval for good; a row changes it. Two unrecorded scrapes at the
      // row's interval first, so the recorded ones see the steady state (kso learns the cadence from the gaps).
      const t0 = performance.now();
      const warmups = row.intervalS > 0 ? WARMUP_SCRAPES : 0;
      for (let i = 0; i < warmups; i++) {
        await sleep(Math.max(0, t0 + i * row.intervalS * 1000 - performance.now()));
        for (const { t } of running) await curlOnce(t.metricsUrl, row.encoding);
      }
      const before = usage();
      const samples: PerProgram<number[]> = Object.fromEntries(running.map(({ name }) => [name, []]));
      for (let i = warmups; i < warmups + row.scrapes; i++) {
        if (row.intervalS > 0) {
          // On the interval's grid (Prometheus keeps a fixed cadence), so each scrape sees one interval of churn.
          await sleep(Math.max(0, t0 + i * row.intervalS * 1000 - performance.now()));
        }
        for (const { name, t } of running) samples[name]?.push(await curlOnce(t.metricsUrl, row.encoding));
        if (row.intervalS > 0 || i === warmups + row.scrapes - 1) {
          const last = running.map(({ name }) => `${name} ${samples[name]?.at(-1)?.toFixed(0)} ms`).join(', ');
          log(`  run ${run}: ${label}: scrape ${i - warmups + 1}/${row.scrapes}: ${last}`);
        }
      }
      const after = usage();
      const programsRow: PerProgram<ProgramRow> = {};
      for (const { name } of running) {
        const xs = samples[name] ?? [];
        const p = percentiles(xs);
        programsRow[name] = {
          p50Ms: p.p50,
          p99Ms: p.p99,
          samplesMs: xs.map((x) => round(x, 1)),
          cpuS: round((after[name]?.cpuS ?? 0) - (before[name]?.cpuS ?? 0), 2),
          rssMb: round(after[name]?.rssMb ?? Number.NaN, 1),
          anonMb: round(after[name]?.anonMb ?? Number.NaN, 1),
        };
      }
      out.push({ row, programs: programsRow });
    }
    const end = usage();
    const each = (f: (u: ReturnType<typeof procUsage>) => number) =>
      Object.fromEntries(running.map(({ name }) => [name, round(f(end[name] as ReturnType<typeof procUsage>), 1)]));
    return {
      syncMs,
      rssAfterSyncMb: Object.fromEntries(running.map(({ name }) => [name, round(atSync[name]?.rssMb ?? 0, 1)])),
      anonAfterSyncMb: Object.fromEntries(running.map(({ name }) => [name, round(atSync[name]?.anonMb ?? 0, 1)])),
      rows: out,
      peakRssMb: each((u) => u.peakRssMb),
      series,
      bodyMiB: round(bytes / 1048576, 1),
    } satisfies IntervalRun;
  } finally {
    for (const { t } of running.reverse()) await t.stop();
  }
}

export function summarize(runs: IntervalRun[], rows: IntervalRow[], programs: string[]): IntervalsResult['median'] {
  const per = (f: (r: IntervalRun, p: string) => number | undefined) =>
    Object.fromEntries(programs.map((p) => [p, median(runs.map((r) => f(r, p) ?? Number.NaN))]));
  return {
    syncMs: per((r, p) => r.syncMs[p]),
    rssAfterSyncMb: per((r, p) => r.rssAfterSyncMb[p]),
    anonAfterSyncMb: per((r, p) => r.anonAfterSyncMb?.[p]),
    rows: rows.map((row, i) => ({
      label: rowLabel(row),
      programs: Object.fromEntries(
        programs.map((p) => {
          const m = (f: (x: ProgramRow) => number) =>
            median(runs.map((r) => (r.rows[i]?.programs[p] ? f(r.rows[i]?.programs[p] as ProgramRow) : Number.NaN)));
          return [
            p,
            {
              p50Ms: m((x) => x.p50Ms),
              p99Ms: m((x) => x.p99Ms),
              cpuS: m((x) => x.cpuS),
              rssMb: m((x) => x.rssMb),
              anonMb: m((x) => x.anonMb ?? Number.NaN),
            },
          ];
        }),
      ),
    })),
    peakRssMb: per((r, p) => r.peakRssMb[p]),
  };
}

export const intervalsSection: SizeSection<IntervalsResult> = {
  name: 'intervals',
  async run(ctx) {
    const rows = defaultRows(ctx.quick, ctx.intervalScrapes);
    const withKsm = ksmAvailable();
    const skipped = withKsm ? undefined : 'kube-state-metrics not built — run `bash test/peers/build.sh ksm`';
    const programs = programsFor(withKsm, ctx.ksoBaseline);
    const intervalS = rows.reduce((s, r) => s + (r.scrapes + (r.intervalS > 0 ? WARMUP_SCRAPES : 0)) * r.intervalS, 0);
    ctx.log(
      `side by side (${programs.map((p) => p.name).join(', ')}): ${ctx.runs} run(s) × (${rows.map((r) => `${rowLabel(r)} ×${r.scrapes}`).join('; ')}); ≥ ${Math.ceil((ctx.runs * intervalS) / 60)} min of intervals`,
    );
    if (skipped) ctx.log(`  KSM skipped: ${skipped}`);
    const runs: IntervalRun[] = [];
    for (let i = 1; i <= ctx.runs; i++) runs.push(await measureRun(ctx, rows, programs, i));
    const names = programs.map((p) => p.name);
    return {
      programs: names,
      runs,
      ...(skipped ? { ksmSkipped: skipped } : {}),
      median: summarize(runs, rows, names),
    };
  },
  format(r) {
    const m = r.median;
    const has = (p: string) => r.programs.includes(p);
    const cols = ['kso', ...(has('ksm') ? ['ksm'] : []), ...(has('base') ? ['base'] : [])];
    const heads = { kso: 'kso', ksm: 'KSM', base: 'kso before' } as Record<string, string>;
    const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(38) : x.padStart(11))).join(' ');
    const f = (x: number | undefined, d = 1) =>
      x === undefined || Number.isNaN(x) ? '—' : x >= 1000 ? x.toFixed(0) : x.toFixed(d);
    const ratio = (a: number | undefined, b: number | undefined) =>
      a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '—';
    const row = (label: string, v: PerProgram<number | undefined>, d = 1) =>
      line([
        label,
        ...cols.map((c) => f(v[c], d)),
        ...(has('ksm') ? [ratio(v.kso, v.ksm)] : []),
        ...(has('base') && has('ksm') ? [ratio(v.base, v.ksm)] : []),
      ]);
    const sec = (v: PerProgram<number>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x / 1000]));
    const out = [
      `side by side (all running at once, same curl client, medians of ${r.runs.length} run(s)) — ${r.runs[0]?.series ?? '?'} series, ${r.runs[0]?.bodyMiB ?? '?'} MiB`,
      line([
        '',
        ...cols.map((c) => heads[c] ?? c),
        ...(has('ksm') ? ['kso/KSM'] : []),
        ...(has('base') && has('ksm') ? ['before/KSM'] : []),
      ]),
      row('first complete sync (s)', sec(m.syncMs), 2),
      row('RSS after sync (MB)', m.rssAfterSyncMb),
      row('  of it anonymous (MB)', m.anonAfterSyncMb),
    ];
    for (const x of m.rows) {
      const pick = (k: keyof RowSummary) =>
        Object.fromEntries(Object.entries(x.programs).map(([p, s]) => [p, s[k]])) as PerProgram<number>;
      out.push(row(`scrape p50 (ms), ${x.label}`, pick('p50Ms')));
      out.push(row('  p99 (ms)', pick('p99Ms')));
      out.push(row('  CPU s during the row', pick('cpuS'), 2));
      out.push(row('  RSS after the row (MB)', pick('rssMb')));
      out.push(row('  of it anonymous (MB)', pick('anonMb')));
    }
    out.push(row('peak RSS (MB)', m.peakRssMb));
    if (r.ksmSkipped) out.push(`KSM skipped: ${r.ksmSkipped}`);
    return out;
  },
};
