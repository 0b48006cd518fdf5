export { parseDuration } from '@kso/config';
export { parseSidecarArgs, runSidecar, SIDECAR_SPEC, type SidecarConfig, sidecarSchema, USAGE } from './cli.ts';
export { type ContainerEnd, type PodView, podView } from './pod-view.ts';
export { type ParseResult, type PromFamily, type PromSample, type PromType, parsePrometheusText } from './prom-text.ts';
export { type Identity, Relay, type RelayOptions, toMetricData, toPrometheusText, withIdentity } from './relay.ts';
export {
  type Schema,
  type Sidecar,
  type SidecarOptions,
  type SidecarResult,
  type SidecarStats,
  type SinkOutcome,
  startSidecar,
} from './sidecar.ts';
