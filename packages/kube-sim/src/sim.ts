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

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const host = opts.host ?? '127.0.0.1';
  const store = new Store(opts.compactionWindow ?? 10_000);
  const hub = new WatchHub();
  const faults = new FaultState();
  const counters: Record<string, number> = {};
  let restarts = 0;
  store.onEvent((e) => {
    if (faults.loseEvents > 0) faults.loseEvents--;
    else hub.dispatch(e);
  });

  const sockets = new Set<Socket>();
  let server: Server;
  let port = opts.port ?? 0;
  let scenario: RunningScenario | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;

  const clone = <T>(o: T): T => (o === undefined ? o : structuredClone(o));
  const cluster: ClusterApi = {
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

  const faultsApi: FaultsApi = {
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

  const stats = (): KubeSimStats => {
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
  };

  // Declared as a function so the control endpoint can call restart/close defined below.
  const control = async (req: IncomingMessage, res: ServerResponse, path: string, body: () => Promise<string>) => {
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
        setTimeout(
          () => void sim.restart({ preserveState }).catch((err) => logger.error({ err }, 'restart failed')),
          20,
        );
        return;
      }
      throw new ApiError(404, 'NotFound', `unknown control endpoint ${req.method} ${path}`);
    } catch (e) {
      if (e instanceof ApiError) return send(res, e.code, e.toStatus());
      return send(res, 400, statusObject(400, 'BadRequest', String((e as Error).message ?? e)));
    }
  };

  const ctx: HttpContext = { store, hub, faults, logger, version: opts.version ?? DEFAULT_VERSION, counters, control };

  const makeServer = (): Server => {
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
  };

  const shutdown = async (): Promise<void> => {
    hub.dropAll();
    const closed = new Promise<void>((ok) => server.close(() => ok()));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };

  server = makeServer();
  port = await listen(server, port, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const startBookmarks = () => {
    bookmarkTimer = setInterval(
      () => hub.bookmark(store.resourceVersion),
      Math.max(10, opts.bookmarkIntervalMs ?? 5000),
    );
    bookmarkTimer.unref();
  };
  startBookmarks();

  try {
    scenario = await loadScenario(store, {
      scenario: opts.scenario ?? 'empty',
      scale: opts.scale,
      demo: opts.demo,
      objects: opts.objects,
      objectFiles: opts.objectFiles,
      logger,
    });
  } catch (e) {
    clearInterval(bookmarkTimer);
    await shutdown();
    throw e;
  }

  const kubeconfig = () =>
    [
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

  const sim: KubeSim = {
    url,
    port,
    kubeconfig,
    writeKubeconfig: (path) => writeFile(path, kubeconfig(), { mode: 0o600 }),
    cluster,
    faults: faultsApi,
    stats,
    async restart({ preserveState }) {
      restarts++;
      logger.info({ preserveState }, 'kube-sim restarting');
      await shutdown();
      if (!preserveState) {
        scenario?.stop();
        scenario = undefined;
        store.reset();
      } else {
        // A restarted kube-apiserver rebuilds its watch cache from a fresh list: it can resume watches from
        // that list's resourceVersion on, but an older one gets 410 "too old resource version" (cacher
        // watch_cache.go: oldest = listResourceVersion + 1), so clients relist.
        store.compact();
      }
      server = makeServer();
      await listen(server, port, host);
    },
    stopScenario() {
      scenario?.stop();
      scenario = undefined;
    },
    async close() {
      scenario?.stop();
      scenario = undefined;
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
