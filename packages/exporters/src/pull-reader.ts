import { MetricReader } from '@opentelemetry/sdk-metrics';

/**
 * A pull reader for the app's MeterProvider (self-metrics). The SDK requires a reader to collect; this one does
 * nothing on its own: the bridge calls collect() at scrape time, the OTLP push at push time.
 */
export class PullReader extends MetricReader {
  /** True once a MeterProvider bound this reader (collect() throws before that). */
  bound = false;
  protected override onInitialized(): void {
    this.bound = true;
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
