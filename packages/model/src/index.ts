export { MalformedObjectError, type ResourceQuantity } from './parse.ts';
export { parseQuantity, QuantityParseError, quantityCores, quantityValue } from './quantity.ts';
export { RESOURCES, type ResourceInfo, type ResourceKind, type SnapshotOf } from './resources.ts';
export {
  type Condition,
  type ContainerSpec,
  type ContainerState,
  type ContainerStatus,
  type CronJobSnapshot,
  compactCronJob,
  compactJob,
  compactPod,
  compactStatefulSet,
  type JobSnapshot,
  type ObjectMeta,
  type OwnerRef,
  type PodResourceClaim,
  type PodSnapshot,
  type PvcVolume,
  type StatefulSetSnapshot,
  type TerminatedState,
  type Toleration,
} from './snapshots.ts';
