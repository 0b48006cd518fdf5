// KSM's telemetry endpoint: with --telemetry-port, kso's self-metrics are served on their own small HTTP server
// (GET /metrics, plus /healthz and /readyz so probes may target either port) and no longer appended to the
// main /metrics. It reuses the Prometheus bridge with an empty store, so the exposition format, content
// negotiation and gzip are the same code.
import { type Health, type PrometheusServer, startPrometheusServer } from '@kso/exporters';
import { MetricsStore } from '@kso/metrics';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';

export interface TelemetryServerOptions {
  host: string;
  port: number;
  collect: () => Promise<ResourceMetrics | undefined>;
  health: () => Health;
  numberFormat: 'go' | 'js';
  logger: Logger;
}

export function startTelemetryServer(o: TelemetryServerOptions): Promise<PrometheusServer> {
  return listenWithFallback(o.host, (host) =>
    startPrometheusServer({
      source: new MetricsStore({ schema: 'ksm', resources: [] }),
      host,
      port: o.port,
      numberFormat: o.numberFormat,
      extraCollect: o.collect,
      health: o.health,
      logger: o.logger,
    }),
  );
}

/**
 * Listens on `host`; for the dual-stack default `::` on a host without IPv6 (EAFNOSUPPORT / EADDRNOTAVAIL),
 * falls back to 0.0.0.0 as KSM's Go listener effectively does.
 */
export async function listenWithFallback<T>(host: string, listen: (host: string) => Promise<T>): Promise<T> {
  try {
    return await listen(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) return listen('0.0.0.0');
    throw err;
  }
}
