// HTTP bridge: /metrics (fast store rendering + SDK self-metrics), /healthz, /readyz. Content negotiation
// between text 0.0.4 (default) and OpenMetrics 1.0.0, optional gzip.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { constants as zlibConstants } from 'node:zlib';
import type { MetricsSource } from '@kso/metrics';
import type { MetricReader, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type Logger, pino } from 'pino';
import { BackgroundRender, exposeGc } from './background-render.ts';
import { GzipCache } from './gzip-cache.ts';
import { acceptsGzip, negotiateFormat } from './negotiation.ts';
import type { NumberFormat } from './number-format.ts';
import { Piece } from './piece.ts';
import {
  CONTENT_TYPE_OPENMETRICS,
  CONTENT_TYPE_TEXT,
  type ExpositionFormat,
  NO_REGISTERED_METRICS,
  serializeFamilies,
} from './prom-text.ts';
import { type Body, bodyText, StoreRenderer } from './renderer.ts';
import { createSecuredServer, type WebConfigSource } from './web-config.ts';

export { acceptsGzip, negotiateFormat } from './negotiation.ts';
export { PullReader } from './pull-reader.ts';

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
  /**
   * Run a full garbage collection halfway between scrapes once their cadence is known (default true; see
   * exposeGc). Needs refreshIntervalMs > 0.
   */
  idleGc?: boolean;
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
  /** Bodies built ahead of an expected scrape, garbage collections run between scrapes. */
  background: { readonly prepared: number; readonly collections: number };
  close(): Promise<void>;
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
  const t = new Piece(Buffer.from(end));
  return { pieces: [...store.pieces, t], length: store.length + t.length };
}

/** Concatenates a Body (tests, `kso render`). */
export function bodyToBuffer(b: Body): Buffer {
  return bodyText(b);
}

const TEXT_PLAIN = 'text/plain; charset=utf-8';

/** Everything a /metrics request needs, built once per server. */
interface MetricsContext {
  renderer: StoreRenderer;
  source: MetricsSource;
  numberFormat: NumberFormat;
  unitComments: boolean | undefined;
  extraCollect: (() => Promise<ResourceMetrics | undefined>) | undefined;
  gzip: GzipCache;
  background: BackgroundRender;
  stats: PrometheusServer['stats'];
  youngGc: (() => void) | undefined;
}

/** Writes pieces in one writev (cork/uncork): no 70 MB concatenation per scrape. */
function writePieces(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string | number>,
  pieces: readonly Buffer[],
  length: number,
): void {
  headers['content-length'] = length;
  res.writeHead(200, headers);
  if (req.method !== 'HEAD') {
    res.cork();
    for (const p of pieces) res.write(p);
    res.uncork();
  }
  res.end();
}

/** Unsent bytes an inflating response may queue before it waits for the socket to drain. */
const STREAM_HIGH_WATER = 4 << 20;

/**
 * Writes the text of pieces some of which are held only as gzip (Piece), inflating each one as it goes: a
 * client that reads text once in a while costs an inflate of the body, not a second copy of it in memory.
 */
async function streamText(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string | number>,
  body: Body,
): Promise<void> {
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  if (req.method !== 'HEAD') {
    for (const p of body.pieces) {
      res.write(p.text());
      if (res.writableLength > STREAM_HIGH_WATER) await drained(res);
      if (res.destroyed) return;
    }
  }
  res.end();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * The text of every piece, held again where it had been dropped when a client that reads text keeps scraping
 * (then undefined is never returned); undefined when some piece is gzip-only and the text is not wanted.
 */
function heldText(body: Body, keep: boolean, youngGc: (() => void) | undefined): Buffer[] | undefined {
  if (keep) return keepAllText(body, youngGc);
  const out: Buffer[] = [];
  for (const p of body.pieces) {
    if (!p.hasText) return undefined;
    out.push(p.text());
  }
  return out;
}

/** Inflated bytes after which keepAllText runs a young-generation collection. */
const YOUNG_GC_EVERY_BYTES = 8 << 20;

/**
 * Every piece's text, held again where it was dropped. Inflating leaves a copy's worth of short-lived Buffers,
 * freed only when V8 collects their objects: at 10k pods the whole body's worth (66 MiB) on top of the peak RSS,
 * unless a cheap young-generation collection (a few ms) runs every few MiB.
 */
function keepAllText(body: Body, youngGc: (() => void) | undefined): Buffer[] {
  const out: Buffer[] = [];
  let inflated = 0;
  for (const p of body.pieces) {
    if (!p.hasText) inflated += p.length;
    out.push(p.keepText());
    if (inflated > YOUNG_GC_EVERY_BYTES && youngGc !== undefined) {
      youngGc();
      inflated = 0;
    }
  }
  return out;
}

/** A young-generation collection (see keepAllText), or undefined when gc cannot be exposed. */
function youngCollector(): (() => void) | undefined {
  const gc = exposeGc() as ((o?: { type: 'minor' | 'major' }) => void) | undefined;
  return gc === undefined ? undefined : () => gc({ type: 'minor' });
}

/** Answers 405 / probes / 404; returns false when the request is for /metrics. */
function serveOther(req: IncomingMessage, res: ServerResponse, path: string, health: () => Health): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': TEXT_PLAIN, allow: 'GET, HEAD' }).end('method not allowed\n');
    return true;
  }
  if (path === '/healthz' || path === '/readyz') {
    const h = health();
    const ok = path === '/healthz' ? h.live : h.ready;
    res.writeHead(ok ? 200 : 503, { 'content-type': TEXT_PLAIN });
    res.end(ok ? 'ok\n' : `${h.reason ?? (path === '/healthz' ? 'not live' : 'not ready')}\n`);
    return true;
  }
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': TEXT_PLAIN }).end('not found\n');
    return true;
  }
  return false;
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, ctx: MetricsContext): Promise<void> {
  const format = negotiateFormat(req.headers.accept);
  const gzip = acceptsGzip(req.headers['accept-encoding'] as string | undefined);
  // A scraper is told apart by address and user agent (an HA pair of Prometheus servers scrapes on two grids).
  // Recorded first: whether the text is kept depends on who keeps scraping for it.
  ctx.background.scraped(`${req.socket.remoteAddress} ${req.headers['user-agent'] ?? ''}`, { format, gzip });
  const keepText = ctx.background.textWanted();
  ctx.stats.scrapes++;
  if (format === 'openmetrics') ctx.stats.openMetrics++;
  const body = await renderExposition(ctx.renderer, ctx.source, format, {
    numberFormat: ctx.numberFormat,
    unitComments: ctx.unitComments,
    ...(ctx.extraCollect ? { extraCollect: ctx.extraCollect } : {}),
  });
  const headers: Record<string, string | number> = {
    'content-type': format === 'openmetrics' ? CONTENT_TYPE_OPENMETRICS : CONTENT_TYPE_TEXT,
    vary: 'Accept, Accept-Encoding',
  };
  if (gzip) {
    ctx.stats.gzip++;
    const members = await ctx.gzip.body(body, !keepText);
    ctx.background.dropped(ctx.gzip.takeDropped());
    let len = 0;
    for (const m of members) len += m.length;
    headers['content-encoding'] = 'gzip';
    writePieces(req, res, headers, members, len);
    return;
  }
  const text = heldText(body, keepText, ctx.youngGc);
  if (text !== undefined) writePieces(req, res, headers, text, body.length);
  else await streamText(req, res, headers, body);
}

