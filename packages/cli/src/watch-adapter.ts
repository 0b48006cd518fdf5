// Structural view of @kso/watch and @kso/sharding as `kso run` uses them. Loaded dynamically so the CLI
// type-checks and `kso render` works while those packages evolve; the shapes follow their documented APIs.
import type { EventEmitter } from 'node:events';

export interface WatchStats {
  resource?: string;
  objects?: number;
  lastEventTimeMs?: number;
  lastSyncTimeMs?: number;
  /** Newest sign of a live watch (bookmark, event, successful relist), when the reflector tracks it. */
  lastProgressTimeMs?: number;
  relists?: number;
  watchRestarts?: number;
  errors?: number;
  parseErrors?: number;
  synced?: boolean;
}

export interface Reflector extends EventEmitter {
  start(): void | Promise<void>;
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  stats(): WatchStats;
  stop(): void | Promise<void>;
}

export interface ReflectorOptions {
  resource: { group: string; version: string; plural: string; kind: string };
  namespace?: string;
  compact: (raw: unknown) => unknown;
  filter?: (obj: unknown) => boolean;
  logger?: unknown;
}

export interface WatchModule {
  loadKubeConfig(opts: { kubeconfig?: string; context?: string; inCluster?: boolean }): unknown;
  Reflector: new (kc: unknown, opts: ReflectorOptions) => Reflector;
}

export async function watchModule(): Promise<WatchModule> {
  const m = (await import('@kso/watch')) as unknown as Partial<WatchModule>;
  if (typeof m.loadKubeConfig !== 'function' || typeof m.Reflector !== 'function')
    throw new Error('@kso/watch does not export loadKubeConfig/Reflector');
  return m as WatchModule;
}

/** @kso/sharding's KSM-compatible UID filter, accepting a UID, a compact snapshot or a raw object. */
export async function makeShardFilter(shard: number, total: number): Promise<(obj: unknown) => boolean> {
  const m = (await import('@kso/sharding')) as unknown as {
    makeShardFilter?: (shard: number, total: number) => (uid: string) => boolean;
  };
  if (typeof m.makeShardFilter !== 'function') throw new Error('@kso/sharding does not export makeShardFilter');
  const byUid = m.makeShardFilter(shard, total);
  return (obj: unknown) => {
    if (typeof obj === 'string') return byUid(obj);
    const o = obj as { uid?: unknown; metadata?: { uid?: unknown } } | null;
    const uid = o?.uid ?? o?.metadata?.uid;
    // An object without a UID cannot be placed; the model rejects it anyway.
    return typeof uid === 'string' && byUid(uid);
  };
}
