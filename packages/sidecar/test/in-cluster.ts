// A Pod's view of the API server for the tests and the bench: kube-sim behind an HTTPS front that checks
// bearer tokens (as the real API server does), a service account directory with `token`, `ca.crt` and
// `namespace`, and the KUBERNETES_SERVICE_HOST/PORT variables — so the sidecar runs its in-cluster path.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeSim } from '@kso/kube-sim';
import { makeCerts } from '@kso/peers';

export interface InClusterFront {
  /** Directory to pass as the service account dir (token, ca.crt, namespace). */
  saDir: string;
  env: Record<string, string>;
  /** Tokens the front accepts; tests rotate by adding a new one, rewriting the file, revoking the old. */
  accepted: Set<string>;
  /** Requests answered 401. */
  rejected: number;
  writeToken(token: string): Promise<void>;
  close(): Promise<void>;
}

export async function startInClusterFront(
  sim: KubeSim,
  namespace: string,
  token = 'sa-token-1',
): Promise<InClusterFront> {
  const dir = await mkdtemp(join(tmpdir(), 'kso-sa-'));
  const certs = await makeCerts(dir);
  const saDir = join(dir, 'serviceaccount');
  await mkdir(saDir);
  await writeFile(join(saDir, 'ca.crt'), readFileSync(certs.caCert));
  await writeFile(join(saDir, 'namespace'), namespace);
  await writeFile(join(saDir, 'token'), token);
  const upstream = new URL(sim.url);
  const front: InClusterFront = {
    saDir,
    env: {},
    accepted: new Set([token]),
    rejected: 0,
    writeToken: (t) => writeFile(join(saDir, 'token'), t),
    close: async () => {},
  };
  const server = https.createServer(
    { cert: readFileSync(certs.servingCert), key: readFileSync(certs.servingKey) },
    (req, res) => {
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!auth || !front.accepted.has(auth[1]!)) {
        front.rejected++;
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 }),
          );
        return;
      }
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
          // A watch the upstream cut (kube-sim dropWatches) must be cut for the client too.
          ur.on('close', () => {
            if (!ur.complete) res.destroy();
          });
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  front.env = {
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String((server.address() as AddressInfo).port),
  };
  front.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  };
  return front;
}

/** The environment a Pod gives the sidecar container: no kubeconfig anywhere, service variables, SA dir. */
export function podEnv(front: InClusterFront, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: front.saDir, ...front.env };
  env['KSO_SERVICE_ACCOUNT_DIR'] = front.saDir;
  return { ...env, ...extra };
}
