// `--web-config-file`: the Prometheus exporter-toolkit web configuration (TLS server certificate, client CA /
// mTLS, basic-auth users with bcrypt hashes, response headers, rate limit), the format KSM reads with
// `--tls-config`. Semantics follow exporter-toolkit's web/tls_config.go and web/handler.go: strict keys, paths
// relative to the file's directory, the file and the certificates it names picked up again without a restart.
//
// Reloading: exporter-toolkit re-reads everything per connection/request. Here a cheap stat fingerprint
// (mtime, size, inode of the file and of every file it names; Secret volumes swap a symlink, which changes the
// inode) is checked per TLS connection and per request, and only a changed fingerprint re-reads and re-parses.
// A reload that fails keeps the last good configuration (logged once per broken state), so a half-written
// Secret never takes the endpoint down; exporter-toolkit answers 500 instead.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import type { SecureContextOptions, SecureVersion, TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Record<string, SecureVersion> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

// Go's crypto/tls names (what the toolkit's `cipher_suites` accepts) → OpenSSL names. TLS 1.3 suites are not
// configurable in Go either; TLS 1.2 suites only.
const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

// exporter-toolkit's extraHTTPHeaders: the only headers it lets a config set, some with fixed values.
const HEADERS: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'];
const TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_auth_type',
  'client_ca_file',
  'client_allowed_sans',
  'min_version',
  'max_version',
  'cipher_suites',
  'prefer_server_cipher_suites',
  'curve_preferences',
];

export interface TlsSettings {
  /** Options for tls.createSecureContext / server.setSecureContext (certificates already read). */
  context: SecureContextOptions;
  clientAuth: ClientAuthType;
  /** Client certificate must carry one of these SANs (DNS, e-mail, IP or URI), as the toolkit checks. */
  clientAllowedSans?: string[];
}

export interface WebConfig {
  tls?: TlsSettings;
  /** user → bcrypt hash; empty = no basic auth. */
  users: Map<string, string>;
  headers: Record<string, string>;
  rateLimit?: { intervalMs: number; burst: number };
  /** Files the configuration was read from (the web config itself first): the reload fingerprint. */
  files: string[];
}

export class WebConfigError extends Error {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'WebConfigError';
    this.file = file;
    this.problems = problems;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a Go duration subset (`1s`, `500ms`, `1m30s`, `0`) to milliseconds. */
function goDuration(v: unknown): number | undefined {
  if (v === 0 || v === '0') return 0;
  if (typeof v !== 'string') return undefined;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };
  while (pos < v.length) {
    re.lastIndex = pos;
    const m = re.exec(v);
    if (!m) return undefined;
    total += Number(m[1]) * (unit[m[2]!] ?? 0);
    pos = re.lastIndex;
  }
  return v.length > 0 ? total : undefined;
}

/**
 * Parses and validates a web config and reads the files it names. Throws WebConfigError listing every problem
 * (secrets never appear in messages).
 */
