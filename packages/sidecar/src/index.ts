export { parseSidecarArgs, runSidecar, USAGE } from './cli.ts';
export { type ContainerEnd, type PodView, parseDuration, podView } from './pod-view.ts';
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
