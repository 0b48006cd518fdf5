export { runSimCli, SIM_USAGE } from './cli.ts';
export type { FailNextOptions, FailVerb } from './faults.ts';
export type { VersionInfo } from './http.ts';
export { findKubectl } from './kubectl.ts';
export { type KObj, RESOURCES, type ResourceDef, resourceFor } from './resources.ts';
export type { DemoOptions, ScaleOptions } from './scenarios/index.ts';
export { flattenObjects, readObjectFile } from './scenarios/objects.ts';
export {
  applyFaultSpec,
  type ClusterApi,
  type FaultsApi,
  type KindName,
  type KubeSim,
  type KubeSimOptions,
  type KubeSimStats,
  startKubeSim,
} from './sim.ts';
export { ApiError } from './status.ts';
