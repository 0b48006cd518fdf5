// The readable form of a bench run (stdout / README); the JSON file holds everything.
import type { TargetResult } from './measure.ts';
import { SIZE_SECTIONS } from './sections.ts';
import type { BenchReport, SdkResult, SizeResult } from './types.ts';

/**
 * What the main size's churn is (run.ts startChurn, through the API server): the `otlp` section runs its own
 * cluster with kube-sim's scale churn instead (creations and deletions too, otlp.ts).
 */
export const CHURN_WRITES = 'pod status writes/s (container restart-count bumps)';

const W = [35, 10, 10, 9, 13];

function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  return x >= 1000 ? x.toFixed(0) : x.toFixed(digits);
}

function line(cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(W[0]!) : c.padStart(W[i] ?? 10))).join(' ');
}

function isResult(x: unknown): x is TargetResult {
  return typeof x === 'object' && x !== null && 'syncMs' in x;
}

function sdkOf(s: SizeResult): SdkResult | undefined {
  return s.sdk && 'pods' in s.sdk ? s.sdk : undefined;
}

export function formatSize(s: SizeResult): string {
  const kso = isResult(s.kso) ? s.kso : undefined;
  const ksm = isResult(s.ksm) ? s.ksm : undefined;
  const sdk = sdkOf(s);
  const row = (label: string, get: (t: TargetResult) => number | undefined, sdkVal?: number, digits = 1) => {
    const a = kso ? get(kso) : undefined;
    const b = ksm ? get(ksm) : undefined;
    const ratio = a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '—';
    return line([label, fmt(a, digits), fmt(b, digits), ratio, fmt(sdkVal, digits)]);
  };
  const head = [
    `== ${s.pods} pods, ${s.jobs} jobs, ${s.cronjobs} cronjobs (kube-sim scale), churn ${s.churnPerSecond} ${CHURN_WRITES}` +
      (kso ? ` — ${kso.series} series, ${kso.bodyMiB} MiB per scrape` : ''),
    line(['', 'kso', 'KSM', 'kso/KSM', 'SDK baseline']),
  ];
  const rows = [
    row('first complete sync (s)', (t) => t.syncMs / 1000, undefined, 2),
    row('  kso /readyz (s)', (t) => (t.readyMs !== undefined ? t.readyMs / 1000 : undefined), undefined, 2),
    row('scrape p50 (ms)', (t) => t.scrape.p50Ms, sdk?.sdk?.p50Ms),
    row('scrape p99 (ms)', (t) => t.scrape.p99Ms, sdk?.sdk?.p99Ms),
    row('scrape gzip p50 (ms)', (t) => t.scrapeGzip.p50Ms),
    row('scrape gzip p99 (ms)', (t) => t.scrapeGzip.p99Ms),
    row('gzip body (MiB)', (t) => t.scrapeGzip.bytes / 1048576, undefined, 2),
    row('event→metric p50 (ms)', (t) => t.events.p50Ms),
    row('event→metric p99 (ms)', (t) => t.events.p99Ms),
    row('  first scrape already had it (%)', (t) => t.events.firstScrapeHitPercent, undefined, 0),
    row('CPU seconds to sync', (t) => t.atSync.cpuS, undefined, 2),
    row('CPU seconds, whole phase', (t) => t.end.cpuS, undefined, 2),
    row('CPU % of a core, churn only', (t) => t.idleCpuPercent),
    row('RSS after sync (MB)', (t) => t.atSync.rssMb),
    row('RSS end of phase (MB)', (t) => t.end.rssMb),
    row('RSS per 1k pods (MB)', (t) => t.rssPer1kPodsMb, undefined, 2),
    row('  peak after sync (MB)', (t) => t.atSync.peakRssMb),
    row('  peak after identity scrapes (MB)', (t) => t.peakRssMbAfter.scrapes),
    row('  peak after gzip scrapes (MB)', (t) => t.peakRssMbAfter.gzipScrapes),
    row('peak RSS, whole phase (MB)', (t) => t.end.peakRssMb, sdk?.sdk ? sdk.peakRssMb : undefined),
  ];
  const extra: string[] = [];
  if (sdk) {
    extra.push(
      `OTLP (in-process, same objects): collect p50 ${fmt(sdk.otlp.collect.p50Ms)} ms, split (${sdk.otlp.batches} batches) + protobuf encode p50 ${fmt(sdk.otlp.splitAndEncode.p50Ms)} ms, ${(sdk.otlp.splitAndEncode.bytes / 1048576).toFixed(1)} MiB`,
      `in-process fast bridge on the same store: p50 ${fmt(sdk.bridge.changed.p50Ms)} ms (store changed each scrape), render only ${fmt(sdk.bridge.renderOnly.p50Ms)} ms`,
    );
    if (sdk.sdk) {
      extra.push(
        `SDK baseline: ${sdk.sdk.n} sample(s)${sdk.sdkCapped ? ` (capped at ${sdk.sdk.n}: one scrape takes ~${fmt(sdk.sdk.p50Ms / 1000)} s)` : ''}; peak RSS ${fmt(sdk.peakRssMb)} MB is the whole baseline process (store + SDK)`,
      );
    } else if (sdk.sdkError) extra.push(`SDK baseline failed: ${sdk.sdkError}`);
  } else if (s.sdk && 'skipped' in s.sdk) extra.push(`SDK baseline / OTLP: ${s.sdk.skipped}`);
  else if (s.sdk && 'error' in s.sdk) extra.push(`SDK baseline / OTLP failed: ${s.sdk.error}`);
  if (s.kso && 'error' in s.kso) extra.push(`kso failed: ${s.kso.error.split('\n').slice(0, 4).join(' | ')}`);
  if (s.ksm && 'skipped' in s.ksm) extra.push(`KSM column skipped: ${s.ksm.skipped}`);
  if (s.ksm && 'error' in s.ksm) extra.push(`KSM failed: ${s.ksm.error}`);
  for (const section of SIZE_SECTIONS) {
    const r = s.sections?.[section.name];
    if (r === undefined) continue;
    if (typeof r === 'object' && r !== null && 'error' in r) extra.push(`${section.name} failed: ${String(r.error)}`);
    else extra.push('', ...section.format(r));
  }
  extra.push(`targets: ${s.targets.map((t) => `${t.name}: ${t.verdict} (${t.value})`).join('; ')}`);
  // Sequential phases not selected (e.g. --only intervals): their table would be all dashes.
  const sequential = kso || ksm || sdk || s.kso || s.ksm ? [...head, ...rows] : [head[0] as string];
  return [...sequential, ...extra].join('\n');
}

