export { fnv1a64, jumpHash, makeShardFilter, shardOf } from './hash.ts';
export type { OwnerRef } from './identity.ts';
export { ordinalFromPodName, ShardIdentityTracker, statefulSetOwnerName, totalFromStatefulSet } from './identity.ts';
export {
  type ShardIdentityStats,
  ShardIdentityWatcher,
  type ShardIdentityWatcherOptions,
} from './identity-watcher.ts';
export type { ShardInstrumentStats, ShardInstrumentsHandle } from './instruments.ts';
export { registerShardInstruments, SHARD_INSTRUMENTS } from './instruments.ts';
export type { ResharderOptions, ResharderStats, ShardAssignment, ShardView } from './resharder.ts';
export { Resharder, SwitchableSource } from './resharder.ts';
export {
  assignmentFilter,
  createStoreView,
  type StoreView,
  type StoreViewOptions,
  storeSink,
  type ViewReflector,
  type ViewReflectorCtor,
  type WatchedResource,
} from './view.ts';
