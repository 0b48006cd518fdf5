import type { LatencyStats } from '@kso/exporters/bench/scrape';
import type { KubeSim } from '@kso/kube-sim';
import type { Extra } from './extras.ts';
import type { PodRef, TargetResult } from './measure.ts';
import type { OtlpSection } from './otlp.ts';

/** What test/bench/sdk-child.ts prints (plus run.ts's note when the sample count was capped). */
export interface SdkResult {
  pods: number;
  series: number;
  buildMs: number;
  rssAfterBuildMb: number;
  bridge: { changed: LatencyStats; unchanged: LatencyStats; renderOnly: LatencyStats };
  otlp: {
    collect: LatencyStats;
    splitAndEncode: LatencyStats;
    batches: number;
  };
  peakBeforeSdkMb: number;
  sdk?: LatencyStats;
  sdkError?: string;
  sdkWallMs: number;
  peakRssMb: number;
  sdkCapped?: boolean;
}

export interface Verdict {
  name: string;
  verdict: 'PASS' | 'FAIL' | 'n/a';
  value: string;
}

export interface SizeResult {
  pods: number;
  jobs: number;
  cronjobs: number;
  churnPerSecond: number;
  sim: { loadMs: number };
  kso?: TargetResult | { error: string };
  ksm?: TargetResult | { skipped: string } | { error: string };
  sdk?: SdkResult | { skipped: string } | { error: string };
  /** Results of the per-size sections (SIZE_SECTIONS in sections.ts), by section name. */
  sections: Record<string, unknown>;
  targets: Verdict[];
}

/** What a per-size section gets: the running kube-sim cluster (churning) and the run's options. */
export interface SizeContext {
  sim: KubeSim;
  kubeconfig: string;
  pods: number;
  jobs: number;
  cronjobs: number;
  podRefs: PodRef[];
  churnPerSecond: number;
  syncTimeoutMs: number;
  quick: boolean;
  /** --runs: repetitions for sections that report medians over runs. */
  runs: number;
  /** --interval-scrapes: scrapes per interval row (default per row). */
  intervalScrapes?: number;
  /** --kso-baseline: another checkout of this repository whose kso runs alongside (before/after column). */
  ksoBaseline?: string;
  log: (s: string) => void;
}

/**
 * One part of the bench run once per cluster size: `npm run bench -- --only <name>` selects it, its result lands
 * in SizeResult.sections[name] and its rows in the table. Adding a section = one entry in SIZE_SECTIONS.
 */
export interface SizeSection<R> {
  name: string;
  run(ctx: SizeContext): Promise<R>;
  format(r: R): string[];
}

export interface BenchReport {
  startedAt: string;
  wallMs: number;
  quick: boolean;
  options: Record<string, unknown>;
  host: { node: string; cpus: number; memMb: number; loadStart: number[]; loadEnd: number[] };
  sizes: SizeResult[];
  sidecar?: Extra;
  reshard?: Extra;
  otlp?: OtlpSection;
  notes: string[];
}
