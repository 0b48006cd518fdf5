// The list/watch seam of `kso run`: @kso/watch's Reflector in production, a stand-in pair in unit tests
// (test/agent.test.ts), typed from the real packages.
import { makeShardFilter as uidShardFilter, type ViewReflectorCtor } from '@kso/sharding';
import type { KubeConfigOptions, ReflectorStats, ReflectorOptions as WatchReflectorOptions } from '@kso/watch';

export type WatchStats = Partial<ReflectorStats>;
export type ReflectorOptions = WatchReflectorOptions<unknown>;

/** A replacement for @kso/watch (tests): its kubeconfig value is only ever handed to its own Reflector. */
export interface WatchModule {
  loadKubeConfig(opts: KubeConfigOptions): unknown;
  Reflector: ViewReflectorCtor;
}

/** The KSM shard decision for a UID, a compact snapshot or a raw object (objects without a UID match no shard). */
export function makeShardFilter(shard: number, total: number): (obj: unknown) => boolean {
  const byUid = uidShardFilter(shard, total);
  return (obj) => {
    if (typeof obj === 'string') return byUid(obj);
    const o = obj as { uid?: unknown; metadata?: { uid?: unknown } } | null;
    const uid = o?.uid ?? o?.metadata?.uid;
    return typeof uid === 'string' && byUid(uid);
  };
}
