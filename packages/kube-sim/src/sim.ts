// startKubeSim: the store, the HTTP server, fault injection, scenarios and the control endpoint together.
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, pino } from 'pino';
import { type FailNextOptions, FaultState } from './faults.ts';
import { type HttpContext, handle, send, type VersionInfo } from './http.ts';
import { mergePatch as mergePatchImport } from './patch.ts';
import { type KObj, RESOURCES, type ResourceDef, resourceFor } from './resources.ts';
import { type DemoOptions, loadScenario, type RunningScenario, type ScaleOptions } from './scenarios/index.ts';
import { ApiError, statusObject } from './status.ts';
import { Store } from './store.ts';
import { WatchHub } from './watch.ts';

export interface KubeSimOptions {
  port?: number;
  host?: string;
  scenario?: 'empty' | 'demo' | 'scale';
  scale?: ScaleOptions;
  /** Demo scenario clock and shard count. */
  demo?: DemoOptions;
  /** Objects to load at start (any kind kube-sim serves; Lists are expanded). */
  objects?: unknown[];
  /** JSON or YAML files (single object, List, or multi-document YAML) to load at start. */
  objectFiles?: string[];
  /** Number of events retained for watch resumption; older resourceVersions get 410 Gone. Default 10000. */
  compactionWindow?: number;
  /** Interval between BOOKMARK events on watches that allow them. Default 5000. */
  bookmarkIntervalMs?: number;
  /** Reported by /version (kubectl picks its version from it). Default v1.33.1. */
  version?: VersionInfo;
  logger?: Logger;
}

export type KindName = 'Pod' | 'Job' | 'CronJob' | 'StatefulSet' | 'Node' | 'Namespace' | (string & {});

export interface ClusterApi {
  /** `create(obj)` or `create(resource, obj)`; a given uid/creationTimestamp is kept. Throws ApiError. */
  create(objOrResource: KObj, maybeObj?: KObj): KObj;
  /** Replaces spec, metadata and status (programmatic callers act as controllers too). */
  update(obj: KObj): KObj;
  updateStatus(obj: KObj): KObj;
  /** Merge patch over the whole object, .status included. */
  patch(kind: KindName, namespace: string | undefined, name: string, mergePatch: KObj): KObj;
  /** Merge patch on the status subresource (only .status changes). */
  patchStatus(kind: KindName, namespace: string | undefined, name: string, mergePatch: KObj): KObj;
  delete(kind: KindName, namespace: string | undefined, name: string): KObj;
  get(kind: KindName, namespace: string | undefined, name: string): KObj | undefined;
  list(kind: KindName, namespace?: string): KObj[];
  resourceVersion(): string;
}

export interface FaultsApi {
  /** Cuts every open watch stream (connection reset). */
  dropWatches(): void;
  /** The next watch (of `resource`, or of any resource) gets an ERROR event with 410 Expired. */
  expireNextWatch(resource?: string): void;
  /** Drops all retained history: every watch or continue token from an older RV gets 410. */
  compact(): void;
  failNext(n: number, opts: FailNextOptions): void;
  setLatency(ms: number): void;
  /** Stops delivering watch events and bookmarks (connections stay open); `false` delivers what was held. */
  stallWatches(on?: boolean): void;
  /** The next `n` writes reach no open watch (a resume or a list still sees them). */
  loseNextEvents(n: number): void;
  /** Clears latency, pending failures, forced expiries and lost events, and un-stalls watches. */
  clear(): void;
}

export interface KubeSimStats {
  watches: number;
  watchesStarted: number;
  requests: number;
  byVerb: Record<string, number>;
  resourceVersion: string;
  retainedEvents: number;
  objects: Record<string, number>;
  faultsInjected: number;
  restarts: number;
}

export interface KubeSim {
  url: string;
  port: number;
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  cluster: ClusterApi;
  faults: FaultsApi;
  stats(): KubeSimStats;
  restart(opts: { preserveState: boolean }): Promise<void>;
  stopScenario(): void;
  close(): Promise<void>;
}

const DEFAULT_VERSION: VersionInfo = { major: '1', minor: '33', gitVersion: 'v1.33.1' };

