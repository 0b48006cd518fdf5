// One shard assignment's data plane: its own MetricsStore fed by one Reflector per resource (× namespace),
// all with that assignment's UID filter. The Resharder builds a new one per assignment and drops the old
// one whole, so no store ever mixes two assignments (KSM #2478: reconfigured sharding, stale stores).
import type { MetricsStore, ResourceName } from '@kso/metrics';
import { RESOURCES } from '@kso/model';
import { Reflector, type ReflectorOptions, type ReflectorStats, type ReflectorStore } from '@kso/watch';
import type { Logger } from 'pino';
import { makeShardFilter } from './hash.ts';
import type { ShardAssignment, ShardView } from './resharder.ts';

/**
 * What a view needs from a reflector; @kso/watch's Reflector by default, a stand-in in unit tests. The
 * objects themselves go to the `store` option (a ReflectorStore), not through events.
 */
export interface ViewReflector {
  readonly synced: Promise<void>;
  start(): void;
  stop(): void | Promise<void>;
  hasSynced(): boolean;
  stats(): Partial<ReflectorStats>;
}

export interface ViewReflectorCtor {
  new (kc: unknown, opts: ReflectorOptions<unknown>): ViewReflector;
}

export interface StoreViewOptions {
  kubeConfig: unknown;
  assignment: ShardAssignment;
  resources: readonly ResourceName[];
  /** Empty = all namespaces (one cluster-wide watch per resource). */
  namespaces?: readonly string[];
  /**
   * Namespaces never watched (KSM --namespaces-denylist): removed from `namespaces` when those are listed,
   * otherwise a server-side field selector `metadata.namespace!=x,...` on the cluster-wide watches.
   */
  namespacesDenylist?: readonly string[];
  createStore: () => MetricsStore;
  logger: Logger;
  Reflector?: ViewReflectorCtor;
  /** Reflector tuning (page size, watch timeouts, backoff). */
  reflector?: Pick<
    ReflectorOptions<unknown>,
    'pageSize' | 'backoff' | 'watchTimeoutSeconds' | 'requestTimeoutMs' | 'consistencyCheckIntervalMs'
  >;
}

export interface WatchedResource {
  resource: ResourceName;
  namespace: string | undefined;
  reflector: ViewReflector;
}

export interface StoreView extends ShardView {
  readonly assignment: ShardAssignment;
  readonly store: MetricsStore;
  readonly source: MetricsStore;
  readonly watched: readonly WatchedResource[];
  /** Every reflector finished its initial list. */
  ready(): boolean;
  /** Stops the reflectors but keeps the store readable (shutdown: the final export still sees the data). */
  halt(): Promise<void>;
}

/**
 * Owns nothing when the ordinal is outside the total: a pod being scaled away (or replicas: 0) must not
 * serve everything, and a shard index >= total is what KSM's filter also never matches.
 */
export function assignmentFilter({ shard, total }: ShardAssignment): ((uid: string) => boolean) | undefined {
  if (!(total >= 1) || shard >= total) return () => false;
  return total === 1 ? undefined : makeShardFilter(shard, total);
}

/**
 * The MetricsStore as one reflector's ReflectorStore. Several reflectors (one per namespace) share a
 * store, so `replace` drops nothing: the reflector already turned the list into adds/updates/deletes.
 */
export function storeSink(store: MetricsStore, resource: ResourceName, log: Logger): ReflectorStore<unknown> {
  const upsert = (_uid: string, snap: unknown) => {
    try {
      store.upsert(resource, snap as never);
    } catch (err) {
      log.warn({ resource, err: (err as Error).message }, 'object skipped');
    }
  };
  return {
    add: upsert,
    update: upsert,
    delete: (uid) => store.remove(resource, uid),
    replace: () => undefined,
  };
}

/**
 * What to list and watch per resource: one watch per listed namespace minus the denied ones, or one
 * cluster-wide watch with a server-side `metadata.namespace!=` selector for the denied ones.
 */
