// A Reflector mirrors one resource (optionally one namespace) of the API server into a map of compact
// snapshots keyed by UID, with the client-go list+watch protocol:
//
//   LIST (every page, resourceVersion unset = consistent read) → apply, remember the list's RV
//   WATCH from that RV with bookmarks → apply each event, advance the RV on every event and bookmark
//   stream ends / breaks   → resume the watch from the last RV (after backoff, unless it ended cleanly)
//   410 Expired / RV too large → full relist, reconcile: held objects missing from it become deletions
//
// Invariants that keep a reflector from silently diverging from the server (field problem 3):
//  - the resume RV only ever comes from the server (list metadata, event objects, bookmarks) and is never
//    dropped: filtered or unparseable events still advance it, so a later resume does not replay or 410;
//  - a list follows `continue` to the last page, and a failure on any page (410 of the continue token
//    included) retries the whole list: reconciliation never runs on partial data;
//  - nothing is applied from a list until all of its pages arrived.
// And that keep it from lagging once the server is healthy again (issue 15): the backoff resets as soon as
// the server serves this reflector (a complete list, or an event/bookmark on a watch), not only after a
// watch lived a minute; and a backoff wait ends early (with jitter) when any reflector of the same server
// got a 200, so one reflector's reconnect tells the others the server is back.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Logger, pino } from 'pino';
import { Backoff, type BackoffOptions, ServerRecovery } from './backoff.ts';
import { equalIgnoring } from './equal.ts';
import { isExpired, isResourceVersionTooLarge, ProtocolError, RelistRequested, statusError } from './errors.ts';
import { getJson, streamLines } from './http.ts';
import type { ReflectorStore } from './store.ts';

export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export interface ReflectorOptions<S> {
  resource: ResourceRef;
  /** undefined = all namespaces. */
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /**
   * Raw API object → compact snapshot. May throw on malformed input: the object is counted
   * (`parseErrors`), logged (reason and identity only) and skipped; a previously held snapshot is kept.
   * Snapshots must be treated as immutable: they are handed to listeners and held as-is.
   */
  compact: (raw: unknown) => S;
  /**
   * Shard filter by UID, applied identically to list items and watch events. Bookmarks, errors and
   * resourceVersions are never filtered. A held object whose UID stops passing (filter changed at
   * runtime) is deleted on its next event; `requestRelist()` reconciles all of them at once.
   */
  filter?: (uid: string) => boolean;
  /**
   * Where the mirrored objects go (add/update/delete/replace), before the EventEmitter listeners are told.
   * An exception is counted in `handlerErrors` and logged; the reflector continues.
   */
  store?: ReflectorStore<S>;
  /** LIST page size (`limit`). Default 500. */
  pageSize?: number;
  backoff?: Partial<BackoffOptions>;
  /**
   * Server-side watch timeout, drawn uniformly per watch like client-go. Default 300–600 s; a staleness
   * bound (e.g. /healthz) needs a maximum below it: see watchTimeoutWithin.
   */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Socket inactivity limit of a LIST page request. Default 60 s. */
  requestTimeoutMs?: number;
  /** Drop updates whose snapshot is deep-equal to the held one. Default true. */
  suppressUnchanged?: boolean;
  /**
   * Top-level snapshot keys the "unchanged" check ignores. Default ['resourceVersion']: it changes on every
   * write. A skipped update still replaces the held snapshot (items() carry the newest resourceVersion);
   * listeners just are not told. Pass [] when a listener derives something from the ignored keys.
   */
  unchangedIgnores?: readonly string[];
  /**
   * Every this many ms (jittered), list the resource again and compare each object's resourceVersion with
   * the held one; a difference is counted (`consistencyDifferences`), logged and corrected by a relist.
   * 0 = off (default).
   */
  consistencyCheckIntervalMs?: number;
  logger?: Logger;
}

