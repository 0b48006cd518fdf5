// Exponential backoff with jitter, as client-go's wait.Backoff: spreads reconnects of many agents
// (or many reflectors in one agent) so a recovering API server is not hit by a synchronized herd.

export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  initialMs: number;
  /** Upper bound of any delay. Default 30 s. */
  maxMs: number;
  /** A watch that stayed healthy this long resets the backoff. Default 60 s. */
  resetAfterMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 200, maxMs: 30_000, resetAfterMs: 60_000 };

export class Backoff {
  readonly opts: Required<BackoffOptions>;
  #attempt = 0;
  readonly #random: () => number;

  constructor(opts: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.opts = { ...DEFAULT_BACKOFF, ...opts };
    if (!(this.opts.initialMs > 0) || !(this.opts.maxMs >= this.opts.initialMs))
      throw new Error(`backoff: need 0 < initialMs <= maxMs (got ${this.opts.initialMs}, ${this.opts.maxMs})`);
    this.#random = random;
  }

  /** Consecutive failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * The next delay: initial·2^attempt capped at max, then "equal jitter" (half fixed, half random) so
   * delays still grow while never collapsing to zero.
   */
  next(): number {
    const exp = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(exp / 2 + (this.#random() * exp) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unparseable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