/** Listens and resolves with the bound port (the server's 'error' rejects, e.g. EADDRINUSE). */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The bridge's between-scrapes work (see BackgroundRender): prerender ticks, bodies before scrapes, idle GC. */
function startBackground(
  opts: PrometheusServerOptions,
  renderer: StoreRenderer,
  gzip: GzipCache,
  logger: Logger,
  youngGc: (() => void) | undefined,
): BackgroundRender {
  const everyMs = opts.refreshIntervalMs ?? 1000;
  const background: BackgroundRender = new BackgroundRender({
    renderer,
    source: opts.source,
    everyMs,
    logger,
    // Not for a server without resources (the --telemetry-port one): the main bridge's collection is enough.
    gc: (opts.idleGc ?? true) && everyMs > 0 && opts.source.resources().length > 0 ? exposeGc() : undefined,
    prepare: async ({ format, gzip: compressed }, keepText) => {
      const body = renderer.renderPieces(opts.source, format);
      if (compressed) await gzip.body(body, !keepText);
      else if (keepText) keepAllText(body, youngGc);
    },
    compact: async () => {
      await gzip.body(renderer.renderPieces(opts.source, 'text'), () => !background.textWanted());
      background.dropped(gzip.takeDropped());
    },
  });
  return background;
}

/** The URL clients reach a server bound to `host` at (a wildcard bind is reached on loopback). */
function urlOf(scheme: string, host: string, port: number): string {
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${urlHost}:${port}`;
}

export async function startPrometheusServer(opts: PrometheusServerOptions): Promise<PrometheusServer> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const numberFormat = opts.numberFormat ?? 'go';
  const renderer = new StoreRenderer({ numberFormat, unitComments: opts.unitComments });
  const health: () => Health = opts.health ?? (() => ({ live: true, ready: true }));
  const gzip = new GzipCache(opts.gzipLevel ?? zlibConstants.Z_BEST_SPEED);
  const source = opts.source;
  const youngGc = opts.source.resources().length > 0 ? youngCollector() : undefined;
  const background = startBackground(opts, renderer, gzip, logger, youngGc);
  const stats = { scrapes: 0, gzip: 0, openMetrics: 0, errors: 0 };
  const ctx: MetricsContext = {
    renderer,
    source,
    numberFormat,
    unitComments: opts.unitComments,
    extraCollect: opts.extraCollect,
    gzip,
    background,
    stats,
    youngGc,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const fail = (err: unknown) => {
      stats.errors++;
      logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'metrics request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': TEXT_PLAIN });
      res.end('internal error\n');
    };
    try {
      if (serveOther(req, res, (req.url ?? '/').split('?')[0] as string, health)) return;
    } catch (err) {
      fail(err);
      return;
    }
    serveMetrics(req, res, ctx).catch(fail);
  };
  // Probes stay outside basic auth (the kubelet cannot send credentials); they are still behind TLS.
  const server = opts.webConfig
    ? createSecuredServer({ source: opts.webConfig, unauthenticatedPaths: ['/healthz', '/readyz'], logger }, listener)
    : createServer(listener);
  const scheme = opts.webConfig?.current().tls ? 'https' : 'http';
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '0.0.0.0';
  const port = await listen(server, opts.port ?? 9464, host);
  logger.info({ host, port, scheme }, 'prometheus bridge listening');
  return {
    url: urlOf(scheme, host, port),
    port,
    renderer,
    stats,
    background: background.stats,
    close: () =>
      new Promise<void>((resolve) => {
        background.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
