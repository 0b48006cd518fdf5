// HTTP bridge: /metrics (fast store rendering + SDK self-metrics), /healthz, /readyz. Content negotiation
// between text 0.0.4 (default) and OpenMetrics 1.0.0, optional gzip.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { gzip as gzipCb, constants as zlibConstants } from 'node:zlib';
import type { MetricsSource } from '@kso/metrics';
import type { MetricReader, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type Logger, pino } from 'pino';
import type { NumberFormat } from './number-format.ts';
import {
  CONTENT_TYPE_OPENMETRICS,
  CONTENT_TYPE_TEXT,
  type ExpositionFormat,
  NO_REGISTERED_METRICS,
  serializeFamilies,
} from './prom-text.ts';
import { type Body, StoreRenderer } from './renderer.ts';
import { createSecuredServer, type WebConfigSource } from './web-config.ts';

export { PullReader } from './pull-reader.ts';

const gzip = promisify(gzipCb);
const GZIP_CONCURRENCY = Math.max(2, availableParallelism());

/** extraCollect for startPrometheusServer from a PullReader (undefined when not bound or failing). */
export function collectFrom(reader: MetricReader): () => Promise<ResourceMetrics | undefined> {
  return async () => {
    try {
      return (await reader.collect()).resourceMetrics;
    } catch {
      return undefined;
    }
  };
}

export interface Health {
  live: boolean;
  ready: boolean;
  reason?: string;
}

export interface PrometheusServerOptions {
  source: MetricsSource;
  host?: string;
  port?: number;
  numberFormat?: NumberFormat;
  /** `# UNIT` comments; default as in prom-text (true for 'js', false for 'go'). */
  unitComments?: boolean;
  /** Self-metrics, rendered after the store families with the same serializer. */
  extraCollect?: () => Promise<ResourceMetrics | undefined>;
  health?: () => Health;
  /** gzip level (1 = fastest, default; scrapes happen every few seconds, CPU matters more than bytes). */
  gzipLevel?: number;
  /**
   * Re-render what changed every this many ms between scrapes (default 1000; 0 = only at scrape time), so a
   * scrape every 15–60 s finds at most about a second of changes left to render instead of all of them.
   */
  refreshIntervalMs?: number;
  logger?: Logger;
  /** `--web-config-file` (exporter-toolkit format): TLS, client certificates, basic auth. */
  webConfig?: WebConfigSource;
}

export interface PrometheusServer {
  url: string;
  port: number;
  renderer: StoreRenderer;
  /** Scrapes served, how many gzip / OpenMetrics (self-metrics and tests). */
  stats: { scrapes: number; gzip: number; openMetrics: number; errors: number };
  close(): Promise<void>;
}

/** Picks OpenMetrics when the Accept header asks for it with a q at least that of text/plain. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v);
    }
    const t = (type ?? '').trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, q);
    else if (t === 'text/plain' || t === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

export function acceptsGzip(h: string | undefined): boolean {
  if (!h) return false;
  return h.split(',').some((p) => {
    const [enc, ...params] = p.trim().split(';');
    if (enc?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Builds the full /metrics body for one format as pieces. Exported so `kso render` and benchmarks share it. */
export async function renderExposition(
  renderer: StoreRenderer,
  source: MetricsSource,
  format: ExpositionFormat,
  opts: {
    numberFormat?: NumberFormat;
    unitComments?: boolean;
    extraCollect?: () => Promise<ResourceMetrics | undefined>;
  } = {},
): Promise<Body> {
  const extra = opts.extraCollect ? await opts.extraCollect() : undefined;
  const store = renderer.renderPieces(source, format);
  const tail = extra
    ? serializeFamilies(extra, { numberFormat: opts.numberFormat, unitComments: opts.unitComments, format })
    : '';
  let end = tail;
  if (format === 'openmetrics') end += '# EOF\n';
  else if (!tail && store.length === 0) end = NO_REGISTERED_METRICS;
  if (!end) return store;
  const t = Buffer.from(end);
  return { pieces: [...store.pieces, t], length: store.length + t.length };
}

/** Concatenates a Body (tests, `kso render`). */
export function bodyToBuffer(b: Body): Buffer {
  return b.pieces.length === 1 ? (b.pieces[0] as Buffer) : Buffer.concat(b.pieces, b.length);
}

/**
 * Renders changed objects' text in the background (StoreRenderer.prerender): turning points into text is most
 * of a render's cost, so doing it every second spreads a scrape interval's changes over the interval (same CPU
 * in total) and a scrape only rewrites the changed blocks and assembles the pieces. Blocks are not rebuilt here,
 * so ticks make no garbage Buffers. The work of a tick is bounded by one interval's changes; the next tick waits
 * at least four times as long as the last one took, so a burst (a relist replacing every object) cannot keep the
 * event loop busy.
 */
