// Raw GETs against the API server, authenticated from a KubeConfig.
//
// Why not client-node's typed APIs: they deserialise every item into model classes (Date objects, class
// instances) — too slow and heavy at 50k pods when all we keep is a compact snapshot.
// Why not client-node's `Watch` (2.0.1): on a non-200 answer it throws `Error(statusText)` without the
// Retry-After header or the Status body (we must honour 429 Retry-After and tell 410 from 5xx); it
// silently skips lines that fail to parse and swallows exceptions thrown by the callback (a skipped line
// is a lost update); and its fixed 30 s inactivity abort restarts quiet watches needlessly.
// So both LIST and WATCH are plain node:http(s) requests; KubeConfig.applyToHTTPSOptions still supplies
// TLS material, the agent (proxies included) and fresh credentials (exec/OIDC/token-file) per request —
// or, in a Pod, the light InClusterConfig does (in-cluster.ts), which is told about 401s to re-read its token.
import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from './backoff.ts';
import { ProtocolError, statusError } from './errors.ts';
import type { ApiConnection } from './in-cluster.ts';

export type Query = Record<string, string | number | undefined>;

const USER_AGENT = 'kube-state-otel';

async function prepare(
  kc: ApiConnection,
  path: string,
  query: Query,
): Promise<{ url: URL; options: https.RequestOptions }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new Error('kubeconfig: the current context has no cluster server');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const options: https.RequestOptions = {
    method: 'GET',
    headers: { Accept: 'application/json', 'User-Agent': USER_AGENT },
  };
  await kc.applyToHTTPSOptions(options);
  return { url, options };
}

function client(url: URL): typeof http | typeof https {
  return url.protocol === 'https:' ? https : http;
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorFromResponse(kc: ApiConnection, res: http.IncomingMessage, body: string) {
  if (res.statusCode === 401) kc.invalidate?.();
  return statusError(res.statusCode ?? 0, tryJson(body), parseRetryAfter(res.headers['retry-after']));
}

/**
 * GET returning parsed JSON; non-2xx → ApiError. `timeoutMs` bounds socket inactivity so a hung server
 * cannot stall a relist forever.
 */
export async function getJson(
  kc: ApiConnection,
  path: string,
  query: Query,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<unknown> {
  const { url, options } = await prepare(kc, path, query);
  return new Promise((resolve, reject) => {
    const req = client(url).request(url, { ...options, signal }, (res) => {
      readAll(res).then((body) => {
        if (res.statusCode !== 200) return reject(errorFromResponse(kc, res, body));
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new ProtocolError(`GET ${url.pathname}: response is not JSON`));
        }
      }, reject);
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`GET ${url.pathname}: no response data for ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

export interface StreamHandlers {
  /** The server accepted the watch (HTTP 200). */
  onOpen(): void;
  /** One newline-delimited JSON event; throwing ends the stream with that error. */
  onLine(line: string): void;
}

/**
 * Newline-delimited JSON framing: text chunks in, complete non-blank lines out (a line may span chunks);
 * `final` flushes an unterminated last line.
 */
function lineSplitter(onLine: (line: string) => void): (text: string, final: boolean) => void {
  let buf = '';
  return (text, final) => {
    buf += text;
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      const line = buf.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') onLine(line);
    }
    buf = buf.slice(start);
    if (final && buf.trim() !== '') onLine(buf);
  };
}

/**
 * A watch stream. Resolves when the server ends it cleanly (timeoutSeconds), rejects on a non-200
 * answer, a connection error, a truncated stream, an error thrown by `onLine`, or `idleTimeoutMs`
 * without any byte (a half-open connection the server will never close).
 */
export async function streamLines(
  kc: ApiConnection,
  path: string,
  query: Query,
  signal: AbortSignal,
  idleTimeoutMs: number,
  handlers: StreamHandlers,
): Promise<void> {
  const { url, options } = await prepare(kc, path, query);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err === undefined) resolve();
      else reject(err);
    };
    const req = client(url).request(url, { ...options, signal }, (res) => {
      if (res.statusCode !== 200) {
        readAll(res).then((body) => finish(errorFromResponse(kc, res, body)), finish);
        return;
      }
      handlers.onOpen();
      res.setEncoding('utf8');
      const consume = lineSplitter(handlers.onLine);
      res.on('data', (chunk: string) => {
        if (settled) return;
        try {
          consume(chunk, false);
        } catch (err) {
          finish(err);
          req.destroy();
        }
      });
      res.on('end', () => {
        try {
          consume('', true);
          finish();
        } catch (err) {
          finish(err);
        }
      });
      res.on('error', finish);
      res.on('close', () => {
        if (!res.complete) finish(new Error('watch stream closed by the server before completion'));
      });
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`watch: no data for ${idleTimeoutMs} ms`)));
    req.on('error', finish);
    req.end();
  });
}
