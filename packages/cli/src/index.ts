export { KSO_MALLOC_ENV, KSO_NODE_FLAGS } from '@kso/config';
export { type Agent, startAgent } from './agent.ts';
export {
  type ConfigResult,
  loadRunConfig,
  type OptionInfo,
  options,
  parseDuration,
  parseHeaders,
  type RunConfig,
  redacted,
  runUsage,
} from './config.ts';
export { main, USAGE } from './main.ts';
export { loadDocuments, parseRenderArgs, type RenderOptions, renderToString, runRender } from './render.ts';
export { makeLogger, runCommand } from './run.ts';
export { registerSelfMetrics, SELF_METRICS } from './self-metrics.ts';