function startRefresh(renderer: StoreRenderer, source: MetricsSource, everyMs: number, logger: Logger): () => void {
  if (!(everyMs > 0)) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    const t0 = performance.now();
    try {
      renderer.prerender(source);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'background render failed; the next scrape renders');
    }
    if (!stopped) timer = setTimeout(tick, Math.max(everyMs, 4 * (performance.now() - t0))).unref();
  };
  timer = setTimeout(tick, everyMs).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export async function startPrometheusServer(opts: PrometheusServerOptions): Promise<PrometheusServer> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const renderer = new StoreRenderer({ numberFormat: opts.numberFormat ?? 'go', unitComments: opts.unitComments });
  const health: () => Health = opts.health ?? (() => ({ live: true, ready: true }));
  const level = opts.gzipLevel ?? zlibConstants.Z_BEST_SPEED;
  // gzip per piece: a gzip stream may consist of several members (RFC 1952 §2.2; Go's gzip.Reader, which
  // Prometheus uses, and zlib read them as one stream). Segment blocks are reused across renders, so only the
  // pieces that changed are compressed again.
  const gzPieces = new WeakMap<Buffer, Promise<Buffer>>();
  const gzBodies = new WeakMap<Body, Promise<Buffer[]>>();
  const gzipPiece = (p: Buffer): Promise<Buffer> => {
    let z = gzPieces.get(p);
    if (z === undefined) {
      // Copied into its own exact-size allocation: zlib hands back a view of a larger output chunk (and
      // Buffer.from would use the shared pool), so a cached ~4 KiB member pinned a 64 KiB slab: ~95 MB
      // retained at 10k pods for 9 MB of gzip.
      z = gzip(p, { level }).then((b) => {
        const own = Buffer.allocUnsafeSlow(b.length);
        b.copy(own);
        return own;
      });
      gzPieces.set(p, z);
    }
    return z;
  };
  // Bounded: each zlib call allocates its deflate state up front, so starting thousands of pieces at once
  // (a 50k-pod body) multiplied peak RSS and thrashed; the thread pool runs only a few at a time anyway.
  const gzipBody = (body: Body): Promise<Buffer[]> => {
    let all = gzBodies.get(body);
    if (all === undefined) {
      const out: Buffer[] = new Array(body.pieces.length);
      let next = 0;
      const worker = async () => {
        while (next < body.pieces.length) {
          const i = next++;
          out[i] = await gzipPiece(body.pieces[i] as Buffer);
        }
      };
      all = Promise.all(Array.from({ length: GZIP_CONCURRENCY }, worker)).then(() => out);
      gzBodies.set(body, all);
    }
    return all;
  };

  const stats = { scrapes: 0, gzip: 0, openMetrics: 0, errors: 0 };
  const stopRefresh = startRefresh(renderer, opts.source, opts.refreshIntervalMs ?? 1000, logger);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' })
        .end('method not allowed\n');
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const h = health();
      const ok = path === '/healthz' ? h.live : h.ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(ok ? 'ok\n' : `${h.reason ?? (path === '/healthz' ? 'not live' : 'not ready')}\n`);
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const format = negotiateFormat(req.headers.accept);
    stats.scrapes++;
    if (format === 'openmetrics') stats.openMetrics++;
    const extraCollect = opts.extraCollect;
    const body = await renderExposition(renderer, opts.source, format, {
      numberFormat: opts.numberFormat ?? 'go',
      unitComments: opts.unitComments,
      ...(extraCollect ? { extraCollect } : {}),
    });
    const headers: Record<string, string | number> = {
      'content-type': format === 'openmetrics' ? CONTENT_TYPE_OPENMETRICS : CONTENT_TYPE_TEXT,
      vary: 'Accept, Accept-Encoding',
    };
    if (acceptsGzip(req.headers['accept-encoding'] as string | undefined)) {
      // Cache per Body: an unchanged store (and no self-metrics) returns the same Body instance. zlib runs on
      // the libuv thread pool, off the event loop.
      stats.gzip++;
      const members = await gzipBody(body);
      let len = 0;
      for (const m of members) len += m.length;
      headers['content-encoding'] = 'gzip';
      headers['content-length'] = len;
      res.writeHead(200, headers);
      if (req.method !== 'HEAD') {
        res.cork();
        for (const m of members) res.write(m);
        res.uncork();
      }
      res.end();
      return;
    }
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // One writev for all pieces: no 70 MB concatenation per scrape.
    res.cork();
    for (const p of body.pieces) res.write(p);
    res.uncork();
    res.end();
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      stats.errors++;
      logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'metrics request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  };
  // Probes stay outside basic auth (the kubelet cannot send credentials); they are still behind TLS.
  const server = opts.webConfig
    ? createSecuredServer({ source: opts.webConfig, unauthenticatedPaths: ['/healthz', '/readyz'], logger }, listener)
    : createServer(listener);
  const scheme = opts.webConfig?.current().tls ? 'https' : 'http';
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9464, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '0.0.0.0';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  logger.info({ host, port, scheme }, 'prometheus bridge listening');
  return {
    url: `${scheme}://${urlHost}:${port}`,
    port,
    renderer,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        stopRefresh();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
