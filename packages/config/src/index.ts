export { formatDuration, parseDuration, parseDurationText } from './duration.ts';
export { addFormats, toList } from './formats.ts';
export { type KeyValueResult, parseHeaders, parseKeyValues } from './key-values.ts';
export {
  type CommandSpec,
  flatten,
  type LoadResult,
  loadConfig,
  normaliseArgs,
  type OptionInfo,
  type OptionSpec,
  type OptionTree,
  type Source,
  usage,
} from './load.ts';
export { LOG_LEVELS, makeLogger } from './logger.ts';
export { KSO_MALLOC_ENV, KSO_NODE_FLAGS } from './node-flags.ts';
export { appendMetricsPath, type OtelLayer, otlpProtocol, readOtelEnv } from './otel-env.ts';
export { type Identity, type IdentityConfig, type IdentityDefaults, resolveIdentity } from './resource.ts';
export {
  identityOptions,
  type OtlpConfig,
  otlpOptions,
  otlpProblems,
  otlpTls,
  type TlsFiles,
} from './shared-options.ts';
