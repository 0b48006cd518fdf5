// The `kso run` pipeline, usable in-process (demo, tests): kubeconfig → shard assignment (static flags, or
// the own StatefulSet with --pod) → a view per assignment (MetricsStore + one Reflector per resource ×
// namespace with that assignment's UID filter) → Prometheus bridge and/or OTLP push reading whichever view
// is current, plus SDK self-metrics and health. A new assignment builds a new view while the old, complete
// one stays served; the switch is one reference swap (see @kso/sharding Resharder).
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
import { familyFilter, MetricsStore, parseAllowlist } from '@kso/metrics';
import {
  createStoreView,
  Resharder,
  registerShardInstruments,
  type ShardAssignment,
  ShardIdentityWatcher,
  type StoreView,
  SwitchableSource,
} from '@kso/sharding';
import { loadKubeConfig, watchTimeoutWithin } from '@kso/watch';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { parseHeaders, type RunConfig } from './config.ts';
import { type ResourceWatchStats, registerSelfMetrics } from './self-metrics.ts';
import { listenWithFallback, startTelemetryServer } from './telemetry.ts';
import { KSO_VERSION } from './version.ts';
import type { WatchModule, WatchStats } from './watch-adapter.ts';

export interface ShardStatus {
  /** Assignment of the served view (before the first switch: the one being built). */
  ordinal: number;
  total: number;
  autosharding: boolean;
  /** A newer assignment whose view is still syncing. */
  pending: ShardAssignment | undefined;
  /** Completed view switches, the initial sync included. */
  reshards: number;
  /** Autosharding: the followed StatefulSet and the resourceVersion its watch has reached. */
  statefulSet?: string;
  statefulSetResourceVersion?: string;
}

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

export interface AgentDeps {
  /** The list/watch layer (default: @kso/watch). Autosharding needs the real one. */
  watch?: WatchModule;
}

