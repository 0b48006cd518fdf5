// KubeConfig loading with errors that say what to fix (client-node's own are often "undefined" URLs).
import { existsSync } from 'node:fs';
import { KubeConfig } from './client-node.ts';

export interface KubeConfigOptions {
  /** Path of a kubeconfig file. Default: $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Use the Pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted token). */
  inCluster?: boolean;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.inCluster) {
    if (opts.kubeconfig) throw new Error('kubeconfig: --in-cluster and a kubeconfig file are mutually exclusive');
    const { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port } = process.env;
    if (!host || !port)
      throw new Error('in-cluster config: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not in a Pod?)');
    if (!existsSync(`${SA_DIR}/token`))
      throw new Error(`in-cluster config: no service account token at ${SA_DIR}/token (automountServiceAccountToken?)`);
    kc.loadFromCluster();
  } else if (opts.kubeconfig) {
    try {
      kc.loadFromFile(opts.kubeconfig);
    } catch (err) {
      throw new Error(`kubeconfig: cannot load ${opts.kubeconfig}: ${(err as Error).message}`);
    }
  } else {
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new Error(`kubeconfig: cannot load the default configuration: ${(err as Error).message}`);
    }
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(
        `kubeconfig: no context "${opts.context}" (available: ${known.length > 0 ? known.join(', ') : 'none'})`,
      );
    }
    kc.setCurrentContext(opts.context);
  }
  const current = kc.getCurrentContext();
  if (!current || !kc.getContextObject(current))
    throw new Error('kubeconfig: no current context (set current-context or pass a context)');
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new Error(`kubeconfig: context "${current}" names no cluster with a server URL`);
  try {
    new URL(cluster.server);
  } catch {
    throw new Error(`kubeconfig: cluster "${cluster.name}" has an invalid server URL "${cluster.server}"`);
  }
  return kc;
}