function resolve(kind: string): ResourceDef {
  const r = resourceFor(kind);
  if (!r)
    throw new ApiError(
      404,
      'NotFound',
      `kube-sim does not serve "${kind}" (serves ${RESOURCES.map((x) => x.kind).join(', ')})`,
    );
  return r;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok((server.address() as AddressInfo).port);
    });
  });
}

/** The in-process API of the simulated cluster: what tests use instead of HTTP (copies in, copies out). */
function clusterApi(store: Store): ClusterApi {
  const clone = <T>(o: T): T => (o === undefined ? o : structuredClone(o));
  return {
    create(a, b) {
      const obj = b === undefined ? a : b;
      const res = resolve(b === undefined ? String(obj?.kind ?? '') : String(a));
      return clone(store.create(res, obj?.metadata?.namespace, structuredClone(obj), { keepIdentity: true }));
    },
    update(obj) {
      const res = resolve(String(obj?.kind ?? ''));
      return clone(store.update(res, obj.metadata?.namespace, obj.metadata?.name, structuredClone(obj), 'all'));
    },
    updateStatus(obj) {
      const res = resolve(String(obj?.kind ?? ''));
      return clone(store.update(res, obj.metadata?.namespace, obj.metadata?.name, structuredClone(obj), 'status'));
    },
    patch(kind, namespace, name, p) {
      return clone(store.patch(resolve(kind), namespace, name, (cur) => mergePatchImport(cur, p), 'all'));
    },
    patchStatus(kind, namespace, name, p) {
      return clone(store.patch(resolve(kind), namespace, name, (cur) => mergePatchImport(cur, p), 'status'));
    },
    delete(kind, namespace, name) {
      return clone(store.delete(resolve(kind), namespace, name));
    },
    get(kind, namespace, name) {
      return clone(store.get(resolve(kind), namespace, name));
    },
    list(kind, namespace) {
      return store.list(resolve(kind), namespace).map((o) => structuredClone(o));
    },
    resourceVersion: () => String(store.resourceVersion),
  };
}

function faultsApiOf(store: Store, hub: WatchHub, faults: FaultState): FaultsApi {
  return {
    dropWatches: () => hub.dropAll(),
    expireNextWatch: (resource) => faults.expireNextWatch(resource),
    compact: () => store.compact(),
    failNext: (n, o) => faults.failNext(n, o),
    loseNextEvents: (n) => {
      faults.loseEvents = Math.max(0, Math.floor(n));
    },
    setLatency: (ms) => {
      faults.latencyMs = Math.max(0, ms);
    },
    stallWatches: (on = true) => {
      faults.stalled = on;
      hub.setStalled(on);
    },
    clear: () => {
      faults.clearRequestFaults();
      faults.stalled = false;
      hub.setStalled(false);
    },
  };
}

function statsOf(
  store: Store,
  hub: WatchHub,
  faults: FaultState,
  counters: Record<string, number>,
  restarts: number,
): KubeSimStats {
  const objects: Record<string, number> = {};
  for (const r of RESOURCES) objects[r.plural] = store.count(r);
  const { requests = 0, watchesStarted = 0, ...byVerb } = counters;
  return {
    watches: hub.count,
    watchesStarted,
    requests,
    byVerb,
    resourceVersion: String(store.resourceVersion),
    retainedEvents: store.retainedEvents,
    objects,
    faultsInjected: faults.injected,
    restarts,
  };
}

interface ControlDeps {
  stats: () => KubeSimStats;
  faults: FaultState;
  faultsApi: FaultsApi;
  restart: (preserveState: boolean) => Promise<void>;
  logger: Logger;
}

