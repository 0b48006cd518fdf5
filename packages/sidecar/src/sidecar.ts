// The sidecar's lifecycle: watch own Pod (+ owning Job) → MetricsStore; scrape the main container;
// push periodically; on SIGTERM/SIGINT or when every main container has terminated, run exactly one
// final collection and wait for confirmed delivery within the flush deadline.
//
// This module wires the parts, each in its own module: own-objects.ts (the watches), lifecycle.ts (what a Pod
// change means), relay.ts (the main container's scrape), local-push.ts + listeners.ts (local pushes, probes),
// otlp-sink.ts and pushgateway-sink.ts (the sinks), final-flush.ts (the one final flush).
//
// Footprint matters (one sidecar per CronJob run): modules are imported from their own paths, not through
// package indexes, and the OTLP push and the Pushgateway renderer are loaded only when configured. Pods run
// this as one bundle with --jitless (launch.ts); bench/startup.ts measures what each step costs.

import type { OtlpPush } from '@kso/exporters/otlp-push';
import type { Schema } from '@kso/metrics';
import { MetricsStore } from '@kso/metrics';
import { loadKubeConfig } from '@kso/watch';
import pino, { type Logger } from 'pino';
import { ExitCodeProducer } from './exit-code.ts';
import { finalFlush } from './final-flush.ts';
import { newlyTerminated, podAction } from './lifecycle.ts';
import { Listeners } from './listeners.ts';
import { LocalPushes } from './local-push.ts';
import { memoryMb } from './memory.ts';
import { loadOtlpSink } from './otlp-sink.ts';
import { OwnObjects } from './own-objects.ts';
import type { PodView } from './pod-view.ts';
import { PushgatewaySink } from './pushgateway-sink.ts';
import { type Identity, Relay } from './relay.ts';

