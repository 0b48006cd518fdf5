// OTLP push: kso's own export loop. Each cycle stamps the per-object encoded store (StoreEncoder), adds the
// SDK self-metrics and extra producers (hand-encoded), cuts requests below the receiver's message limit and
// sends them one at a time (only one request body in memory) over our own gRPC/HTTP transport, with retry
// (exponential backoff + jitter) within a deadline.
//
// Outages: when the endpoint stops answering, ONE error line is logged and the push goes quiet; each later
// interval sends an empty request as a probe and collects/encodes nothing until the probe succeeds, so a
// Collector that is down or hung for minutes costs neither CPU nor memory (no queue: what a skipped push would
// have carried is dropped and counted). The first answered probe logs one recovery line and pushes at once.
import type { MetricsSource, Schema } from '@kso/metrics';
import { defaultResource, type Resource } from '@opentelemetry/resources';
import { MeterProvider, type MetricData, type MetricProducer, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type Logger, pino } from 'pino';
import { ProtoWriter, writeSdkResourceMetrics } from './otlp-proto.ts';
import { StoreEncoder } from './otlp-store.ts';
import {
  type Compression,
  createTransport,
  isRetryableCode,
  type OtlpTransport,
  type TlsOptions,
} from './otlp-transport.ts';
import { scopeFor } from './producer.ts';
import { PullReader } from './pull-reader.ts';

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Budget for one export cycle (all batches, all attempts) during periodic pushes. */
  maxElapsedMs: number;
}

export interface OtlpPushOptions {
  protocol: 'grpc' | 'http';
  /**
   * grpc: http://host:4317 (plaintext), https://host:4317 (TLS) or host:4317 (TLS unless tls.insecure);
   * http: base URL or full .../v1/metrics URL.
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

export interface ExportOutcome {
  delivered: boolean;
  points: number;
  /** Points that could not be delivered. */
  lostPoints: number;
  batches: number;
  attempts: number;
  /** The endpoint was known to be down and the probe failed: nothing was collected or encoded. */
  skipped?: boolean;
  lastError?: string;
  durationMs: number;
}

export interface OtlpPushStats {
  /** Export requests sent (attempts, probes excluded). */
  exports: number;
  failures: number;
  retries: number;
  lastSuccessMs: number;
  lastErrorMs: number;
  lastError: string | undefined;
  pointsSent: number;
  pointsLost: number;
  /** Pushes not collected/encoded because the endpoint was down (or the previous push still running). */
  pushesSkipped: number;
  /** Times the endpoint went from reachable to unreachable. */
  outages: number;
  /** The endpoint is currently considered down. */
  down: boolean;
}

export interface OtlpPush {
  /** The reader collecting the app's SDK instruments (self-metrics) when bound to a MeterProvider. */
  reader: PullReader;
  meterProvider: MeterProvider | undefined;
  start(): void;
  forceFlush(): Promise<ExportOutcome>;
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

/** An ExportMetricsServiceRequest without data: the probe while the endpoint is down. */
const EMPTY_REQUEST = Buffer.alloc(0);

export function createOtlpPush(o: OtlpPushOptions): OtlpPush {
  const logger = o.logger ?? pino({ level: 'silent' });
  const retry: RetryOptions = {
    initialMs: 500,
    maxMs: 5_000,
    maxElapsedMs: Math.max(o.intervalMs, o.timeoutMs),
    ...o.retry,
  };
  const limits = { maxPoints: o.maxBatchPoints ?? 50_000, maxBytes: o.maxBatchBytes ?? 3.5 * 1024 * 1024 };
  const schema: Schema = o.source.schema;
  const scope = scopeFor(schema);
  const encoder = new StoreEncoder({ scope, ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) });
  const reader = new PullReader();
  const meterProvider =
    o.ownMeterProvider === false
      ? undefined
      : new MeterProvider({ resource: o.resource ?? defaultResource(), readers: [reader] });
  const transport = o.transport ?? createTransport(o);
  const st: OtlpPushStats = {
    exports: 0,
    failures: 0,
    retries: 0,
    lastSuccessMs: 0,
    lastErrorMs: 0,
    lastError: undefined,
    pointsSent: 0,
    pointsLost: 0,
    pushesSkipped: 0,
    outages: 0,
    down: false,
  };
  let outage: { sinceMs: number; skipped: number; lostPoints: number } | undefined;
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

