// The OTLP Resource of a kso process, built the way an OpenTelemetry SDK builds it: OTEL_RESOURCE_ATTRIBUTES
// (or --resource-attributes), then OTEL_SERVICE_NAME (or --service-name) over its service.name, then kso's own
// defaults for what is still missing. service.instance.id tells replicas apart in a Collector: the pod when kso
// knows it (downward API), else the host name (in a pod that is the pod name too).
import { hostname } from 'node:os';
import { parseKeyValues } from './key-values.ts';

export interface IdentityConfig {
  /** `key=value,...`, spec format (already validated by the config layer). */
  resourceAttributes: string;
  serviceName: string;
  serviceInstanceId: string;
  clusterName: string;
}

export interface IdentityDefaults {
  /** e.g. `kube-state-otel` */
  serviceName: string;
  serviceVersion: string;
  /** Own pod, when known (`<namespace>.<name>` becomes the instance id). */
  pod?: { name: string; namespace: string } | undefined;
  hostname?: () => string;
}

export interface Identity {
  /** Resource attributes of every ResourceMetrics the process pushes (self-metrics, non-entity data). */
  resource: Record<string, string>;
  /** Attributes every entity Resource gets too (today `k8s.cluster.name`). */
  entityAttributes: Record<string, string>;
}

export function resolveIdentity(c: IdentityConfig, d: IdentityDefaults): Identity {
  const parsed = parseKeyValues(c.resourceAttributes);
  const attrs: Record<string, string> = 'values' in parsed ? { ...parsed.values } : {};
  if (c.serviceName !== '') attrs['service.name'] = c.serviceName;
  attrs['service.name'] ??= d.serviceName;
  attrs['service.version'] ??= d.serviceVersion;
  if (c.serviceInstanceId !== '') attrs['service.instance.id'] = c.serviceInstanceId;
  attrs['service.instance.id'] ??= d.pod ? `${d.pod.namespace}.${d.pod.name}` : (d.hostname ?? hostname)();
  if (c.clusterName !== '') attrs['k8s.cluster.name'] = c.clusterName;
  const entityAttributes: Record<string, string> = {};
  for (const k of ['k8s.cluster.name', 'k8s.cluster.uid'])
    if (attrs[k] !== undefined && attrs[k] !== '') entityAttributes[k] = attrs[k]!;
  return { resource: attrs, entityAttributes };
}
