// The data path of `kso run`, read top to bottom:
//
//   kubeconfig ─► shard assignment ─► view = MetricsStore + one Reflector per resource × namespace
//   (static flags, or   (a Resharder builds a new view     │  each reflector: list+watch, the shard filter on
//    the own StatefulSet  per assignment, serves the old    │  list items and watch events alike, and the
//    with --pod)          one until the new one synced)     ▼  store as its sink (ReflectorStore)
//                                                        SwitchableSource ─► Prometheus bridge, OTLP push
//
// Exporters never see a view: they read `source`, which always delegates to the view being served. This
// module owns that path and what describes it (watch stats, shard status, readiness); agent.ts adds the
// exporters, self-metrics and shutdown around it.
import { familyFilter, MetricsStore, parseAllowlist } from '@kso/metrics';
import {
  createStoreView,
  Resharder,
  type ShardAssignment,
  ShardIdentityWatcher,
  type StoreView,
  SwitchableSource,
} from '@kso/sharding';
import { loadKubeConfig, watchTimeoutWithin } from '@kso/watch';
import type { Logger } from 'pino';
import type { RunConfig } from './config.ts';
import type { ResourceWatchStats } from './self-metrics.ts';
import type { WatchModule, WatchStats } from './watch-adapter.ts';
import { aggregateWatchStats, healthOf } from './watch-stats.ts';

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

export interface PipelineDeps {
  /** The list/watch layer (default: @kso/watch). Autosharding needs the real one. */
  watch?: WatchModule;
}

export interface Pipeline {
  /** What every exporter reads: the served view's store (empty before the first switch). */
  readonly source: SwitchableSource;
  readonly resharder: Resharder<StoreView>;
  /** Resolves when the first complete view is served. */
  readonly synced: Promise<void>;
  /** The store being served (replaced on every reshard); before the first sync, the one being filled. */
  store(): MetricsStore;
  ready(): boolean;
  /** /healthz and /readyz: live unless a resource is staler than --max-staleness; ready once served. */
  health(): { live: boolean; ready: boolean; reason?: string };
  watchStats(): ResourceWatchStats[];
  /** Raw stats of the served view's reflectors (resourceVersion included). */
  reflectorStats(): WatchStats[];
  shard(): ShardStatus;
  /** Called (off the request path) each time a view starts being served. */
  onServed(cb: () => void): void;
  /** Starts the assignments: the StatefulSet watch, or the static flags. */
  start(): Promise<void>;
  /** Stops the watches but keeps the served store readable (the final export reads it). */
  halt(): Promise<void>;
  /** Drops every view. */
  stop(): Promise<void>;
}

/** The MetricsStore every view gets, configured from the flags. */
function storeFactory(c: RunConfig, logger: Logger): () => MetricsStore {
  const allowlists = {
    labels: parseAllowlist(c.metricLabelsAllowlist),
    annotations: parseAllowlist(c.metricAnnotationsAllowlist),
  };
  const filter = familyFilter(c.metricAllowlist, c.metricDenylist);
  return () =>
    new MetricsStore({
      schema: c.schema,
      resources: c.resources,
      allowlists,
      logger,
      ...(filter ? { familyFilter: filter } : {}),
      optIn: c.metricOptInList,
    });
}

/** Kubeconfig from the flags: `real` is set only for @kso/watch's own (autosharding needs it). */
function kubeConfigFor(
  c: RunConfig,
  deps: PipelineDeps,
): { kc: unknown; real: ReturnType<typeof loadKubeConfig> | undefined } {
  const kcOpts = {
    ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    ...(c.context ? { context: c.context } : {}),
  };
  if (deps.watch) return { kc: deps.watch.loadKubeConfig(kcOpts), real: undefined };
  const real = loadKubeConfig(kcOpts);
  return { kc: real, real };
}

/** --pod: follow the own StatefulSet by name for ordinal and total (field problem 5). */
function identityWatcher(c: RunConfig, real: ReturnType<typeof loadKubeConfig> | undefined, logger: Logger) {
  if (c.pod === '') return undefined;
  if (!real) throw new Error('autosharding (--pod) needs the real Kubernetes client');
  return new ShardIdentityWatcher({
    kubeConfig: real,
    podName: c.pod,
    podNamespace: c.podNamespace,
    logger,
    reflector: { watchTimeoutSeconds: watchTimeoutWithin(c.maxStaleness) },
  });
}

/** Sums the counters of replaced views, so kso_watch_*_total stay monotonic across reshards. */
class RetiredCounters {
  readonly #byResource = new Map<string, WatchStats>();
  add(view: StoreView): void {
    for (const w of view.watched) {
      const s = w.reflector.stats();
      const r = this.#byResource.get(w.resource) ?? {};
      for (const k of ['relists', 'watchRestarts', 'errors', 'parseErrors', 'consistencyDifferences'] as const)
        r[k] = (r[k] ?? 0) + (s[k] ?? 0);
      this.#byResource.set(w.resource, r);
    }
  }
  get(resource: string): WatchStats | undefined {
    return this.#byResource.get(resource);
  }
}