  /** kso's own ResourceMetrics: SDK self-metrics plus extra producers, under the app resource. */
  const collectOwn = async (): Promise<{ rm: ResourceMetrics | undefined; errors: string[] }> => {
    const errors: string[] = [];
    let rm: ResourceMetrics | undefined;
    if (reader.bound) {
      try {
        rm = (await reader.collect()).resourceMetrics;
      } catch (err) {
        errors.push(`self-metrics: ${errorText(err)}`);
      }
    }
    const resource = rm?.resource ?? o.resource ?? defaultResource();
    const scopeMetrics = [...(rm?.scopeMetrics ?? [])];
    for (const p of o.extraProducers ?? []) {
      try {
        scopeMetrics.push(...(await p.collect()).resourceMetrics.scopeMetrics);
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    return { rm: { resource, scopeMetrics }, errors };
  };

  const markDown = (err: string, lostPoints: number) => {
    if (!st.down) {
      st.down = true;
      st.outages++;
      outage = { sinceMs: Date.now(), skipped: 0, lostPoints };
      logger.error(
        { err, endpoint: o.endpoint, lostPoints },
        'OTLP endpoint unreachable; pushes are skipped (nothing collected or encoded) until it answers again',
      );
    } else if (outage) outage.lostPoints += lostPoints;
  };
  const markUp = () => {
    if (!st.down) return;
    st.down = false;
    const o2 = outage;
    outage = undefined;
    logger.info(
      { outageMs: o2 ? Date.now() - o2.sinceMs : 0, skippedPushes: o2?.skipped ?? 0, lostPoints: o2?.lostPoints ?? 0 },
      'OTLP endpoint reachable again; pushing',
    );
  };

  const cycle = async (deadline: number, final = false): Promise<ExportOutcome> => {
    const t0 = Date.now();
    const outcome: ExportOutcome = {
      delivered: true,
      points: 0,
      lostPoints: 0,
      batches: 0,
      attempts: 0,
      durationMs: 0,
    };
    if (st.down && !final) {
      const probe = await transport.send(EMPTY_REQUEST, Math.min(o.timeoutMs, Math.max(1, deadline - Date.now())));
      if (!probe.ok && probe.unreachable) {
        st.pushesSkipped++;
        if (outage) outage.skipped++;
        st.lastError = probe.error;
        st.lastErrorMs = Date.now();
        logger.debug({ err: probe.error }, 'OTLP endpoint still unreachable; push skipped');
        return {
          ...outcome,
          delivered: false,
          skipped: true,
          durationMs: Date.now() - t0,
          lastError: probe.error ?? '',
        };
      }
      markUp();
    }
    const own = await collectOwn();
    for (const e of own.errors) logger.warn({ err: e }, 'metric producer failed; exporting the rest');
    let selfRm: { bytes: Buffer; points: number } | undefined;
    if (own.rm) {
      const w = new ProtoWriter(4096);
      const points = writeSdkResourceMetrics(w, own.rm);
      if (points > 0) selfRm = { bytes: w.finish(), points };
    }
    const ownAttrs = own.rm?.resource.attributes ?? {};
    const requests = encoder.plan(
      o.source,
      Date.now(),
      limits,
      selfRm,
      ownAttrs,
      o.entityAttributes ?? clusterOf(ownAttrs),
    );
    outcome.batches = requests.length;
    for (const r of requests) outcome.points += r.points;
    let rejected = 0;
    for (let i = 0; i < requests.length; i++) {
      const req = requests[i] as (typeof requests)[number];
      const body = req.parts();
      let backoff = retry.initialMs;
      let sent = false;
      let unreachable = false;
      for (;;) {
        outcome.attempts++;
        st.exports++;
        // The retry budget bounds retries, not an attempt (a slow but working Collector still gets timeoutMs);
        // only the final export on shutdown has a hard deadline.
        const res = await transport.send(
          body,
          final ? Math.max(1, Math.min(o.timeoutMs, deadline - Date.now())) : o.timeoutMs,
        );
        if (res.ok) {
          st.pointsSent += req.points;
          st.lastSuccessMs = Date.now();
          sent = true;
          break;
        }
        const msg = res.error ?? 'export failed';
        st.failures++;
        st.lastError = msg;
        st.lastErrorMs = Date.now();
        outcome.lastError = msg;
        unreachable = res.unreachable;
        const wait = Math.min(backoff, retry.maxMs) * (0.8 + Math.random() * 0.4);
        if (!res.retryable || Date.now() + wait >= deadline || (abort.signal.aborted && !final)) break;
        st.retries++;
        logger.debug({ err: msg, waitMs: Math.round(wait) }, 'OTLP export failed; retrying');
        await sleep(wait, !final);
        backoff *= 2;
      }
      if (sent) continue;
      outcome.delivered = false;
      if (unreachable) {
        // Everything not yet sent is dropped without being written: the endpoint is gone.
        let lost = 0;
        for (let j = i; j < requests.length; j++) lost += (requests[j] as (typeof requests)[number]).points;
        outcome.lostPoints += lost;
        st.pointsLost += lost;
        markDown(outcome.lastError ?? '', lost);
        break;
      }
      rejected++;
      outcome.lostPoints += req.points;
      st.pointsLost += req.points;
    }
    if (rejected > 0)
      logger.error(
        { err: outcome.lastError, batches: rejected, lostPoints: outcome.lostPoints },
        'OTLP endpoint rejected export requests; their points are dropped',
      );
    else if (outcome.delivered) markUp();
    outcome.durationMs = Date.now() - t0;
    return outcome;
  };

  const run = (deadline: number, final = false): Promise<ExportOutcome> => {
    const p = cycle(deadline, final).finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    inFlight = p;
    return p;
  };

  const tick = () => {
    if (stopped) return;
    if (inFlight) {
      // A slow Collector: the running push owns the only request in memory; this interval's is dropped.
      st.pushesSkipped++;
      if (outage) outage.skipped++;
      logger.debug('previous OTLP push still running; skipping this interval');
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
