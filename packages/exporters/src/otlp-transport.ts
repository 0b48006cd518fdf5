// OTLP transports on Node's own http2/http/https: a unary gRPC client (5-byte length-prefixed message,
// grpc-encoding gzip, grpc-status from trailers) and OTLP/HTTP protobuf. Nothing from @grpc/grpc-js or the SDK
// exporters: the CronJob sidecar imports this path and must stay small. Compression runs here, once per request.

import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { type ClientHttp2Session, constants as h2, connect as h2connect } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createGzip, createZstdCompress, constants as zlibConstants } from 'node:zlib';
import { releaseRuns } from './output-runs.ts';

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** http(s)-less gRPC endpoint: plaintext. https endpoint: TLS without certificate verification. */
  insecure?: boolean;
}

export interface TransportOptions {
  protocol: 'grpc' | 'http';
  endpoint: string;
  headers?: Record<string, string>;
  tls?: TlsOptions;
  /** zstd: about twice as fast as gzip for a smaller body; the Collector accepts it on both protocols. */
  compression?: Compression;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface SendResult {
  ok: boolean;
  /** Worth retrying (OTLP spec codes, network errors, timeouts). */
  retryable: boolean;
  /** The endpoint could not be reached or did not answer in time: an outage rather than a rejected request. */
  unreachable: boolean;
  error?: string;
  /** gRPC status or HTTP status code. */
  code?: number;
}

/**
 * A request that can give its own gzip member (the store encoder's: compressed pieces kept between pushes,
 * otlp-deflate.ts); other compressions read its parts.
 */
export interface PiecewiseBody {
  parts(): readonly Buffer[];
  gzip(): Promise<Buffer[]>;
}

/** A serialized request: one buffer, consecutive pieces sent (and compressed) in turn without joining them, or a PiecewiseBody. */
export type Body = Buffer | readonly Buffer[] | PiecewiseBody;

function isPiecewise(b: Body): b is PiecewiseBody {
  return typeof (b as PiecewiseBody).gzip === 'function';
}

export interface OtlpTransport {
  send(body: Body, timeoutMs: number): Promise<SendResult>;
  close(): void;
}

// gRPC codes worth retrying (OTLP spec): CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE.
const RETRYABLE_GRPC = new Set([1, 4, 8, 10, 14]);
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  10: 'ABORTED',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};
const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const USER_AGENT = 'kube-state-otel';

export function isRetryableCode(protocol: 'grpc' | 'http', code: number): boolean {
  return protocol === 'grpc' ? RETRYABLE_GRPC.has(code) : RETRYABLE_HTTP.has(code);
}

function networkFailure(err: unknown): SendResult {
  const e = err as { code?: string; message?: string };
  return {
    ok: false,
    retryable: true,
    unreachable: true,
    error: `${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`,
  };
}

/**
 * A request Node refuses before anything is sent: a header name or value it will not put on the wire (a
 * connection-specific header on HTTP/2, a control character). Retrying cannot help and nothing is unreachable;
 * other throws (a session already gone) are network failures.
 */
function requestFailure(err: unknown): SendResult {
  const e = err as { code?: string; message?: string };
  if (!REFUSED_REQUEST.has(e.code ?? '')) return networkFailure(err);
  return {
    ok: false,
    retryable: false,
    unreachable: false,
    error: `request refused: ${e.message ?? String(err)} (${e.code})`,
  };
}
const REFUSED_REQUEST = new Set([
  'ERR_HTTP2_INVALID_CONNECTION_HEADERS',
  'ERR_HTTP2_INVALID_HEADER_VALUE',
  'ERR_HTTP2_HEADER_SINGLE_VALUE',
  'ERR_HTTP2_INVALID_PSEUDOHEADER',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
]);

/**
 * A send's outcome is settled once: by the answer, an error, a close or the deadline, whichever comes first. The
 * deadline is armed after the request exists (it cancels that request), so a request that throws settles first.
 */
function settleOnce(resolve: (r: SendResult) => void): {
  finish(r: SendResult): void;
  deadline(ms: number, expire: () => SendResult): void;
} {
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (r: SendResult) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    resolve(r);
  };
  return {
    finish,
    deadline(ms, expire) {
      if (!done) timer = setTimeout(() => finish(expire()), ms);
    },
  };
}

