// Child process of run.ts: lists the kube-sim cluster into a MetricsStore (the same objects kso sees) and measures
// the naive SDK path (observable instruments + stock PrometheusExporter), the in-process fast bridge and OTLP
// collection + encoding over it. A separate process so the SDK's heap neither skews nor kills the main bench,
// and so its peak RSS is its own. Input: one JSON argument; output: one JSON line on stdout.
import { measureFastBridge, measureOtlp, measureSdkBaseline, objectsBenchSource } from '@kso/exporters/bench/scrape';
import { procUsage } from './proc.ts';
import { round } from './stats.ts';

interface ChildInput {
  url: string;
  sdkIterations: number;
  otlpIterations: number;
  bridgeIterations: number;
  skipSdk: boolean;
}

const input = JSON.parse(process.argv[2] ?? '{}') as ChildInput;
const log = (s: string) => process.stderr.write(`  [sdk-child] ${s}\n`);
const mem = () => round(procUsage(process.pid).rssMb, 1);

async function listAll(path: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let cont = '';
  do {
    const r = await fetch(`${input.url}${path}?limit=5000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    if (!r.ok) throw new Error(`list ${path}: HTTP ${r.status}`);
    const body = (await r.json()) as { items: unknown[]; metadata: { continue?: string } };
    items.push(...body.items);
    cont = body.metadata.continue ?? '';
  } while (cont);
  return items;
}

const t0 = performance.now();
const objects = {
  jobs: await listAll('/apis/batch/v1/jobs'),
  pods: await listAll('/api/v1/pods'),
  cronjobs: await listAll('/apis/batch/v1/cronjobs'),
};
const b = objectsBenchSource(objects);
const buildMs = round(performance.now() - t0, 0);
let series = 0;
for (const res of b.source.resources())
  for (const o of b.source.entries(res)) for (const f of o.families) series += f.length;
const rssAfterBuildMb = mem();
log(`store built from ${objects.pods.length} pods in ${buildMs} ms: ${series} series, RSS ${rssAfterBuildMb} MB`);

const bridge = await measureFastBridge(b, input.bridgeIterations);
log(`in-process fast bridge: changed p50 ${bridge.changed.p50Ms} ms. OTLP collect + encode...`);
const otlp = await measureOtlp(b.source, input.otlpIterations);
log(`OTLP collect p50 ${otlp.collect.p50Ms} ms, split+encode p50 ${otlp.splitAndEncode.p50Ms} ms`);
const peakBeforeSdkMb = round(procUsage(process.pid).peakRssMb, 1);

let sdk: Awaited<ReturnType<typeof measureSdkBaseline>> | undefined;
let sdkError: string | undefined;
let sdkMs = 0;
if (!input.skipSdk) {
  log(`SDK baseline: ${input.sdkIterations} scrape(s) of observables + PrometheusExporter (slow)...`);
  const t = performance.now();
  try {
    sdk = await measureSdkBaseline(b.source, input.sdkIterations);
    log(`SDK baseline p50 ${sdk.p50Ms} ms`);
  } catch (err) {
    sdkError = err instanceof Error ? err.message : String(err);
    log(`SDK baseline failed: ${sdkError}`);
  }
  sdkMs = round(performance.now() - t, 0);
}

const out = {
  pods: objects.pods.length,
  series,
  buildMs,
  rssAfterBuildMb,
  bridge: { changed: bridge.changed, unchanged: bridge.unchanged, renderOnly: bridge.renderOnlyChanged },
  otlp,
  peakBeforeSdkMb,
  ...(sdk ? { sdk } : {}),
  ...(sdkError ? { sdkError } : {}),
  sdkWallMs: sdkMs,
  peakRssMb: round(procUsage(process.pid).peakRssMb, 1),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
