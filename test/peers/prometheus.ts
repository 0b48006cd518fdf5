// A real Prometheus server (Debian package, installed by scripts/test-deps.sh) scraping given targets on loopback.
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSampleValue } from '@kso/exporters';
import { freePort, httpGet, spawnPeer, waitUntil } from '@kso/peers';
import type { ParsedSeries } from './series.ts';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export function prometheusAvailable(): boolean {
  try {
    accessSync(PROMETHEUS_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RealPrometheus {
  url: string;
  /** Instant query; each result as a series (`__name__` moved to `name`). */
  query(promql: string): Promise<ParsedSeries[]>;
  /** Waits until every target reports health "up". */
  waitForTargetsUp(timeoutMs: number): Promise<void>;
  /** GET of an HTTP API path (`/api/v1/...`), its `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus with one job scraping `targets` (host:port) every second. `honor_labels: true` keeps the
 * job/instance labels the Collector's exporter puts on its series, as users federating from a Collector do.
 */
export async function startPrometheus(
  targets: string[],
  opts: {
    timeoutMs?: number;
    /** A whole prometheus.yml instead of the default one job (given the directory it will live in). */
    config?: (dir: string) => string | Promise<string>;
  } = {},
): Promise<RealPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'kso-prometheus-'));
  const port = await freePort();
  const defaultConfig = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    '  - job_name: collector',
    '    honor_labels: true',
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  const config = opts.config ? await opts.config(dir) : defaultConfig;
  await writeFile(join(dir, 'prometheus.yml'), config);
  const proc = spawnPeer('prometheus', PROMETHEUS_BIN, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('prometheus /-/ready', async () => (await httpGet(`${url}/-/ready`)).status === 200, {
      timeoutMs: opts.timeoutMs ?? 30_000,
      peer: proc,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const api = async <T>(path: string): Promise<T> => {
    const r = await httpGet(`${url}${path}`, { timeoutMs: 10_000 });
    const body = JSON.parse(r.body) as { status: string; data: T; error?: string };
    if (r.status !== 200 || body.status !== 'success') throw new Error(`prometheus ${path}: ${r.status} ${r.body}`);
    return body.data;
  };
  return {
    url,
    api,
    async query(promql) {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      return data.result.map((r) => {
        const { __name__: name, ...labels } = r.metric;
        return { name: name ?? '', labels, value: parseSampleValue(r.value[1]) };
      });
    },
    async waitForTargetsUp(timeoutMs) {
      await waitUntil(
        'prometheus targets up',
        async () => {
          const d = await api<{ activeTargets: { health: string }[] }>('/api/v1/targets');
          return d.activeTargets.length === targets.length && d.activeTargets.every((t) => t.health === 'up');
        },
        { timeoutMs, peer: proc },
      );
    },
    stop,
  };
}
