// The one final flush of a sidecar run, within the flush deadline counted from its trigger (signal or main
// containers done): wait briefly for the final Pod state, scrape the main container one last time, stop taking
// local pushes, deliver to every sink with retries, stop the watches, and say what was lost if anything was.

import type { OtlpPush } from '@kso/exporters/otlp-push';
import type { MetricsStore } from '@kso/metrics';
import type { Logger } from 'pino';
import type { Listeners } from './listeners.ts';
import type { LocalPushes } from './local-push.ts';
import { memoryMb } from './memory.ts';
import type { PushgatewaySink } from './pushgateway-sink.ts';
import type { Relay } from './relay.ts';
import type { SidecarResult, SinkOutcome } from './sidecar.ts';

export interface FinalFlushParts {
  readonly log: Logger;
  readonly flushDeadlineMs: number;
  readonly finalStateWaitMs: number;
  readonly scrapeTimeoutMs: number;
  /** Every main container has terminated (as the Pod watch shows it). */
  readonly mainDone: () => boolean;
  readonly relay: Relay | undefined;
  readonly pushes: LocalPushes;
  readonly store: MetricsStore;
  readonly listeners: Listeners;
  /** Undefined when no OTLP endpoint is configured; resolves to undefined when it could not be set up. */
  readonly otlp: Promise<OtlpPush | undefined> | undefined;
  readonly pushgateway: PushgatewaySink | undefined;
  readonly jobGone: () => boolean;
  /** Stops the watches and the probe listener once the sinks are done. */
  readonly stop: () => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export async function finalFlush(p: FinalFlushParts, trigger: string): Promise<SidecarResult> {
  const t0 = Date.now();
  const deadlineAt = t0 + p.flushDeadlineMs;
  p.log.info({ trigger, flushDeadlineMs: p.flushDeadlineMs }, 'final flush started');
  await awaitFinalState(p, t0);
  await finalScrape(p);
  await p.listeners.closePush();
  const otlp = await p.otlp;
  const [o, pg] = await Promise.all([
    otlp?.shutdown({ timeoutMs: Math.max(0, deadlineAt - Date.now()) }),
    p.pushgateway?.final(deadlineAt, p.jobGone()),
  ]);
  await p.stop();
  return report(p, trigger, Date.now() - t0, otlpOutcome(p, o), pg);
}

/**
 * A signal can arrive before the kubelet's status update reaches us: give the watch a moment so the final batch
 * carries the main container's termination reason and exit code.
 */
async function awaitFinalState(p: FinalFlushParts, t0: number): Promise<void> {
  const waitUntil = t0 + Math.min(p.finalStateWaitMs, p.flushDeadlineMs / 4);
  while (!p.mainDone() && Date.now() < waitUntil) await sleep(50);
}

async function finalScrape(p: FinalFlushParts): Promise<void> {
  if (!p.relay) return;
  const r = await p.relay.scrape(Math.min(p.scrapeTimeoutMs, p.flushDeadlineMs / 4));
  if (!r.ok) p.log.info({ err: r.error }, 'final scrape failed; relaying the last good scrape');
}

function otlpOutcome(p: FinalFlushParts, o: Awaited<ReturnType<OtlpPush['shutdown']>> | undefined) {
  if (!o) return p.otlp ? { delivered: false, attempts: 0, lastError: 'OTLP push could not be set up' } : undefined;
  return {
    delivered: o.delivered,
    attempts: o.attempts,
    points: o.points,
    ...(o.lastError ? { lastError: o.lastError } : {}),
  } satisfies SinkOutcome;
}

function report(
  p: FinalFlushParts,
  trigger: string,
  flushMs: number,
  otlp: SinkOutcome | undefined,
  pushgateway: SinkOutcome | undefined,
): SidecarResult {
  const failed = (otlp && !otlp.delivered) || (pushgateway && !pushgateway.delivered);
  // Counted only when something was lost: building the MetricData again costs memory at the peak.
  const lost = failed ? lostCounts(p) : undefined;
  if (lost) {
    p.log.error(
      { trigger, flushMs, otlp, pushgateway, lostFamilies: lost.families, lostPoints: lost.points },
      'final flush NOT delivered: metrics of this run are lost',
    );
  } else {
    p.log.info({ trigger, flushMs, otlp, pushgateway, memory: memoryMb() }, 'final flush delivered');
  }
  return {
    exitCode: failed ? 1 : 0,
    trigger,
    flushMs,
    ...(otlp ? { otlp } : {}),
    ...(pushgateway ? { pushgateway } : {}),
    ...(lost ? { lost } : {}),
  };
}

/** Families and points of this run that did not reach every sink: store, relayed scrape and local pushes. */
function lostCounts(p: FinalFlushParts): { families: number; points: number } {
  let families = 0;
  let points = 0;
  for (const resource of p.store.resources()) {
    const withPoints = new Set<number>();
    for (const entry of p.store.entries(resource)) {
      entry.families.forEach((pts, i) => {
        if (pts.length > 0) withPoints.add(i);
        points += pts.length;
      });
    }
    families += withPoints.size;
  }
  for (const ms of [p.relay?.metricData() ?? [], p.pushes.metricData()]) {
    families += ms.length;
    for (const m of ms) points += m.dataPoints.length;
  }
  return { families, points };
}
