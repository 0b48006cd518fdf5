// Pushgateway sink: the same exposition as `kso run`'s pull endpoint (StoreRenderer, so Pushgateway users see
// exactly what a scrape of kso shows) plus the sidecar's own families, PUT as one group.
//
// Grouping key: the CronJob (or Job, or bare Pod) plus the namespace, not the Pod. A key per Pod would leave one
// group per run forever (the Pushgateway never expires groups); one per CronJob is replaced by each run. Pod
// identity stays in the series' labels. The key is fixed at the first push so a run never writes two groups.

import { deletePushgatewayGroup, pushToPushgateway } from '@kso/exporters/pushgateway';
import type { StoreRenderer } from '@kso/exporters/renderer';
import type { MetricsStore } from '@kso/metrics';
import { Backoff } from '@kso/watch/backoff';
import type { SinkOutcome } from './sidecar.ts';

export interface PushgatewaySinkOptions {
  readonly url: string;
  /** Grouping-key `job`; default: `defaultJob()` at the first push. */
  readonly job?: string;
  /** Delete the group in the final flush when the Job is gone. */
  readonly deleteOnFinish?: boolean;
  readonly namespace: string;
  /** The CronJob, else the Job, else the Pod: read at the first push, when the watches know them. */
  readonly defaultJob: () => string;
  readonly numberFormat: 'go' | 'js';
  readonly store: MetricsStore;
  /** Prometheus text appended to the store's exposition (exit codes, relayed scrape, local pushes). */
  readonly extraText: () => string;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
}

export class PushgatewaySink {
  readonly #opts: PushgatewaySinkOptions;
  // Loaded only when configured: the renderer is not needed by OTLP-only sidecars.
  readonly #renderer: Promise<StoreRenderer>;
  #group: { job: string; groupingKey: Record<string, string> } | undefined;

  constructor(opts: PushgatewaySinkOptions) {
    this.#opts = opts;
    this.#renderer = import('@kso/exporters/renderer').then(
      ({ StoreRenderer }) => new StoreRenderer({ numberFormat: opts.numberFormat }),
    );
  }

  #key(): { job: string; groupingKey: Record<string, string> } {
    this.#group ??= {
      job: this.#opts.job ?? this.#opts.defaultJob(),
      groupingKey: { namespace: this.#opts.namespace },
    };
    return this.#group;
  }

  async push(): Promise<void> {
    const renderer = await this.#renderer;
    const body = renderer.renderStore(this.#opts.store, 'text').toString('utf8') + this.#opts.extraText();
    await pushToPushgateway({ url: this.#opts.url, ...this.#key(), body, method: 'PUT' });
  }

  /**
   * The final push (or the group's deletion when the Job is gone and deleteOnFinish is set), retried with the
   * project's one backoff policy until `deadlineAt`.
   */
  async final(deadlineAt: number, jobGone: boolean): Promise<SinkOutcome> {
    const deleting = this.#opts.deleteOnFinish === true && jobGone;
    const { initialMs, maxMs } = this.#opts.retry;
    const backoff = new Backoff({ initialMs, maxMs: Math.max(initialMs, maxMs) });
    let attempts = 0;
    let lastError: string | undefined;
    for (;;) {
      attempts++;
      try {
        if (deleting) await deletePushgatewayGroup({ url: this.#opts.url, ...this.#key() });
        else await this.push();
        return { delivered: true, attempts };
      } catch (err) {
        lastError = (err as Error).message;
      }
      const delay = backoff.next();
      if (Date.now() + delay >= deadlineAt) return { delivered: false, attempts, lastError };
      await new Promise<void>((r) => setTimeout(r, delay));
    }
  }
}
