// The `kso run` pipeline, usable in-process (demo, tests): kubeconfig → one Reflector per resource (× per
// namespace) with the model's compaction and the shard filter → MetricsStore → Prometheus bridge and/or OTLP
// push, plus SDK self-metrics and health.
import { readFileSync } from 'node:fs';
import {
  collectFrom,
  createOtlpPush,
  type ExportOutcome,
  type OtlpPush,
  type PrometheusServer,
  PullReader,
  startPrometheusServer,
} from '@kso/exporters';
import { MetricsStore, parseAllowlist } from '@kso/metrics';
import { RESOURCES } from '@kso/model';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { parseHeaders, type ResourceName, type RunConfig } from './config.ts';
import { type ResourceWatchStats, registerSelfMetrics } from './self-metrics.ts';
import { makeShardFilter, type Reflector, type WatchModule, type WatchStats, watchModule } from './watch-adapter.ts';

export interface Agent {
  store: MetricsStore;
  prometheus?: PrometheusServer;
  push?: OtlpPush;
  /** Resolves when every reflector finished its initial list. */
  synced: Promise<void>;
  ready(): boolean;
  health(): { live: boolean; ready: boolean; reason?: string };
  watchStats(): ResourceWatchStats[];
  /** Stops watches and servers, runs the final OTLP export. */
  stop(opts?: { timeoutMs?: number }): Promise<{ otlp?: ExportOutcome }>;
}

interface Watched {
  resource: ResourceName;
  namespace: string | undefined;
  reflector: Reflector;
}

const SELF_CARDINALITY_LIMIT = 200;

export interface AgentDeps {
  /** The list/watch layer (default: @kso/watch). */
  watch?: WatchModule;
}