export function loadWebConfig(file: string): WebConfig {
  const doc = readDocument(file);
  const problems: string[] = [];
  for (const k of Object.keys(doc)) if (!TOP_KEYS.includes(k)) problems.push(`unknown key ${JSON.stringify(k)}`);
  const dir = dirname(file);
  const files = [file];
  const readNamed: ReadNamed = (key, p) => {
    const path = isAbsolute(p) ? p : join(dir, p);
    files.push(path);
    try {
      return readFileSync(path);
    } catch (err) {
      problems.push(
        `tls_server_config.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
      return undefined;
    }
  };
  const tls = parseTlsServerConfig(doc.tls_server_config ?? {}, problems, readNamed);
  const headers = parseHttpServerConfig(doc.http_server_config ?? {}, problems);
  const users = parseBasicAuthUsers(doc.basic_auth_users ?? {}, problems);
  const rateLimit = parseRateLimit(doc.rate_limit, problems);
  if (problems.length > 0) throw new WebConfigError(file, problems);
  return { ...(tls ? { tls } : {}), users, headers, ...(rateLimit ? { rateLimit } : {}), files };
}

/** Reads a file named by the config (relative to it), recording it for the reload fingerprint. */
type ReadNamed = (key: string, path: string) => Buffer | undefined;
/** A tls_server_config string option; '' when absent, a problem when not a string (each time it is read). */
type TlsString = (key: string) => string;

/** The YAML mapping of `file`; unreadable files, invalid YAML and non-mappings are fatal at once. */
function readDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new WebConfigError(file, [`invalid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (!isRecord(doc)) throw new WebConfigError(file, ['must be a YAML mapping']);
  return doc;
}

/** tls_server_config: undefined when TLS is not configured (no certificate, key, client CA or auth type). */
function parseTlsServerConfig(t: unknown, problems: string[], readNamed: ReadNamed): TlsSettings | undefined {
  if (!isRecord(t)) {
    problems.push('tls_server_config must be a mapping');
    return undefined;
  }
  for (const k of Object.keys(t))
    if (!TLS_KEYS.includes(k)) problems.push(`unknown key ${JSON.stringify(`tls_server_config.${k}`)}`);
  const str: TlsString = (k) => {
    const v = t[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      problems.push(`tls_server_config.${k} must be a string`);
      return '';
    }
    return v;
  };
  const enabled = ['cert', 'key', 'cert_file', 'key_file', 'client_ca', 'client_ca_file', 'client_auth_type'].some(
    (k) => str(k) !== '',
  );
  if (!enabled) return undefined;
  const context: SecureContextOptions = {};
  const ca = tlsCertificates(str, problems, readNamed, context);
  const clientAuth = tlsClientAuth(str, ca, problems);
  tlsVersions(str, problems, context);
  tlsCipherOptions(t, problems, context);
  const clientAllowedSans = tlsClientAllowedSans(t.client_allowed_sans, problems);
  return { context, clientAuth, ...(clientAllowedSans ? { clientAllowedSans } : {}) };
}

/** Puts certificate, key and client CA (inline or from files) on `context`; returns the client CA, if any. */
function tlsCertificates(
  str: TlsString,
  problems: string[],
  readNamed: ReadNamed,
  context: SecureContextOptions,
): string | Buffer | undefined {
  if (str('cert_file') && str('cert')) problems.push('tls_server_config: give cert or cert_file, not both');
  if (str('key_file') && str('key')) problems.push('tls_server_config: give key or key_file, not both');
  if (!str('cert_file') && !str('cert')) problems.push('tls_server_config: missing one of cert or cert_file');
  if (!str('key_file') && !str('key')) problems.push('tls_server_config: missing one of key or key_file');
  const cert = str('cert_file') ? readNamed('cert_file', str('cert_file')) : str('cert') || undefined;
  const key = str('key_file') ? readNamed('key_file', str('key_file')) : str('key') || undefined;
  if (cert !== undefined) context.cert = cert;
  if (key !== undefined) context.key = key;
  const ca = str('client_ca_file') ? readNamed('client_ca_file', str('client_ca_file')) : str('client_ca');
  if (ca) context.ca = ca;
  return ca;
}

function tlsClientAuth(str: TlsString, ca: string | Buffer | undefined, problems: string[]): ClientAuthType {
  const auth = str('client_auth_type') || 'NoClientCert';
  // "RequireClientCert" is the toolkit's backwards-compatible alias.
  const clientAuth = (auth === 'RequireClientCert' ? 'RequireAnyClientCert' : auth) as ClientAuthType;
  if (!CLIENT_AUTH_TYPES.includes(clientAuth))
    problems.push(
      `tls_server_config.client_auth_type: invalid ${JSON.stringify(auth)}; one of ${CLIENT_AUTH_TYPES.join(', ')}`,
    );
  if (ca && clientAuth === 'NoClientCert')
    problems.push("tls_server_config: client CA's have been configured without a client_auth_type");
  return clientAuth;
}

function tlsVersions(str: TlsString, problems: string[], context: SecureContextOptions): void {
  for (const [k, dflt] of [
    ['min_version', 'TLS12'],
    ['max_version', 'TLS13'],
  ] as const) {
    const v = str(k) || dflt;
    const ver = TLS_VERSIONS[v];
    if (!ver)
      problems.push(
        `tls_server_config.${k}: unknown TLS version ${JSON.stringify(v)}; one of TLS10, TLS11, TLS12, TLS13`,
      );
    else context[k === 'min_version' ? 'minVersion' : 'maxVersion'] = ver;
  }
}

function tlsCipherOptions(t: Record<string, unknown>, problems: string[], context: SecureContextOptions): void {
  const ciphers = tlsNameList(t, 'cipher_suites', CIPHERS, problems);
  if (ciphers) context.ciphers = ciphers.join(':');
  const curves = tlsNameList(t, 'curve_preferences', CURVES, problems);
  if (curves) context.ecdhCurve = curves.join(':');
  const prefer = t.prefer_server_cipher_suites;
  if (prefer !== undefined && typeof prefer !== 'boolean')
    problems.push('tls_server_config.prefer_server_cipher_suites must be true or false');
  context.honorCipherOrder = prefer !== false;
}

/** A list of Go names mapped through `table` to OpenSSL's; undefined when absent or empty. */
function tlsNameList(
  t: Record<string, unknown>,
  k: string,
  table: Record<string, string>,
  problems: string[],
): string[] | undefined {
  const v = t[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    problems.push(`tls_server_config.${k} must be a list`);
    return undefined;
  }
  const out: string[] = [];
  for (const x of v) {
    const m = typeof x === 'string' ? table[x] : undefined;
    if (m === undefined) problems.push(`tls_server_config.${k}: unknown ${JSON.stringify(x)}`);
    else out.push(m);
  }
  return out.length > 0 ? out : undefined;
}

function tlsClientAllowedSans(sans: unknown, problems: string[]): string[] | undefined {
  if (sans === undefined || sans === null) return undefined;
  if (!Array.isArray(sans) || sans.some((s) => typeof s !== 'string')) {
    problems.push('tls_server_config.client_allowed_sans must be a list of strings');
    return undefined;
  }
  return sans as string[];
}

/** http_server_config: the response headers it sets (http2 is only validated). */
function parseHttpServerConfig(h: unknown, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!isRecord(h)) {
    problems.push('http_server_config must be a mapping');
    return headers;
  }
  for (const k of Object.keys(h))
    if (k !== 'http2' && k !== 'headers') problems.push(`unknown key ${JSON.stringify(`http_server_config.${k}`)}`);
  // http2 is accepted for compatibility; this server speaks HTTP/1.1 (what Prometheus scrapes with).
  if (h.http2 !== undefined && typeof h.http2 !== 'boolean')
    problems.push('http_server_config.http2 must be true or false');
  const hs = h.headers ?? {};
  if (!isRecord(hs)) {
    problems.push('http_server_config.headers must be a mapping');
    return headers;
  }
  for (const [k, v] of Object.entries(hs)) {
    if (!(k in HEADERS)) {
      problems.push(`http_server_config.headers: HTTP header ${JSON.stringify(k)} can not be configured`);
      continue;
    }
    const allowed = HEADERS[k];
    if (typeof v !== 'string' || (allowed && !allowed.includes(v)))
      problems.push(`http_server_config.headers.${k}: expected one of ${JSON.stringify(allowed ?? ['<string>'])}`);
    else if (v !== '') headers[k] = v;
  }
  return headers;
}

/** basic_auth_users: user → bcrypt hash, validated as the toolkit does (bcrypt.Cost); a hash is never printed. */
function parseBasicAuthUsers(u: unknown, problems: string[]): Map<string, string> {
  const users = new Map<string, string>();
  if (!isRecord(u)) {
    problems.push('basic_auth_users must be a mapping of user: bcrypt-hash');
    return users;
  }
  for (const [name, hash] of Object.entries(u)) {
    let ok = typeof hash === 'string';
    if (ok) {
      try {
        bcrypt.getRounds(hash as string);
        ok = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash as string);
      } catch {
        ok = false;
      }
    }
    if (!ok) problems.push(`basic_auth_users.${name}: not a bcrypt hash (value not shown)`);
    else users.set(name, hash as string);
  }
  return users;
}

/** rate_limit: undefined when absent or when its interval is 0 (no limit). */
function parseRateLimit(r: unknown, problems: string[]): WebConfig['rateLimit'] {
  if (r === undefined || r === null) return undefined;
  if (!isRecord(r)) {
    problems.push('rate_limit must be a mapping with interval and burst');
    return undefined;
  }
  for (const k of Object.keys(r))
    if (k !== 'interval' && k !== 'burst') problems.push(`unknown key ${JSON.stringify(`rate_limit.${k}`)}`);
  const intervalMs = goDuration(r.interval ?? 0);
  const burst = r.burst ?? 0;
  if (intervalMs === undefined) problems.push('rate_limit.interval must be a duration like 1s or 100ms');
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0)
    problems.push('rate_limit.burst must be a non-negative integer');
  if (intervalMs && typeof burst === 'number') return { intervalMs, burst };
  return undefined;
}