/**
 * Compresses the pieces as one stream. Level 1 (+ memLevel 9 for gzip): OTLP bodies repeat attribute strings so
 * much that the fastest level already shrinks them 7-25x, at half the default level's CPU (compression
 * dominates a push's CPU).
 */
export function compress(body: Body, c: Compression | undefined): Promise<Buffer[]> {
  if (isPiecewise(body)) {
    if (c === 'gzip') return body.gzip();
    body = body.parts();
  }
  // Uncompressed pieces go out as they are: the transports cork their writes into one writev, while joining
  // them cost a fresh copy of the whole body per push (~45 MiB at 10k pods for semconv) and the garbage
  // collections that much new memory brings.
  if (c !== 'gzip' && c !== 'zstd') return Promise.resolve(Buffer.isBuffer(body) ? [body] : [...body]);
  const parts = coalesce(Buffer.isBuffer(body) ? [body] : body);
  const z =
    c === 'gzip'
      ? createGzip({ level: zlibConstants.Z_BEST_SPEED, memLevel: 9, chunkSize: COMPRESS_CHUNK })
      : createZstdCompress({ params: { [zlibConstants.ZSTD_c_compressionLevel]: 1 }, chunkSize: COMPRESS_CHUNK });
  return new Promise<Buffer[]>((resolve, reject) => {
    const out: Buffer[] = [];
    z.on('data', (b: Buffer) => out.push(b));
    z.on('end', () => resolve(out));
    z.on('error', reject);
    for (const p of parts) z.write(p);
    z.end();
  });
}

/** Output pieces of 256 KiB: fewer stream callbacks than zlib's 16 KiB default for multi-MiB bodies. */
const COMPRESS_CHUNK = 256 * 1024;
/** Pieces below this are joined (up to BATCH bytes) before compressing or writing. */
const SMALL = 16 * 1024;
const BATCH = 256 * 1024;

/**
 * Joins runs of small pieces into batches of about BATCH bytes; large pieces pass through uncopied. A semconv
 * request is ~2k entity chunks of ~1.5 KiB, and each write to a zlib or HTTP stream is a round trip of its own
 * (a thread-pool task for zlib): per piece, that cost several times the compression itself.
 */
