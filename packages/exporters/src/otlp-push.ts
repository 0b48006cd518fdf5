// OTLP push: kso's own export loop, wired from small parts. Each cycle stamps the per-object encoded store
// (StoreEncoder), adds the SDK self-metrics and extra producers (hand-encoded), cuts requests below the
// receiver's message limit and hands them to the retrying exporter (otlp-retry.ts) over our own gRPC/HTTP
// transport. While the endpoint is down the outage tracker (otlp-outage.ts) only probes: nothing is collected
// or encoded, and one line is logged per outage.
import type { FamilyDescriptor, MetricsSource, ObjectMetrics } from '@kso/metrics';
import { defaultResource, type Resource } from '@opentelemetry/resources';
import { MeterProvider, type MetricData, type MetricProducer, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type Logger, pino } from 'pino';
import { emptyStats, type OtlpPushStats, OutageTracker } from './otlp-outage.ts';
import { ProtoWriter, writeSdkResourceMetrics } from './otlp-proto.ts';
import { type ExporterDeps, type ExportOutcome, exportRequests, type RetryOptions } from './otlp-retry.ts';
import { type BatchLimits, StoreEncoder } from './otlp-store.ts';
import {
  type Compression,
  createTransport,
  isRetryableCode,
  type OtlpTransport,
  type TlsOptions,
} from './otlp-transport.ts';
import { scopeFor } from './producer.ts';
import { PullReader } from './pull-reader.ts';

export type { ExportOutcome, OtlpPushStats, RetryOptions };

export interface OtlpPushOptions {
  protocol: 'grpc' | 'http';
  /**
   * grpc: http://host:4317 (plaintext), https://host:4317 (TLS) or host:4317 (TLS unless tls.insecure);
   * http: http(s)://host:4318 (`/v1/metrics` appended) or a URL with a path, used as is (httpMetricsUrl).
   */
  endpoint: string;
  headers?: Record<string, string>;
  /** ca: trusted roots; cert+key: client certificate (mTLS); insecure: skip verification (https) / plaintext (bare grpc host). */
  tls?: TlsOptions;
  compression?: Compression;
  intervalMs: number;
  /** Per request attempt. */
  timeoutMs: number;
  /** Points per request. Default 50000. */
  maxBatchPoints?: number;
  /** Uncompressed bytes per request (keeps requests under gRPC's usual 4 MiB). Default 3.5 MiB. */
  maxBatchBytes?: number;
  retry?: Partial<RetryOptions>;
  source: MetricsSource;
  extraProducers?: MetricProducer[];
  /** kso's own resource (self-metrics; the ksm schema's store data). Default: the MeterProvider's, else SDK default. */
  resource?: Resource;
  /**
   * Added to every entity Resource of the semconv schema. Default: the cluster attributes of kso's own resource
   * (k8s.cluster.name / k8s.cluster.uid, e.g. from OTEL_RESOURCE_ATTRIBUTES), since every entity lives in it.
   */
  entityAttributes?: Record<string, string>;
  /** Create a MeterProvider bound to the push reader for self-metrics (default true). */
  ownMeterProvider?: boolean;
  /** Start the periodic timer (default true). */
  autoStart?: boolean;
  logger?: Logger;
  /** Inject a transport (tests/benchmarks); default: gRPC or HTTP from protocol/endpoint/tls/headers. */
  transport?: OtlpTransport;
}

export interface OtlpPush {
  /** The reader collecting the app's SDK instruments (self-metrics) when bound to a MeterProvider. */
  reader: PullReader;
  meterProvider: MeterProvider | undefined;
  start(): void;
  forceFlush(): Promise<ExportOutcome>;
  /**
   * Encodes a changed object ahead of the next push while its points are at hand (StoreEncoder.preencode):
   * wire it to the Prometheus bridge's StoreRenderer.onRender. Does nothing while the endpoint is down.
   */
  preencode(obj: ObjectMetrics, fams: readonly FamilyDescriptor[]): void;
  shutdown(opts?: { timeoutMs?: number }): Promise<ExportOutcome>;
  stats(): OtlpPushStats;
}

/** Whether an exporter error is worth retrying (OTLP spec codes; network errors and timeouts for HTTP). */
export function isRetryable(err: unknown, protocol: 'grpc' | 'http'): boolean {
  const e = err as { code?: unknown; message?: string } | undefined;
  if (typeof e?.code === 'number') return isRetryableCode(protocol, e.code);
  if (protocol === 'grpc') return false;
  return /ECONN|EPIPE|ETIMEDOUT|socket|timeout|Request Timeout|network/i.test(e?.message ?? String(err));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function pointsOf(m: MetricData): number {
  return m.dataPoints.length;
}

export function countPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += pointsOf(m);
  return n;
}