export interface SidecarOptions {
  readonly podName: string;
  readonly podNamespace: string;
  /** Overrides the owning Job found from the Pod's ownerReferences. */
  readonly jobName?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly inCluster?: boolean;
  /** Where the service account token/ca.crt are mounted (in-cluster; default the standard path). */
  readonly serviceAccountDir?: string;
  readonly schema?: Schema;
  readonly otlp?: {
    readonly endpoint: string;
    readonly protocol?: 'grpc' | 'http';
    readonly headers?: Record<string, string>;
    readonly compression?: 'gzip' | 'zstd' | 'none';
    /** Per-attempt export timeout. */
    readonly timeoutMs?: number;
    readonly tls?: { readonly insecure?: boolean; readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  };
  /** Attributes of the pushed Resource (service.*, OTEL_RESOURCE_ATTRIBUTES): see @kso/config resolveIdentity. */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** Attributes every entity Resource carries too (k8s.cluster.name). */
  readonly entityAttributes?: Readonly<Record<string, string>>;
  readonly pushgateway?: {
    readonly url: string;
    /**
     * Grouping-key `job` value; defaults to the owning CronJob (or the Job when there is none, the Pod for a
     * bare Pod), so each CronJob has one group that every run replaces instead of one group per run.
     */
    readonly job?: string;
    readonly deleteOnFinish?: boolean;
  };
  readonly scrapeUrl?: string;
  readonly scrapeIntervalMs?: number;
  readonly scrapeTimeoutMs?: number;
  /** Periodic push interval. */
  readonly intervalMs?: number;
  /** Total budget for the final flush, counted from the trigger (signal or main-container exit). */
  readonly flushDeadlineMs?: number;
  /** After a signal, how long to wait for the Pod watch to show the main containers' final state. */
  readonly finalStateWaitMs?: number;
  /** Start the final flush by itself once every main container has terminated (default true). */
  readonly exitOnMainDone?: boolean;
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * Local push endpoint (OTLP/HTTP /v1/metrics and Pushgateway-style /metrics/job/...): host:port, port 0 =
   * any free port. Undefined = off.
   */
  readonly pushListen?: string;
  /** /readyz + /healthz on host:port for the kubelet's startupProbe (the Pod IP); undefined = off. */
  readonly probeListen?: string;
  /** Own Pod UID (downward API): a same-named Pod with another UID is not ours and is ignored. */
  readonly podUid?: string;
  readonly logger?: Logger;
}

export interface SinkOutcome {
  readonly delivered: boolean;
  readonly attempts: number;
  readonly lastError?: string;
  readonly points?: number;
}

export interface SidecarResult {
  readonly exitCode: number;
  readonly trigger: string;
  readonly flushMs: number;
  readonly otlp?: SinkOutcome;
  readonly pushgateway?: SinkOutcome;
  /** Present when some sink did not confirm delivery. */
  readonly lost?: { readonly families: number; readonly points: number };
}

export interface SidecarStats {
  readonly startedAtMs: number;
  readonly firstPushAtMs: number | undefined;
  readonly pod: PodView | undefined;
  readonly jobGone: boolean;
  readonly scrape: ReturnType<Relay['stats']>;
  /** Address of the local push endpoint, when enabled. */
  readonly pushAddress: string | undefined;
  /** Set when an eviction/deletion made the sidecar flush before any signal. */
  readonly earlyFlush: { readonly trigger: string; readonly delivered: boolean } | undefined;
}

export interface Sidecar {
  /** Resolves once the Pod was seen and the first push was attempted. */
  readonly ready: Promise<void>;
  /** Resolves after the final flush; never rejects. */
  readonly done: Promise<SidecarResult>;
  /** Starts the final flush (idempotent: later calls return the same result). */
  finish(trigger: string): Promise<SidecarResult>;
  stats(): SidecarStats;
}

/** `p`'s value, or `fallback` after `ms`; the timer is cleared, so a won race leaves nothing pending. */
function within<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

function identityFor(
  schema: Schema,
  ns: string,
  pod: string,
  job: string | undefined,
  forPrometheus: boolean,
): Identity {
  if (schema === 'semconv' && !forPrometheus) {
    return { 'k8s.namespace.name': ns, 'k8s.pod.name': pod, ...(job ? { 'k8s.job.name': job } : {}) };
  }
  if (schema === 'semconv') {
    return { k8s_namespace_name: ns, k8s_pod_name: pod, ...(job ? { k8s_job_name: job } : {}) };
  }
  return { namespace: ns, pod, ...(job ? { job_name: job } : {}) };
}

/** The options with their defaults, resolved once. */
function settings(opts: SidecarOptions) {
  const scrapeIntervalMs = opts.scrapeIntervalMs ?? 2_000;
  return {
    log: opts.logger ?? pino({ level: 'silent' }),
    schema: opts.schema ?? ('ksm' as Schema),
    intervalMs: opts.intervalMs ?? 10_000,
    flushDeadlineMs: opts.flushDeadlineMs ?? 20_000,
    scrapeIntervalMs,
    scrapeTimeoutMs: opts.scrapeTimeoutMs ?? Math.min(1_000, scrapeIntervalMs),
    finalStateWaitMs: opts.finalStateWaitMs ?? 2_000,
    exitOnMainDone: opts.exitOnMainDone ?? true,
    retry: { initialMs: opts.retry?.initialMs ?? 250, maxMs: opts.retry?.maxMs ?? 2_000 },
  };
}

/** One run of the sidecar: the parts, built once, and the few steps of its life (first push, flushes). */
class SidecarRun {
  readonly #opts: SidecarOptions;
  readonly #s: ReturnType<typeof settings>;
  readonly #startedAtMs = Date.now();
  readonly #kc: ReturnType<typeof loadKubeConfig>;
  readonly #store: MetricsStore;
  readonly #own: OwnObjects;
  readonly #relay: Relay | undefined;
  readonly #exitCodes: ExitCodeProducer;
  readonly #pushes: LocalPushes;
  readonly #listeners: Listeners;
  readonly #otlp: Promise<OtlpPush | undefined> | undefined;
  readonly #pushgateway: PushgatewaySink | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  #firstPushAtMs: number | undefined;
  #earlyFlush: SidecarStats['earlyFlush'];
  #finishing: Promise<SidecarResult> | undefined;
  #resolveDone: (r: SidecarResult) => void = () => {};
  readonly ready: Promise<void>;
  /** Resolves after the final flush, whichever trigger started it. */
  readonly done = new Promise<SidecarResult>((r) => {
    this.#resolveDone = r;
  });

