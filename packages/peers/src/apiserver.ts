import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCa, makeLeaf } from '@kso/exporters/testing';
import { missingPeerMessage, peerBinary } from './paths.ts';
import { apiRequest, freePort, httpGet, type PeerProcess, spawnPeer, waitUntil } from './process.ts';

const run = promisify(execFile);

export interface RealApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** Bearer token of user `admin` in group system:masters. */
  token: string;
  /** Kubeconfig (context `kso-e2e`) with inline CA and the admin token, usable by kubectl and client-node. */
  kubeconfigPath: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  /** http://127.0.0.1:<port> of the etcd behind it (v3 JSON gateway at /v3/..., e.g. to compact). */
  etcdUrl: string;
  /** JSON request with the admin token, e.g. `call('PATCH', '/api/v1/.../status', patch, 'application/merge-patch+json')`. */
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown>;
  /** Stops kube-apiserver and starts it again on the same port over the same etcd (its watch cache is rebuilt). */
  restartApiServer(): Promise<void>;
  /** Stops kube-apiserver then etcd and deletes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartApiServerOptions {
  /** Bound on the whole startup (etcd + apiserver + namespace default). The apiserver takes 5–20 s on 2 busy cores. */
  timeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. `--feature-gates=...`; later flags override the defaults. */
  extraArgs?: string[];
}

/**
 * etcd + kube-apiserver with envtest's defaults (controller-runtime controlplane), except that auth uses a static
 * token file instead of client certificates: simpler for kubectl and client-node, same authorization (RBAC,
 * system:masters). No controllers run: tests create and advance every object themselves.
 */
export async function startRealApiServer(opts: StartApiServerOptions = {}): Promise<RealApiServer> {
  const etcdBin = peerBinary('etcd');
  const apiBin = peerBinary('kube-apiserver');
  if (!etcdBin || !apiBin) throw new Error(missingPeerMessage('etcd', 'kube-apiserver'));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const dir = await mkdtemp(join(tmpdir(), 'kso-apiserver-'));
  const procs: PeerProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Apiserver first: stopping etcd under it makes it log errors and retry until its own grace period ends.
    for (const p of procs.reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const [clientPort, peerPort, securePort] = await distinctFreePorts(3);
    const certs = await makeCerts(dir);
    const token = randomBytes(24).toString('hex');
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
    const etcdUrl = await startEtcd(etcdBin, dir, clientPort!, peerPort!, timeoutMs, procs);

    const url = `https://127.0.0.1:${securePort}`;
    const apiArgs = [
      ...apiServerArgs({ etcdUrl, securePort: securePort!, url, dir, certs, tokenFile }),
      ...(opts.extraArgs ?? []),
    ];
    const caPem = await readFile(certs.caCert, 'utf8');
    const endpoint = { url, caPem, token };
    let api = await startApiServer(apiBin, apiArgs, endpoint, timeoutMs, procs);
    // /healthz can pass before the bootstrap controllers created `default`; envtest waits for it too.
    await waitUntil(
      'namespace default',
      async () => (await httpGet(`${url}/api/v1/namespaces/default`, { ca: caPem, token })).status === 200,
      { timeoutMs, peer: api, intervalMs: 300 },
    );

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(url, caPem, token), { mode: 0o600 });
    const call = (method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> =>
      apiRequest(`${url}${path}`, { method, body, contentType, ca: caPem, token });
    const restartApiServer = async () => {
      await api.stop();
      procs.splice(procs.indexOf(api), 1);
      api = await startApiServer(apiBin, apiArgs, endpoint, timeoutMs, procs);
    };
    return { url, token, kubeconfigPath, caPem, etcdUrl, call, restartApiServer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts etcd (added to `procs` before it is healthy, so a failed start is still stopped); returns its client URL. */
async function startEtcd(
  bin: string,
  dir: string,
  clientPort: number,
  peerPort: number,
  timeoutMs: number,
  procs: PeerProcess[],
): Promise<string> {
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = spawnPeer('etcd', bin, [
    `--name=kso-e2e`,
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=kso-e2e=${peerUrl}`,
    // Durability is pointless for a throw-away store and fsync dominates etcd latency on a shared disk.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]);
  procs.push(etcd);
  await waitUntil(
    'etcd /health',
    async () => {
      const r = await httpGet(`${etcdUrl}/health`, { timeoutMs: 2_000 });
      return r.status === 200 && r.body.includes('"health":"true"');
    },
    { timeoutMs, peer: etcd },
  );
  return etcdUrl;
}

function apiServerArgs(o: {
  etcdUrl: string;
  securePort: number;
  url: string;
  dir: string;
  certs: ApiServerCerts;
  tokenFile: string;
}): string[] {
  return [
    `--etcd-servers=${o.etcdUrl}`,
    `--secure-port=${o.securePort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--cert-dir=${o.dir}`,
    `--tls-cert-file=${o.certs.servingCert}`,
    `--tls-private-key-file=${o.certs.servingKey}`,
    `--token-auth-file=${o.tokenFile}`,
    '--authorization-mode=RBAC',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    // No service-account controller runs, so pods would otherwise be rejected for lack of a default SA.
    '--disable-admission-plugins=ServiceAccount',
    `--service-account-issuer=${o.url}/`,
    `--service-account-key-file=${o.certs.saPublic}`,
    `--service-account-signing-key-file=${o.certs.saPrivate}`,
  ];
}

/** Starts kube-apiserver (added to `procs` at once) and waits until /healthz answers ok. */
async function startApiServer(
  bin: string,
  args: string[],
  endpoint: { url: string; caPem: string; token: string },
  timeoutMs: number,
  procs: PeerProcess[],
): Promise<PeerProcess> {
  const api = spawnPeer('kube-apiserver', bin, args);
  procs.push(api);
  await waitUntil(
    'kube-apiserver /healthz',
    async () => {
      const r = await httpGet(`${endpoint.url}/healthz`, {
        ca: endpoint.caPem,
        token: endpoint.token,
        timeoutMs: 5_000,
      });
      return r.status === 200 && r.body.trim() === 'ok';
    },
    { timeoutMs, peer: api, intervalMs: 300 },
  );
  return api;
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface ApiServerCerts {
  caCert: string;
  servingCert: string;
  servingKey: string;
  saPrivate: string;
  saPublic: string;
}

/**
 * Throw-away CA, serving cert for localhost/127.0.0.1 and service-account key pair. The CA and the serving
 * certificate come from the one test PKI (@kso/exporters/testing); only the signing key pair is the API server's.
 */
export async function makeCerts(dir: string): Promise<ApiServerCerts> {
  const ca = makeCa(dir, 'ca');
  const serving = makeLeaf(dir, 'apiserver', ca, 'server');
  const f = (name: string): string => join(dir, name);
  const openssl = async (...args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', f('sa-signer.key'));
  await openssl('pkey', '-in', f('sa-signer.key'), '-pubout', '-out', f('sa-signer.pub'));
  return {
    caCert: ca.cert,
    servingCert: serving.cert,
    servingKey: serving.key,
    saPrivate: f('sa-signer.key'),
    saPublic: f('sa-signer.pub'),
  };
}

/** A kubeconfig (context kso-e2e) for `url` with an inline CA and a bearer token. */
export function kubeconfig(url: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kso-e2e',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: kso-e2e',
    '  context:',
    '    cluster: kso-e2e',
    '    user: admin',
    'current-context: kso-e2e',
    '',
  ].join('\n');
}