/** `/_sim/*`: stats, faults and restart over HTTP (the `kso sim` process is driven this way). */
function controlEndpoint(d: ControlDeps): HttpContext['control'] {
  const { stats, faults, faultsApi, logger } = d;
  return async (req: IncomingMessage, res: ServerResponse, path: string, body: () => Promise<string>) => {
    try {
      if (path === '/_sim/stats' && req.method === 'GET') return send(res, 200, stats());
      if (path === '/_sim/faults' && req.method === 'GET') return send(res, 200, faults.snapshot());
      if (path === '/_sim/faults' && req.method === 'POST') {
        const text = await body();
        let spec: KObj;
        try {
          spec = text.trim() ? JSON.parse(text) : {};
        } catch {
          throw new ApiError(400, 'BadRequest', 'fault spec is not valid JSON');
        }
        applyFaultSpec(faultsApi, spec);
        return send(res, 200, faults.snapshot());
      }
      if (path === '/_sim/restart' && req.method === 'POST') {
        const text = await body();
        const preserveState = text.trim() ? JSON.parse(text).preserveState !== false : true;
        send(res, 202, { restarting: true, preserveState });
        // Let the response flush before every connection is cut.
        setTimeout(() => void d.restart(preserveState).catch((err) => logger.error({ err }, 'restart failed')), 20);
        return;
      }
      throw new ApiError(404, 'NotFound', `unknown control endpoint ${req.method} ${path}`);
    } catch (e) {
      if (e instanceof ApiError) return send(res, e.code, e.toStatus());
      return send(res, 400, statusObject(400, 'BadRequest', String((e as Error).message ?? e)));
    }
  };
}

function simServer(ctx: HttpContext, sockets: Set<Socket>, logger: Logger): Server {
  const s = createServer({ keepAlive: true }, (req, res) => {
    handle(ctx, req, res).catch((err) => {
      logger.error({ err }, 'unhandled request error');
      if (!res.headersSent) send(res, 500, statusObject(500, 'InternalError', 'internal error'));
      else res.destroy();
    });
  });
  s.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  // Real apiservers keep idle connections; do not let Node's defaults cut long-lived watches.
  s.requestTimeout = 0;
  s.headersTimeout = 60_000;
  s.keepAliveTimeout = 30_000;
  return s;
}

/**
 * The HTTP side: (re)listens on one port and tracks every socket, so a restart or close cuts every
 * connection at once as a real server's exit would.
 */
function httpListener(ctx: HttpContext, host: string, logger: Logger) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    async listen(port: number): Promise<number> {
      server = simServer(ctx, sockets, logger);
      return listen(server, port, host);
    },
    /** Ends every watch (as a dying server), then every connection. */
    async close(): Promise<void> {
      ctx.hub.dropAll();
      const s = server;
      const closed = new Promise<void>((ok) => (s ? s.close(() => ok()) : ok()));
      for (const sock of sockets) sock.destroy();
      sockets.clear();
      await closed;
    },
  };
}

/** The running scenario (demo, scale), if any; stopping it is idempotent. */
class ScenarioSlot {
  #running: RunningScenario | undefined;
  set(s: RunningScenario | undefined): void {
    this.#running = s;
  }
  stop(): void {
    this.#running?.stop();
    this.#running = undefined;
  }
}

/** Sends every open watch a bookmark at the store's resourceVersion every `ms` (kube-apiserver: ~1 min). */
function bookmarks(hub: WatchHub, store: Store, ms: number): NodeJS.Timeout {
  const t = setInterval(() => hub.bookmark(store.resourceVersion), Math.max(10, ms));
  t.unref();
  return t;
}

function scenarioOptions(opts: KubeSimOptions) {
  return {
    scenario: opts.scenario ?? 'empty',
    scale: opts.scale,
    demo: opts.demo,
    objects: opts.objects,
    objectFiles: opts.objectFiles,
  };
}

/** What survives a restart: everything (preserveState), or nothing (etcd lost). */
function restartedState(store: Store, preserveState: boolean): void {
  if (!preserveState) store.reset();
  // A restarted kube-apiserver rebuilds its watch cache from a fresh list: it can resume watches from
  // that list's resourceVersion on, but an older one gets 410 "too old resource version" (cacher
  // watch_cache.go: oldest = listResourceVersion + 1), so clients relist.
  else store.compact();
}

