// The list/watch seam of `kso run`: @kso/watch's Reflector in production, a stand-in pair in unit tests
// (test/agent.test.ts), typed from the real packages.
import type { ViewReflectorCtor } from '@kso/sharding';
import type { KubeConfigOptions, ReflectorStats, ReflectorOptions as WatchReflectorOptions } from '@kso/watch';

export type WatchStats = Partial<ReflectorStats>;
export type ReflectorOptions = WatchReflectorOptions<unknown>;

/** A replacement for @kso/watch (tests): its kubeconfig value is only ever handed to its own Reflector. */
export interface WatchModule {
  loadKubeConfig(opts: KubeConfigOptions): unknown;
  Reflector: ViewReflectorCtor;
}
