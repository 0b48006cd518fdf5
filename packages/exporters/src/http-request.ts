// One plain HTTP(S) request with a whole-request timeout, for the Pushgateway sink and the sidecar's relay scrape.
// Not `fetch`: Node's fetch (undici) parses HTTP with llhttp compiled to WebAssembly, which the CronJob sidecar's
// --jitless disables (packages/sidecar/src/launch.ts), and loading undici costs ~2.6 MB RSS in a process that
// makes one small request every few seconds. node:http is loaded by every kso process anyway.
import http from 'node:http';
import https from 'node:https';

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Whole request, connect to last byte. */
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Rejects on network errors (the error keeps its `code`, e.g. ECONNREFUSED) and on timeout; any status resolves. */
export function httpRequest(url: string | URL, opts: HttpRequestOptions): Promise<HttpResponse> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const client = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`unsupported URL scheme ${u.protocol} (http: or https:)`));
  return new Promise((resolve, reject) => {
    const req = client.request(u, { method: opts.method ?? 'GET', headers: { ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', fail);
    });
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`timeout after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      opts.timeoutMs,
    );
    req.on('error', fail);
    req.end(opts.body);
  });
}
