// One authenticated GET of a single object: autosharding needs `get` on its own Pod only (no list/watch
// on pods), which the Reflector cannot do. Plain node:http(s) like @kso/watch, credentials per request
// from the KubeConfig (exec/OIDC/token files stay fresh).
import http from 'node:http';
import https from 'node:https';
import { ApiError, type loadKubeConfig } from '@kso/watch';

export type KubeConfig = ReturnType<typeof loadKubeConfig>;

/** GET `path` (e.g. /api/v1/namespaces/ns/pods/name) as JSON; non-200 → ApiError with the Status message. */
export async function getObject(kc: KubeConfig, path: string, timeoutMs: number): Promise<unknown> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig: the current context has no cluster server');
  const url = new URL(server.replace(/\/+$/, '') + path);
  const options: https.RequestOptions = {
    method: 'GET',
    headers: { Accept: 'application/json', 'User-Agent': 'kube-state-otel' },
  };
  await kc.applyToHTTPSOptions(options);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (res.statusCode === 200 && body !== undefined) return resolve(body);
        const s = (body ?? {}) as { reason?: unknown; message?: unknown };
        reject(
          new ApiError(
            res.statusCode ?? 0,
            typeof s.reason === 'string' ? s.reason : '',
            typeof s.message === 'string' ? s.message : `HTTP ${res.statusCode} for GET ${url.pathname}`,
          ),
        );
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url.pathname}: no response for ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
