// `kso run` in-process (demo, tests): the data path (pipeline.ts: kubeconfig → shard assignment → views of
// store + reflectors → one switchable source) with, around it, the exporters that read that source
// (Prometheus bridge, OTLP push), kso's self-metrics on one MeterProvider, and shutdown in the order that
// keeps the final export consistent.
import { otlpTls, resolveIdentity } from '@kso/config';
import {
  collectFrom,
  createOtlpPush,
  type ExportOutcome,
  type OtlpPush,
  type PrometheusServer,
  PullReader,
  startPrometheusServer,
  WebConfigSource,
} from '@kso/exporters';
import type { MetricsStore } from '@kso/metrics';
import { registerShardInstruments } from '@kso/sharding';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { parseHeaders, type RunConfig } from './config.ts';
import { createPipeline, type Pipeline, type PipelineDeps, type ShardStatus } from './pipeline.ts';
import { type ResourceWatchStats, registerSelfMetrics } from './self-metrics.ts';
import { listenWithFallback, startTelemetryServer } from './telemetry.ts';
import { KSO_VERSION } from './version.ts';
import type { WatchStats } from './watch-adapter.ts';

export type { ShardStatus } from './pipeline.ts';
export type AgentDeps = PipelineDeps;

export interface Agent {
  /** The store being served (replaced on every reshard); before the first sync, the one being filled. */
  readonly store: MetricsStore;
  prometheus?: PrometheusServer;
  /** Self-metrics server (--telemetry-port). */
  telemetry?: PrometheusServer;
  push?: OtlpPush;
  /** Attributes of the pushed Resource (service.*, OTEL_RESOURCE_ATTRIBUTES, k8s.cluster.name). */
  resourceAttributes: Readonly<Record<string, string>>;
  /** Resolves when the first complete view is served. */
  synced: Promise<void>;
  ready(): boolean;
  health(): { live: boolean; ready: boolean; reason?: string };
  watchStats(): ResourceWatchStats[];
  /** Raw stats of the served view's reflectors (resourceVersion included). */
  reflectorStats(): WatchStats[];
  shard(): ShardStatus;
  /** Stops watches and servers, runs the final OTLP export. */
  stop(opts?: { timeoutMs?: number }): Promise<{ otlp?: ExportOutcome }>;
}

const SELF_CARDINALITY_LIMIT = 200;

type Identity = ReturnType<typeof resolveIdentity>;

/** The OTLP push of the served source and the self-metrics (--otlp-endpoint); started by startAgent. */
function otlpPush(c: RunConfig, p: Pipeline, who: Identity, resource: Resource, logger: Logger): OtlpPush | undefined {
  if (c.otlp.endpoint === '') return undefined;
  const tls = otlpTls(c.otlp);
  return createOtlpPush({
    protocol: c.otlp.protocol,
    endpoint: c.otlp.endpoint,
    headers: parseHeaders(c.otlp.headers) ?? {},
    // The scheme decides plaintext (http://) or TLS (https://); the exporter applies CA, client certificate
    // and --otlp-insecure for both protocols.
    ...(tls ? { tls } : {}),
    resource,
    entityAttributes: who.entityAttributes,
    compression: c.otlp.compression,
    intervalMs: c.otlp.interval,
    timeoutMs: c.otlp.timeout,
    source: p.source,
    ownMeterProvider: false,
    autoStart: false,
    logger: logger.child({ component: 'otlp' }),
  });
}

/** Self-metrics: one MeterProvider, read by the Prometheus bridge at scrape time and by the OTLP push reader. */
function selfMetrics(
  p: Pipeline,
  resource: Resource,
  readers: MetricReader[],
  push: OtlpPush | undefined,
): MeterProvider {
  const meterProvider = new MeterProvider({
    resource,
    views: [{ instrumentName: '*', aggregationCardinalityLimit: SELF_CARDINALITY_LIMIT }],
    readers,
  });
  const meter = meterProvider.getMeter('kube-state-otel');
  registerSelfMetrics(meter, { watch: p.watchStats, ...(push ? { otlp: () => push.stats() } : {}) });
  registerShardInstruments(meter, () => {
    const s = p.shard();
    return { ...p.resharder.stats(), shard: s.ordinal, total: s.total, pending: s.pending !== undefined };
  });
  return meterProvider;
}

interface Servers {
  prometheus: PrometheusServer;
  telemetry?: PrometheusServer;
}

