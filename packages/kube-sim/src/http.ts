// The Kubernetes REST protocol over node:http. JSON only, and `Content-Type: application/json` on every
// response: client-go decodes by that header and would otherwise assume protobuf.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { FaultState } from './faults.ts';
import { jsonPatch, mergePatch } from './patch.ts';
import { apiGroupList, apiResourceList, type KObj, type ResourceDef, resourceForPath } from './resources.ts';
import { andMatchers, type Matcher, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, errors, statusObject, successStatus } from './status.ts';
import { lowerBound, type Store } from './store.ts';
import { toTable, wantsTable } from './table.ts';
import { eventLine, type Watcher, type WatchHub } from './watch.ts';

const JSON_TYPE = 'application/json';
const MAX_BODY = 64 * 1024 * 1024;

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

export interface HttpContext {
  store: Store;
  hub: WatchHub;
  faults: FaultState;
  logger: Logger;
  version: VersionInfo;
  counters: Record<string, number>;
  /** Control endpoint (/_sim/...), handled by the owner of the server. */
  control(req: IncomingMessage, res: ServerResponse, path: string, body: () => Promise<string>): Promise<void>;
}

interface Route {
  res: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  sub: string | undefined;
  watchPath: boolean;
}

export function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: ApiError, headers: Record<string, string> = {}): void {
  send(res, e.code, e.toStatus(), headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'request entity too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): KObj {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`error decoding request body as JSON: ${(e as Error).message}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function route(segs: string[]): Route | Record<string, unknown> | undefined {
  let group = '';
  let version: string | undefined;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: null };
    version = segs[1]!;
    if (segs.length === 2) return apiResourceList('', version);
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return apiGroupList();
    group = segs[1]!;
    if (segs.length === 2) {
      const g = (apiGroupList().groups as KObj[]).find((x) => x.name === group);
      return g ? { kind: 'APIGroup', apiVersion: 'v1', ...g } : undefined;
    }
    version = segs[2]!;
    if (segs.length === 3) return apiResourceList(group, version);
    rest = segs.slice(3);
  } else return undefined;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const res = resourceForPath(group, version, rest[2]!);
    if (res?.namespaced && rest.length <= 5) return { res, namespace: rest[1], name: rest[3], sub: rest[4], watchPath };
  }
  const res = resourceForPath(group, version, rest[0] ?? '');
  if (!res || rest.length > 3) return undefined;
  return { res, namespace: undefined, name: rest[1], sub: rest[2], watchPath };
}

