export { Backoff, type BackoffOptions, DEFAULT_BACKOFF, parseRetryAfter, ServerRecovery } from './backoff.ts';
export { deepEqual, equalIgnoring } from './equal.ts';
export { ApiError, isExpired, isResourceVersionTooLarge, ProtocolError } from './errors.ts';
export {
  type ApiConnection,
  InClusterConfig,
  type InClusterOptions,
  inClusterAvailable,
  SERVICE_ACCOUNT_DIR,
} from './in-cluster.ts';
export { type KubeConfigOptions, loadKubeConfig } from './kubeconfig.ts';
export {
  Reflector,
  type ReflectorEvent,
  type ReflectorEvents,
  type ReflectorOptions,
  type ReflectorStats,
  type ResourceRef,
  watchTimeoutWithin,
} from './reflector.ts';
export type { ReflectorStore } from './store.ts';