export function watchScopes(
  namespaces: readonly string[] | undefined,
  denylist: readonly string[] | undefined,
): { namespace: string | undefined; fieldSelector: string | undefined }[] {
  const denied = new Set(denylist ?? []);
  if (namespaces && namespaces.length > 0)
    return namespaces.filter((n) => !denied.has(n)).map((namespace) => ({ namespace, fieldSelector: undefined }));
  const denySelector = [...denied].map((n) => `metadata.namespace!=${n}`).join(',');
  return [{ namespace: undefined, fieldSelector: denySelector !== '' ? denySelector : undefined }];
}

/** One reflector per resource × scope, each delivering into `store` through the assignment's filter. */
function watchedResources(o: StoreViewOptions, store: MetricsStore, log: Logger): WatchedResource[] {
  // `kubeConfig` is typed unknown so unit tests can inject a stand-in pair; with the real Reflector it is the
  // KubeConfig from @kso/watch's loadKubeConfig.
  const Ctor = o.Reflector ?? (Reflector as unknown as ViewReflectorCtor);
  const filter = assignmentFilter(o.assignment);
  const watched: WatchedResource[] = [];
  for (const resource of o.resources) {
    const info = RESOURCES[resource];
    for (const { namespace, fieldSelector } of watchScopes(o.namespaces, o.namespacesDenylist)) {
      const reflector = new Ctor(o.kubeConfig, {
        ...o.reflector,
        resource: { group: info.group, version: info.version, plural: info.plural, kind: info.kind },
        ...(namespace ? { namespace } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        compact: info.compact,
        // kube_cronjob_metadata_resource_version reads the snapshot's resourceVersion: a write that changes
        // only that must still reach the store for CronJobs; for the others it is skipped.
        ...(resource === 'cronjobs' ? { unchangedIgnores: [] } : {}),
        // Sharding is this filter, applied by the reflector to list items and watch events alike.
        ...(filter ? { filter } : {}),
        store: storeSink(store, resource, log),
        logger: log.child({ resource, ...(namespace ? { namespace } : {}) }),
      });
      watched.push({ resource, namespace, reflector });
    }
  }
  return watched;
}

/** Starts every reflector; resolves once each one's first complete list was applied (logged per watch). */
function startAll(watched: readonly WatchedResource[], store: MetricsStore, log: Logger): Promise<void> {
  const t0 = Date.now();
  for (const w of watched) {
    w.reflector.start();
    w.reflector.synced.then(
      () =>
        log.info(
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
  const synced = Promise.all(watched.map((w) => w.reflector.synced)).then(() => undefined);
  synced.catch(() => undefined);
  return synced;
}

/** Stops every reflector once (a failing stop is logged, the others still stop). */
function haltOnce(watched: readonly WatchedResource[], log: Logger): () => Promise<void> {
  let halting: Promise<void> | undefined;
  return () => {
    halting ??= Promise.all(
      watched.map(async (w) => {
        try {
          await w.reflector.stop();
        } catch (err) {
          log.warn({ resource: w.resource, err: (err as Error).message }, 'reflector stop failed');
        }
      }),
    ).then(() => undefined);
    return halting;
  };
}

/** Builds and starts a view; `synced` resolves once every reflector's first complete list was applied. */
export function createStoreView(o: StoreViewOptions): StoreView {
  const store = o.createStore();
  const log = o.logger.child({ shard: o.assignment.shard, total: o.assignment.total });
  const watched = watchedResources(o, store, log);
  const synced = startAll(watched, store, log);
  const halt = haltOnce(watched, log);
  return {
    assignment: { ...o.assignment },
    store,
    source: store,
    watched,
    synced,
    ready: () => watched.every((w) => w.reflector.hasSynced()),
    halt,
    async stop() {
      await halt();
      // Nothing reads a replaced view; dropping its objects now frees the memory before the next GC cycle.
      store.clear();
    },
  };
}