function verbOf(method: string, r: Route, watch: boolean): string {
  switch (method) {
    case 'GET':
      return r.name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return r.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

const truthy = (v: string | null) => v === 'true' || v === '1';

const VERSION_BUILD = {
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-05-15T00:00:00Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const notFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
const methodNotAllowed = () =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

/** An injected failure (faults.failNext) as the status a real apiserver sends for that code. */
function injectedError(fail: { status: number; retryAfterSeconds: number | undefined }): {
  error: ApiError;
  headers: Record<string, string>;
} {
  const reason = fail.status === 429 ? 'TooManyRequests' : fail.status === 503 ? 'ServiceUnavailable' : 'InternalError';
  const message =
    fail.status === 429
      ? 'Too many requests, please try again later.'
      : fail.status === 503
        ? 'the server is currently unable to handle the request'
        : 'an error on the server ("injected fault") has prevented the request from succeeding';
  const headers: Record<string, string> = {};
  if (fail.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fail.retryAfterSeconds);
  const details = fail.retryAfterSeconds !== undefined ? { retryAfterSeconds: fail.retryAfterSeconds } : {};
  return { error: new ApiError(fail.status, reason, message, details), headers };
}

/** Paths the resource does not have: a subresource other than status, a cluster-scoped one in a namespace … */
function checkShape(rt: Route): void {
  if (rt.sub !== undefined && rt.sub !== 'status') throw notFound();
  if (rt.sub === 'status' && !rt.name) throw notFound();
  if (!rt.res.namespaced && rt.namespace) throw notFound();
  if (rt.res.namespaced && rt.name && !rt.namespace) throw notFound();
}

export async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kube-sim');
  const path = url.pathname;
  if (path.startsWith('/_sim/')) return ctx.control(req, res, path, () => readBody(req));
  ctx.counters.requests = (ctx.counters.requests ?? 0) + 1;
  if (ctx.faults.latencyMs > 0) await sleep(ctx.faults.latencyMs);
  try {
    if (path === '/version' || path === '/version/') {
      ctx.counters.discovery = (ctx.counters.discovery ?? 0) + 1;
      return send(res, 200, { ...ctx.version, ...VERSION_BUILD });
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, '"ok"');
    const r = route(path.split('/').filter((s) => s.length > 0));
    if (!r) throw notFound();
    if (!('res' in r && 'watchPath' in r)) {
      ctx.counters.discovery = (ctx.counters.discovery ?? 0) + 1;
      if (req.method !== 'GET') throw methodNotAllowed();
      return send(res, 200, r);
    }
    const rt = r as Route;
    const q = url.searchParams;
    const verb = verbOf(req.method ?? 'GET', rt, rt.watchPath || truthy(q.get('watch')));
    ctx.counters[verb] = (ctx.counters[verb] ?? 0) + 1;
    ctx.logger.debug({ verb, resource: rt.res.plural, namespace: rt.namespace, name: rt.name }, 'request');
    const fail = ctx.faults.takeFailure(rt.res.plural, verb);
    if (fail) {
      const { error, headers } = injectedError(fail);
      return sendError(res, error, headers);
    }
    checkShape(rt);
    return await serve(ctx, verb, rt, q, req, res);
  } catch (e) {
    if (e instanceof ApiError) return sendError(res, e);
    ctx.logger.error({ err: e, path }, 'internal error');
    return send(
      res,
      500,
      statusObject(
        500,
        'InternalError',
        `an error on the server ("${String((e as Error)?.message ?? e)}") has prevented the request from succeeding`,
      ),
    );
  }
}

/** One verb on one resource path (shape already checked, faults already applied). */
async function serve(
  ctx: HttpContext,
  verb: string,
  rt: Route,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  switch (verb) {
    case 'list':
      return list(ctx, rt, q, req, res);
    case 'watch':
      if (rt.name) {
        // A watch on a single object is a watch on the collection with a name field selector.
        const fs = q.get('fieldSelector');
        q.set('fieldSelector', fs ? `${fs},metadata.name=${rt.name}` : `metadata.name=${rt.name}`);
      }
      return startWatch(ctx, rt, q, req, res);
    case 'get': {
      const o = ctx.store.get(rt.res, rt.namespace, rt.name!);
      if (!o) throw errors.notFound(rt.res.plural, rt.res.group, rt.name!);
      if (wantsTable(req.headers.accept))
        return send(
          res,
          200,
          toTable(rt.res, [o], { resourceVersion: o.metadata.resourceVersion }, q.get('includeObject')),
        );
      return send(res, 200, o);
    }
    case 'create': {
      if (rt.name) throw methodNotAllowed();
      const body = await readJsonBody(req);
      if (q.get('dryRun')) return send(res, 201, body);
      return send(res, 201, ctx.store.create(rt.res, rt.namespace, body));
    }
    case 'update': {
      const body = await readJsonBody(req);
      return send(res, 200, ctx.store.update(rt.res, rt.namespace, rt.name!, body, rt.sub as 'status' | undefined));
    }
    case 'patch':
      return send(res, 200, await patchObject(ctx, rt, req));
    case 'delete':
      return send(res, 200, await deleteObject(ctx, rt, req));
    case 'deletecollection':
      return send(res, 200, deleteCollection(ctx, rt, q));
    default:
      throw methodNotAllowed();
  }
}

/** PATCH with a merge patch (strategic merge treated as one) or a JSON patch. */
async function patchObject(ctx: HttpContext, rt: Route, req: IncomingMessage): Promise<KObj> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const text = await readBody(req);
  let apply: (cur: KObj) => KObj;
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
    const p = parseJson(text);
    apply = (cur) => mergePatch(cur, p);
  } else if (type === 'application/json-patch+json') {
    const p = parseJson(text);
    apply = (cur) => jsonPatch(cur, p);
  } else
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
    );
  return ctx.store.patch(rt.res, rt.namespace, rt.name!, apply, rt.sub as 'status' | undefined);
}

