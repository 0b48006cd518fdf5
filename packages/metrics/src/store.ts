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
  /** Families to serve by name (see familyFilter); default all. */
  readonly familyFilter?: (name: string) => boolean;
  /** --metric-opt-in-list: regular expressions naming the opt-in families to serve (default none). */
  readonly optIn?: readonly string[];
  /** Clock for startTimeMs (tests). */
  readonly now?: () => number;
  readonly logger?: StoreLogger;
}

type AnySnapshot = SnapshotFor[ResourceName];

interface ResourceState {
  readonly generator: FamilyGenerator;
  readonly objects: Map<string, StoredMetrics>;
  generation: number;
}

export function contextFor(resource: string, allowlists?: MetricsStoreOptions['allowlists']): GenerateContext {
  if (!allowlists) return DEFAULT_CONTEXT;
  // `*=[...]` (KSM's resource wildcard) wins over a per-resource entry.
  return Object.freeze({
    labelsAllow: allowlists.labels?.['*'] ?? allowlists.labels?.[resource],
    annotationsAllow: allowlists.annotations?.['*'] ?? allowlists.annotations?.[resource],
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
 * Runs one resource's families for stored entries. Remembers only the last entry's result: consumers read
 * `families` repeatedly for one object before moving on (e.g. `obj.families[i]` per family), and one
 * object's points are all that stays alive between collections.
 */
class FamilyGenerator {
  readonly defs: readonly FamilyDef<never>[];
  readonly ctx: GenerateContext;
  readonly logger: StoreLogger;
  #lastEntry: StoredMetrics | undefined;
  #lastFamilies: readonly (readonly Point[])[] = [];

  constructor(defs: readonly FamilyDef<never>[], ctx: GenerateContext, logger: StoreLogger) {
    this.defs = defs;
    this.ctx = ctx;
    this.logger = logger;
  }

  familiesOf(entry: StoredMetrics, snapshot: AnySnapshot, quiet: boolean): readonly (readonly Point[])[] {
    if (this.#lastEntry === entry) return this.#lastFamilies;
    const defs = this.defs as readonly FamilyDef<AnySnapshot>[];
    const families = Object.freeze(generateAll(defs, snapshot, this.ctx, quiet ? SILENT : this.logger));
    this.#lastEntry = entry;
    this.#lastFamilies = families;
    return families;
  }

  /** Lets a removed entry (and its snapshot) go. */
  forget(entry?: StoredMetrics): void {
    if (entry === undefined || this.#lastEntry === entry) {
      this.#lastEntry = undefined;
      this.#lastFamilies = [];
    }
  }
}

/**
 * A stored object: keeps the (frozen, shared with the reflector) snapshot and generates the points on each
 * read of `families`, since retained points cost ~4x the snapshots' heap. A new instance per upsert, so
 * identity-keyed caches invalidate exactly when the object changed.
 */
class StoredMetrics implements ObjectMetrics {
  readonly uid: string;
  readonly resource: ResourceName;
  readonly startTimeMs: number;
  readonly #snapshot: AnySnapshot;
  readonly #generator: FamilyGenerator;
  /** Generators are pure: a failure repeats on every read, so it is logged on the first one only. */
  #generated = false;

  constructor(resource: ResourceName, snapshot: AnySnapshot, startTimeMs: number, generator: FamilyGenerator) {
    this.uid = snapshot.uid;
    this.resource = resource;
    this.startTimeMs = startTimeMs;
    this.#snapshot = snapshot;
    this.#generator = generator;
    Object.freeze(this);
  }

  get families(): readonly (readonly Point[])[] {
    const out = this.#generator.familiesOf(this, this.#snapshot, this.#generated);
    this.#generated = true;
    return out;
  }
}

/**
 * UID-keyed store of object snapshots whose families are generated when read (at collection time), each
 * entry replaced as a whole on change, so exporters only iterate and deleted objects vanish at once
 * (KSM MetricsStore model, without keeping the points).
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
      const defs = familiesFor(this.schema, r, {
        extensions: opts.extensions ?? true,
        ...(opts.familyFilter ? { filter: opts.familyFilter } : {}),
        ...(opts.optIn ? { optIn: opts.optIn } : {}),
      }) as readonly FamilyDef<never>[];
      this.#state.set(r, {
        generator: new FamilyGenerator(defs, contextFor(r, opts.allowlists), this.#logger),
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
    return this.#get(resource).generator.defs;
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

  /**
   * Adds or replaces the object (new immutable entry; first-seen start time kept). The snapshot is kept, not
   * copied: it must stay unchanged (the model's snapshots are frozen). No "unchanged" check here: the
   * reflector already drops updates whose snapshot is deep-equal to the previous one.
   */
  upsert<R extends ResourceName>(resource: R, snapshot: SnapshotFor[R]): ObjectMetrics {
    const st = this.#get(resource);
    const uid: unknown = snapshot?.uid;
    if (typeof uid !== 'string' || uid === '') throw new TypeError(`${resource} snapshot without a uid`);
    const prev = st.objects.get(uid);
    const entry = new StoredMetrics(resource, snapshot, prev ? prev.startTimeMs : this.#now(), st.generator);
    st.objects.set(uid, entry);
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
    const entry = st.objects.get(uid);
    if (entry === undefined) return false;
    st.objects.delete(uid);
    st.generator.forget(entry);
    st.generation++;
    this.#version++;
    return true;
  }

  /** Drops all objects of one resource (or all): used before a relist's replace. */
  clear(resource?: ResourceName): void {
    for (const [r, st] of this.#state) {
      if (resource !== undefined && r !== resource) continue;
      st.objects.clear();
      st.generator.forget();
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
