// A kubeconfig file with static credentials, without @kubernetes/client-node. Loading client-node's KubeConfig
// (even without its generated API clients, client-node.ts) brings undici, openid-client, jose, socks, js-yaml
// and jsonpath-plus into the process: ~360 modules, +6 MB V8 heap used and +12 MB RSS, kept for the process's
// life, in a `kso run` that only asks it for a server URL and TLS options (http.ts). Most kubeconfig files name
// a server, a CA and a token or client certificate; those are served here exactly as client-node's
// applyToHTTPSOptions would (same options, same agent), and anything else (exec or auth-provider plugins, token
// files, basic auth, impersonation, proxies, a KUBECONFIG list, an entry client-node would reject) returns
// undefined, and the caller loads client-node as before.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { ApiConnection } from './in-cluster.ts';

const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority-data',
  'certificate-authority',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'extensions',
]);
const USER_KEYS = new Set([
  'token',
  'client-certificate-data',
  'client-certificate',
  'client-key-data',
  'client-key',
  'extensions',
]);

export interface StaticCluster {
  readonly name: string;
  /** Without a trailing slash, as client-node keeps it. */
  readonly server: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
  readonly caData?: string;
  readonly caFile?: string;
}

interface StaticUser {
  readonly token?: string;
  readonly certData?: string;
  readonly certFile?: string;
  readonly keyData?: string;
  readonly keyFile?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Obj, k: string): string | undefined | null {
  const v = o[k];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : null;
}

/** The named entry's inner object, when every entry of the list is well-formed (client-node throws otherwise). */
function pick(list: unknown, name: string, key: string): Obj | undefined {
  if (!Array.isArray(list)) return undefined;
  let found: Obj | undefined;
  for (const e of list) {
    if (!isObj(e) || typeof e.name !== 'string' || e.name === '' || !isObj(e[key])) return undefined;
    if (found === undefined && e.name === name) found = e[key] as Obj;
  }
  return found;
}

/** Relative certificate paths are relative to the kubeconfig file (client-node's makePathsAbsolute). */
function absolute(root: string, file: string | undefined): string | undefined {
  return file === undefined || isAbsolute(file) ? file : join(root, file);
}

/** client-node's bufferFromFileOrString: the file (read on every call, so rotated files are picked up) wins. */
function material(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

export class StaticKubeConfig implements ApiConnection {
  readonly #cluster: StaticCluster;
  readonly #user: StaticUser;
  #agent: http.Agent | undefined;

  private constructor(cluster: StaticCluster, user: StaticUser) {
    this.#cluster = cluster;
    this.#user = user;
  }

  /**
   * The file's current context (or `context`) when it needs nothing but static credentials; undefined when
   * client-node should load it (including every file client-node would reject, so its errors stay the same).
   */
  static load(file: string, context?: string): StaticKubeConfig | undefined {
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
    if (!isObj(doc)) return undefined;
    const current = context ?? doc['current-context'];
    if (typeof current !== 'string' || current === '') return undefined;
    const ctx = pick(doc.contexts, current, 'context');
    if (ctx === undefined || typeof ctx.cluster !== 'string' || typeof ctx.user !== 'string') return undefined;
    const c = pick(doc.clusters, ctx.cluster, 'cluster');
    const u = pick(doc.users, ctx.user, 'user');
    if (c === undefined || u === undefined) return undefined;
    if (!Object.keys(c).every((k) => CLUSTER_KEYS.has(k)) || !Object.keys(u).every((k) => USER_KEYS.has(k)))
      return undefined;
    const server = optString(c, 'server');
    const skip = c['insecure-skip-tls-verify'];
    if (typeof server !== 'string' || (skip !== undefined && typeof skip !== 'boolean')) return undefined;
    try {
      new URL(server);
    } catch {
      return undefined;
    }
    const strings = [
      ...['certificate-authority-data', 'certificate-authority', 'tls-server-name'].map((k) => optString(c, k)),
      ...[...USER_KEYS].filter((k) => k !== 'extensions').map((k) => optString(u, k)),
    ];
    if (strings.includes(null)) return undefined;
    const root = dirname(file);
    const cluster: StaticCluster = {
      name: ctx.cluster,
      server: server.replace(/\/$/, ''),
      skipTLSVerify: skip === true,
      ...defined('tlsServerName', optString(c, 'tls-server-name')),
      ...defined('caData', optString(c, 'certificate-authority-data')),
      ...defined('caFile', absolute(root, optString(c, 'certificate-authority') ?? undefined)),
    };
    if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) return undefined;
    const user: StaticUser = {
      ...defined('token', optString(u, 'token')),
      ...defined('certData', optString(u, 'client-certificate-data')),
      ...defined('certFile', absolute(root, optString(u, 'client-certificate') ?? undefined)),
      ...defined('keyData', optString(u, 'client-key-data')),
      ...defined('keyFile', absolute(root, optString(u, 'client-key') ?? undefined)),
    };
    return new StaticKubeConfig(cluster, user);
  }

  getCurrentCluster(): StaticCluster {
    return this.#cluster;
  }

  /** What client-node's KubeConfig.applyToHTTPSOptions sets for these credentials; one agent per instance, as its cache. */
  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const c = this.#cluster;
    const u = this.#user;
    if (c.skipTLSVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName !== undefined) opts.servername = c.tlsServerName;
    const ca = material(c.caFile, c.caData);
    if (ca) opts.ca = ca;
    const cert = material(u.certFile, u.certData);
    if (cert) opts.cert = cert;
    const key = material(u.keyFile, u.keyData);
    if (key) opts.key = key;
    opts.headers ??= {};
    if (u.token) (opts.headers as Record<string, string>).Authorization = `Bearer ${u.token}`;
    if (this.#agent === undefined) {
      const agentOptions: https.AgentOptions = { ca: opts.ca, cert: opts.cert, key: opts.key };
      if (opts.rejectUnauthorized !== undefined) agentOptions.rejectUnauthorized = opts.rejectUnauthorized;
      if (opts.servername !== undefined) agentOptions.servername = opts.servername;
      this.#agent = c.server.startsWith('http:') ? new http.Agent(agentOptions) : new https.Agent(agentOptions);
    }
    opts.agent = this.#agent;
  }

  close(): void {
    this.#agent?.destroy();
  }
}

function defined<K extends string>(k: K, v: string | null | undefined): { [P in K]?: string } {
  return (typeof v === 'string' ? { [k]: v } : {}) as { [P in K]?: string };
}
