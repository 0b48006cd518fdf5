// In-memory object store with one global resourceVersion and a bounded event log (the "watch cache").
// Stored objects are never mutated in place: every write stores a fresh object, so event entries can keep
// references to old and new versions and serialise each event at most once for all watchers.
import { randomUUID } from 'node:crypto';
import { type KObj, objectKey, RESOURCES, type ResourceDef } from './resources.ts';
import { ApiError, errors } from './status.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  res: ResourceDef;
  type: EventType;
  obj: KObj;
  /** The previous version (MODIFIED/DELETED), for selector transitions. */
  prev: KObj;
  /** The serialised watch line, computed on first use and shared by all unfiltered watchers. */
  line?: string;
}

/** 'status' = status subresource; 'all' = spec and status at once (programmatic API, acting as a controller). */
export type Subresource = 'status' | 'all';

export interface WriteOptions {
  /** Programmatic callers (scenarios, tests) may set uid/creationTimestamp themselves. */
  keepIdentity?: boolean;
}

export const timestamp = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class Store {
  #rv = 0;
  #floor = 0;
  #window: number;
  #log: (StoreEvent | undefined)[];
  #objects = new Map<string, Map<string, KObj>>();
  #sorted = new Map<string, string[]>();
  #listeners = new Set<(e: StoreEvent) => void>();

  constructor(compactionWindow: number) {
    this.#window = Math.max(1, Math.floor(compactionWindow));
    this.#log = new Array(this.#window);
    for (const r of RESOURCES) this.#objects.set(r.kind, new Map());
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /** Events with rv <= floor are no longer retained: watching from an RV below it yields 410. */
  get floor(): number {
    return Math.max(this.#floor, this.#rv - this.#window);
  }

  get retainedEvents(): number {
    return this.#rv - this.floor;
  }

  onEvent(fn: (e: StoreEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Drops all history: every watch resuming from an older RV gets 410 Gone. */
  compact(): void {
    this.#floor = this.#rv;
    this.#log = new Array(this.#window);
  }

  /** Empties the store and jumps the RV forward, as after an etcd restore: all old RVs become too old. */
  reset(rvJump = 1000): void {
    for (const m of this.#objects.values()) m.clear();
    this.#sorted.clear();
    this.#rv += rvJump;
    this.compact();
  }

  count(res: ResourceDef): number {
    return this.#map(res).size;
  }

  #map(res: ResourceDef): Map<string, KObj> {
    return this.#objects.get(res.kind)!;
  }

  get(res: ResourceDef, namespace: string | undefined, name: string): KObj | undefined {
    return this.#map(res).get(objectKey(res.namespaced ? namespace : undefined, name));
  }

  /** Keys in etcd order (namespace/name), cached until the key set changes. */
  sortedKeys(res: ResourceDef): string[] {
    let keys = this.#sorted.get(res.kind);
    if (!keys) {
      keys = [...this.#map(res).keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.#sorted.set(res.kind, keys);
    }
    return keys;
  }

  // Keeping the cached order up to date (binary search + splice) is far cheaper than re-sorting 50k keys
  // on every page request while a churning scenario creates and deletes objects.
  #sortedInsert(res: ResourceDef, key: string): void {
    const keys = this.#sorted.get(res.kind);
    if (keys) keys.splice(lowerBound(keys, key), 0, key);
  }

  #sortedRemove(res: ResourceDef, key: string): void {
    const keys = this.#sorted.get(res.kind);
    if (!keys) return;
    const i = lowerBound(keys, key);
    if (keys[i] === key) keys.splice(i, 1);
  }

  getByKey(res: ResourceDef, key: string): KObj | undefined {
    return this.#map(res).get(key);
  }

  list(res: ResourceDef, namespace?: string): KObj[] {
    const out: KObj[] = [];
    const m = this.#map(res);
    for (const k of this.sortedKeys(res)) {
      const o = m.get(k);
      if (!namespace || !res.namespaced || o.metadata.namespace === namespace) out.push(o);
    }
    return out;
  }

  /** Events after `rv`, oldest first. The caller checks `rv >= floor` first. */
  *eventsSince(rv: number): Generator<StoreEvent> {
    for (let r = Math.max(rv, this.floor) + 1; r <= this.#rv; r++) {
      const e = this.#log[r % this.#window];
      if (e && e.rv === r) yield e;
    }
  }

  #emit(res: ResourceDef, type: EventType, obj: KObj, prev: KObj): void {
    const e: StoreEvent = { rv: this.#rv, res, type, obj, prev };
    this.#log[this.#rv % this.#window] = e;
    for (const l of this.#listeners) l(e);
  }

  #nextRv(): number {
    return ++this.#rv;
  }

  #ensureNamespace(name: string): void {
    const nsRes = RESOURCES.find((r) => r.kind === 'Namespace')!;
    if (this.#map(nsRes).has(name)) return;
    this.create(nsRes, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  #checkKind(res: ResourceDef, obj: KObj): void {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw errors.badRequest('the object must be a JSON object');
    if (obj.kind !== undefined && obj.kind !== res.kind)
      throw errors.badRequest(
        `the kind of the provided object (${obj.kind}) does not match the resource ${res.plural} (${res.kind})`,
      );
    if (obj.apiVersion !== undefined && obj.apiVersion !== res.apiVersion)
      throw errors.badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${res.apiVersion})`,
      );
    if (
      obj.metadata !== undefined &&
      (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))
    )
      throw errors.badRequest('metadata must be an object');
  }

  create(res: ResourceDef, namespace: string | undefined, input: KObj, opts: WriteOptions = {}): KObj {
    this.#checkKind(res, input);
    const obj = { ...input, apiVersion: res.apiVersion, kind: res.kind };
    const meta: KObj = { ...(input.metadata ?? {}) };
    obj.metadata = meta;
    if (res.namespaced) {
      const ns = namespace ?? meta.namespace ?? 'default';
      if (meta.namespace && meta.namespace !== ns)
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      meta.namespace = ns;
    } else delete meta.namespace;
    if (!meta.name) {
      if (!meta.generateName)
        throw errors.invalid(
          res.kind,
          res.group,
          '',
          'metadata.name',
          'Required value: name or generateName is required',
        );
      for (let i = 0; i < 10; i++) {
        meta.name = `${meta.generateName}${randomSuffix()}`;
        if (!this.get(res, meta.namespace, meta.name)) break;
      }
    }
    if (typeof meta.name !== 'string' || meta.name.length > 253 || !NAME_RE.test(meta.name))
      throw errors.invalid(
        res.kind,
        res.group,
        String(meta.name),
        'metadata.name',
        `Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    const key = objectKey(meta.namespace, meta.name);
    if (this.#map(res).has(key)) throw errors.alreadyExists(res.plural, res.group, meta.name);
    if (res.namespaced) this.#ensureNamespace(meta.namespace);
    if (!opts.keepIdentity || !meta.uid) meta.uid = randomUUID();
    if (!opts.keepIdentity || !meta.creationTimestamp) meta.creationTimestamp = timestamp();
    if (res.kind !== 'Pod' && res.kind !== 'Node' && res.kind !== 'Namespace') meta.generation = 1;
    delete meta.deletionTimestamp;
    meta.resourceVersion = String(this.#nextRv());
    this.#map(res).set(key, obj);
    this.#sortedInsert(res, key);
    this.#emit(res, 'ADDED', obj, undefined);
    return obj;
  }

  #current(res: ResourceDef, namespace: string | undefined, name: string): KObj {
    const cur = this.get(res, namespace, name);
    if (!cur) throw errors.notFound(res.plural, res.group, name);
    return cur;
  }

  #checkRv(res: ResourceDef, cur: KObj, incoming: KObj): void {
    const rv = incoming?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '' && String(rv) !== cur.metadata.resourceVersion)
      throw errors.conflict(res.plural, res.group, cur.metadata.name);
  }

  /**
   * PUT semantics. The main resource ignores .status and the status subresource ignores everything
   * except .status, like the real registry strategies. An empty resourceVersion is an unconditional update.
   */
  update(res: ResourceDef, namespace: string | undefined, name: string, input: KObj, subresource?: Subresource): KObj {
    this.#checkKind(res, input);
    const cur = this.#current(res, namespace, name);
    const inMeta = input.metadata ?? {};
    if (inMeta.name !== undefined && inMeta.name !== name)
      throw errors.badRequest(`the name of the object (${inMeta.name}) does not match the name on the URL (${name})`);
    if (res.namespaced && inMeta.namespace !== undefined && inMeta.namespace !== cur.metadata.namespace)
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    this.#checkRv(res, cur, input);
    let next: KObj;
    if (subresource === 'status') {
      next = { ...cur, metadata: { ...cur.metadata } };
      if (input.status === undefined) delete next.status;
      else next.status = input.status;
    } else {
      next = { ...input, apiVersion: res.apiVersion, kind: res.kind };
      next.metadata = {
        ...inMeta,
        name: cur.metadata.name,
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
      };
      if (res.namespaced) next.metadata.namespace = cur.metadata.namespace;
      if (cur.metadata.deletionTimestamp) next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
      if (cur.metadata.generation !== undefined) {
        const specChanged = JSON.stringify(cur.spec) !== JSON.stringify(input.spec);
        next.metadata.generation = cur.metadata.generation + (specChanged ? 1 : 0);
      }
      if (subresource !== 'all') {
        if (cur.status === undefined) delete next.status;
        else next.status = cur.status;
      }
    }
    next.metadata.resourceVersion = String(this.#nextRv());
    this.#map(res).set(objectKey(cur.metadata.namespace, name), next);
    this.#emit(res, 'MODIFIED', next, cur);
    return next;
  }

  /** Read-modify-write used by PATCH: `apply` gets a private copy of the current object. */
  patch(
    res: ResourceDef,
    namespace: string | undefined,
    name: string,
    apply: (copy: KObj) => KObj,
    subresource?: Subresource,
  ): KObj {
    const cur = this.#current(res, namespace, name);
    const patched = apply(structuredClone(cur));
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched))
      throw errors.badRequest('patch result is not an object');
    // A resourceVersion in the patch is a precondition; otherwise the patch applies to the current version.
    if (patched.metadata?.resourceVersion === undefined)
      patched.metadata = { ...(patched.metadata ?? {}), resourceVersion: cur.metadata.resourceVersion };
    return this.update(res, namespace, name, patched, subresource);
  }

  delete(
    res: ResourceDef,
    namespace: string | undefined,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
  ): KObj {
    const cur = this.#current(res, namespace, name);
    if (preconditions?.uid && preconditions.uid !== cur.metadata.uid)
      throw errors.conflict(
        res.plural,
        res.group,
        name,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== cur.metadata.resourceVersion)
      throw errors.conflict(
        res.plural,
        res.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
      );
    const gone = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(this.#nextRv()) } };
    const key = objectKey(cur.metadata.namespace, name);
    this.#map(res).delete(key);
    this.#sortedRemove(res, key);
    this.#emit(res, 'DELETED', gone, cur);
    return gone;
  }

  /** Bulk load for scenarios: no events are retained per object beyond the ring, but RVs stay consistent. */
  load(res: ResourceDef, objs: KObj[]): void {
    for (const o of objs) this.create(res, o.metadata?.namespace, o, { keepIdentity: true });
  }
}

/** First index whose key is >= k. */
export function lowerBound(keys: string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
