// The one retry/backoff policy of kso: exponential backoff with jitter, as client-go's wait.Backoff. It spreads
// reconnects of many agents (or many reflectors in one agent) so a recovering server is not hit by a
// synchronized herd. Used by the reflectors (equal jitter), the OTLP push (±20 %) and the sidecar's final
// flush (no jitter: one process, one receiver); reachable without the Kubernetes client as
// `@kso/watch/backoff` (this module imports nothing).

export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  initialMs: number;
  /** Upper bound of any delay. Default 30 s. */
  maxMs: number;
  /** A watch that stayed healthy this long resets the backoff. Default 60 s. */
  resetAfterMs?: number;
  /**
   * How a delay is spread around initial·2^attempt (capped at max): 'equal' (default) = half fixed, half
   * random, so delays still grow while never collapsing to zero; a number r = uniformly within ±r of it
   * (the OTLP exporter's 0.2); 'none' = exactly it.
   */
  jitter?: 'equal' | 'none' | number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 200,
  maxMs: 30_000,
  resetAfterMs: 60_000,
  jitter: 'equal',
};

export class Backoff {
  readonly opts: Required<BackoffOptions>;
  #attempt = 0;
  readonly #random: () => number;

  constructor(opts: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.opts = { ...DEFAULT_BACKOFF, ...opts };
    if (!(this.opts.initialMs > 0) || !(this.opts.maxMs >= this.opts.initialMs))
      throw new Error(`backoff: need 0 < initialMs <= maxMs (got ${this.opts.initialMs}, ${this.opts.maxMs})`);
    const j = this.opts.jitter;
    if (typeof j === 'number' && !(j >= 0 && j <= 1))
      throw new Error(`backoff: jitter ratio must be in [0, 1] (got ${j})`);
    this.#random = random;
  }

  /** Consecutive failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The next delay: initial·2^attempt capped at max, then the jitter. */
  next(): number {
    const exp = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const j = this.opts.jitter;
    if (j === 'none') return exp;
    if (j === 'equal') return Math.round(exp / 2 + (this.#random() * exp) / 2);
    return Math.round(exp * (1 - j + 2 * j * this.#random()));
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

/**
 * "The server is back" news shared by every reflector of one API server (keyed by its URL). Without it each
 * reflector learns of a recovery only from its own next attempt, so one whose backoff had grown to tens of
 * seconds during an outage stays behind long after its siblings reconnected (issue 15's lag). A reflector
 * waiting out a backoff wakes when any reflector got a 200 from the same server after some request to it
 * had failed: a success while nothing failed is no news, so a failure of one resource alone (a 403, say)
 * is retried no faster than the other reflectors' routine requests.
 */
export class ServerRecovery {
  static readonly #byServer = new Map<string, ServerRecovery>();
  readonly #waiters = new Set<() => void>();
  #troubled = false;

  static for(server: string): ServerRecovery {
    let r = ServerRecovery.#byServer.get(server);
    if (!r) {
      r = new ServerRecovery();
      ServerRecovery.#byServer.set(server, r);
    }
    return r;
  }

  /** A request to this server failed (connection, 5xx, 429, a broken stream). */
  failed(): void {
    this.#troubled = true;
  }

  /** A request to this server succeeded: after a failure, wake everyone waiting out a backoff. */
  succeeded(): void {
    if (!this.#troubled) return;
    this.#troubled = false;
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  /**
   * Waits `ms`, or less when another request to the server succeeds meanwhile: then it resolves after a
   * random share of `jitterMs`, so the woken reflectors do not reconnect as one synchronized herd.
   * Resolves true when cut short by a recovery. Rejects when `signal` aborts.
   */
  wait(ms: number, jitterMs: number, signal: AbortSignal, random: () => number = Math.random): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const done = (early: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal.removeEventListener('abort', abort);
        resolve(early);
      };
      const wake = () => {
        clearTimeout(timer);
        const rest = Math.round(random() * jitterMs);
        timer = setTimeout(() => done(true), rest);
      };
      const abort = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        reject(signal.reason);
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', abort, { once: true });
      this.#waiters.add(wake);
      timer = setTimeout(() => done(false), ms);
    });
  }
}
