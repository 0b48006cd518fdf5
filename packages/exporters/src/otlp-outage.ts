// The push's view of the endpoint: up, or down since an outage began. While down, ONE error line has been
// logged and each interval only probes with an empty request, so a Collector that is down or hung for minutes
// costs neither CPU nor memory (no queue: what a skipped push would have carried is dropped and counted). The
// first answered probe logs one recovery line and the push resumes at once.
import type { Logger } from 'pino';
import type { OtlpTransport } from './otlp-transport.ts';

/** Counters shared by the outage tracker and the retrying exporter (exported as kso_otlp_* self-metrics). */
export interface OtlpPushStats {
  /** Export requests sent (attempts, probes excluded). */
  exports: number;
  failures: number;
  retries: number;
  lastSuccessMs: number;
  lastErrorMs: number;
  lastError: string | undefined;
  pointsSent: number;
  pointsLost: number;
  /** Pushes not collected/encoded because the endpoint was down (or the previous push still running). */
  pushesSkipped: number;
  /** Times the endpoint went from reachable to unreachable. */
  outages: number;
  /** The endpoint is currently considered down. */
  down: boolean;
}

export function emptyStats(): OtlpPushStats {
  return {
    exports: 0,
    failures: 0,
    retries: 0,
    lastSuccessMs: 0,
    lastErrorMs: 0,
    lastError: undefined,
    pointsSent: 0,
    pointsLost: 0,
    pushesSkipped: 0,
    outages: 0,
    down: false,
  };
}

/** An ExportMetricsServiceRequest without data: the probe while the endpoint is down. */
const EMPTY_REQUEST = Buffer.alloc(0);

export class OutageTracker {
  #current: { sinceMs: number; skipped: number; lostPoints: number } | undefined;
  readonly #st: OtlpPushStats;
  readonly #logger: Logger;
  readonly #endpoint: string;

  constructor(st: OtlpPushStats, logger: Logger, endpoint: string) {
    this.#st = st;
    this.#logger = logger;
    this.#endpoint = endpoint;
  }

  get down(): boolean {
    return this.#st.down;
  }

  /** An interval that pushed nothing (endpoint down, or the previous push still running). */
  skipped(): void {
    this.#st.pushesSkipped++;
    if (this.#current) this.#current.skipped++;
  }

  /** The endpoint stopped answering: logs the outage once, then only adds to its lost points. */
  markDown(err: string, lostPoints: number): void {
    if (this.#st.down) {
      if (this.#current) this.#current.lostPoints += lostPoints;
      return;
    }
    this.#st.down = true;
    this.#st.outages++;
    this.#current = { sinceMs: Date.now(), skipped: 0, lostPoints };
    this.#logger.error(
      { err, endpoint: this.#endpoint, lostPoints },
      'OTLP endpoint unreachable; pushes are skipped (nothing collected or encoded) until it answers again',
    );
  }

  markUp(): void {
    if (!this.#st.down) return;
    this.#st.down = false;
    const o = this.#current;
    this.#current = undefined;
    this.#logger.info(
      { outageMs: o ? Date.now() - o.sinceMs : 0, skippedPushes: o?.skipped ?? 0, lostPoints: o?.lostPoints ?? 0 },
      'OTLP endpoint reachable again; pushing',
    );
  }

  /**
   * While down: one empty request. True when the endpoint answered (recovered: the push goes ahead), false
   * when it is still unreachable (the push is skipped and counted). Any answer, even an error status, means
   * the endpoint is back: a rejected request is the exporter's business, not an outage.
   */
  async probe(transport: OtlpTransport, timeoutMs: number): Promise<{ up: true } | { up: false; error: string }> {
    const res = await transport.send(EMPTY_REQUEST, timeoutMs);
    if (!res.ok && res.unreachable) {
      this.skipped();
      this.#st.lastError = res.error;
      this.#st.lastErrorMs = Date.now();
      this.#logger.debug({ err: res.error }, 'OTLP endpoint still unreachable; push skipped');
      return { up: false, error: res.error ?? '' };
    }
    this.markUp();
    return { up: true };
  }
}