export function coalesce(parts: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  const flush = () => {
    if (run.length === 1) out.push(run[0] as Buffer);
    else if (run.length > 1) out.push(Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const p of parts) {
    if (p.length === 0) continue;
    if (p.length >= SMALL) {
      flush();
      out.push(p);
      continue;
    }
    run.push(p);
    runBytes += p.length;
    if (runBytes >= BATCH) flush();
  }
  flush();
  return out;
}

/** Writes every piece corked, so the stream hands them to the socket in one writev, then ends the request. */
function writeAll(
  stream: { cork(): void; uncork(): void; write(b: Buffer): unknown; end(): unknown },
  pieces: readonly Buffer[],
): void {
  stream.cork();
  for (const p of pieces) stream.write(p);
  stream.uncork();
  stream.end();
}

function byteLength(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

function toBuf(x: string | Buffer | undefined): Buffer | undefined {
  return x === undefined ? undefined : Buffer.isBuffer(x) ? x : Buffer.from(x);
}

/** grpc: "http://h:p" plaintext, "https://h:p" TLS, bare "h:p" TLS unless insecure (OTEL_EXPORTER_OTLP_INSECURE). */
export function grpcAuthority(endpoint: string, tls: TlsOptions | undefined): { url: string; secure: boolean } {
  const m = /^(https?):\/\/([^/]+)/i.exec(endpoint);
  if (m)
    return { url: `${(m[1] as string).toLowerCase()}://${m[2]}`, secure: (m[1] as string).toLowerCase() === 'https' };
  const host = endpoint.replace(/\/.*$/, '');
  return tls?.insecure ? { url: `http://${host}`, secure: false } : { url: `https://${host}`, secure: true };
}

/**
 * The OTLP/HTTP URL to POST to. A URL with a path is used as is: that is the specification's rule for
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (a vendor's `/otlp/metrics` must not become `/otlp/metrics/v1/metrics`),
 * and the config layer has already appended `v1/metrics` to the generic OTEL_EXPORTER_OTLP_ENDPOINT's path. A
 * URL without a path (`http://collector:4318`, as the flag's help shows it) gets the spec's default
 * `/v1/metrics`: a POST to `/` reaches no OTLP receiver.
 */
export function httpMetricsUrl(endpoint: string): string {
  let path: string;
  try {
    path = new URL(endpoint).pathname;
  } catch {
    return endpoint; // new URL() in the transport reports it
  }
  return path === '' || path === '/' ? `${endpoint.replace(/\/+$/, '')}/v1/metrics` : endpoint;
}

function deadlineExceeded(timeoutMs: number): SendResult {
  return {
    ok: false,
    retryable: true,
    unreachable: true,
    code: 4,
    error: `DEADLINE_EXCEEDED after ${timeoutMs} ms (code 4)`,
  };
}

/** A finished call's outcome; no grpc-status at all means the stream died (UNAVAILABLE). */
function grpcResult(status: number | undefined, httpStatus: number, message: string): SendResult {
  if (status === undefined)
    return {
      ok: false,
      retryable: true,
      unreachable: httpStatus === 0,
      code: 14,
      error: `UNAVAILABLE: stream closed without grpc-status (HTTP ${httpStatus}) (code 14)`,
    };
  if (status === 0) return { ok: true, retryable: false, unreachable: false };
  return {
    ok: false,
    retryable: RETRYABLE_GRPC.has(status),
    unreachable: status === 14 || status === 4,
    code: status,
    error: `${GRPC_NAMES[status] ?? 'gRPC error'}: ${message} (code ${status})`,
  };
}

class GrpcTransport implements OtlpTransport {
  #session: ClientHttp2Session | undefined;
  readonly #url: string;
  readonly #secure: boolean;
  readonly #o: TransportOptions;

  constructor(o: TransportOptions) {
    this.#o = o;
    const a = grpcAuthority(o.endpoint, o.tls);
    this.#url = a.url;
    this.#secure = a.secure;
  }

  #connect(): ClientHttp2Session {
    const s = this.#session;
    if (s && !s.closed && !s.destroyed) return s;
    const tls = this.#o.tls ?? {};
    const session = h2connect(
      this.#url,
      this.#secure
        ? {
            ...(tls.ca ? { ca: toBuf(tls.ca) } : {}),
            ...(tls.cert ? { cert: toBuf(tls.cert) } : {}),
            ...(tls.key ? { key: toBuf(tls.key) } : {}),
            rejectUnauthorized: !tls.insecure,
          }
        : {},
    );
    // An idle session must not keep the process alive (the SDK reader's timer is unref'd for the same reason).
    session.unref();
    const drop = () => {
      if (this.#session === session) this.#session = undefined;
    };
    session.on('error', drop);
    session.on('close', drop);
    session.on('goaway', () => {
      drop();
      session.close();
    });
    this.#session = session;
    return session;
  }

  async send(body: Body, timeoutMs: number): Promise<SendResult> {
    const encoding = this.#o.compression ?? 'none';
    const payload = await compress(body, encoding);
    // gRPC message framing: compressed flag + big-endian length, then the message.
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = encoding !== 'none' ? 1 : 0;
    prefix.writeUInt32BE(byteLength(payload), 1);
    let session: ClientHttp2Session;
    try {
      session = this.#connect();
    } catch (err) {
      releaseRuns(payload);
      return networkFailure(err);
    }
    return this.#call(session, this.#headers(encoding, timeoutMs), [prefix, ...payload], timeoutMs);
  }

  #headers(encoding: Compression, timeoutMs: number): Record<string, string> {
    return {
      ...this.#o.headers,
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: EXPORT_PATH,
      [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
      'grpc-accept-encoding': 'identity,gzip',
      'user-agent': USER_AGENT,
      ...(encoding !== 'none' ? { 'grpc-encoding': encoding } : {}),
    };
  }

  /** One unary call: the result comes from grpc-status (headers or trailers), a stream error or the deadline. */
  #call(
    session: ClientHttp2Session,
    headers: Record<string, string>,
    pieces: readonly Buffer[],
    timeoutMs: number,
  ): Promise<SendResult> {
    return new Promise<SendResult>((resolve) => {
      const { finish, deadline } = settleOnce(resolve);
      let req: ReturnType<ClientHttp2Session['request']>;
      try {
        req = session.request(headers);
      } catch (err) {
        const r = requestFailure(err);
        // A refused header leaves the session usable; anything else may have broken it.
        if (r.unreachable && this.#session === session) this.#session = undefined;
        releaseRuns(pieces);
        finish(r);
        return;
      }
      deadline(timeoutMs, () => {
        req.close(h2.NGHTTP2_CANCEL);
        return deadlineExceeded(timeoutMs);
      });
      const status = { grpc: undefined as number | undefined, message: '', http: 0 };
      const take = (h: Record<string, unknown>) => {
        const s = h['grpc-status'];
        if (s !== undefined) status.grpc = Number(s);
        const m = h['grpc-message'];
        if (typeof m === 'string') status.message = decodeURIComponent(m);
      };
      req.on('response', (h) => {
        status.http = Number(h[h2.HTTP2_HEADER_STATUS] ?? 0);
        take(h as Record<string, unknown>);
      });
      req.on('trailers', (h) => take(h as Record<string, unknown>));
      // The response message (ExportMetricsServiceResponse) is drained, not decoded: partial success is rare.
      req.on('data', () => undefined);
      req.on('error', (err) => {
        if (this.#session === session) this.#session = undefined;
        finish(networkFailure(err));
      });
      req.on('close', () => {
        finish(grpcResult(status.grpc, status.http, status.message));
        // Closed (answered, reset or cancelled at the deadline): nothing writes the body any more.
        releaseRuns(pieces);
      });
      writeAll(req, pieces);
    });
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }
}

class HttpTransport implements OtlpTransport {
  readonly #url: URL;
  readonly #o: TransportOptions;
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(o: TransportOptions) {
    this.#o = o;
    this.#url = new URL(httpMetricsUrl(o.endpoint));
    const tls = o.tls ?? {};
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            ...(tls.ca ? { ca: toBuf(tls.ca) } : {}),
            ...(tls.cert ? { cert: toBuf(tls.cert) } : {}),
            ...(tls.key ? { key: toBuf(tls.key) } : {}),
            rejectUnauthorized: !tls.insecure,
          })
        : new HttpAgent({ keepAlive: true });
  }

  async send(body: Body, timeoutMs: number): Promise<SendResult> {
    const encoding = this.#o.compression ?? 'none';
    const payload = await compress(body, encoding);
    const req = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<SendResult>((resolve) => {
      const { finish, deadline } = settleOnce(resolve);
      let r: ReturnType<typeof req>;
      try {
        r = req(this.#url, {
          method: 'POST',
          agent: this.#agent,
          headers: {
            ...this.#o.headers,
            'content-type': 'application/x-protobuf',
            'content-length': String(byteLength(payload)),
            'user-agent': USER_AGENT,
            ...(encoding !== 'none' ? { 'content-encoding': encoding } : {}),
          },
        });
      } catch (err) {
        releaseRuns(payload);
        finish(requestFailure(err));
        return;
      }
      deadline(timeoutMs, () => {
        r.destroy();
        return { ok: false, retryable: true, unreachable: true, error: `timeout after ${timeoutMs} ms` };
      });
      r.on('response', (res) => {
        const code = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 512) text += c;
        });
        res.on('end', () => finish(httpResult(code, text)));
        res.on('error', (err) => finish(networkFailure(err)));
      });
      r.on('error', (err) => finish(networkFailure(err)));
      // Answered or destroyed: nothing writes the body any more.
      r.on('close', () => releaseRuns(payload));
      writeAll(r, payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function httpResult(code: number, text: string): SendResult {
  if (code >= 200 && code < 300) return { ok: true, retryable: false, unreachable: false, code };
  return {
    ok: false,
    retryable: RETRYABLE_HTTP.has(code),
    unreachable: code === 502 || code === 503 || code === 504,
    code,
    error: `HTTP ${code}${text ? `: ${printable(text)}` : ''}`,
  };
}

function printable(s: string): string {
  // Collector errors are protobuf Status messages; keep the readable part.
  return s
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 200);
}

export function createTransport(o: TransportOptions): OtlpTransport {
  return o.protocol === 'grpc' ? new GrpcTransport(o) : new HttpTransport(o);
}
