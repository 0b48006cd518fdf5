// Light on purpose: `kso sidecar` imports this index, and cli.ts loads the Kubernetes/OTLP machinery
// (sidecar.ts) only after the flags parsed. Heavy modules are reachable as `@kso/sidecar/sidecar`.
export { parseDuration } from '@kso/config';
export {
  type ParseResult,
  type PromFamily,
  type PromSample,
  type PromType,
  parsePrometheusText,
} from '@kso/exporters/prom-parse';
export { parseSidecarArgs, runSidecar, SIDECAR_SPEC, type SidecarConfig, sidecarSchema, USAGE } from './cli.ts';
export { type ContainerEnd, type PodView, podView } from './pod-view.ts';
export type { Identity, RelayOptions } from './relay.ts';
export type { Sidecar, SidecarOptions, SidecarResult, SidecarStats, SinkOutcome } from './sidecar.ts';
