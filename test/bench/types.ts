import type { LatencyStats } from '../../packages/exporters/bench/scrape.ts';
import type { Extra } from './extras.ts';
import type { TargetResult } from './measure.ts';
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
  targets: Verdict[];
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