  constructor(opts: SidecarOptions) {
    this.#opts = opts;
    const s = settings(opts);
    this.#s = s;
    if (!opts.otlp && !opts.pushgateway)
      s.log.warn('no sink configured (--otlp-endpoint / --pushgateway-url): nothing will be pushed');
    this.#kc = loadKubeConfig({
      kubeconfig: opts.kubeconfig,
      context: opts.context,
      inCluster: opts.inCluster,
      serviceAccountDir: opts.serviceAccountDir,
    });
    this.#store = new MetricsStore({
      schema: s.schema,
      resources: ['pods', 'jobs'],
      logger: s.log.child({ part: 'store' }),
    });
    this.#own = new OwnObjects({
      kc: this.#kc,
      podName: opts.podName,
      podNamespace: opts.podNamespace,
      ...(opts.podUid ? { podUid: opts.podUid } : {}),
      ...(opts.jobName ? { jobName: opts.jobName } : {}),
      store: this.#store,
      logger: s.log,
      onPod: (before, now) => this.#onPod(before, now),
    });
    this.#relay = opts.scrapeUrl
      ? new Relay({
          url: opts.scrapeUrl,
          timeoutMs: s.scrapeTimeoutMs,
          startMs: this.#startedAtMs,
          identity: () => this.#identity(false),
        })
      : undefined;
    this.#exitCodes = new ExitCodeProducer(s.schema, () => this.#own.pod, this.#startedAtMs);
    this.#pushes = new LocalPushes({ startMs: this.#startedAtMs, identity: () => this.#identity(false) });
    this.#listeners = new Listeners({
      pushListen: opts.pushListen,
      probeListen: opts.probeListen,
      pushes: this.#pushes,
      ready: () => this.canFlush(),
      logger: s.log,
    });
    this.#otlp = this.#otlpSink();
    this.#pushgateway = this.#pushgatewaySink();
    this.#own.start();
    this.#startPeriodic();
    this.ready = this.#firstPush();
  }

  // jobName may still be learnt from the Pod's owner: read it at each collection.
  #identity(forPrometheus: boolean): Identity {
    return identityFor(this.#s.schema, this.#opts.podNamespace, this.#opts.podName, this.#own.jobName, forPrometheus);
  }

  /** Synced and able to flush: what the startupProbe waits for before the main container starts. */
  canFlush(): boolean {
    return this.#own.pod !== undefined && this.#firstPushAtMs !== undefined;
  }

  #otlpSink(): Promise<OtlpPush | undefined> | undefined {
    const { otlp } = this.#opts;
    if (!otlp) return undefined;
    return loadOtlpSink({
      otlp,
      resourceAttributes: this.#opts.resourceAttributes,
      entityAttributes: this.#opts.entityAttributes,
      intervalMs: this.#s.intervalMs,
      flushDeadlineMs: this.#s.flushDeadlineMs,
      retry: this.#s.retry,
      store: this.#store,
      producers: this.#relay ? [this.#exitCodes, this.#pushes, this.#relay] : [this.#exitCodes, this.#pushes],
      logger: this.#s.log.child({ sink: 'otlp' }),
    });
  }

  #pushgatewaySink(): PushgatewaySink | undefined {
    const pg = this.#opts.pushgateway;
    if (!pg) return undefined;
    return new PushgatewaySink({
      url: pg.url,
      ...(pg.job ? { job: pg.job } : {}),
      ...(pg.deleteOnFinish ? { deleteOnFinish: true } : {}),
      namespace: this.#opts.podNamespace,
      defaultJob: () => this.#own.cronJobName ?? this.#own.jobName ?? this.#opts.podName,
      numberFormat: this.#s.schema === 'ksm' ? 'go' : 'js',
      store: this.#store,
      extraText: () => {
        const id = this.#identity(true);
        return (
          this.#exitCodes.prometheusText() + (this.#relay?.prometheusText(id) ?? '') + this.#pushes.prometheusText(id)
        );
      },
      retry: this.#s.retry,
    });
  }

  #startPeriodic(): void {
    const { log } = this.#s;
    const relay = this.#relay;
    if (relay) {
      const tick = async () => {
        const r = await relay.scrape();
        if (!r.ok) log.debug({ err: r.error }, 'scrape failed; keeping last good scrape');
      };
      this.#timers.push(setInterval(tick, this.#s.scrapeIntervalMs));
    }
    const pg = this.#pushgateway;
    if (pg) {
      const push = () =>
        pg
          .push()
          .catch((err: Error) => log.warn({ err: err.message }, 'pushgateway push failed; will retry next interval'));
      this.#timers.push(setInterval(push, this.#s.intervalMs));
    }
  }

  /** Both sinks once; `otlp` is the OTLP push when it could be set up. */
  async #pushNow(): Promise<{ otlp: OtlpPush | undefined; otlpOk: boolean; pushgatewayOk: boolean }> {
    const otlp = await this.#otlp;
    const [o, p] = await Promise.allSettled([otlp?.forceFlush(), this.#pushgateway?.push()]);
    return {
      otlp,
      otlpOk: o.status === 'fulfilled' && o.value?.delivered === true,
      pushgatewayOk: p.status === 'fulfilled',
    };
  }

  /**
   * Push as soon as there is something worth pushing instead of waiting a whole interval: a CronJob run may be
   * shorter than the interval.
   */
  async #firstPush(): Promise<void> {
    const { log } = this.#s;
    const seen = await within(
      this.#own.podSeen.then(() => true),
      Math.min(this.#s.intervalMs, 5_000),
      false,
    );
    if (!seen)
      log.warn({ pod: this.#opts.podName, namespace: this.#opts.podNamespace }, 'own Pod not seen yet; pushing anyway');
    // The Job watch starts once the Pod names its owner; give its initial list a moment.
    const jobSynced = this.#own.jobSynced;
    if (jobSynced) await within(jobSynced, 1_000, undefined);
    if (seen) log.info({ job: this.#own.jobName, memory: memoryMb() }, 'own Pod synced');
    if (this.#finishing) return;
    if (this.#relay) await this.#relay.scrape();
    await this.#otlp;
    await this.#listeners.pushStarted();
    if (this.#finishing) return;
    const r = await this.#pushNow();
    this.#firstPushAtMs = Date.now();
    log.info(
      {
        startToFirstPushMs: this.#firstPushAtMs - this.#startedAtMs,
        memory: memoryMb(),
        ...(this.#relay ? { relayedFamilies: this.#relay.stats().families } : {}),
        ...(r.otlp ? { otlpDelivered: r.otlpOk } : {}),
        ...(this.#pushgateway ? { pushgatewayDelivered: r.pushgatewayOk } : {}),
      },
      'first push done',
    );
  }

  #onPod(before: PodView | undefined, now: PodView): void {
    const { log } = this.#s;
    const grace = now.graceSeconds;
    if (!before && grace !== undefined && grace * 1000 <= this.#s.flushDeadlineMs) {
      log.warn(
        { terminationGracePeriodSeconds: grace, flushDeadlineMs: this.#s.flushDeadlineMs },
        'flush deadline is not below the pod termination grace period: the kubelet may SIGKILL the sidecar mid-flush',
      );
    }
    for (const c of newlyTerminated(before, now))
      log.info({ container: c.name, reason: c.reason, exitCode: c.exitCode }, 'main container terminated');
    const action = podAction(before, now, this.#s.exitOnMainDone);
    if (action.kind === 'finish') void this.finish(action.trigger);
    else if (action.kind === 'flush-early' && !this.#finishing) void this.#flushEarly(action.reason);
  }

  async #flushEarly(why: string): Promise<void> {
    const { log } = this.#s;
    log.warn({ reason: why }, 'pod is being evicted or deleted: flushing now');
    const r = await this.#pushNow();
    const delivered = (!r.otlp || r.otlpOk) && (!this.#pushgateway || r.pushgatewayOk);
    this.#earlyFlush = { trigger: why, delivered };
    log.info({ reason: why, delivered }, 'early flush done');
  }

  /** Starts the final flush once; later calls return the same result. Never rejects. */
  finish(trigger: string): Promise<SidecarResult> {
    if (this.#finishing) return this.#finishing;
    this.#finishing = this.#finalFlush(trigger).catch((err: Error): SidecarResult => {
      this.#s.log.error({ err: err.message }, 'final flush crashed');
      return { exitCode: 1, trigger, flushMs: 0 };
    });
    this.#finishing.then(this.#resolveDone);
    return this.#finishing;
  }

  #finalFlush(trigger: string): Promise<SidecarResult> {
    for (const t of this.#timers) clearInterval(t);
    return finalFlush(
      {
        log: this.#s.log,
        flushDeadlineMs: this.#s.flushDeadlineMs,
        finalStateWaitMs: this.#s.finalStateWaitMs,
        scrapeTimeoutMs: this.#s.scrapeTimeoutMs,
        mainDone: () => this.#own.pod?.mainDone === true,
        relay: this.#relay,
        pushes: this.#pushes,
        store: this.#store,
        listeners: this.#listeners,
        otlp: this.#otlp,
        pushgateway: this.#pushgateway,
        jobGone: () => this.#own.jobGone,
        stop: async () => {
          await Promise.allSettled([this.#own.stop(), this.#listeners.closeProbes()]);
          (this.#kc as { close?: () => void }).close?.();
        },
      },
      trigger,
    );
  }

  stats(): SidecarStats {
    return {
      startedAtMs: this.#startedAtMs,
      firstPushAtMs: this.#firstPushAtMs,
      pod: this.#own.pod,
      jobGone: this.#own.jobGone,
      scrape: this.#relay?.stats() ?? { scrapes: 0, failures: 0, lastScrapeMs: undefined, families: 0 },
      pushAddress: this.#listeners.pushAddress,
      earlyFlush: this.#earlyFlush,
    };
  }
}

export function startSidecar(opts: SidecarOptions): Sidecar {
  const run = new SidecarRun(opts);
  return { ready: run.ready, done: run.done, finish: (trigger) => run.finish(trigger), stats: () => run.stats() };
}