function fingerprint(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/** The current web config, reloaded when the file or a file it names changes (checked on each call). */
export class WebConfigSource {
  private cfg: WebConfig;
  private print: string;
  private failedPrint: string | undefined;
  /** Bumped on every successful reload (consumers cache derived state per generation). */
  generation = 0;

  readonly file: string;
  private readonly logger: Logger | undefined;

  constructor(file: string, logger?: Logger) {
    this.file = file;
    this.logger = logger;
    this.cfg = loadWebConfig(file);
    this.print = fingerprint(this.cfg.files);
  }

  current(): WebConfig {
    const now = fingerprint(this.cfg.files);
    if (now === this.print || now === this.failedPrint) return this.cfg;
    try {
      this.cfg = loadWebConfig(this.file);
      // Fingerprint of what was actually read (a reload may name other files).
      this.print = fingerprint(this.cfg.files);
      this.failedPrint = undefined;
      this.generation++;
      this.logger?.info(
        { file: this.file, tls: this.cfg.tls !== undefined, users: this.cfg.users.size },
        'web config reloaded',
      );
    } catch (err) {
      this.failedPrint = now;
      this.logger?.error(
        { file: this.file, problems: err instanceof WebConfigError ? err.problems : [(err as Error).message] },
        'web config reload failed; keeping the previous configuration',
      );
    }
    return this.cfg;
  }
}

/** A bcrypt hash for basic_auth_users (what `htpasswd -nBC 10 "" | tr -d ':\n'` prints). */
export function bcryptHash(password: string, cost = 10): string {
  return bcrypt.hashSync(password, cost);
}

// bcrypt of "fakepassword" (the toolkit's constant): unknown users cost as much as known ones, so response
// times do not tell which user names exist.
const FAKE_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
const AUTH_CACHE_MAX = 1024;

/** Basic-auth check with a bounded cache of bcrypt outcomes (bcrypt costs ~50 ms per try at cost 10). */
export class BasicAuthenticator {
  private cache = new Map<string, boolean>();

  /** True when the request may proceed (no users configured, or valid credentials). */
  async check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<boolean> {
    if (users.size === 0) return true;
    const creds = parseBasic(authorization);
    if (!creds) return false;
    const known = users.get(creds.user);
    const hash = known ?? FAKE_HASH;
    // Keyed by a digest: the cache never holds a password in clear.
    const key = createHash('sha256')
      .update(`${creds.user.length}:${creds.user}\0${hash}\0`)
      .update(creds.pass)
      .digest('base64');
    let ok = this.cache.get(key);
    if (ok === undefined) {
      ok = (await bcrypt.compare(creds.pass, hash)) && known !== undefined;
      if (this.cache.size >= AUTH_CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, ok);
    }
    return ok && known !== undefined;
  }
}

function parseBasic(h: string | undefined): { user: string; pass: string } | undefined {
  if (!h) return undefined;
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) return undefined;
  const dec = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = dec.indexOf(':');
  if (i < 0) return undefined;
  return { user: dec.slice(0, i), pass: dec.slice(i + 1) };
}