export async function startAgent(c: RunConfig, logger: Logger, deps: AgentDeps = {}): Promise<Agent> {
  const startedAt = Date.now();
  const allowlists = {
    labels: parseAllowlist(c.metricLabelsAllowlist),
    annotations: parseAllowlist(c.metricAnnotationsAllowlist),
  };
  const filter = familyFilter(c.metricAllowlist, c.metricDenylist);
  const createStore = () =>
    new MetricsStore({
      schema: c.schema,
      resources: c.resources,
      allowlists,
      logger,
      ...(filter ? { familyFilter: filter } : {}),
      optIn: c.metricOptInList,
    });
  const numberFormat = c.numberFormat === 'auto' ? (c.schema === 'ksm' ? 'go' : 'js') : c.numberFormat;
  const kcOpts = {
    ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    ...(c.context ? { context: c.context } : {}),
  };
  const realKc = deps.watch ? undefined : loadKubeConfig(kcOpts);
  const kc: unknown = deps.watch ? deps.watch.loadKubeConfig(kcOpts) : realKc;

  let identity: ShardIdentityWatcher | undefined;
  if (c.pod !== '') {
    if (!realKc) throw new Error('autosharding (--pod) needs the real Kubernetes client');
    identity = new ShardIdentityWatcher({
      kubeConfig: realKc,
      podName: c.pod,
      podNamespace: c.podNamespace,
      logger,
      reflector: { watchTimeoutSeconds: watchTimeoutWithin(c.maxStaleness) },
    });
  }

  let firstSwitch!: () => void;
  let neverSynced!: (err: Error) => void;
  const synced = new Promise<void>((resolve, reject) => {
    firstSwitch = resolve;
    neverSynced = reject;
  });
  synced.catch(() => undefined);
  // Counters of replaced views, so kso_watch_*_total stay monotonic across reshards.
  const retired = new Map<string, WatchStats>();
  let servedView: StoreView | undefined;
  // Renders a newly served view once, off the request path: at 50k pods the first render takes seconds and
  // would otherwise land on the first scrape after startup or a reshard.
  let prewarm = () => {};
  const retire = (view: StoreView) => {
    for (const w of view.watched) {
      const s = w.reflector.stats();
      const r = retired.get(w.resource) ?? {};
      for (const k of ['relists', 'watchRestarts', 'errors', 'parseErrors', 'consistencyDifferences'] as const)
        r[k] = (r[k] ?? 0) + (s[k] ?? 0);
      retired.set(w.resource, r);
    }
  };
  const resharder = new Resharder<StoreView>({
    createView: (assignment) =>
      createStoreView({
        kubeConfig: kc,
        assignment,
        resources: c.resources,
        namespaces: c.namespaces,
        namespacesDenylist: c.namespacesDenylist,
        createStore,
        logger,
        reflector: {
          consistencyCheckIntervalMs: c.consistencyCheckInterval,
          // Quiet resources must prove freshness (a clean watch end) within the /healthz bound.
          watchTimeoutSeconds: watchTimeoutWithin(c.maxStaleness),
        },
        ...(deps.watch ? { Reflector: deps.watch.Reflector } : {}),
      }),
    onSwitch: (assignment, view) => {
      if (servedView) retire(servedView);
      servedView = view;
      // Later switches are logged by the Resharder ('shard view switched').
      if (resharder.stats().reshards === 1)
        logger.info(
          { durationMs: Date.now() - startedAt, objects: view.store.counts(), ...assignment },
          'all resources synced; ready',
        );
      firstSwitch();
      setImmediate(prewarm);
    },
    logger: logger.child({ component: 'resharder' }),
  });
  identity?.on('assignment', (a) => void resharder.apply(a));
  const source = new SwitchableSource(resharder, c.schema);
  const placeholder = createStore();
  const served = (): StoreView | undefined => resharder.current() ?? resharder.pending()?.view;

  const watchStats = (): ResourceWatchStats[] => {
    const view = served();
    const out = c.resources.map((resource) => {
      const mine = (view?.watched ?? []).filter((w) => w.resource === resource).map((w) => w.reflector.stats());
      const old = retired.get(resource);
      return aggregate(resource, view?.store.size(resource) ?? 0, mine, old ? [old] : []);
    });
    // The StatefulSet watch decides which objects this shard owns: its freshness matters like the data's.
    const sts = identity?.reflectorStats();
    if (sts) out.push(aggregate('statefulsets', sts.objects, [sts]));
    return out;
  };

  const ready = () => resharder.current() !== undefined;
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

  const shard = (): ShardStatus => {
    const st = resharder.stats();
    const pending = resharder.pending()?.assignment;
    const shown =
      st.reshards > 0 ? { shard: st.shard, total: st.total } : (pending ?? { shard: c.shard, total: c.totalShards });
    const id = identity?.stats();
    return {
      ordinal: shown.shard,
      total: shown.total,
      autosharding: identity !== undefined,
      pending: st.reshards > 0 ? pending : undefined,
      reshards: st.reshards,
      ...(id ? { statefulSet: id.statefulSet, statefulSetResourceVersion: id.resourceVersion } : {}),
    };
  };

  // Self-metrics: one MeterProvider, read by the Prometheus bridge at scrape time and by the OTLP push reader.
  const readers = [];
  const pullReader = c.prometheus.enabled ? new PullReader() : undefined;
  if (pullReader) readers.push(pullReader);
  const who = resolveIdentity(c, {
    serviceName: 'kube-state-otel',
    serviceVersion: KSO_VERSION,
    pod: c.pod !== '' ? { name: c.pod, namespace: c.podNamespace } : undefined,
  });
  const resource = resourceFromAttributes(who.resource);
  let push: OtlpPush | undefined;
  const tls = otlpTls(c.otlp);
  if (c.otlp.endpoint !== '') {
    push = createOtlpPush({
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
      source,
      ownMeterProvider: false,
      autoStart: false,
      logger: logger.child({ component: 'otlp' }),
    });
    readers.push(push.reader);
  }
  const meterProvider = new MeterProvider({
    resource,
    views: [{ instrumentName: '*', aggregationCardinalityLimit: SELF_CARDINALITY_LIMIT }],
    readers,
  });
  const meter = meterProvider.getMeter('kube-state-otel');
  const pushRef = push;
  registerSelfMetrics(meter, { watch: watchStats, ...(pushRef ? { otlp: () => pushRef.stats() } : {}) });
  registerShardInstruments(meter, () => {
    const s = shard();
    return { ...resharder.stats(), shard: s.ordinal, total: s.total, pending: s.pending !== undefined };
  });

  let prometheus: PrometheusServer | undefined;
  let telemetry: PrometheusServer | undefined;
  if (pullReader) {
    // KSM's split: with --telemetry-port the self-metrics leave /metrics for their own server.
    const separate = c.telemetry.port !== '';
    prometheus = await listenWithFallback(c.prometheus.host, (host) =>
      startPrometheusServer({
        source,
        host,
        port: c.prometheus.port,
        numberFormat,
        ...(separate ? {} : { extraCollect: collectFrom(pullReader) }),
        health,
        logger: logger.child({ component: 'prometheus' }),
        ...(c.webConfigFile
          ? { webConfig: new WebConfigSource(c.webConfigFile, logger.child({ component: 'web-config' })) }
          : {}),
      }),
    );
    if (c.telemetry.port !== '') {
      try {
        telemetry = await startTelemetryServer({
          host: c.telemetry.host,
          port: c.telemetry.port,
          collect: collectFrom(pullReader),
          health,
          numberFormat,
          logger: logger.child({ component: 'telemetry' }),
        });
      } catch (err) {
        await prometheus.close();
        throw err;
      }
    }
    const server = prometheus;
    prewarm = () => {
      const t0 = Date.now();
      try {
        server.renderer.renderPieces(source);
        logger.debug({ ms: Date.now() - t0 }, 'exposition pre-rendered');
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'pre-render failed; the next scrape renders');
      }
    };
  }

  let stopping: Promise<{ otlp?: ExportOutcome }> | undefined;
  const stop = (opts: { timeoutMs?: number } = {}) => {
    stopping ??= (async () => {
      await identity?.stop();
      // Freeze the served view first so the final export is one consistent state, then drop everything.
      await resharder.current()?.halt();
      await prometheus?.close();
      await telemetry?.close();
      const otlp = push ? await push.shutdown({ timeoutMs: opts.timeoutMs ?? c.otlp.timeout }) : undefined;
      await meterProvider.shutdown().catch(() => undefined);
      await resharder.stop();
      neverSynced(new Error('agent stopped before its first complete sync'));
      return otlp ? { otlp } : {};
    })();
    return stopping;
  };

  // Assignments start after the servers are up, so /readyz and /healthz answer during the initial list.
  if (identity) {
    try {
      await identity.start();
    } catch (err) {
      await stop();
      throw err;
    }
  } else void resharder.apply({ shard: c.shard, total: c.totalShards });
  push?.start();

  return {
    get store() {
      return served()?.store ?? placeholder;
    },
    ...(prometheus ? { prometheus } : {}),
    ...(telemetry ? { telemetry } : {}),
    ...(push ? { push } : {}),
    resourceAttributes: who.resource,
    synced,
    ready,
    health,
    watchStats,
    reflectorStats: () => (resharder.current()?.watched ?? []).map((w) => w.reflector.stats()),
    shard,
    stop,
  };
}

