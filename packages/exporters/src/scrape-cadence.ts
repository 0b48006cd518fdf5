// When the next scrape is due. Prometheus scrapes each target on a fixed grid (scrape_interval, with a per-target
// offset), so the gap between a client's last two scrapes predicts its next one; the background renderer uses
// that to finish the body just before it is asked for and to collect garbage halfway between scrapes.
import type { ExpositionFormat } from './prom-text.ts';

/** What a client asked for last: the body to prepare for it. */
export interface ScrapeKind {
  format: ExpositionFormat;
  gzip: boolean;
}

interface Client extends ScrapeKind {
  last: number;
  intervalMs: number;
}

/** Gaps shorter than this are not a cadence (back-to-back scrapes, a human with curl). */
const MIN_INTERVAL_MS = 2_000;
/** Clients kept at most (an HA pair of Prometheus servers, a federation, someone's curl). */
const MAX_CLIENTS = 16;

export class ScrapeCadence {
  readonly #clients = new Map<string, Client>();

  /** Records a scrape by `client` (remote address and user agent) at `now` (performance.now clock). */
  observe(client: string, kind: ScrapeKind, now: number): void {
    const prev = this.#clients.get(client);
    this.#clients.delete(client);
    this.#clients.set(client, { ...kind, last: now, intervalMs: prev === undefined ? 0 : now - prev.last });
    if (this.#clients.size > MAX_CLIENTS) this.#clients.delete(this.#clients.keys().next().value as string);
  }

  /**
   * A client that takes the text uncompressed has scraped at least twice and not missed more than two of its
   * scrapes (back-to-back counts: someone looping curl). One-off scrapes do not count.
   */
  readsText(now: number): boolean {
    for (const c of this.#clients.values()) {
      if (!c.gzip && c.intervalMs > 0 && now - c.last <= 3 * Math.max(c.intervalMs, MIN_INTERVAL_MS)) return true;
    }
    return false;
  }

  /**
   * The next expected scrape: the earliest of every client's last scrape plus its last gap, among clients with a
   * cadence that have not missed more than two of their scrapes. Undefined when no client has one.
   */
  next(now: number): { at: number; intervalMs: number; kinds: ScrapeKind[] } | undefined {
    let best: { at: number; intervalMs: number } | undefined;
    const kinds: ScrapeKind[] = [];
    for (const c of this.#clients.values()) {
      if (c.intervalMs < MIN_INTERVAL_MS || now - c.last > 3 * c.intervalMs) continue;
      let at = c.last + c.intervalMs;
      while (at < now) at += c.intervalMs;
      if (best === undefined || at < best.at) best = { at, intervalMs: c.intervalMs };
      if (!kinds.some((k) => k.format === c.format && k.gzip === c.gzip))
        kinds.push({ format: c.format, gzip: c.gzip });
    }
    return best === undefined ? undefined : { ...best, kinds };
  }
}