export async function startAgent(c: RunConfig, logger: Logger, deps: AgentDeps = {}): Promise<Agent> {
  const startedAt = Date.now();
  const allowlists = {
    labels: parseAllowlist(c.metricLabelsAllowlist),
    annotations: parseAllowlist(c.metricAnnotationsAllowlist),
  };
  const store = new MetricsStore({ schema: c.schema, resources: c.resources, allowlists, logger });
  const numberFormat = c.numberFormat === 'auto' ? (c.schema === 'ksm' ? 'go' : 'js') : c.numberFormat;
  const watch = deps.watch ?? (await watchModule());
  const kc = watch.loadKubeConfig({
    ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    ...(c.context ? { context: c.context } : {}),
  });
  const shard = { ordinal: c.shard, total: c.totalShards };
  const filter = c.totalShards > 1 ? await makeShardFilter(c.shard, c.totalShards) : undefined;
  if (c.pod !== '') {
    // TODO(H6 integration): ShardIdentityWatcher + Resharder + SwitchableSource once @kso/sharding exports them.
    // Refuse rather than serve everything: every replica exporting all objects would duplicate every series.
    throw new Error('autosharding (--pod/--pod-namespace) is not available in this build; use --shard/--total-shards');
  }

  const watched: Watched[] = [];
  const namespaces = c.namespaces.length > 0 ? c.namespaces : [undefined];
  for (const resource of c.resources) {
    const info = RESOURCES[resource];
    for (const namespace of namespaces) {
      const reflector = new watch.Reflector(kc, {
        resource: { group: info.group, version: info.version, plural: info.plural, kind: info.kind },
        ...(namespace ? { namespace } : {}),
        compact: info.compact,
        ...(filter ? { filter } : {}),
        logger: logger.child({ resource, ...(namespace ? { namespace } : {}) }),
      });
      const upsert = (obj: unknown) => {
        try {
          // Reflectors hand over compacted snapshots; a raw object (no compaction applied) is compacted here.
          if (obj && typeof obj === 'object' && 'metadata' in obj) store.upsertObject(resource, obj);
          else store.upsert(resource, obj as never);
        } catch (err) {
          logger.warn({ resource, err: (err as Error).message }, 'object skipped');
        }
      };
      reflector.on('add', upsert);
      reflector.on('update', upsert);
      reflector.on('delete', (obj: unknown) => {
        const uid = typeof obj === 'string' ? obj : (obj as { uid?: string } | undefined)?.uid;
        if (uid) store.remove(resource, uid);
      });
      watched.push({ resource, namespace, reflector });
    }
  }

  const watchStats = (): ResourceWatchStats[] =>
    c.resources.map((resource) => {
      const mine = watched.filter((w) => w.resource === resource).map((w) => w.reflector.stats() as WatchStats);
      const min = (xs: number[]) => (xs.some((x) => !x) ? 0 : Math.min(...xs));
      return {
        resource,
        objects: store.size(resource),
        lastEventTimeMs: Math.max(0, ...mine.map((s) => s.lastEventTimeMs ?? 0)),
        // The stalest watch decides: one stuck namespace is a stale resource.
        lastSyncTimeMs: min(mine.map((s) => Math.max(s.lastSyncTimeMs ?? 0, s.lastProgressTimeMs ?? 0))),
        relists: sum(mine.map((s) => s.relists ?? 0)),
        watchRestarts: sum(mine.map((s) => s.watchRestarts ?? 0)),
        errors: sum(mine.map((s) => s.errors ?? 0)),
        parseErrors: sum(mine.map((s) => s.parseErrors ?? 0)),
        synced: mine.every((s) => s.synced === true),
      };
    });

  const ready = () => watched.every((w) => w.reflector.hasSynced());
  const health = () => {
    const now = Date.now();
    const stale: string[] = [];
    for (const s of watchStats()) {
      const since = s.lastSyncTimeMs > 0 ? s.lastSyncTimeMs : startedAt;
      if (now - since > c.maxStaleness) stale.push(`${s.resource} (${Math.round((now - since) / 1000)}s)`);
    }
    const isReady = ready();
    if (stale.length > 0)
      return {
        live: false,
        ready: isReady,
        reason: `stale: no successful sync within ${c.maxStaleness / 1000}s: ${stale.join(', ')}`,
      };
    return isReady ? { live: true, ready: true } : { live: true, ready: false, reason: 'initial sync in progress' };
  };

  // Self-metrics: one MeterProvider, read by the Prometheus bridge at scrape time and by the OTLP push reader.
  const readers = [];
  const pullReader = c.prometheus.enabled ? new PullReader() : undefined;
  if (pullReader) readers.push(pullReader);
  let push: OtlpPush | undefined;
  if (c.otlp.endpoint !== '') {
    push = createOtlpPush({
      protocol: c.otlp.protocol,
      endpoint: c.otlp.endpoint,
      headers: parseHeaders(c.otlp.headers) ?? {},
      // The scheme decides (http:// plaintext, https:// TLS); --otlp-insecure downgrades an https endpoint.
      tls:
        c.otlp.endpoint.startsWith('https://') && !c.otlp.insecure
          ? { insecure: false, ...(c.otlp.ca ? { ca: readFileSync(c.otlp.ca) } : {}) }
          : { insecure: true },
      compression: c.otlp.compression,
      intervalMs: c.otlp.interval,
      timeoutMs: c.otlp.timeout,
      source: store,
      ownMeterProvider: false,
      autoStart: false,
      logger: logger.child({ component: 'otlp' }),
    });
    readers.push(push.reader);
  }
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'kube-state-otel' }),
    views: [{ instrumentName: '*', aggregationCardinalityLimit: SELF_CARDINALITY_LIMIT }],
    readers,
  });
  const pushRef = push;
  registerSelfMetrics(meterProvider.getMeter('kube-state-otel'), {
    watch: watchStats,
    ...(pushRef ? { otlp: () => pushRef.stats() } : {}),
    shard: () => shard,
  });

  let prometheus: PrometheusServer | undefined;
  if (pullReader) {
    prometheus = await startPrometheusServer({
      source: store,
      host: c.prometheus.host,
      port: c.prometheus.port,
      numberFormat,
      extraCollect: collectFrom(pullReader),
      health,
      logger: logger.child({ component: 'prometheus' }),
    });
  }

  // Start watches after the servers are up, so /readyz and /healthz answer during the initial list.
  for (const w of watched) {
    const t0 = Date.now();
    w.reflector.start();
    w.reflector.synced.then(
      () =>
        logger.info(
          {
            resource: w.resource,
            ...(w.namespace ? { namespace: w.namespace } : {}),
            objects: store.size(w.resource),
            durationMs: Date.now() - t0,
          },
          'initial sync done',
        ),
      () => undefined,
    );
  }
  const synced = Promise.all(watched.map((w) => w.reflector.synced)).then(() => {
    logger.info({ durationMs: Date.now() - startedAt, objects: store.counts() }, 'all resources synced; ready');
  });
  synced.catch(() => undefined);
  push?.start();

  let stopping: Promise<{ otlp?: ExportOutcome }> | undefined;
  const stop = (opts: { timeoutMs?: number } = {}) => {
    stopping ??= (async () => {
      for (const w of watched) {
        try {
          w.reflector.stop();
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'reflector stop failed');
        }
      }
      await prometheus?.close();
      const otlp = push ? await push.shutdown({ timeoutMs: opts.timeoutMs ?? c.otlp.timeout }) : undefined;
      await meterProvider.shutdown().catch(() => undefined);
      return otlp ? { otlp } : {};
    })();
    return stopping;
  };

  return {
    store,
    ...(prometheus ? { prometheus } : {}),
    ...(push ? { push } : {}),
    synced,
    ready,
    health,
    watchStats,
    stop,
  };
}

function sum(xs: number[]): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}