export function formatReport(r: BenchReport): string {
  const out = [
    `kube-state-otel bench ${r.startedAt} — Node ${r.host.node}, ${r.host.cpus} CPUs, load avg ${r.host.loadStart.join(' ')} → ${r.host.loadEnd.join(' ')}, wall ${(r.wallMs / 1000).toFixed(0)} s${r.quick ? ' (--quick)' : ''}`,
    'kso and KSM run as separate processes, one after the other, against the same kube-sim cluster; scrapes by curl (keep-alive).',
  ];
  for (const s of r.sizes) out.push('', formatSize(s));
  if (r.sidecar) out.push('', formatExtra('sidecar startup', r.sidecar));
  if (r.reshard) out.push('', formatExtra('reshard', r.reshard));
  if (r.otlp) out.push('', r.otlp.table);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

function formatExtra(name: string, e: { skipped: string } | { result: Record<string, unknown> }): string {
  if ('skipped' in e) return `${name}: skipped — ${e.skipped}`;
  return `${name}: ${flatten(e.result).join(', ')}`;
}

/** Scalar leaves as "a.b value"; arrays (raw samples) are left to the JSON file. */
function flatten(o: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out.push(`${prefix}${k} ${v}`);
    else if (v && typeof v === 'object' && !Array.isArray(v) && k !== 'samples') {
      out.push(...flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    }
  }
  return out;
}
