// Live re-sharding: serve the old, complete view until the new one has synced, then swap one reference.
// This avoids KSM's autosharding gap (#1187) where /metrics served still-filling stores.
import type { MetricsSource } from '@kso/metrics';

export interface ShardAssignment {
  shard: number;
  total: number;
}

export interface ShardView {
  source: MetricsSource;
  synced: Promise<void>;
  stop(): Promise<void>;
}

export interface ResharderStats {
  shard: number;
  total: number;
  lastReshardTimeMs: number;
  lastReshardDurationMs: number;
  reshards: number;
}

interface MinimalLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silent: MinimalLogger = { info() {}, warn() {}, error() {} };

export interface ResharderOptions<V extends ShardView = ShardView> {
  createView: (assignment: ShardAssignment) => V;
  onSwitch?: (assignment: ShardAssignment, view: V) => void;
  logger?: MinimalLogger;
}

interface Pending<V> {
  assignment: ShardAssignment;
  view: V;
  started: number;
}

export class Resharder<V extends ShardView = ShardView> {
  #opts: ResharderOptions<V>;
  #log: MinimalLogger;
  #current: { assignment: ShardAssignment; view: V } | undefined;
  #pending: Pending<V> | undefined;
  #stats: ResharderStats = { shard: 0, total: 1, lastReshardTimeMs: 0, lastReshardDurationMs: 0, reshards: 0 };
  #stopped = false;

  constructor(opts: ResharderOptions<V>) {
    this.#opts = opts;
    this.#log = opts.logger ?? silent;
  }

  /** The view exporters read; undefined until the first assignment has synced. */
  current(): V | undefined {
    return this.#current?.view;
  }

  /** The view being built for a newer assignment, if any (served once synced). */
  pending(): { assignment: ShardAssignment; view: V } | undefined {
    const p = this.#pending;
    return p ? { assignment: { ...p.assignment }, view: p.view } : undefined;
  }

  currentAssignment(): ShardAssignment | undefined {
    return this.#current ? { ...this.#current.assignment } : undefined;
  }

  stats(): ResharderStats {
    return { ...this.#stats };
  }

  /**
   * Start building a view for `assignment`; resolves once it is current (true) or was superseded/stopped (false).
   */
  async apply(assignment: ShardAssignment): Promise<boolean> {
    if (this.#stopped) return false;
    const cur = this.#current?.assignment;
    const pend = this.#pending?.assignment;
    if (pend && same(pend, assignment)) return this.#await(this.#pending!);
    if (!pend && cur && same(cur, assignment)) return true;
    if (this.#pending) {
      const old = this.#pending;
      this.#pending = undefined;
      this.#log.info({ shard: old.assignment.shard, total: old.assignment.total }, 'pending reshard superseded');
      void this.#stopView(old.view);
    }
    if (cur && same(cur, assignment)) return true;
    const view = this.#opts.createView({ ...assignment });
    const pending = { assignment: { ...assignment }, view, started: Date.now() };
    this.#pending = pending;
    return this.#await(pending);
  }

  async #await(pending: Pending<V>): Promise<boolean> {
    try {
      await pending.view.synced;
    } catch (err) {
      if (this.#pending === pending) {
        this.#pending = undefined;
        void this.#stopView(pending.view);
      }
      this.#log.error({ err: String(err), ...pending.assignment }, 'new shard view failed to sync; keeping old view');
      return false;
    }
    if (this.#pending !== pending) return this.#current?.view === pending.view;
    this.#pending = undefined;
    const old = this.#current;
    this.#current = { assignment: pending.assignment, view: pending.view };
    const now = Date.now();
    this.#stats = {
      shard: pending.assignment.shard,
      total: pending.assignment.total,
      lastReshardTimeMs: now,
      lastReshardDurationMs: now - pending.started,
      reshards: this.#stats.reshards + 1,
    };
    this.#log.info({ ...pending.assignment, durationMs: this.#stats.lastReshardDurationMs }, 'shard view switched');
    this.#opts.onSwitch?.({ ...pending.assignment }, pending.view);
    if (old) await this.#stopView(old.view);
    return true;
  }

  async #stopView(view: V): Promise<void> {
    try {
      await view.stop();
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'stopping shard view failed');
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const views = [this.#pending?.view, this.#current?.view].filter((v): v is V => v !== undefined);
    this.#pending = undefined;
    this.#current = undefined;
    await Promise.all(views.map((v) => this.#stopView(v)));
  }
}

function same(a: ShardAssignment, b: ShardAssignment): boolean {
  return a.shard === b.shard && a.total === b.total;
}

/** A MetricsSource that always delegates to the Resharder's current view (empty before the first switch). */
export class SwitchableSource implements MetricsSource {
  readonly schema: MetricsSource['schema'];
  #get: () => ShardView | undefined;

  constructor(resharder: Pick<Resharder, 'current'>, schema: MetricsSource['schema']) {
    this.#get = () => resharder.current();
    this.schema = schema;
  }
  resources(): ReturnType<MetricsSource['resources']> {
    return this.#get()?.source.resources() ?? [];
  }
  families(resource: Parameters<MetricsSource['families']>[0]): ReturnType<MetricsSource['families']> {
    return this.#get()?.source.families(resource) ?? [];
  }
  entries(resource: Parameters<MetricsSource['entries']>[0]): ReturnType<MetricsSource['entries']> {
    return this.#get()?.source.entries(resource) ?? [];
  }
  size(resource: Parameters<MetricsSource['size']>[0]): number {
    return this.#get()?.source.size(resource) ?? 0;
  }
}
