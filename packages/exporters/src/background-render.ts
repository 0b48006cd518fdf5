// Work the bridge does between scrapes, so a scrape finds its body (nearly) ready and no garbage collection
// inside it: changed objects' text every second, the whole body (and its gzip members) just before the next
// expected scrape, and a full GC halfway between scrapes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MetricsSource } from '@kso/metrics';
import type { Logger } from 'pino';
import type { StoreRenderer } from './renderer.ts';
import { ScrapeCadence, type ScrapeKind } from './scrape-cadence.ts';

/** Start preparing at least this long before the expected scrape (timer slack, a busy event loop). */
const MIN_LEAD_MS = 300;
/** Top-up rounds after the first: each renders only what changed during the previous one. */
const MAX_TOP_UPS = 3;
/** A top-up ends at least this long before the expected scrape. */
const MIN_GAP_MS = 30;
/** Text dropped at once (a first gzip scrape: the whole body) worth a collection of its own, and how soon. */
const DROPPED_GC_BYTES = 16 << 20;
const DROPPED_GC_DELAY_MS = 1_000;
/** Quiet time after the last body build of a prerender tick before that text is compacted (see #prerender). */
const COMPACT_DELAY_MS = 2_000;

export interface BackgroundRenderOptions {
  renderer: StoreRenderer;
  source: MetricsSource;
  /** Prerender tick (0 = no background work at all). */
  everyMs: number;
  logger: Logger;
  /**
   * Builds the body a client of this kind will ask for (the store's pieces, compressed when it takes gzip);
   * `keepText`: some client keeps reading text (textWanted), so pieces keep or regain their text.
   */
  prepare(kind: ScrapeKind, keepText: boolean): Promise<void>;
  /** A full garbage collection (exposeGc()), or undefined to leave collection to V8. */
  gc?: (() => void) | undefined;
  /**
   * Compresses the store's body and drops its text (no client reads it): what a first gzip scrape would do,
   * done once a large batch of text (an initial sync, a relist) has been built with no scrape to take it.
   */
  compact?: (() => Promise<void>) | undefined;
}

/**
 * V8's collector, callable from here. V8 runs an old-generation collection when the heap reaches a limit set
 * at the previous one; at a 15 s scrape interval the scrape's own allocations were what crossed it, so most
 * scrapes paid for incremental marking and a 50–250 ms finalisation pause (`--trace-gc`). Collecting halfway
 * between scrapes moves that pause out of them and returns replaced exposition blocks (outside the heap, freed
 * only when their Buffer objects are collected) once per interval. Undefined when the flag cannot be set.
 */
