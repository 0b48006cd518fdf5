// Connection loading with errors that say what to fix (client-node's own are often "undefined" URLs).
//
// @kubernetes/client-node is loaded only when a kubeconfig file needs it (exec/OIDC plugins, token files,
// proxies, several files): even without its generated API clients (client-node.ts) it costs ~12 MB of RSS. In a
// Pod the light InClusterConfig does the job, and a file with static credentials is read by StaticKubeConfig.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigClass } from './client-node.ts';
import { InClusterConfig, inClusterAvailable } from './in-cluster.ts';
import { StaticKubeConfig } from './static-kubeconfig.ts';

export interface KubeConfigOptions {
  /** Path of a kubeconfig file. Default: $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Use the Pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted token). */
  inCluster?: boolean;
  /** Where the service account token, ca.crt and namespace are mounted (default the standard path). */
  serviceAccountDir?: string;
}

/** The one kubeconfig file client-node would load (loadFromFile / loadFromDefault); undefined for a KUBECONFIG list. */
function singleFile(given: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (given) return given;
  const list = env['KUBECONFIG'];
  if (list) {
    const files = list.split(delimiter).filter(Boolean);
    return files.length === 1 ? files[0] : undefined;
  }
  const home = join(homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

function defaultFileExists(env: NodeJS.ProcessEnv): boolean {
  if (env['KUBECONFIG']) return true;
  return existsSync(join(homedir(), '.kube', 'config'));
}

/**
 * Returns what the watch layer needs to reach the API server. In-cluster (asked for, or no kubeconfig file
 * exists and the service variables are set) this is an InClusterConfig: it only provides the two methods
 * http.ts and the sharding GET call (getCurrentCluster, applyToHTTPSOptions; see ApiConnection), typed as
 * KubeConfig so the Reflector's signature stays as it is.
 */
export function loadKubeConfig(opts: KubeConfigOptions = {}, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  if (opts.inCluster && opts.kubeconfig)
    throw new Error('kubeconfig: --in-cluster and a kubeconfig file are mutually exclusive');
  const inCluster = opts.inCluster === true || (!opts.kubeconfig && !defaultFileExists(env) && inClusterAvailable(env));
  if (inCluster) {
    if (opts.context) throw new Error(`kubeconfig: context "${opts.context}" needs a kubeconfig file, not in-cluster`);
    return new InClusterConfig({
      env,
      ...(opts.serviceAccountDir ? { serviceAccountDir: opts.serviceAccountDir } : {}),
    }) as unknown as KubeConfig;
  }
  const file = singleFile(opts.kubeconfig, env);
  const light = file === undefined ? undefined : StaticKubeConfig.load(file, opts.context);
  if (light !== undefined) return light as unknown as KubeConfig;
  const kc = new (kubeConfigClass())();
  if (opts.kubeconfig) {
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