/** Rough OTLP size of one number data point: framing + timestamps + value + attributes. */
function estimatePointBytes(attrs: Record<string, unknown>): number {
  let n = 30;
  for (const k in attrs) {
    const v = attrs[k];
    n += 12 + k.length + (typeof v === 'string' ? v.length : 8);
  }
  return n;
}

/**
 * Splits one SDK ResourceMetrics into several with at most maxPoints points and about maxBytes each, splitting
 * inside a metric when needed (each part keeps the descriptor). Metrics without points are dropped.
 */
export function splitResourceMetrics(
  rm: ResourceMetrics,
  maxPoints: number,
  maxBytes = Number.POSITIVE_INFINITY,
): ResourceMetrics[] {
  const out: ResourceMetrics[] = [];
  let cur: ResourceMetrics | undefined;
  let curPoints = 0;
  let curBytes = 0;
  const flush = () => {
    if (cur && curPoints > 0) out.push(cur);
    cur = undefined;
    curPoints = 0;
    curBytes = 0;
  };
  for (const sm of rm.scopeMetrics) {
    let scopeSlot: { scope: typeof sm.scope; metrics: MetricData[] } | undefined;
    for (const m of sm.metrics) {
      const dps = m.dataPoints as MetricData['dataPoints'];
      let i = 0;
      while (i < dps.length) {
        if (!cur) {
          cur = { resource: rm.resource, scopeMetrics: [] };
          scopeSlot = undefined;
        }
        if (!scopeSlot || cur.scopeMetrics[cur.scopeMetrics.length - 1] !== scopeSlot) {
          scopeSlot = { scope: sm.scope, metrics: [] };
          cur.scopeMetrics.push(scopeSlot);
        }
        const start = i;
        while (i < dps.length && curPoints < maxPoints && (curBytes < maxBytes || i === start)) {
          curBytes += estimatePointBytes((dps[i] as { attributes: Record<string, unknown> }).attributes);
          curPoints++;
          i++;
        }
        if (i > start) {
          const part = start === 0 && i === dps.length ? m : ({ ...m, dataPoints: dps.slice(start, i) } as MetricData);
          scopeSlot.metrics.push(part);
        }
        if (curPoints >= maxPoints || curBytes >= maxBytes) flush();
      }
    }
  }
  flush();
  return out;
}

const CLUSTER_KEYS = ['k8s.cluster.name', 'k8s.cluster.uid'];
function clusterOf(attrs: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of CLUSTER_KEYS) if (typeof attrs[k] === 'string' && attrs[k] !== '') out[k] = attrs[k] as string;
  return out;
}