export type ReflectorEvent<S> =
  | { type: 'add'; uid: string; object: S }
  | { type: 'update'; uid: string; object: S; previous: S }
  | { type: 'delete'; uid: string; object: S };

/** EventEmitter signatures: listeners get the snapshot first, so `on('add', (snap) => …)` works. */
export interface ReflectorEvents<S> {
  add: [object: S, uid: string];
  update: [object: S, previous: S, uid: string];
  /** `object` is the last snapshot held for that UID. */
  delete: [object: S, uid: string];
  /** Every add/update/delete, in order, as one value. */
  event: [event: ReflectorEvent<S>];
  /** The first complete list was applied. */
  synced: [];
}

export interface ReflectorStats {
  /** `plural` or `plural/namespace`. */
  resource: string;
  namespace: string | undefined;
  /** Snapshots held. */
  objects: number;
  /** Last ADDED/MODIFIED/DELETED received on a watch (epoch ms), undefined before the first. */
  lastEventTimeMs: number | undefined;
  /**
   * Last time the held state was confirmed current with the server (epoch ms): a complete list was
   * applied, or a watch delivered an event or a bookmark (each proves the stream is live up to that RV).
   * Its age is the staleness bound: a stuck watch or failing relists stop it moving.
   */
  lastSyncTimeMs: number | undefined;
  /** Last complete (all pages) list applied. */
  lastListTimeMs: number | undefined;
  /** Last time a watch request was sent. */
  lastWatchStartMs: number | undefined;
  /** Full relists forced after the first sync (410 on a watch or continue token, RV too large, requestRelist). */
  relists: number;
  /** Watch streams that ended other than by stop(): server timeout, disconnect, error, 410. */
  watchRestarts: number;
  /** Failed requests and broken streams (410/relist requests excluded; see relists). */
  errors: number;
  /** Objects `compact` rejected or without metadata.uid. */
  parseErrors: number;
  /** Listener exceptions (caught; the reflector continues). */
  handlerErrors: number;
  /** Updates dropped because the snapshot did not change. */
  suppressedUpdates: number;
  /** LIST pages fetched (all lists). */
  listPages: number;
  /** Resume point: newest RV seen from the server. */
  resourceVersion: string;
  synced: boolean;
  /** A watch stream is currently open. */
  watching: boolean;
  /**
   * Since when (epoch ms) the reflector has been trying to get a watch going again after a failure, a broken
   * stream or a forced relist; undefined while it is watching (or has never synced).
   */
  reconnectingSinceMs: number | undefined;
  /** Backoff waits cut short because another request to the same server succeeded. */
  recoveryWakeups: number;
  /** BOOKMARK events received. */
  bookmarks: number;
  /**
   * Bookmarks whose resourceVersion was not newer than the resume point (integer RVs only). A real
   * kube-apiserver sends its watch cache's last processed RV, which may not have passed this watch's start
   * yet; such a bookmark proves liveness but moves nothing.
   */
  staleBookmarks: number;
  /** Consistency checks completed (consistencyCheckIntervalMs). */
  consistencyChecks: number;
  /** Objects a consistency check found different from the server (each one is a bug report; corrected by a relist). */
  consistencyDifferences: number;
  /** Message of the most recent error, if any. */
  lastError: string | undefined;
}

interface ListBody {
  metadata?: { resourceVersion?: unknown; continue?: unknown };
  items?: unknown;
}

interface RawMeta {
  metadata?: { uid?: unknown; name?: unknown; namespace?: unknown; resourceVersion?: unknown };
}

const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Watch timeouts that let a quiet resource prove it is current (a clean end) well within `stalenessMs`:
 * at most 80 % of it (and of 600 s), at least half of that, never below 5 s.
 */
export function watchTimeoutWithin(stalenessMs: number): { min: number; max: number } {
  const max = Math.max(5, Math.min(600, Math.floor((stalenessMs * 0.8) / 1000)));
  return { min: Math.max(5, Math.floor(max / 2)), max };
}