/** SAN values of a peer certificate as the toolkit compares them (DNS, e-mail, IP, URI). */
export function certSans(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  return subjectaltname
    .split(/,\s*/)
    .map((e) => {
      const i = e.indexOf(':');
      return i < 0 ? '' : e.slice(i + 1);
    })
    .filter((x) => x !== '');
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SecuredServerOptions {
  source: WebConfigSource;
  /** Paths answered without basic auth (still behind TLS): kubelet probes cannot send credentials. */
  unauthenticatedPaths?: readonly string[];
  logger?: Logger;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** A token bucket following the config's rate limit (restarts full when the limit object changes). */
class RateLimiter {
  private tokens = 0;
  private refilled = Date.now();
  private bucketFor: WebConfig['rateLimit'];

  allow(rl: WebConfig['rateLimit']): boolean {
    if (!rl) return true;
    const now = Date.now();
    if (rl !== this.bucketFor) {
      this.bucketFor = rl;
      this.tokens = rl.burst;
      this.refilled = now;
    }
    this.tokens = Math.min(rl.burst, this.tokens + (now - this.refilled) / rl.intervalMs);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/**
 * An HTTP or HTTPS server (TLS when the config at start has a tls_server_config) that applies the web config to
 * every connection and request. Certificates, client CA, TLS parameters, client_auth_type, users, headers and
 * rate limit follow file changes; switching between HTTP and HTTPS needs a restart (as with exporter-toolkit).
 */
export function createSecuredServer(opts: SecuredServerOptions, handler: Listener): Server | HttpsServer {
  const listener = securedListener(opts, handler);
  const initial = opts.source.current();
  if (!initial.tls) return createHttpServer(listener);
  return createTlsServer(opts.source, initial.tls, listener, opts.logger);
}

/** Rate limit, response headers and basic auth of the current config, in front of `handler`. */
function securedListener(opts: SecuredServerOptions, handler: Listener): Listener {
  const { source, logger } = opts;
  const open = new Set(opts.unauthenticatedPaths ?? []);
  const auth = new BasicAuthenticator();
  const limiter = new RateLimiter();
  return (req, res) => {
    const cfg = source.current();
    if (!limiter.allow(cfg.rateLimit)) {
      res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8' }).end('Too Many Requests\n');
      return;
    }
    for (const [k, v] of Object.entries(cfg.headers)) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (cfg.users.size === 0 || open.has(path)) {
      handler(req, res);
      return;
    }
    auth.check(cfg.users, req.headers.authorization).then(
      (ok) => {
        if (ok) return handler(req, res);
        res
          .writeHead(401, { 'www-authenticate': 'Basic', 'content-type': 'text/plain; charset=utf-8' })
          .end('Unauthorized\n');
      },
      (err: unknown) => {
        logger?.error({ err: (err as Error).message }, 'basic auth check failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error\n');
      },
    );
  };
}

/** tls.Server's requestCert / rejectUnauthorized for a client_auth_type (the rest is checked after the handshake). */
function clientCertModes(a: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  return { requestCert: a !== 'NoClientCert', rejectUnauthorized: a === 'RequireAndVerifyClientCert' };
}

function createTlsServer(
  source: WebConfigSource,
  initial: TlsSettings,
  listener: Listener,
  logger: Logger | undefined,
): HttpsServer {
  const server = createHttpsServer({ ...initial.context, ...clientCertModes(initial.clientAuth) }, listener);
  const current = { applied: initial };
  // Runs before the TLS layer wraps the new TCP connection (prepended to tls.Server's own 'connection'
  // listener), so a changed certificate or client policy applies from this very handshake on.
  server.prependListener('connection', tlsReloader(server, source, current, logger));
  // Client policies OpenSSL cannot express on its own are enforced right after the handshake.
  server.on('secureConnection', (socket: TLSSocket) => {
    const reason = clientRefusal(current.applied, socket);
    if (reason) {
      logger?.warn({ remote: socket.remoteAddress, reason }, 'TLS client refused');
      socket.destroy();
    }
  });
  server.on('tlsClientError', (err, socket) => {
    logger?.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed');
  });
  return server;
}

/** A 'connection' listener that puts the config's current TLS settings on `server` when they changed. */
function tlsReloader(
  server: HttpsServer,
  source: WebConfigSource,
  current: { applied: TlsSettings },
  logger: Logger | undefined,
): (socket: Socket) => void {
  let offWarned = false;
  return () => {
    const tls = source.current().tls;
    if (tls === current.applied) return;
    if (!tls) {
      if (!offWarned) logger?.warn('tls_server_config removed: TLS stays on until a restart');
      offWarned = true;
      return;
    }
    offWarned = false;
    try {
      server.setSecureContext(tls.context);
      // Read by tls.Server for every new connection.
      Object.assign(server, clientCertModes(tls.clientAuth));
      current.applied = tls;
    } catch (err) {
      logger?.error({ err: (err as Error).message }, 'new TLS certificate rejected; keeping the previous one');
      current.applied = tls;
    }
  };
}

/** Why a handshaken client is refused under `policy`, or undefined when it may proceed. */
function clientRefusal(policy: TlsSettings, socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  const hasCert = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  if (policy.clientAuth === 'RequireAnyClientCert' && !hasCert) return 'client certificate required';
  if (policy.clientAuth === 'VerifyClientCertIfGiven' && hasCert && !socket.authorized)
    return `client certificate not verified: ${String(socket.authorizationError)}`;
  if (policy.clientAllowedSans && policy.clientAuth !== 'NoClientCert') {
    const sans = hasCert ? certSans(cert.subjectaltname) : [];
    if (!sans.some((s) => policy.clientAllowedSans!.some((a) => sameBytes(a, s))))
      return 'client certificate has no allowed SAN';
  }
  return undefined;
}