/** kso's own ResourceMetrics: SDK self-metrics plus extra producers, under the app resource. */
async function collectOwn(
  reader: PullReader,
  producers: readonly MetricProducer[],
  fallback: () => Resource,
): Promise<{ rm: ResourceMetrics; errors: string[] }> {
  const errors: string[] = [];
  let rm: ResourceMetrics | undefined;
  if (reader.bound) {
    try {
      rm = (await reader.collect()).resourceMetrics;
    } catch (err) {
      errors.push(`self-metrics: ${errorText(err)}`);
    }
  }
  const scopeMetrics = [...(rm?.scopeMetrics ?? [])];
  for (const p of producers) {
    try {
      scopeMetrics.push(...(await p.collect()).resourceMetrics.scopeMetrics);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  return { rm: { resource: rm?.resource ?? fallback(), scopeMetrics }, errors };
}

/** One push's data: the store's planned requests with kso's own metrics in the first. */
interface Collector {
  collect(): Promise<ReturnType<StoreEncoder['plan']>>;
  readonly encoder: StoreEncoder;
}

function createCollector(o: OtlpPushOptions, reader: PullReader, logger: Logger): Collector {
  const limits: BatchLimits = { maxPoints: o.maxBatchPoints ?? 50_000, maxBytes: o.maxBatchBytes ?? 3.5 * 1024 * 1024 };
  const scope = scopeFor(o.source.schema);
  const encoder = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
  return {
    encoder,
    async collect() {
      const own = await collectOwn(reader, o.extraProducers ?? [], () => o.resource ?? defaultResource());
      for (const e of own.errors) logger.warn({ err: e }, 'metric producer failed; exporting the rest');
      const w = new ProtoWriter(4096);
      const points = writeSdkResourceMetrics(w, own.rm);
      const selfRm = points > 0 ? { bytes: w.finish(), points } : undefined;
      const ownAttrs = own.rm.resource.attributes;
      const entity = o.entityAttributes ?? clusterOf(ownAttrs);
      return encoder.plan(o.source, Date.now(), limits, selfRm, ownAttrs, entity);
    },
  };
}

function emptyOutcome(): ExportOutcome {
  return { delivered: true, points: 0, lostPoints: 0, batches: 0, attempts: 0, durationMs: 0 };
}

export function createOtlpPush(o: OtlpPushOptions): OtlpPush {
  const logger = o.logger ?? pino({ level: 'silent' });
  const retry: RetryOptions = {
    initialMs: 500,
    maxMs: 5_000,
    maxElapsedMs: Math.max(o.intervalMs, o.timeoutMs),
    ...o.retry,
  };
  const reader = new PullReader();
  const meterProvider =
    o.ownMeterProvider === false
      ? undefined
      : new MeterProvider({ resource: o.resource ?? defaultResource(), readers: [reader] });
  const transport = o.transport ?? createTransport(o);
  const st = emptyStats();
  const outage = new OutageTracker(st, logger, o.endpoint);
  const abort = new AbortController();
  const exporter: ExporterDeps = { transport, retry, timeoutMs: o.timeoutMs, st, outage, logger, abort: abort.signal };
  const collector = createCollector(o, reader, logger);

  /** One push: probe while down (skip if still down), else collect, encode and export. */
  const cycle = async (deadline: number, final = false): Promise<ExportOutcome> => {
    const t0 = Date.now();
    const outcome = emptyOutcome();
    if (outage.down && !final) {
      const p = await outage.probe(transport, Math.min(o.timeoutMs, Math.max(1, deadline - Date.now())));
      if (!p.up)
        return { ...outcome, delivered: false, skipped: true, durationMs: Date.now() - t0, lastError: p.error };
    }
    await exportRequests(exporter, { deadline, final }, await collector.collect(), outcome);
    outcome.durationMs = Date.now() - t0;
    return outcome;
  };
  const loop = createLoop(o.intervalMs, retry.maxElapsedMs, cycle, outage, logger);

  const api: OtlpPush = {
    reader,
    meterProvider,
    start: loop.start,
    forceFlush: loop.flush,
    preencode(obj, fams) {
      // Nothing is encoded for a push that cannot be sent (the outage probe's rule).
      if (!outage.down) collector.encoder.preencode(obj, fams);
    },
    async shutdown(opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
      // Cut the running cycle's retry sleeps short: the final export supersedes it.
      abort.abort();
      const outcome = await loop.stop(deadline);
      transport.close();
      if (meterProvider) await meterProvider.shutdown().catch(() => undefined);
      (outcome.delivered ? logger.info : logger.error).call(logger, { ...outcome }, 'final OTLP export');
      return outcome;
    },
    stats: () => ({ ...st }),
  };
  if (o.autoStart !== false) api.start();
  return api;
}

/**
 * The periodic timer and the one-push-at-a-time rule: a tick while a push is still running (a slow Collector)
 * is skipped, since that push owns the only request in memory; the final export waits for it.
 */
function createLoop(
  intervalMs: number,
  budgetMs: number,
  cycle: (deadline: number, final?: boolean) => Promise<ExportOutcome>,
  outage: OutageTracker,
  logger: Logger,
) {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<ExportOutcome> | undefined;
  let stopped = false;
  const run = (deadline: number, final = false): Promise<ExportOutcome> => {
    const p = cycle(deadline, final).finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    inFlight = p;
    return p;
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  const tick = () => {
    if (stopped) return;
    if (inFlight) {
      outage.skipped();
      logger.debug('previous OTLP push still running; skipping this interval');
    } else
      run(Date.now() + budgetMs).catch((err: unknown) =>
        logger.error({ err: errorText(err) }, 'OTLP export cycle failed'),
      );
    schedule();
  };
  return {
    start() {
      if (!timer && !stopped) schedule();
    },
    async flush(): Promise<ExportOutcome> {
      if (inFlight) await inFlight.catch(() => undefined);
      return run(Date.now() + budgetMs);
    },
    /** Stops the timer, waits for a running push, then runs the final export within `deadline`. */
    async stop(deadline: number): Promise<ExportOutcome> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (inFlight) await inFlight.catch(() => undefined);
      try {
        return await run(deadline, true);
      } catch (err) {
        return { ...emptyOutcome(), delivered: false, lastError: errorText(err) };
      }
    },
  };
}
