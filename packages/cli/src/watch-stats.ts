// Per-resource watch health from the reflectors' raw stats: what /healthz and the kso_watch_* self-metrics read.
import type { ResourceWatchStats } from './self-metrics.ts';
import type { WatchStats } from './watch-adapter.ts';

/** `mine`: the live watches of one resource; `past`: counters of replaced views (counters only). */
export function aggregateWatchStats(
  resource: string,
  objects: number,
  mine: WatchStats[],
  past: WatchStats[] = [],
): ResourceWatchStats {
  const all = [...mine, ...past];
  // The stalest watch decides: one stuck namespace is a stale resource.
  const min = (xs: number[]) => (xs.length === 0 || xs.some((x) => !x) ? 0 : Math.min(...xs));
  return {
    resource,
    objects,
    lastEventTimeMs: Math.max(0, ...mine.map((s) => s.lastEventTimeMs ?? 0)),
    lastSyncTimeMs: min(mine.map((s) => s.lastSyncTimeMs ?? 0)),
    relists: sum(all.map((s) => s.relists ?? 0)),
    watchRestarts: sum(all.map((s) => s.watchRestarts ?? 0)),
    errors: sum(all.map((s) => s.errors ?? 0)),
    parseErrors: sum(all.map((s) => s.parseErrors ?? 0)),
    synced: mine.length > 0 && mine.every((s) => s.synced === true),
    reconnecting: mine.some((s) => s.reconnectingSinceMs !== undefined),
    consistencyDifferences: sum(all.map((s) => s.consistencyDifferences ?? 0)),
  };
}

function sum(xs: number[]): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}

/**
 * /healthz and /readyz: not live when any resource has had no successful sync for longer than `maxStalenessMs`
 * (a resource never synced counts from `startedAt`), ready once the first view is served.
 */
export function healthOf(
  stats: readonly ResourceWatchStats[],
  ready: boolean,
  maxStalenessMs: number,
  startedAt: number,
  now = Date.now(),
): { live: boolean; ready: boolean; reason?: string } {
  const stale: string[] = [];
  for (const s of stats) {
    const since = s.lastSyncTimeMs > 0 ? s.lastSyncTimeMs : startedAt;
    if (now - since > maxStalenessMs) stale.push(`${s.resource} (${Math.round((now - since) / 1000)}s)`);
  }
  if (stale.length > 0)
    return {
      live: false,
      ready,
      reason: `stale: no successful sync within ${maxStalenessMs / 1000}s: ${stale.join(', ')}`,
    };
  return ready ? { live: true, ready: true } : { live: true, ready: false, reason: 'initial sync in progress' };
}
