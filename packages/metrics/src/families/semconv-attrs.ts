// The semantic-convention attribute names the semconv table uses, as in @opentelemetry/semantic-conventions
// 1.45.0 `incubating` (test/semconv.test.ts checks each against it). Importing that entry point for 13 names
// loaded ~1.5 MB of source and thousands of exports into every `kso run` (+3.5 MB V8 heap used, +6 MB heap
// committed, whichever schema is served), so they are written out here.
export const ATTR_K8S_CONTAINER_NAME = 'k8s.container.name';
export const ATTR_K8S_CONTAINER_STATUS_REASON = 'k8s.container.status.reason';
export const ATTR_K8S_CONTAINER_STATUS_STATE = 'k8s.container.status.state';
export const ATTR_K8S_CRONJOB_NAME = 'k8s.cronjob.name';
export const ATTR_K8S_CRONJOB_UID = 'k8s.cronjob.uid';
export const ATTR_K8S_JOB_NAME = 'k8s.job.name';
export const ATTR_K8S_JOB_UID = 'k8s.job.uid';
export const ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name';
export const ATTR_K8S_NODE_NAME = 'k8s.node.name';
export const ATTR_K8S_POD_NAME = 'k8s.pod.name';
export const ATTR_K8S_POD_STATUS_PHASE = 'k8s.pod.status.phase';
export const ATTR_K8S_POD_STATUS_REASON = 'k8s.pod.status.reason';
export const ATTR_K8S_POD_UID = 'k8s.pod.uid';