function rvOf(raw: RawMeta | undefined): string {
  const rv = raw?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : '';
}

/** How long to wait before the next attempt; `serverAsked` = a Retry-After the server sent. */
interface Wait {
  ms: number;
  serverAsked: boolean;
}

/**
 * Generic over the snapshot type `S`; the key is the raw object's `metadata.uid`, so `S` needs no
 * particular shape. An object deleted and recreated under the same name has a new UID: delete + add.
 */
export class Reflector<S = unknown> extends EventEmitter<ReflectorEvents<S>> {
  readonly synced: Promise<void>;
  readonly #kc: KubeConfig;
  readonly #opts: ReflectorOptions<S>;
  readonly #path: string;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #pageSize: number;
  readonly #requestTimeoutMs: number;
  readonly #watchTimeout: { min: number; max: number };
  readonly #suppress: boolean;
  readonly #unchangedIgnores: readonly string[];
  readonly #recovery: ServerRecovery;
  /** 410s / RV-too-large in a row without watch progress between them. */
  #expiries = 0;
  #reconnectingSinceMs: number | undefined;
  readonly #items = new Map<string, S>();
  /** metadata.resourceVersion of each held object (the consistency check compares these). */
  readonly #rvs = new Map<string, string>();
  /** UIDs seen in watch events while a consistency check runs (they changed during it: not compared). */
  #touched: Set<string> | undefined;
  /** UIDs whose latest version `compact` rejected (a held older snapshot is kept): not compared. */
  readonly #rejected = new Set<string>();
  #listGeneration = 0;
  #rv = '';
  #needList = true;
  #relistPending = false;
  #hasSynced = false;
  #resolveSynced!: () => void;
  #rejectSynced!: (err: Error) => void;
  #stopCtl: AbortController | undefined;
  #watchCtl: AbortController | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #watching = false;
  #counters = {
    relists: 0,
    watchRestarts: 0,
    errors: 0,
    parseErrors: 0,
    handlerErrors: 0,
    suppressedUpdates: 0,
    listPages: 0,
    recoveryWakeups: 0,
    bookmarks: 0,
    staleBookmarks: 0,
    consistencyChecks: 0,
    consistencyDifferences: 0,
  };
  #lastEventTimeMs: number | undefined;
  #lastSyncTimeMs: number | undefined;
  #lastListTimeMs: number | undefined;
  #lastWatchStartMs: number | undefined;
  #lastError: string | undefined;

  constructor(kc: KubeConfig, opts: ReflectorOptions<S>) {
    super();
    const { group, version, plural } = opts.resource;
    if (!version || !plural) throw new Error('Reflector: resource needs version and plural');
    if (typeof opts.compact !== 'function') throw new Error('Reflector: compact must be a function');
    this.#kc = kc;
    this.#opts = opts;
    const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    this.#path = opts.namespace
      ? `${base}/namespaces/${encodeURIComponent(opts.namespace)}/${plural}`
      : `${base}/${plural}`;
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({
      component: 'reflector',
      resource: plural,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
    });
    this.#backoff = new Backoff(opts.backoff);
    this.#pageSize = opts.pageSize ?? 500;
    if (!(this.#pageSize > 0)) throw new Error('Reflector: pageSize must be > 0');
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.#watchTimeout = opts.watchTimeoutSeconds ?? { min: 300, max: 600 };
    if (!(this.#watchTimeout.min > 0 && this.#watchTimeout.max >= this.#watchTimeout.min))
      throw new Error('Reflector: watchTimeoutSeconds needs 0 < min <= max');
    this.#suppress = opts.suppressUnchanged ?? true;
    this.#unchangedIgnores = opts.unchangedIgnores ?? ['resourceVersion'];
    this.#recovery = ServerRecovery.for(kc.getCurrentCluster()?.server ?? '');
    this.synced = new Promise<void>((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    // Nobody may be awaiting `synced` when stop() rejects it; that must not be an unhandled rejection.
    this.synced.catch(() => {});
  }

  /** Starts list+watch in the background; idempotent. */
  start(): void {
    if (this.#stopped) throw new Error('Reflector: cannot start after stop()');
    if (this.#running) return;
    this.#stopCtl = new AbortController();
    const loops = [this.#run(this.#stopCtl.signal)];
    const every = this.#opts.consistencyCheckIntervalMs ?? 0;
    if (every > 0) loops.push(this.#checkLoop(every, this.#stopCtl.signal));
    this.#running = Promise.all(loops)
      .then(() => undefined)
      .catch((err) => {
        // Both loops handle their own errors; this is a bug guard so the process never dies on one.
        this.#log.error({ err: (err as Error).message }, 'reflector loop crashed');
      });
  }

  /** Stops watching and waits for in-flight requests to end. Held items stay readable. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopCtl?.abort();
    await this.#running;
    if (!this.#hasSynced) this.#rejectSynced(new Error('Reflector stopped before its initial sync'));
  }

  /** Ends the current watch and does a full relist + reconcile (e.g. after the shard filter changed). */
  requestRelist(): void {
    this.#counters.relists++;
    this.#relistPending = true;
    this.#needList = true;
    this.#markReconnecting();
    this.#watchCtl?.abort(new RelistRequested('relist requested'));
  }

  hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** Held snapshots by UID (live view; do not mutate). */
  items(): ReadonlyMap<string, S> {
    return this.#items;
  }

  /** Subscribes to every add/update/delete; returns the unsubscribe function. */
  onEvent(cb: (ev: ReflectorEvent<S>) => void): () => void {
    this.on('event', cb);
    return () => this.off('event', cb);
  }

  stats(): ReflectorStats {
    const ns = this.#opts.namespace;
    return {
      resource: ns ? `${this.#opts.resource.plural}/${ns}` : this.#opts.resource.plural,
      namespace: ns,
      objects: this.#items.size,
      lastEventTimeMs: this.#lastEventTimeMs,
      lastSyncTimeMs: this.#lastSyncTimeMs,
      lastListTimeMs: this.#lastListTimeMs,
      lastWatchStartMs: this.#lastWatchStartMs,
      ...this.#counters,
      resourceVersion: this.#rv,
      synced: this.#hasSynced,
      watching: this.#watching,
      reconnectingSinceMs: this.#reconnectingSinceMs,
      lastError: this.#lastError,
    };
  }

  // Loop --------------------------------------------------------------------------------------------

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait: Wait = { ms: 0, serverAsked: false };
      try {
        if (this.#needList) await this.#list(signal);
        const healthy = await this.#watch(signal);
        // A server that ends watches right away must not make us spin.
        if (!healthy) {
          this.#markReconnecting();
          this.#recovery.failed();
          wait = { ms: this.#backoff.next(), serverAsked: false };
        }
      } catch (err) {
        if (signal.aborted) break;
        this.#markReconnecting();
        wait = this.#failure(err);
      }
      if (wait.ms > 0) {
        try {
          // Retry-After is the server's own request and is honoured in full. A backoff of ours only guesses
          // when the server is back: another reflector's success with the same server ends it early.
          if (wait.serverAsked) await sleep(wait.ms, undefined, { signal });
          else if (await this.#recovery.wait(wait.ms, this.#backoff.opts.initialMs, signal))
            this.#counters.recoveryWakeups++;
        } catch {
          break;
        }
      }
    }
  }

  #markReconnecting(): void {
    if (this.#hasSynced) this.#reconnectingSinceMs ??= Date.now();
  }

  /** A 200 from the server: our backoff state no longer describes it, and the other reflectors may retry. */
  #serverAnswered(): void {
    this.#recovery.succeeded();
  }

  /** Decides what a failure means and how long to wait before the next attempt. */
  #failure(err: unknown): Wait {
    if (err instanceof RelistRequested) return { ms: 0, serverAsked: false };
    const message = err instanceof Error ? err.message : String(err);
    if (isExpired(err) || isResourceVersionTooLarge(err)) {
      this.#needList = true;
      this.#counters.relists++;
      this.#log.info({ reason: message, resourceVersion: this.#rv }, 'resume point not served; relisting');
      // First one: relist at once (the normal 410 path). Repeated ones without watch progress between
      // them back off, so a server that keeps answering 410 is not hammered with full lists.
      const first = this.#expiries++ === 0;
      return { ms: first ? 0 : this.#backoff.next(), serverAsked: false };
    }
    this.#counters.errors++;
    this.#lastError = message;
    this.#recovery.failed();
    const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs;
    const backoff = this.#backoff.next();
    const serverAsked = typeof retryAfter === 'number';
    const delay = serverAsked
      ? Math.min(retryAfter, MAX_RETRY_AFTER_MS) + Math.round(Math.random() * this.#backoff.opts.initialMs)
      : backoff;
    this.#log.warn(
      {
        err: message,
        statusCode: (err as { statusCode?: unknown }).statusCode,
        phase: this.#needList ? 'list' : 'watch',
        retryInMs: delay,
        resourceVersion: this.#rv,
      },
      this.#needList ? 'list failed; retrying the whole list' : 'watch failed; resuming from last resourceVersion',
    );
    return { ms: delay, serverAsked };
  }

  // LIST --------------------------------------------------------------------------------------------

  async #list(signal: AbortSignal): Promise<void> {
    this.#relistPending = false;
    // uid → snapshot, or null when present but unparseable (then the held snapshot is kept, not deleted).
    const seen = new Map<string, { snap: S | null; rv: string }>();
    const { kind, group, version } = this.#opts.resource;
    const apiVersion = group === '' ? version : `${group}/${version}`;
    const { listRv, pages } = await this.#listPages(signal, (raw) => {
      const uid = this.#uidOf(raw);
      if (uid === undefined || !this.#passes(uid)) return;
      // List items carry no kind/apiVersion; compact functions may check them.
      const obj = raw as Record<string, unknown>;
      obj.kind ??= kind;
      obj.apiVersion ??= apiVersion;
      seen.set(uid, { snap: this.#compact(raw, uid) ?? null, rv: rvOf(raw) });
    });

    // All pages arrived: reconcile. Deletions first, so a recreated name (new UID) reads delete → add.
    for (const [uid, held] of this.#items) {
      if (!seen.has(uid)) {
        this.#items.delete(uid);
        this.#rvs.delete(uid);
        this.#rejected.delete(uid);
        this.#emit({ type: 'delete', uid, object: held });
      }
    }
    for (const uid of this.#rejected) if (!seen.has(uid)) this.#rejected.delete(uid);
    for (const [uid, { snap, rv }] of seen) if (snap !== null) this.#upsert(uid, snap, rv);
    this.#rv = listRv;
    this.#toStore('replace', this.#items, listRv);
    this.#listGeneration++;
    const now = Date.now();
    this.#lastListTimeMs = now;
    this.#lastSyncTimeMs = now;
    this.#needList = this.#relistPending;
    // The server served a complete list: failures before it say nothing about the next request.
    this.#backoff.reset();
    this.#log.debug({ objects: this.#items.size, pages, resourceVersion: this.#rv }, 'list applied');
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#resolveSynced();
      this.#safeEmit('synced');
    }
  }

  /** Fetches every page (following `continue`); each item goes to `onItem`. Returns the list's RV. */
  async #listPages(signal: AbortSignal, onItem: (raw: RawMeta) => void): Promise<{ listRv: string; pages: number }> {
    let listRv: string | undefined;
    let cont: string | undefined;
    let pages = 0;
    do {
      // resourceVersion stays unset: a consistent read that honours `limit` and is never older than
      // what we already saw (RV=0 may be served stale from a cache and ignores paging).
      const body = (await getJson(
        this.#kc,
        this.#path,
        {
          limit: this.#pageSize,
          continue: cont,
          labelSelector: this.#opts.labelSelector,
          fieldSelector: this.#opts.fieldSelector,
        },
        signal,
        this.#requestTimeoutMs,
      )) as ListBody;
      this.#serverAnswered();
      this.#counters.listPages++;
      pages++;
      if (!Array.isArray(body?.items)) throw new ProtocolError('list response without items');
      const rv = body.metadata?.resourceVersion;
      // Every page carries the snapshot RV of the first; keep the first (resuming early only replays).
      if (listRv === undefined) {
        if (typeof rv !== 'string' || rv === '') throw new ProtocolError('list response without resourceVersion');
        listRv = rv;
      }
      for (const raw of body.items as RawMeta[]) onItem(raw);
      const c = body.metadata?.continue;
      cont = typeof c === 'string' && c !== '' ? c : undefined;
    } while (cont !== undefined);
    return { listRv: listRv!, pages };
  }

  // CONSISTENCY CHECK -------------------------------------------------------------------------------

  async #checkLoop(everyMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await sleep(Math.round(everyMs * (0.75 + Math.random() * 0.5)), undefined, { signal });
        if (this.#hasSynced && this.#watching && !this.#needList) await this.#checkConsistency(signal);
      } catch (err) {
        if (signal.aborted) return;
        // A failed check is retried next period; the watch path handles the server's health.
        this.#log.debug({ err: (err as Error).message }, 'consistency check skipped');
      }
    }
  }

  /**
   * Lists every page (state at the list's RV L), waits until the watch has delivered everything up to L, then
   * compares: objects that changed meanwhile (a watch event during the check) are skipped; any other object
   * must be held with exactly the listed resourceVersion, and nothing else may be held. Needs integer RVs
   * (etcd revisions, as every kube-apiserver serves) to know when the watch reached L; otherwise skipped.
   */
  async #checkConsistency(signal: AbortSignal): Promise<void> {
    const generation = this.#listGeneration;
    const touched = new Set<string>();
    this.#touched = touched;
    try {
      const listed = new Map<string, string>();
      const { listRv } = await this.#listPages(signal, (raw) => {
        const uid = raw?.metadata?.uid;
        if (typeof uid === 'string' && uid !== '' && this.#passes(uid)) listed.set(uid, rvOf(raw));
      });
      if (!/^\d+$/.test(listRv)) return;
      const target = BigInt(listRv);
      const deadline = Date.now() + 120_000;
      while (!(/^\d+$/.test(this.#rv) && BigInt(this.#rv) >= target)) {
        if (Date.now() > deadline || this.#listGeneration !== generation) return;
        await sleep(100, undefined, { signal });
      }
      if (this.#listGeneration !== generation) return;
      const differ: string[] = [];
      for (const [uid, rv] of listed)
        if (!touched.has(uid) && !this.#rejected.has(uid) && this.#rvs.get(uid) !== rv) differ.push(uid);
      for (const uid of this.#items.keys()) if (!listed.has(uid) && !touched.has(uid)) differ.push(uid);
      this.#counters.consistencyChecks++;
      if (differ.length === 0) return;
      this.#counters.consistencyDifferences += differ.length;
      this.#log.error(
        {
          differences: differ.length,
          uids: differ.slice(0, 5),
          listResourceVersion: listRv,
          resourceVersion: this.#rv,
        },
        'consistency check: held state differs from the server; relisting',
      );
      this.requestRelist();
    } finally {
      if (this.#touched === touched) this.#touched = undefined;
    }
  }

  // WATCH -------------------------------------------------------------------------------------------

  /** Resolves true when the stream lived and ended cleanly, false when it ended at once with nothing. */
  async #watch(signal: AbortSignal): Promise<boolean> {
    const ctl = new AbortController();
    this.#watchCtl = ctl;
    const { min, max } = this.#watchTimeout;
    const timeoutSeconds = Math.floor(min + Math.random() * (max - min + 1));
    const started = Date.now();
    this.#lastWatchStartMs = started;
    let progressed = false;
    try {
      await streamLines(
        this.#kc,
        this.#path,
        {
          watch: 'true',
          allowWatchBookmarks: 'true',
          resourceVersion: this.#rv,
          timeoutSeconds,
          labelSelector: this.#opts.labelSelector,
          fieldSelector: this.#opts.fieldSelector,
        },
        AbortSignal.any([signal, ctl.signal]),
        // The server ends the stream at timeoutSeconds; silence well past that is a dead connection.
        (timeoutSeconds + 30) * 1000,
        {
          onOpen: () => {
            this.#watching = true;
            this.#reconnectingSinceMs = undefined;
            this.#serverAnswered();
          },
          onLine: (line) => {
            if (this.#onWatchLine(line) && !progressed) {
              // Events or bookmarks flow: the server is healthy again for this resource.
              progressed = true;
              this.#expiries = 0;
              this.#backoff.reset();
            }
          },
        },
      );
      const lived = Date.now() - started >= 1000;
      // The server kept the stream for its term and ended it cleanly: everything up to now was delivered.
      // A quiet resource gets no events, and a real kube-apiserver may send it no bookmark for minutes
      // (none in 150 s measured on v1.33), so without this its sync age would reach the watch timeout.
      if (lived) this.#lastSyncTimeMs = Date.now();
      return progressed || lived;
    } catch (err) {
      if (ctl.signal.aborted && ctl.signal.reason instanceof RelistRequested) throw ctl.signal.reason;
      throw err;
    } finally {
      this.#watching = false;
      this.#watchCtl = undefined;
      if (!signal.aborted) this.#counters.watchRestarts++;
      if (Date.now() - started >= this.#backoff.opts.resetAfterMs) this.#backoff.reset();
    }
  }

  /** Applies one watch line; true when it was an event or a bookmark (the stream makes progress). */
  #onWatchLine(line: string): boolean {
    let ev: { type?: unknown; object?: unknown };
    try {
      ev = JSON.parse(line);
    } catch {
      // Skipping a line could lose an update: end the stream and resume from the last good RV instead.
      throw new ProtocolError('watch event is not JSON');
    }
    const obj = ev?.object as RawMeta | undefined;
    switch (ev?.type) {
      case 'BOOKMARK': {
        const rv = obj?.metadata?.resourceVersion;
        this.#counters.bookmarks++;
        if (typeof rv === 'string' && /^\d+$/.test(rv) && /^\d+$/.test(this.#rv) && BigInt(rv) <= BigInt(this.#rv))
          this.#counters.staleBookmarks++;
        if (typeof rv === 'string' && rv !== '') this.#rv = rv;
        this.#lastSyncTimeMs = Date.now();
        return true;
      }
      case 'ERROR':
        throw statusError(0, obj);
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        this.#applyEvent(ev.type, obj);
        return true;
      default:
        throw new ProtocolError(`unknown watch event type ${JSON.stringify(ev?.type)}`);
    }
  }

  #applyEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: RawMeta | undefined): void {
    const now = Date.now();
    this.#lastEventTimeMs = now;
    this.#lastSyncTimeMs = now;
    const uid = this.#uidOf(raw);
    if (uid !== undefined) {
      this.#touched?.add(uid);
      const held = this.#items.get(uid);
      if (type === 'DELETED' || !this.#passes(uid)) {
        this.#rejected.delete(uid);
        if (held !== undefined) {
          this.#items.delete(uid);
          this.#rvs.delete(uid);
          this.#emit({ type: 'delete', uid, object: held });
        }
      } else {
        const snap = this.#compact(raw, uid);
        if (snap !== undefined) this.#upsert(uid, snap, rvOf(raw));
      }
    }
    // Advance even for filtered or unparseable objects: the resume point must never lag what we consumed.
    const rv = raw?.metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== '') this.#rv = rv;
  }

  // State -------------------------------------------------------------------------------------------

  #uidOf(raw: RawMeta | undefined): string | undefined {
    const uid = raw?.metadata?.uid;
    if (typeof uid === 'string' && uid !== '') return uid;
    this.#parseError(raw, 'object without metadata.uid');
    return undefined;
  }

  #passes(uid: string): boolean {
    const f = this.#opts.filter;
    if (!f) return true;
    try {
      return f(uid);
    } catch (err) {
      // A broken filter must not kill the reflector; excluding keeps shards from double counting.
      this.#counters.handlerErrors++;
      this.#log.error({ uid, err: (err as Error).message }, 'filter threw; object excluded');
      return false;
    }
  }

  #compact(raw: unknown, uid: string): S | undefined {
    try {
      return this.#opts.compact(raw);
    } catch (err) {
      this.#rejected.add(uid);
      this.#parseError(raw as RawMeta, err instanceof Error ? err.message : String(err), uid);
      return undefined;
    }
  }

  #parseError(raw: RawMeta | undefined, reason: string, uid?: string): void {
    this.#counters.parseErrors++;
    const m = raw?.metadata;
    // Identity and reason only: never the object (it may carry secrets in env or annotations).
    this.#log.warn(
      {
        kind: this.#opts.resource.kind,
        namespace: typeof m?.namespace === 'string' ? m.namespace : undefined,
        name: typeof m?.name === 'string' ? m.name : undefined,
        uid,
        reason,
      },
      'object skipped: cannot compact',
    );
  }

  #upsert(uid: string, snap: S, rv: string): void {
    this.#rvs.set(uid, rv);
    this.#rejected.delete(uid);
    const prev = this.#items.get(uid);
    if (prev === undefined) {
      this.#items.set(uid, snap);
      this.#emit({ type: 'add', uid, object: snap });
    } else if (this.#suppress && equalIgnoring(prev, snap, this.#unchangedIgnores)) {
      // Held anyway: the snapshot's ignored keys (its resourceVersion) are the newest the server sent.
      if (prev !== snap) this.#items.set(uid, snap);
      this.#counters.suppressedUpdates++;
    } else {
      this.#items.set(uid, snap);
      this.#emit({ type: 'update', uid, object: snap, previous: prev });
    }
  }

  #emit(ev: ReflectorEvent<S>): void {
    if (ev.type === 'add') this.#toStore('add', ev.uid, ev.object);
    else if (ev.type === 'update') this.#toStore('update', ev.uid, ev.object, ev.previous);
    else this.#toStore('delete', ev.uid, ev.object);
    if (ev.type === 'add') this.#safeEmit('add', ev.object, ev.uid);
    else if (ev.type === 'update') this.#safeEmit('update', ev.object, ev.previous, ev.uid);
    else this.#safeEmit('delete', ev.object, ev.uid);
    this.#safeEmit('event', ev);
  }

  #toStore<K extends keyof ReflectorStore<S>>(method: K, ...args: Parameters<ReflectorStore<S>[K]>): void {
    const store = this.#opts.store;
    if (!store) return;
    try {
      (store[method] as (...a: typeof args) => void).apply(store, args);
    } catch (err) {
      this.#counters.handlerErrors++;
      this.#log.error({ store: method, err: (err as Error).message }, 'store threw');
    }
  }

  /** Calls each listener in order; one that throws is counted and logged and the others still run. */
  #safeEmit<K extends keyof ReflectorEvents<S>>(name: K, ...args: ReflectorEvents<S>[K]): void {
    // rawListeners keeps `once` wrappers, which remove themselves when called.
    for (const l of this.rawListeners(name as never) as ((...a: unknown[]) => void)[]) {
      try {
        l.apply(this, args);
      } catch (err) {
        this.#counters.handlerErrors++;
        this.#log.error({ event: name, err: (err as Error).message }, 'event listener threw');
      }
    }
  }
}
