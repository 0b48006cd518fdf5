// In-cluster credentials without @kubernetes/client-node. In a Pod the API server is reached with three
// things: KUBERNETES_SERVICE_HOST/PORT, the service account CA file and a token file. Importing client-node
// for that costs ~90 MB of RSS (measured: bare Node 24 42 → 136 MB), which a per-CronJob-run sidecar with a
// 96Mi limit cannot afford, so this module does what client-node's loadFromCluster + tokenFile provider do.
//
// Token rotation: a projected service account token is rewritten by the kubelet before it expires (at 80%
// of its lifetime, default 1 h). Like client-go's cachingTokenSource we re-read it after a minute, and at
// once after a 401 (the API server rejected what we sent: the file may already hold a newer token).
import { readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import { isIPv6 } from 'node:net';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What the HTTP layer needs from a connection: KubeConfig satisfies it, and so does InClusterConfig. */
export interface ApiConnection {
  getCurrentCluster(): { readonly name: string; readonly server: string } | null;
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
  /** Called after a 401: the credentials may be stale (rotated token). */
  invalidate?(): void;
  /** Releases pooled connections (keep-alive sockets would otherwise hold a finished process open). */
  close?(): void;
}

export interface InClusterOptions {
  /** Directory holding `token`, `ca.crt` and `namespace` (a projected volume can mount it anywhere). */
  serviceAccountDir?: string;
  env?: NodeJS.ProcessEnv;
  /** How long a read token is trusted before the file is read again. Default 60 s (client-go's period). */
  tokenRefreshMs?: number;
  now?: () => number;
}

interface Material {
  readonly token: string;
  readonly tokenReadAt: number;
  readonly caKey: string;
  readonly agent: https.Agent | undefined;
}

export class InClusterConfig implements ApiConnection {
  readonly server: string;
  readonly serviceAccountDir: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  #material: Material | undefined;

  constructor(opts: InClusterOptions = {}) {
    const env = opts.env ?? process.env;
    const host = env['KUBERNETES_SERVICE_HOST'];
    const port = env['KUBERNETES_SERVICE_PORT'];
    if (!host || !port)
      throw new Error('in-cluster config: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not in a Pod?)');
    this.serviceAccountDir = (opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR).replace(/\/+$/, '');
    // The same scheme rule as client-node's loadFromCluster (plain http only on the insecure-port numbers).
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    this.server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    this.#refreshMs = opts.tokenRefreshMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
    // Fail at start-up, with the path, rather than on the first request.
    this.#load();
  }

  getCurrentCluster(): { name: string; server: string } {
    return { name: 'in-cluster', server: this.server };
  }

  invalidate(): void {
    if (this.#material) this.#material = { ...this.#material, tokenReadAt: Number.NEGATIVE_INFINITY };
  }

  close(): void {
    this.#material?.agent?.destroy();
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    let m = this.#material;
    if (!m || this.#now() - m.tokenReadAt >= this.#refreshMs) {
      try {
        m = this.#load();
      } catch (err) {
        // A transiently unreadable file (mid-rotation) must not fail the request while a token is in hand.
        if (!m) throw err;
      }
    }
    options.headers = { ...(options.headers as Record<string, string>), Authorization: `Bearer ${m.token}` };
    if (m.agent) options.agent = m.agent;
  }

  #load(): Material {
    const dir = this.serviceAccountDir;
    let token: string;
    try {
      token = readFileSync(`${dir}/token`, 'utf8').trim();
    } catch (err) {
      throw new Error(
        `in-cluster config: cannot read the service account token ${dir}/token (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; automountServiceAccountToken or a projected token volume?)`,
      );
    }
    if (token === '') throw new Error(`in-cluster config: the service account token ${dir}/token is empty`);
    let agent = this.#material?.agent;
    let caKey = this.#material?.caKey ?? '';
    if (this.server.startsWith('https:')) {
      const caPath = `${dir}/ca.crt`;
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(caPath);
      } catch (err) {
        throw new Error(
          `in-cluster config: cannot read the cluster CA ${caPath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      // The CA rarely changes (kube-root-ca.crt rotation); rebuild the agent only when it does.
      const key = `${st.mtimeMs}:${st.size}`;
      if (key !== caKey || !agent) {
        const ca = readFileSync(caPath);
        agent?.destroy();
        agent = new https.Agent({ ca, keepAlive: true });
        caKey = key;
      }
    }
    const m: Material = { token, tokenReadAt: this.#now(), caKey, agent };
    this.#material = m;
    return m;
  }
}

/** True when the process looks like it runs in a Pod (the two service environment variables are set). */
export function inClusterAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST'] && env['KUBERNETES_SERVICE_PORT']);
}
