// OTLP push: our own export loop around the SDK OTLP exporters, because the SDK's periodic reader neither
// retries gRPC failures nor tells whether the final export on shutdown was delivered. Each cycle collects the
// store (via StoreMetricProducer) plus SDK self-metrics, splits into requests below the receiver's message
// limit, and exports each with retry (exponential backoff + jitter) within a deadline. Nothing is dropped
// silently: a batch given up is logged with its point count and shows up in stats() and the outcome.
import { credentials as grpcCredentials, Metadata } from '@grpc/grpc-js';
import type { MetricsSource } from '@kso/metrics';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as HttpExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { defaultResource, type Resource } from '@opentelemetry/resources';
import {
  MeterProvider,
  type MetricData,
  type MetricProducer,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type Logger, pino } from 'pino';
import { PullReader } from './http-server.ts';
import { StoreMetricProducer } from './producer.ts';

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Budget for one export cycle (all batches, all attempts) during periodic pushes. */
  maxElapsedMs: number;
}

export interface OtlpPushOptions {
  protocol: 'grpc' | 'http';
  /** grpc: http://host:4317 (insecure) or https://host:4317 (TLS); http: base URL or full .../v1/metrics URL. */
  endpoint: string;
  headers?: Record<string, string>;
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; insecure?: boolean };
  compression?: 'gzip' | 'none';
  intervalMs: number;
  /** Per request attempt. */
  timeoutMs: number;
  /** Points per request (keeps requests under gRPC's usual 4 MiB). Default 20000. */
  maxBatchPoints?: number;
  /** Estimated uncompressed bytes per request. Default 3.5 MiB. */
  maxBatchBytes?: number;
  retry?: Partial<RetryOptions>;
  source: MetricsSource;
  extraProducers?: MetricProducer[];
  resource?: Resource;
  /**
   * Attributes every per-entity Resource carries too (`k8s.cluster.name`), for the entity-shaped semconv
   * output. Accepted here so callers compile; the OTLP encoder applies it.
   */
  entityAttributes?: Record<string, string>;
  /** Create a MeterProvider bound to the push reader for self-metrics (default true). */
  ownMeterProvider?: boolean;
  /** Start the periodic timer (default true). */
  autoStart?: boolean;
  logger?: Logger;
  /** Inject an exporter (tests/benchmarks); default builds the SDK OTLP exporter from protocol/endpoint. */
  exporter?: PushMetricExporter;
}

export interface ExportOutcome {
  delivered: boolean;
  points: number;
  /** Points that could not be delivered. */
  lostPoints: number;
  batches: number;
  attempts: number;
  lastError?: string;
  durationMs: number;
}

export interface OtlpPushStats {
  exports: number;
  failures: number;
  retries: number;
  lastSuccessMs: number;
  lastErrorMs: number;
  lastError: string | undefined;
  pointsSent: number;
  pointsLost: number;
}

export interface OtlpPush {
  /** The reader collecting store + producers (+ the app's SDK instruments when bound to a MeterProvider). */
  reader: PullReader;
  meterProvider: MeterProvider | undefined;
  start(): void;
  forceFlush(): Promise<ExportOutcome>;
  shutdown(opts?: { timeoutMs?: number }): Promise<ExportOutcome>;
  stats(): OtlpPushStats;
}

// gRPC codes worth retrying (OTLP spec): CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE.
const RETRYABLE_GRPC = new Set([1, 4, 8, 10, 14]);
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

export function isRetryable(err: unknown, protocol: 'grpc' | 'http'): boolean {
  const e = err as { code?: unknown; message?: string } | undefined;
  if (protocol === 'grpc') return typeof e?.code === 'number' && RETRYABLE_GRPC.has(e.code);
  if (typeof e?.code === 'number') return RETRYABLE_HTTP.has(e.code);
  // Network errors (ECONNREFUSED etc.) and timeouts from the HTTP transport.
  return /ECONN|EPIPE|ETIMEDOUT|socket|timeout|Request Timeout|network/i.test(e?.message ?? String(err));
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code !== undefined ? `${err.message} (code ${String(code)})` : err.message;
  }
  return String(err);
}

function pointsOf(m: MetricData): number {
  return m.dataPoints.length;
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
 * Splits one ResourceMetrics into several with at most maxPoints points and about maxBytes each, splitting
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

export function countPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += pointsOf(m);
  return n;
}

function buildExporter(o: OtlpPushOptions): PushMetricExporter {
  const compression = (o.compression ?? 'none') as never;
  if (o.protocol === 'grpc') {
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(o.headers ?? {})) metadata.set(k, v);
    const tls = o.tls;
    const secure = o.endpoint.startsWith('https://') || (tls !== undefined && !tls.insecure);
    const toBuf = (x: string | Buffer | undefined) =>
      x === undefined ? null : Buffer.isBuffer(x) ? x : Buffer.from(x);
    const credentials = secure
      ? grpcCredentials.createSsl(toBuf(tls?.ca), toBuf(tls?.key), toBuf(tls?.cert))
      : grpcCredentials.createInsecure();
    return new GrpcExporter({ url: o.endpoint, metadata, credentials, compression, timeoutMillis: o.timeoutMs });
  }
  const url = /\/v1\/metrics\/?$/.test(o.endpoint) ? o.endpoint : `${o.endpoint.replace(/\/$/, '')}/v1/metrics`;
  return new HttpExporter({ url, headers: o.headers ?? {}, compression, timeoutMillis: o.timeoutMs });
}

