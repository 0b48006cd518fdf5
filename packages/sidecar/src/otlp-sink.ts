// The OTLP sink: @kso/exporters' push loop over the store plus the sidecar's producers (exit codes, local pushes,
// relayed scrape). Loaded only when configured: it is the biggest import after the watch layer.

import type { OtlpPush } from '@kso/exporters/otlp-push';
import type { MetricsStore } from '@kso/metrics';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import type { SidecarOptions } from './sidecar.ts';

export interface OtlpSinkOptions {
  readonly otlp: NonNullable<SidecarOptions['otlp']>;
  readonly resourceAttributes: SidecarOptions['resourceAttributes'];
  readonly entityAttributes: SidecarOptions['entityAttributes'];
  readonly intervalMs: number;
  readonly flushDeadlineMs: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly store: MetricsStore;
  readonly producers: MetricProducer[];
  readonly logger: Logger;
}

/** Resolves to undefined (logged) when the push cannot be set up, e.g. a bad endpoint: the rest still runs. */
export async function loadOtlpSink(o: OtlpSinkOptions): Promise<OtlpPush | undefined> {
  try {
    const [{ createOtlpPush }, { resourceFromAttributes }] = await Promise.all([
      import('@kso/exporters/otlp-push'),
      import('@opentelemetry/resources'),
    ]);
    return createOtlpPush({
      protocol: o.otlp.protocol ?? 'grpc',
      endpoint: o.otlp.endpoint,
      headers: o.otlp.headers ?? {},
      ...(o.otlp.tls ? { tls: { ...o.otlp.tls } } : {}),
      ...(o.resourceAttributes ? { resource: resourceFromAttributes({ ...o.resourceAttributes }) } : {}),
      ...(o.entityAttributes ? { entityAttributes: { ...o.entityAttributes } } : {}),
      compression: o.otlp.compression ?? 'gzip',
      intervalMs: o.intervalMs,
      // One hung attempt must not eat the whole final-flush budget.
      timeoutMs: Math.min(o.otlp.timeoutMs ?? 10_000, Math.max(500, o.flushDeadlineMs / 3)),
      retry: { ...o.retry, maxElapsedMs: o.flushDeadlineMs },
      source: o.store,
      extraProducers: o.producers,
      // The sidecar has no self-metrics: no SDK MeterProvider, the producers are collected directly.
      ownMeterProvider: false,
      logger: o.logger,
    });
  } catch (err) {
    o.logger.error({ err: (err as Error).message }, 'OTLP push could not be set up');
    return undefined;
  }
}