/** `mine`: the live watches of one resource; `past`: counters of replaced views (counters only). */
function aggregate(resource: string, objects: number, mine: WatchStats[], past: WatchStats[] = []): ResourceWatchStats {
  const all = [...mine, ...past];
  // The stalest watch decides: one stuck namespace is a stale resource.
  const min = (xs: number[]) => (xs.length === 0 || xs.some((x) => !x) ? 0 : Math.min(...xs));
  return {
    resource,
    objects,
    lastEventTimeMs: Math.max(0, ...mine.map((s) => s.lastEventTimeMs ?? 0)),
    lastSyncTimeMs: min(mine.map((s) => s.lastSyncTimeMs ?? 0)),
    relists: sum(all.map((s) => s.relists ?? 0)),
    watchRestarts: sum(all.map((s) => s.watchRestarts ?? 0)),
    errors: sum(all.map((s) => s.errors ?? 0)),
    parseErrors: sum(all.map((s) => s.parseErrors ?? 0)),
    synced: mine.length > 0 && mine.every((s) => s.synced === true),
    reconnecting: mine.some((s) => s.reconnectingSinceMs !== undefined),
    consistencyDifferences: sum(all.map((s) => s.consistencyDifferences ?? 0)),
  };
}

function sum(xs: number[]): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}