export function createOtlpPush(o: OtlpPushOptions): OtlpPush {
  const logger = o.logger ?? pino({ level: 'silent' });
  const retry: RetryOptions = {
    initialMs: 500,
    maxMs: 5_000,
    maxElapsedMs: Math.max(o.intervalMs, o.timeoutMs),
    ...o.retry,
  };
  const maxPoints = o.maxBatchPoints ?? 20_000;
  const maxBytes = o.maxBatchBytes ?? 3.5 * 1024 * 1024;
  const resource = o.resource ?? defaultResource();
  const producer = new StoreMetricProducer({ source: o.source, emptyFamilies: false });
  const reader = new PullReader({ metricProducers: [producer, ...(o.extraProducers ?? [])] });
  const meterProvider = o.ownMeterProvider === false ? undefined : new MeterProvider({ resource, readers: [reader] });
  const exporter = o.exporter ?? buildExporter(o);
  const st: OtlpPushStats = {
    exports: 0,
    failures: 0,
    retries: 0,
    lastSuccessMs: 0,
    lastErrorMs: 0,
    lastError: undefined,
    pointsSent: 0,
    pointsLost: 0,
  };
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<ExportOutcome> | undefined;
  let stopped = false;
  const abort = new AbortController();

  const sleep = (ms: number, abortable: boolean) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      if (!abortable) return;
      abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });

  const exportOnce = (batch: ResourceMetrics) =>
    new Promise<ExportResult>((resolve) => {
      try {
        exporter.export(batch, resolve);
      } catch (err) {
        resolve({ code: ExportResultCode.FAILED, error: err as Error });
      }
    });

  const collect = async (): Promise<ResourceMetrics> => {
    try {
      if (reader.bound) return (await reader.collect()).resourceMetrics;
    } catch (err) {
      logger.warn({ err: errorText(err) }, 'reader collect failed; exporting store only');
    }
    const parts = await Promise.all([producer, ...(o.extraProducers ?? [])].map((p) => p.collect()));
    return { resource, scopeMetrics: parts.flatMap((p) => p.resourceMetrics.scopeMetrics) };
  };

  const cycle = async (deadline: number, ignoreAbort = false): Promise<ExportOutcome> => {
    const t0 = Date.now();
    const rm = await collect();
    const batches = splitResourceMetrics(rm, maxPoints, maxBytes);
    const outcome: ExportOutcome = {
      delivered: true,
      points: 0,
      lostPoints: 0,
      batches: batches.length,
      attempts: 0,
      durationMs: 0,
    };
    for (const batch of batches) {
      const n = countPoints(batch);
      outcome.points += n;
      let backoff = retry.initialMs;
      for (;;) {
        outcome.attempts++;
        st.exports++;
        const res = await exportOnce(batch);
        if (res.code === ExportResultCode.SUCCESS) {
          st.pointsSent += n;
          st.lastSuccessMs = Date.now();
          break;
        }
        const msg = errorText(res.error);
        st.failures++;
        st.lastError = msg;
        st.lastErrorMs = Date.now();
        outcome.lastError = msg;
        const wait = Math.min(backoff, retry.maxMs) * (0.8 + Math.random() * 0.4);
        const retryable = isRetryable(res.error, o.protocol);
        if (!retryable || Date.now() + wait >= deadline || (abort.signal.aborted && !ignoreAbort)) {
          outcome.delivered = false;
          outcome.lostPoints += n;
          st.pointsLost += n;
          logger.error(
            { err: msg, points: n, attempts: outcome.attempts, retryable },
            'OTLP export failed; batch dropped',
          );
          break;
        }
        st.retries++;
        logger.warn({ err: msg, waitMs: Math.round(wait) }, 'OTLP export failed; retrying');
        await sleep(wait, !ignoreAbort);
        backoff *= 2;
      }
    }
    outcome.durationMs = Date.now() - t0;
    return outcome;
  };

  const run = (deadline: number, ignoreAbort = false): Promise<ExportOutcome> => {
    const p = cycle(deadline, ignoreAbort).finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    inFlight = p;
    return p;
  };

  const tick = () => {
    if (stopped) return;
    if (inFlight) {
      logger.warn('previous OTLP export still running; skipping this interval');
    } else {
      run(Date.now() + retry.maxElapsedMs).catch((err: unknown) =>
        logger.error({ err: errorText(err) }, 'OTLP export cycle failed'),
      );
    }
    timer = setTimeout(tick, o.intervalMs);
    timer.unref();
  };

  const api: OtlpPush = {
    reader,
    meterProvider,
    start() {
      if (timer || stopped) return;
      timer = setTimeout(tick, o.intervalMs);
      timer.unref();
    },
    async forceFlush() {
      if (inFlight) await inFlight.catch(() => undefined);
      return run(Date.now() + retry.maxElapsedMs);
    },
    async shutdown(opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const deadline = Date.now() + timeoutMs;
      stopped = true;
      if (timer) clearTimeout(timer);
      // Cut the running cycle's retry sleeps short: the final export supersedes it.
      abort.abort();
      if (inFlight) await inFlight.catch(() => undefined);
      let outcome: ExportOutcome;
      try {
        outcome = await run(deadline, true);
      } catch (err) {
        outcome = {
          delivered: false,
          points: 0,
          lostPoints: 0,
          batches: 0,
          attempts: 0,
          lastError: errorText(err),
          durationMs: 0,
        };
      }
      await exporter.shutdown().catch(() => undefined);
      if (meterProvider) await meterProvider.shutdown().catch(() => undefined);
      (outcome.delivered ? logger.info : logger.error).call(logger, { ...outcome }, 'final OTLP export');
      return outcome;
    },
    stats: () => ({ ...st }),
  };
  if (o.autoStart !== false) api.start();
  return api;
}