function kubeconfigFor(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kube-sim',
    '  cluster:',
    `    server: ${url}`,
    // client-node 2.x refuses plain http unless TLS verification is explicitly off.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: kube-sim',
    '  user:',
    '    token: kube-sim-token',
    'contexts:',
    '- name: kube-sim',
    '  context:',
    '    cluster: kube-sim',
    '    user: kube-sim',
    '    namespace: default',
    'current-context: kube-sim',
    '',
  ].join('\n');
}

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const host = opts.host ?? '127.0.0.1';
  const store = new Store(opts.compactionWindow ?? 10_000);
  const hub = new WatchHub();
  const faults = new FaultState();
  const counters: Record<string, number> = {};
  let restarts = 0;
  // loseNextEvents: the store applies the write, the watchers never hear of it.
  store.onEvent((e) => (faults.loseEvents > 0 ? void faults.loseEvents-- : hub.dispatch(e)));
  const scenario = new ScenarioSlot();
  const faultsApi = faultsApiOf(store, hub, faults);
  const stats = () => statsOf(store, hub, faults, counters, restarts);
  const restart = (preserveState: boolean) => sim.restart({ preserveState });
  const control = controlEndpoint({ stats, faults, faultsApi, restart, logger });
  const ctx: HttpContext = { store, hub, faults, logger, version: opts.version ?? DEFAULT_VERSION, counters, control };
  const http = httpListener(ctx, host, logger);
  const shutdown = () => http.close();
  const port = await http.listen(opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const bookmarkTimer = bookmarks(hub, store, opts.bookmarkIntervalMs ?? 5000);
  try {
    scenario.set(await loadScenario(store, { ...scenarioOptions(opts), logger }));
  } catch (e) {
    clearInterval(bookmarkTimer);
    await shutdown();
    throw e;
  }
  const sim: KubeSim = {
    url,
    port,
    kubeconfig: () => kubeconfigFor(url),
    writeKubeconfig: (path) => writeFile(path, kubeconfigFor(url), { mode: 0o600 }),
    cluster: clusterApi(store),
    faults: faultsApi,
    stats,
    async restart({ preserveState }) {
      restarts++;
      logger.info({ preserveState }, 'kube-sim restarting');
      await shutdown();
      if (!preserveState) scenario.stop();
      restartedState(store, preserveState);
      await http.listen(port);
    },
    stopScenario: () => scenario.stop(),
    async close() {
      scenario.stop();
      clearInterval(bookmarkTimer);
      await shutdown();
    },
  };
  logger.info({ url, objects: stats().objects }, 'kube-sim listening');
  return sim;
}

/** Applies a `POST /_sim/faults` body; keys are applied in a fixed order (clear first). */
export function applyFaultSpec(api: FaultsApi, spec: KObj): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new ApiError(400, 'BadRequest', 'fault spec must be a JSON object');
  const known = new Set([
    'clear',
    'dropWatches',
    'expireNextWatch',
    'compact',
    'failNext',
    'latencyMs',
    'stallWatches',
    'loseNextEvents',
  ]);
  for (const k of Object.keys(spec))
    if (!known.has(k)) throw new ApiError(400, 'BadRequest', `unknown fault "${k}" (known: ${[...known].join(', ')})`);
  if (spec.clear) api.clear();
  if (spec.latencyMs !== undefined) {
    if (typeof spec.latencyMs !== 'number' || spec.latencyMs < 0)
      throw new ApiError(400, 'BadRequest', 'latencyMs must be a number >= 0');
    api.setLatency(spec.latencyMs);
  }
  if (spec.failNext !== undefined) {
    const f = spec.failNext;
    if (typeof f !== 'object' || f === null || typeof f.n !== 'number' || ![429, 500, 503].includes(f.status))
      throw new ApiError(
        400,
        'BadRequest',
        'failNext needs {n: number, status: 429|500|503, retryAfterSeconds?, resource?, verb?}',
      );
    api.failNext(f.n, { status: f.status, retryAfterSeconds: f.retryAfterSeconds, resource: f.resource, verb: f.verb });
  }
  if (spec.expireNextWatch)
    api.expireNextWatch(typeof spec.expireNextWatch === 'string' ? spec.expireNextWatch : undefined);
  if (spec.compact) api.compact();
  if (spec.loseNextEvents !== undefined) {
    if (typeof spec.loseNextEvents !== 'number' || spec.loseNextEvents < 0)
      throw new ApiError(400, 'BadRequest', 'loseNextEvents must be a number >= 0');
    api.loseNextEvents(spec.loseNextEvents);
  }
  if (spec.stallWatches !== undefined) api.stallWatches(Boolean(spec.stallWatches));
  if (spec.dropWatches) api.dropWatches();
}