export function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export class BackgroundRender {
  readonly #opts: BackgroundRenderOptions;
  readonly #cadence = new ScrapeCadence();
  #tick: NodeJS.Timeout | undefined;
  #prepareTimer: NodeJS.Timeout | undefined;
  #gcTimer: NodeJS.Timeout | undefined;
  #droppedGcTimer: NodeJS.Timeout | undefined;
  #compactTimer: NodeJS.Timeout | undefined;
  #lastPrepareMs = 0;
  /** Bumped by every scrape: a preparation still running for the previous one stops. */
  #round = 0;
  #stopped = false;
  /** Bodies prepared ahead of a scrape and garbage collections run (self-metrics, tests). */
  readonly stats = { prepared: 0, collections: 0, compactions: 0 };

  constructor(opts: BackgroundRenderOptions) {
    this.#opts = opts;
    if (opts.everyMs > 0) this.#tick = setTimeout(() => this.#prerender(), opts.everyMs).unref();
  }

  /** A scrape was answered: learn the client's cadence and schedule the work before its next one. */
  scraped(client: string, kind: ScrapeKind): void {
    if (this.#stopped) return;
    const now = performance.now();
    this.#cadence.observe(client, kind, now);
    if (!(this.#opts.everyMs > 0)) return;
    const round = ++this.#round;
    clearTimeout(this.#prepareTimer);
    clearTimeout(this.#gcTimer);
    const next = this.#cadence.next(now);
    if (next === undefined) return;
    const lead = Math.min(next.intervalMs / 4, Math.max(MIN_LEAD_MS, 2 * this.#lastPrepareMs));
    this.#prepareTimer = setTimeout(() => void this.#prepare(next.kinds, next.at, round), next.at - lead - now).unref();
    const gc = this.#opts.gc;
    if (gc !== undefined) this.#gcTimer = setTimeout(() => this.#collect(gc), (next.at - now) / 2).unref();
  }

  /**
   * Some client that reads the text uncompressed keeps scraping (ScrapeCadence.readsText): pieces keep their
   * text. Otherwise a piece compressed for a gzip client drops it, and a one-off uncompressed scrape inflates.
   */
  textWanted(): boolean {
    return this.#cadence.readsText(performance.now());
  }

  /**
   * `bytes` of text were just dropped (GzipCache.takeDropped): the Buffers, and the memory glibc returns for
   * them, go only when V8 collects them, which with an idle event loop can take until the collection halfway to
   * the next scrape, or longer without a cadence. Past DROPPED_GC_BYTES, a collection shortly after the scrape.
   */
  dropped(bytes: number): void {
    const gc = this.#opts.gc;
    if (gc === undefined || this.#stopped || bytes < DROPPED_GC_BYTES || this.#droppedGcTimer !== undefined) return;
    this.#droppedGcTimer = setTimeout(() => {
      this.#droppedGcTimer = undefined;
      this.#collect(gc);
    }, DROPPED_GC_DELAY_MS).unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#droppedGcTimer);
    clearTimeout(this.#compactTimer);
    clearTimeout(this.#tick);
    clearTimeout(this.#prepareTimer);
    clearTimeout(this.#gcTimer);
  }

  /**
   * Turns changed objects' points into text (StoreRenderer.prerender), most of a render's cost, so a scrape
   * interval's changes are spread over the interval. The next tick waits at least four times as long as this
   * one took, so a burst (a relist replacing every object) cannot keep the event loop busy.
   *
   * Past its pending limit prerender builds the segments itself (the initial sync, a relist, long without a
   * scrape): then the text is the whole exposition (66 MiB at 10k pods), held until a gzip client comes. Unless a
   * client reads text, it is compacted once such builds stop for COMPACT_DELAY_MS (or once that client stops
   * scraping): compressed on the libuv pool and dropped (Piece), as the first gzip scrape would, which then
   * finds its members ready. A client that reads text gets it inflated, and held again if it keeps scraping
   * (ScrapeCadence.readsText).
   */
  #prerender(): void {
    const t0 = performance.now();
    const builds = this.#opts.renderer.stats.bodyRenders;
    try {
      this.#opts.renderer.prerender(this.#opts.source);
    } catch (err) {
      this.#opts.logger.warn({ err: (err as Error).message }, 'background render failed; the next scrape renders');
    }
    if (this.#opts.renderer.stats.bodyRenders !== builds && this.#opts.compact !== undefined) {
      clearTimeout(this.#compactTimer);
      this.#compactTimer = setTimeout(() => void this.#compact(), COMPACT_DELAY_MS).unref();
    }
    if (!this.#stopped) {
      const wait = Math.max(this.#opts.everyMs, 4 * (performance.now() - t0));
      this.#tick = setTimeout(() => this.#prerender(), wait).unref();
    }
  }

  /**
   * Builds the bodies the next scrape will ask for, so it only re-renders what changed in the last moments
   * (StoreRenderer.renderPieces returns the same Body while nothing changed; gzip members are cached per piece).
   * A rebuild costs about one segment per changed object, so after the first build a few shorter top-ups follow,
   * each taking only the changes made during the previous one, the last ending just before the expected scrape.
   */
  async #prepare(kinds: readonly ScrapeKind[], at: number, round: number): Promise<void> {
    for (let i = 0; i <= MAX_TOP_UPS && round === this.#round && !this.#stopped; i++) {
      const t0 = performance.now();
      try {
        for (const k of kinds) await this.#opts.prepare(k, this.textWanted());
      } catch (err) {
        this.#opts.logger.warn({ err: (err as Error).message }, 'background body build failed; the next scrape builds');
        return;
      }
      const took = performance.now() - t0;
      if (i === 0) {
        this.#lastPrepareMs = took;
        this.stats.prepared++;
      }
      const wait = at - Math.max(MIN_GAP_MS, 2 * took) - performance.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        this.#prepareTimer = setTimeout(resolve, wait).unref();
      });
    }
  }

  async #compact(): Promise<void> {
    this.#compactTimer = undefined;
    const compact = this.#opts.compact;
    if (compact === undefined || this.#stopped) return;
    if (this.textWanted()) {
      // Someone reads the text (polled it while the store synced, say): compact once they stop.
      this.#compactTimer = setTimeout(() => void this.#compact(), COMPACT_DELAY_MS).unref();
      return;
    }
    try {
      await compact();
      this.stats.compactions++;
    } catch (err) {
      this.#opts.logger.warn({ err: (err as Error).message }, 'compacting the exposition text failed');
    }
  }

  #collect(gc: () => void): void {
    if (this.#stopped) return;
    gc();
    this.stats.collections++;
  }
}
