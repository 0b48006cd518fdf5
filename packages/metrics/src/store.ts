import { RESOURCES } from '@kso/model';
import { ALL_RESOURCES, familiesFor, type SnapshotFor } from './catalog.ts';
import { DEFAULT_CONTEXT, type FamilyDef, type GenerateContext } from './family.ts';
import type { Allowlist } from './labels.ts';
import type { FamilyDescriptor, MetricsSource, ObjectMetrics, Point, ResourceName, Schema } from './types.ts';

/** Structural subset of a pino logger, so callers can pass theirs; the default is silent. */
export interface StoreLogger {
  warn(obj: object, msg?: string): void;
}
const SILENT: StoreLogger = { warn() {} };

export interface MetricsStoreOptions {
  readonly schema: Schema;
  /** Resources to serve, in exposition order (default jobs, pods, cronjobs). */
  readonly resources?: readonly ResourceName[];
  /** Parsed `--metric-labels-allowlist` / `--metric-annotations-allowlist` (see parseAllowlist). */
  readonly allowlists?: { readonly labels?: Allowlist; readonly annotations?: Allowlist };
  /** Include EXTENSION families in the ksm schema (default true). */
  readonly extensions?: boolean;
  /** Clock for startTimeMs (tests). */
  readonly now?: () => number;
  readonly logger?: StoreLogger;
}

interface ResourceState {
  readonly defs: readonly FamilyDef<never>[];
  readonly ctx: GenerateContext;
  readonly objects: Map<string, ObjectMetrics>;
  generation: number;
}

export function contextFor(resource: string, allowlists?: MetricsStoreOptions['allowlists']): GenerateContext {
  if (!allowlists) return DEFAULT_CONTEXT;
  return Object.freeze({
    labelsAllow: allowlists.labels?.[resource],
    annotationsAllow: allowlists.annotations?.[resource],
  });
}

/** Runs every family of `resource` on one snapshot; a generator that throws yields an empty family (logged). */
export function generateAll<R extends ResourceName>(
  defs: readonly FamilyDef<SnapshotFor[R]>[],
  snapshot: SnapshotFor[R],
  ctx: GenerateContext,
  logger: StoreLogger = SILENT,
): (readonly Point[])[] {
  const out: (readonly Point[])[] = new Array(defs.length);
  for (let i = 0; i < defs.length; i++) {
    const def = defs[i]!;
    try {
      out[i] = def.generate(snapshot, ctx);
    } catch (err) {
      // Never lose the other families (or crash the process) because one generator met an odd object.
      logger.warn({ family: def.name, uid: snapshot.uid, err: (err as Error).message }, 'family generator failed');
      out[i] = [];
    }
  }
  return out;
}

/**
 * UID-keyed store of generated points: each object's families are computed once per change and replaced
 * as a whole, so exporters only iterate and deleted objects vanish at once (KSM MetricsStore model).
 */
export class MetricsStore implements MetricsSource {
  readonly schema: Schema;
  #resources: readonly ResourceName[];
  #state = new Map<ResourceName, ResourceState>();
  #version = 0;
  #now: () => number;
  #logger: StoreLogger;

  constructor(opts: MetricsStoreOptions) {
    this.schema = opts.schema;
    this.#resources = Object.freeze([...(opts.resources ?? ALL_RESOURCES)]);
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger ?? SILENT;
    for (const r of this.#resources) {
      if (!ALL_RESOURCES.includes(r)) throw new Error(`unknown resource ${r}`);
      this.#state.set(r, {
        defs: familiesFor(this.schema, r, { extensions: opts.extensions ?? true }) as readonly FamilyDef<never>[],
        ctx: contextFor(r, opts.allowlists),
        objects: new Map(),
        generation: 0,
      });
    }
  }

  /** Increases on every mutation of any resource: a cheap "did anything change" check for caches. */
  get version(): number {
    return this.#version;
  }

  /** Per-resource change counter. */
  generation(resource: ResourceName): number {
    return this.#get(resource).generation;
  }

  resources(): readonly ResourceName[] {
    return this.#resources;
  }

  families(resource: ResourceName): readonly FamilyDescriptor[] {
    return this.#get(resource).defs;
  }

  entries(resource: ResourceName): Iterable<ObjectMetrics> {
    return this.#get(resource).objects.values();
  }

  size(resource: ResourceName): number {
    return this.#get(resource).objects.size;
  }

  counts(): Readonly<Partial<Record<ResourceName, number>>> {
    const out: Partial<Record<ResourceName, number>> = {};
    for (const [r, s] of this.#state) out[r] = s.objects.size;
    return out;
  }

  has(resource: ResourceName, uid: string): boolean {
    return this.#get(resource).objects.has(uid);
  }

  get(resource: ResourceName, uid: string): ObjectMetrics | undefined {
    return this.#get(resource).objects.get(uid);
  }

  /** Adds or replaces the object's metrics (new immutable entry; first-seen start time kept). */
  upsert<R extends ResourceName>(resource: R, snapshot: SnapshotFor[R]): ObjectMetrics {
    const st = this.#get(resource);
    const prev = st.objects.get(snapshot.uid);
    const families = generateAll(st.defs as readonly FamilyDef<SnapshotFor[R]>[], snapshot, st.ctx, this.#logger);
    const entry: ObjectMetrics = Object.freeze({
      uid: snapshot.uid,
      resource,
      startTimeMs: prev ? prev.startTimeMs : this.#now(),
      families: Object.freeze(families),
    });
    st.objects.set(snapshot.uid, entry);
    st.generation++;
    this.#version++;
    return entry;
  }

  /** Compacts a raw API object then upserts it; throws MalformedObjectError (store unchanged) on bad input. */
  upsertObject(resource: ResourceName, raw: unknown): ObjectMetrics {
    const snapshot = RESOURCES[resource].compact(raw);
    return this.upsert(resource, snapshot as SnapshotFor[typeof resource]);
  }

  remove(resource: ResourceName, uid: string): boolean {
    const st = this.#get(resource);
    if (!st.objects.delete(uid)) return false;
    st.generation++;
    this.#version++;
    return true;
  }

  /** Drops all objects of one resource (or all): used before a relist's replace. */
  clear(resource?: ResourceName): void {
    for (const [r, st] of this.#state) {
      if (resource !== undefined && r !== resource) continue;
      st.objects.clear();
      st.generation++;
    }
    this.#version++;
  }

  #get(resource: ResourceName): ResourceState {
    const st = this.#state.get(resource);
    if (!st) throw new Error(`resource ${resource} is not served by this store`);
    return st;
  }
}