/** /metrics (with the self-metrics, or without them when --telemetry-port gives them their own server). */
async function startServers(c: RunConfig, p: Pipeline, pullReader: PullReader, logger: Logger): Promise<Servers> {
  const numberFormat = c.numberFormat === 'auto' ? (c.schema === 'ksm' ? 'go' : 'js') : c.numberFormat;
  // KSM's split: with --telemetry-port the self-metrics leave /metrics for their own server.
  const separate = c.telemetry.port !== '';
  const prometheus = await listenWithFallback(c.prometheus.host, (host) =>
    startPrometheusServer({
      source: p.source,
      host,
      port: c.prometheus.port,
      numberFormat,
      ...(separate ? {} : { extraCollect: collectFrom(pullReader) }),
      health: p.health,
      logger: logger.child({ component: 'prometheus' }),
      ...(c.webConfigFile
        ? { webConfig: new WebConfigSource(c.webConfigFile, logger.child({ component: 'web-config' })) }
        : {}),
    }),
  );
  if (c.telemetry.port === '') return { prometheus };
  try {
    const telemetry = await startTelemetryServer({
      host: c.telemetry.host,
      port: c.telemetry.port,
      collect: collectFrom(pullReader),
      health: p.health,
      numberFormat,
      logger: logger.child({ component: 'telemetry' }),
    });
    return { prometheus, telemetry };
  } catch (err) {
    await prometheus.close();
    throw err;
  }
}

/**
 * Renders a newly served view once, off the request path: at 50k pods the first render takes seconds and
 * would otherwise land on the first scrape after startup or a reshard.
 */
function prewarmOnServe(p: Pipeline, server: PrometheusServer, logger: Logger): void {
  p.onServed(() => {
    const t0 = Date.now();
    try {
      server.renderer.renderPieces(p.source);
      logger.debug({ ms: Date.now() - t0 }, 'exposition pre-rendered');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'pre-render failed; the next scrape renders');
    }
  });
}

export async function startAgent(c: RunConfig, logger: Logger, deps: AgentDeps = {}): Promise<Agent> {
  const p = createPipeline(c, logger, deps);
  const who = resolveIdentity(c, {
    serviceName: 'kube-state-otel',
    serviceVersion: KSO_VERSION,
    pod: c.pod !== '' ? { name: c.pod, namespace: c.podNamespace } : undefined,
  });
  // One Resource for the pushed store metrics and the self-metrics.
  const resource = resourceFromAttributes(who.resource);
  const pullReader = c.prometheus.enabled ? new PullReader() : undefined;
  const push = otlpPush(c, p, who, resource, logger);
  const readers: MetricReader[] = [...(pullReader ? [pullReader] : []), ...(push ? [push.reader] : [])];
  const meterProvider = selfMetrics(p, resource, readers, push);
  const servers = pullReader ? await startServers(c, p, pullReader, logger) : undefined;
  if (servers) prewarmOnServe(p, servers.prometheus, logger);
  // The bridge generates every changed object's points for its text within a second; the push encodes the
  // object right then instead of generating the same points again at its next interval.
  if (servers && push) servers.prometheus.renderer.onRender = (obj, fams) => push.preencode(obj, fams);

  let stopping: Promise<{ otlp?: ExportOutcome }> | undefined;
  const stop = (opts: { timeoutMs?: number } = {}) => {
    stopping ??= (async () => {
      // Freeze the served view first so the final export is one consistent state, then drop everything.
      await p.halt();
      await servers?.prometheus.close();
      await servers?.telemetry?.close();
      const otlp = push ? await push.shutdown({ timeoutMs: opts.timeoutMs ?? c.otlp.timeout }) : undefined;
      await meterProvider.shutdown().catch(() => undefined);
      await p.stop();
      return otlp ? { otlp } : {};
    })();
    return stopping;
  };

  // Assignments start after the servers are up, so /readyz and /healthz answer during the initial list.
  try {
    await p.start();
  } catch (err) {
    await stop();
    throw err;
  }
  push?.start();
  return {
    get store() {
      return p.store();
    },
    ...(servers ? { prometheus: servers.prometheus } : {}),
    ...(servers?.telemetry ? { telemetry: servers.telemetry } : {}),
    ...(push ? { push } : {}),
    resourceAttributes: who.resource,
    synced: p.synced,
    ready: p.ready,
    health: p.health,
    watchStats: p.watchStats,
    reflectorStats: p.reflectorStats,
    shard: p.shard,
    stop,
  };
}
