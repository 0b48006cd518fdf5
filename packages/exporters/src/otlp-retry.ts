// The retrying exporter: sends one push's planned requests one at a time (only one request body in memory),
// each retried with exponential backoff and jitter while the error is retryable and the push's deadline
// allows. A request the endpoint rejects is dropped and counted; when the endpoint becomes unreachable the rest
// of the push is dropped without being written, and the outage tracker takes over.
import { Backoff } from '@kso/watch/backoff';
import type { Logger } from 'pino';
import type { OtlpPushStats, OutageTracker } from './otlp-outage.ts';
import type { PlannedRequest } from './otlp-store.ts';
import type { Body, OtlpTransport } from './otlp-transport.ts';

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Budget for one export cycle (all batches, all attempts) during periodic pushes. */
  maxElapsedMs: number;
}

export interface ExportOutcome {
  delivered: boolean;
  points: number;
  /** Points that could not be delivered. */
  lostPoints: number;
  batches: number;
  attempts: number;
  /** The endpoint was known to be down and the probe failed: nothing was collected or encoded. */
  skipped?: boolean;
  lastError?: string;
  durationMs: number;
}

export interface ExporterDeps {
  transport: OtlpTransport;
  retry: RetryOptions;
  /** Per attempt. */
  timeoutMs: number;
  st: OtlpPushStats;
  outage: OutageTracker;
  logger: Logger;
  /** Aborted on shutdown: cuts a periodic push's retry sleeps short (the final export supersedes it). */
  abort: AbortSignal;
}

/** One push's send parameters: its deadline, and whether it is the final export on shutdown. */
interface Cycle {
  deadline: number;
  final: boolean;
}

function sleep(ms: number, abort: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    abort?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** One request with its retries. */
async function sendWithRetry(
  d: ExporterDeps,
  c: Cycle,
  body: Body,
  points: number,
  outcome: ExportOutcome,
): Promise<{ sent: boolean; unreachable: boolean }> {
  const backoff = new Backoff({
    initialMs: d.retry.initialMs,
    maxMs: Math.max(d.retry.maxMs, d.retry.initialMs),
    jitter: 0.2,
  });
  for (;;) {
    outcome.attempts++;
    d.st.exports++;
    // The retry budget bounds retries, not an attempt (a slow but working Collector still gets timeoutMs);
    // only the final export on shutdown has a hard deadline.
    const res = await d.transport.send(
      body,
      c.final ? Math.max(1, Math.min(d.timeoutMs, c.deadline - Date.now())) : d.timeoutMs,
    );
    if (res.ok) {
      d.st.pointsSent += points;
      d.st.lastSuccessMs = Date.now();
      return { sent: true, unreachable: false };
    }
    const msg = res.error ?? 'export failed';
    d.st.failures++;
    d.st.lastError = msg;
    d.st.lastErrorMs = Date.now();
    outcome.lastError = msg;
    const wait = backoff.next();
    if (!res.retryable || Date.now() + wait >= c.deadline || (d.abort.aborted && !c.final))
      return { sent: false, unreachable: res.unreachable };
    d.st.retries++;
    d.logger.debug({ err: msg, waitMs: Math.round(wait) }, 'OTLP export failed; retrying');
    await sleep(wait, c.final ? undefined : d.abort);
  }
}

/** Sends every request of one push; fills `outcome` (points, losses, attempts) and the shared counters. */
export async function exportRequests(
  d: ExporterDeps,
  c: Cycle,
  requests: readonly PlannedRequest[],
  outcome: ExportOutcome,
): Promise<void> {
  outcome.batches = requests.length;
  for (const r of requests) outcome.points += r.points;
  let rejected = 0;
  for (let i = 0; i < requests.length; i++) {
    const req = requests[i] as PlannedRequest;
    const { sent, unreachable } = await sendWithRetry(d, c, req, req.points, outcome);
    if (sent) continue;
    outcome.delivered = false;
    if (unreachable) {
      // Everything not yet sent is dropped without being written: the endpoint is gone.
      let lost = 0;
      for (let j = i; j < requests.length; j++) lost += (requests[j] as PlannedRequest).points;
      outcome.lostPoints += lost;
      d.st.pointsLost += lost;
      d.outage.markDown(outcome.lastError ?? '', lost);
      break;
    }
    rejected++;
    outcome.lostPoints += req.points;
    d.st.pointsLost += req.points;
  }
  if (rejected > 0)
    d.logger.error(
      { err: outcome.lastError, batches: rejected, lostPoints: outcome.lostPoints },
      'OTLP endpoint rejected export requests; their points are dropped',
    );
  else if (outcome.delivered) d.outage.markUp();
}