/** DELETE of one object: a Pod answers with the object (graceful deletion), other kinds with a Status. */
async function deleteObject(ctx: HttpContext, rt: Route, req: IncomingMessage): Promise<KObj> {
  const text = await readBody(req);
  const opts = text.trim() ? parseJson(text) : {};
  const gone = ctx.store.delete(rt.res, rt.namespace, rt.name!, opts?.preconditions);
  if (rt.res.kind === 'Pod') return gone;
  return successStatus({
    name: rt.name!,
    ...(rt.res.group ? { group: rt.res.group } : {}),
    kind: rt.res.plural,
    uid: gone.metadata.uid,
  } as KObj);
}

function deleteCollection(ctx: HttpContext, rt: Route, q: URLSearchParams): KObj {
  const match = selectors(rt.res, q);
  const items = ctx.store.list(rt.res, rt.namespace).filter((o) => !match || match(o));
  const gone = items.map((o) => ctx.store.delete(rt.res, o.metadata.namespace, o.metadata.name));
  return {
    kind: rt.res.listKind,
    apiVersion: rt.res.apiVersion,
    metadata: { resourceVersion: String(ctx.store.resourceVersion) },
    items: gone,
  };
}

async function readJsonBody(req: IncomingMessage): Promise<KObj> {
  const type = (req.headers['content-type'] ?? JSON_TYPE).split(';')[0]!.trim();
  if (type !== JSON_TYPE && type !== '*/*')
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
  return parseJson(await readBody(req));
}

function selectors(res: ResourceDef, q: URLSearchParams): Matcher | undefined {
  return andMatchers(
    parseLabelSelector(q.get('labelSelector') ?? ''),
    parseFieldSelector(q.get('fieldSelector') ?? '', res),
  );
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw errors.badRequest(`invalid continue token: continue key is not valid`);
  }
}