interface ViewsOptions {
  c: RunConfig;
  logger: Logger;
  deps: PipelineDeps;
  kc: unknown;
  createStore: () => MetricsStore;
  /** A view became the served one. */
  onSwitch: (assignment: ShardAssignment, view: StoreView, resharder: Resharder<StoreView>) => void;
}

/** One view per assignment (store + reflectors with that assignment's filter), switched when synced. */
function viewResharder(o: ViewsOptions): Resharder<StoreView> {
  const { c, deps } = o;
  const resharder: Resharder<StoreView> = new Resharder<StoreView>({
    createView: (assignment) =>
      createStoreView({
        kubeConfig: o.kc,
        assignment,
        resources: c.resources,
        namespaces: c.namespaces,
        namespacesDenylist: c.namespacesDenylist,
        createStore: o.createStore,
        logger: o.logger,
        reflector: {
          consistencyCheckIntervalMs: c.consistencyCheckInterval,
          // Quiet resources must prove freshness (a clean watch end) within the /healthz bound.
          watchTimeoutSeconds: watchTimeoutWithin(c.maxStaleness),
        },
        ...(deps.watch ? { Reflector: deps.watch.Reflector } : {}),
      }),
    onSwitch: (assignment, view) => o.onSwitch(assignment, view, resharder),
    logger: o.logger.child({ component: 'resharder' }),
  });
  return resharder;
}

/** Per-resource watch stats of the served view, counters of replaced views and the StatefulSet watch included. */
function watchStatsOf(
  resources: RunConfig['resources'],
  view: StoreView | undefined,
  retired: RetiredCounters,
  identity: ShardIdentityWatcher | undefined,
): ResourceWatchStats[] {
  const out = resources.map((resource) => {
    const mine = (view?.watched ?? []).filter((w) => w.resource === resource).map((w) => w.reflector.stats());
    const old = retired.get(resource);
    return aggregateWatchStats(resource, view?.store.size(resource) ?? 0, mine, old ? [old] : []);
  });
  // The StatefulSet watch decides which objects this shard owns: its freshness matters like the data's.
  const sts = identity?.reflectorStats();
  if (sts) out.push(aggregateWatchStats('statefulsets', sts.objects, [sts]));
  return out;
}

function shardStatusOf(
  c: RunConfig,
  resharder: Resharder<StoreView>,
  identity: ShardIdentityWatcher | undefined,
): ShardStatus {
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
}

/** Builds the data path; nothing is listed or watched before `start()`. */
export function createPipeline(c: RunConfig, logger: Logger, deps: PipelineDeps = {}): Pipeline {
  const startedAt = Date.now();
  const createStore = storeFactory(c, logger);
  const { kc, real } = kubeConfigFor(c, deps);
  const identity = identityWatcher(c, real, logger);
  const { promise: synced, resolve: firstSwitch, reject: neverSynced } = Promise.withResolvers<void>();
  synced.catch(() => undefined);
  const retired = new RetiredCounters();
  let servedView: StoreView | undefined;
  const servedHooks: (() => void)[] = [];
  const resharder = viewResharder({
    c,
    logger,
    deps,
    kc,
    createStore,
    onSwitch: (assignment, view, r) => {
      if (servedView) retired.add(servedView);
      servedView = view;
      // Later switches are logged by the Resharder ('shard view switched').
      if (r.stats().reshards === 1)
        logger.info(
          { durationMs: Date.now() - startedAt, objects: view.store.counts(), ...assignment },
          'all resources synced; ready',
        );
      firstSwitch();
      for (const cb of servedHooks) setImmediate(cb);
    },
  });
  identity?.on('assignment', (a) => void resharder.apply(a));
  const placeholder = createStore();
  const served = (): StoreView | undefined => resharder.current() ?? resharder.pending()?.view;
  const ready = () => resharder.current() !== undefined;
  return {
    source: new SwitchableSource(resharder, c.schema),
    resharder,
    synced,
    store: () => served()?.store ?? placeholder,
    ready,
    health: () => healthOf(watchStatsOf(c.resources, served(), retired, identity), ready(), c.maxStaleness, startedAt),
    watchStats: () => watchStatsOf(c.resources, served(), retired, identity),
    reflectorStats: () => (resharder.current()?.watched ?? []).map((w) => w.reflector.stats()),
    shard: () => shardStatusOf(c, resharder, identity),
    onServed: (cb) => void servedHooks.push(cb),
    async start() {
      if (identity) await identity.start();
      else void resharder.apply({ shard: c.shard, total: c.totalShards });
    },
    async halt() {
      await identity?.stop();
      await resharder.current()?.halt();
    },
    async stop() {
      await resharder.stop();
      neverSynced(new Error('agent stopped before its first complete sync'));
    },
  };
}