function validateListOptions(q: URLSearchParams, watch: boolean): void {
  const sie = q.get('sendInitialEvents');
  const rvm = q.get('resourceVersionMatch');
  const invalid = (field: string, msg: string) =>
    new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: Forbidden: ${msg}`, {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: [{ reason: 'FieldValueForbidden', message: `Forbidden: ${msg}`, field }],
    });
  if (sie !== null) {
    if (!watch) throw invalid('sendInitialEvents', 'sendInitialEvents is forbidden for list');
    if (rvm !== 'NotOlderThan')
      throw invalid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (truthy(sie) && !truthy(q.get('allowWatchBookmarks')))
      throw invalid('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
  } else if (rvm && watch)
    throw invalid(
      'resourceVersionMatch',
      'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    );
  if (rvm && !['NotOlderThan', 'Exact'].includes(rvm))
    throw invalid('resourceVersionMatch', `unsupported value "${rvm}"`);
  if (rvm && !watch && !q.get('resourceVersion'))
    throw invalid('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
}

function parseRv(v: string): number {
  if (!/^\d+$/.test(v)) throw errors.badRequest(`invalid resource version: ${v}`);
  return Number(v);
}

function list(ctx: HttpContext, rt: Route, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  validateListOptions(q, false);
  const { store } = ctx;
  const match = selectors(rt.res, q);
  const limit = Math.max(0, Number.parseInt(q.get('limit') ?? '0', 10) || 0);
  const cont = q.get('continue');
  let listRv = store.resourceVersion;
  let from = '';
  if (cont) {
    if (q.get('resourceVersion'))
      throw errors.badRequest('specifying resource version is not allowed when using continue');
    const t = decodeContinue(cont);
    if (t.rv < store.floor)
      throw errors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    listRv = t.rv;
    from = t.start;
  } else {
    const rv = q.get('resourceVersion');
    if (rv && rv !== '0') {
      const n = parseRv(rv);
      if (q.get('resourceVersionMatch') === 'Exact' && n !== store.resourceVersion && n < store.floor)
        throw errors.expired(`too old resource version: ${n} (${store.floor + 1})`);
    }
  }
  const keys = store.sortedKeys(rt.res);
  const nsPrefix = rt.res.namespaced && rt.namespace ? `${rt.namespace}/` : '';
  // '0' sorts right after '/', so [ns/, ns0) is exactly the namespace's key range.
  const end = nsPrefix ? lowerBound(keys, `${rt.namespace}0`) : keys.length;
  let i = Math.max(lowerBound(keys, nsPrefix), from ? lowerBound(keys, from) : 0);
  const items: KObj[] = [];
  let lastKey = '';
  for (; i < end && (limit === 0 || items.length < limit); i++) {
    const o = store.getByKey(rt.res, keys[i]!);
    if (o && (!match || match(o))) {
      items.push(o);
      lastKey = keys[i]!;
    }
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
  if (limit > 0 && i < end) {
    metadata.continue = encodeContinue(listRv, `${lastKey}\u0000`);
    if (!match) metadata.remainingItemCount = end - i;
  }
  if (wantsTable(req.headers.accept)) send(res, 200, toTable(rt.res, items, metadata, q.get('includeObject')));
  else send(res, 200, { kind: rt.res.listKind, apiVersion: rt.res.apiVersion, metadata, items });
}

/**
 * The current state as ADDED events (watch without RV, or sendInitialEvents), in 64 KiB writes; with an
 * explicit sendInitialEvents=true, then the `k8s.io/initial-events-end` bookmark (the streaming-list protocol).
 */
function sendInitialEvents(ctx: HttpContext, w: Watcher, endBookmark: boolean): void {
  const { store, hub } = ctx;
  let batch = '';
  for (const o of store.list(w.res, w.namespace)) {
    if (w.match && !w.match(o)) continue;
    batch += hub.line(w, 'ADDED', o);
    if (batch.length > 1 << 16) {
      hub.write(w, batch);
      batch = '';
    }
  }
  if (batch) hub.write(w, batch);
  if (!endBookmark) return;
  const bm = {
    kind: w.res.kind,
    apiVersion: w.res.apiVersion,
    metadata: {
      resourceVersion: String(store.resourceVersion),
      annotations: { 'k8s.io/initial-events-end': 'true' },
    },
  };
  hub.write(w, eventLine('BOOKMARK', JSON.stringify(bm)));
}

function startWatch(ctx: HttpContext, rt: Route, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  validateListOptions(q, true);
  const { store, hub } = ctx;
  const match = selectors(rt.res, q);
  const rvParam = q.get('resourceVersion') ?? '';
  const sie = q.get('sendInitialEvents');
  const explicitInitial = truthy(sie);
  const initial = sie === null ? rvParam === '' || rvParam === '0' : explicitInitial;
  const fromRv = rvParam === '' || rvParam === '0' ? store.resourceVersion : parseRv(rvParam);
  const w: Watcher = {
    id: hub.newId(),
    res: rt.res,
    namespace: rt.res.namespaced ? rt.namespace : undefined,
    match,
    bookmarks: truthy(q.get('allowWatchBookmarks')),
    table: wantsTable(req.headers.accept) ? { include: q.get('includeObject'), headersSent: false } : undefined,
    response: res,
    queue: undefined,
    timer: undefined,
  };
  res.writeHead(200, {
    'Content-Type': JSON_TYPE,
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  // Registered before anything is written: a client that goes away mid-replay must not leave a watcher.
  const done = () => hub.remove(w);
  res.on('close', done);
  res.on('error', done);
  req.on('close', done);
  const expired = ctx.faults.takeExpire(rt.res.plural) || (!initial && fromRv < store.floor);
  if (expired) {
    const status = statusObject(410, 'Expired', `too old resource version: ${fromRv} (${store.floor + 1})`);
    res.end(eventLine('ERROR', JSON.stringify(status)));
    return;
  }
  // Everything below runs synchronously with store writes, so no event can slip between the
  // initial state/replay and live delivery.
  if (initial) sendInitialEvents(ctx, w, explicitInitial);
  else for (const e of store.eventsSince(fromRv)) if (e.res === rt.res) hub.deliver(w, e);
  if (res.destroyed) return;
  hub.add(w);
  ctx.counters.watchesStarted = (ctx.counters.watchesStarted ?? 0) + 1;
  const timeout = Number.parseInt(q.get('timeoutSeconds') ?? '0', 10);
  if (timeout > 0)
    w.timer = setTimeout(() => {
      hub.remove(w);
      res.end();
    }, timeout * 1000);
}
