// The sidecar's lifecycle: watch own Pod (+ owning Job) → MetricsStore; scrape the main container;
// push periodically; on SIGTERM/SIGINT or when every main container has terminated, run exactly one
// final collection and wait for confirmed delivery within the flush deadline.
//
// Footprint matters (one sidecar per CronJob run, 128Mi limit): modules are imported from their own paths,
// not through package indexes, and the OTLP push and the Pushgateway renderer are loaded only when
// configured. bench/startup.ts measures what each costs.

import { readFileSync } from 'node:fs';
import type { OtlpPush } from '@kso/exporters/otlp-push';
import { deletePushgatewayGroup, pushToPushgateway } from '@kso/exporters/pushgateway';
import type { StoreRenderer } from '@kso/exporters/renderer';
import { MetricsStore } from '@kso/metrics';
import { compactJob, compactPod } from '@kso/model';
import { loadKubeConfig, Reflector } from '@kso/watch';
import pino, { type Logger } from 'pino';
import { ExitCodeProducer } from './exit-code.ts';
import { LocalPushes, type LocalPushServer, startLocalPushServer } from './local-push.ts';
import { type PodView, podView } from './pod-view.ts';
import { type Identity, Relay } from './relay.ts';

export type Schema = 'ksm' | 'semconv';

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

const POD = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' } as const;
const JOB = { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' } as const;

type PodSnap = { readonly model: ReturnType<typeof compactPod>; readonly view: PodView };
type JobSnap = ReturnType<typeof compactJob>;

/** The CronJob that owns a Job, if any: the Pushgateway group every run of it shares. */
function cronJobOf(job: JobSnap): string | undefined {
  return job.owners.find((o) => o.kind === 'CronJob')?.name;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Own memory in MB, logged at sync, first push and final flush: the sidecar runs under a tight limit, and the
 * benchmark reads these lines for its per-step figures. `hwm` is the peak RSS so far (VmHWM, Linux only).
 */
function memoryMb(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 104857.6) / 10;
  let hwm: number | undefined;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) hwm = mb(Number(kb) * 1024);
  } catch {
    // not Linux: RSS only
  }
  return {
    rss: mb(m.rss),
    ...(hwm !== undefined ? { hwm } : {}),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
  };
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

function countStore(store: MetricsStore): { families: number; points: number } {
  let families = 0;
  let points = 0;
  for (const resource of store.resources()) {
    const withPoints = new Set<number>();
    for (const entry of store.entries(resource)) {
      entry.families.forEach((pts, i) => {
        if (pts.length > 0) withPoints.add(i);
        points += pts.length;
      });
    }
    families += withPoints.size;
  }
  return { families, points };
}

export function startSidecar(opts: SidecarOptions): Sidecar {
  const log = opts.logger ?? pino({ level: 'silent' });
  const schema: Schema = opts.schema ?? 'ksm';
  const intervalMs = opts.intervalMs ?? 10_000;
  const flushDeadlineMs = opts.flushDeadlineMs ?? 20_000;
  const scrapeIntervalMs = opts.scrapeIntervalMs ?? 2_000;
  const scrapeTimeoutMs = opts.scrapeTimeoutMs ?? Math.min(1_000, scrapeIntervalMs);
  const startedAtMs = Date.now();
  if (!opts.otlp && !opts.pushgateway)
    log.warn('no sink configured (--otlp-endpoint / --pushgateway-url): nothing will be pushed');

  const kc = loadKubeConfig({
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    inCluster: opts.inCluster,
    serviceAccountDir: opts.serviceAccountDir,
  });
  const store = new MetricsStore({ schema, resources: ['pods', 'jobs'], logger: log.child({ part: 'store' }) });

  let pod: PodView | undefined;
  let jobName = opts.jobName;
  let jobGone = false;
  let cronJobName: string | undefined;
  let earlyFlush: SidecarStats['earlyFlush'];
  let firstPushAtMs: number | undefined;
  let finishing: Promise<SidecarResult> | undefined;
  const timers: NodeJS.Timeout[] = [];
  let resolveDone: (r: SidecarResult) => void = () => {};
  const done = new Promise<SidecarResult>((r) => {
    resolveDone = r;
  });

  // jobName may still be learnt from the Pod's owner: read it at each collection.
  const identity = () => identityFor(schema, opts.podNamespace, opts.podName, jobName, false);
  // Synced and able to flush: what the startupProbe waits for before the main container starts.
  const canFlush = () => pod !== undefined && firstPushAtMs !== undefined;

  const relay = opts.scrapeUrl
    ? new Relay({
        url: opts.scrapeUrl,
        timeoutMs: scrapeTimeoutMs,
        startMs: startedAtMs,
        identity,
      })
    : undefined;

  const exitCodes = new ExitCodeProducer(schema, () => pod, startedAtMs);
  const pushes = new LocalPushes({
    startMs: startedAtMs,
    identity,
  });
  let pushServer: LocalPushServer | undefined;
  const pushServerP =
    opts.pushListen === undefined
      ? undefined
      : startLocalPushServer({
          listen: opts.pushListen,
          pushes,
          ready: canFlush,
          logger: log.child({ part: 'local-push' }),
        }).then(
          (srv) => {
            pushServer = srv;
            log.info({ address: srv.address }, 'local push endpoint listening');
            return srv;
          },
          (err: Error) => {
            log.error({ err: err.message, listen: opts.pushListen }, 'local push endpoint failed to start');
            return undefined;
          },
        );

  const probeServerP =
    opts.probeListen === undefined
      ? undefined
      : startLocalPushServer({
          listen: opts.probeListen,
          pushes,
          ready: canFlush,
          logger: log.child({ part: 'probes' }),
          probesOnly: true,
        }).catch((err: Error) => {
          log.error({ err: err.message, listen: opts.probeListen }, 'probe endpoint failed to start');
          return undefined;
        });

  // Loaded only when configured: the OTLP stack is the biggest import after the watch layer.
  const otlpOpts = opts.otlp;
  const otlpP: Promise<OtlpPush | undefined> | undefined = otlpOpts
    ? Promise.all([import('@kso/exporters/otlp-push'), import('@opentelemetry/resources')]).then(
        ([{ createOtlpPush }, { resourceFromAttributes }]) =>
          createOtlpPush({
            protocol: otlpOpts.protocol ?? 'grpc',
            endpoint: otlpOpts.endpoint,
            headers: otlpOpts.headers ?? {},
            ...(otlpOpts.tls ? { tls: { ...otlpOpts.tls } } : {}),
            ...(opts.resourceAttributes ? { resource: resourceFromAttributes({ ...opts.resourceAttributes }) } : {}),
            ...(opts.entityAttributes ? { entityAttributes: { ...opts.entityAttributes } } : {}),
            compression: otlpOpts.compression ?? 'gzip',
            intervalMs,
            // One hung attempt must not eat the whole final-flush budget.
            timeoutMs: Math.min(otlpOpts.timeoutMs ?? 10_000, Math.max(500, flushDeadlineMs / 3)),
            retry: {
              initialMs: opts.retry?.initialMs ?? 250,
              maxMs: opts.retry?.maxMs ?? 2_000,
              maxElapsedMs: flushDeadlineMs,
            },
            source: store,
            extraProducers: relay ? [exitCodes, pushes, relay] : [exitCodes, pushes],
            // The sidecar has no self-metrics: no SDK MeterProvider, the producers are collected directly.
            ownMeterProvider: false,
            logger: log.child({ sink: 'otlp' }),
          }),
        (err: Error) => {
          log.error({ err: err.message }, 'OTLP push could not be set up');
          return undefined;
        },
      )
    : undefined;

  // Pushgateway -----------------------------------------------------------------------------------
  // Grouping key: the CronJob (or Job, or bare Pod) plus the namespace, not the Pod. A key per Pod would
  // leave one group per run forever (the Pushgateway never expires groups); one per CronJob is replaced by
  // each run. Pod identity stays in the series' labels. Fixed at the first push so a run never writes two groups.
  let pgKey: { job: string; groupingKey: Record<string, string> } | undefined;
  const pgGroup = () => {
    pgKey ??= {
      job: opts.pushgateway?.job ?? cronJobName ?? jobName ?? opts.podName,
      groupingKey: { namespace: opts.podNamespace },
    };
    return pgKey;
  };
  // The same renderer as the pull endpoint, so Pushgateway users see exactly the `kso run` exposition.
  const rendererP: Promise<StoreRenderer> | undefined = opts.pushgateway
    ? import('@kso/exporters/renderer').then(
        ({ StoreRenderer }) => new StoreRenderer({ numberFormat: schema === 'ksm' ? 'go' : 'js' }),
      )
    : undefined;
  const pgBody = async (): Promise<string> => {
    const renderer = await rendererP!;
    const promIdentity = identityFor(schema, opts.podNamespace, opts.podName, jobName, true);
    return (
      renderer.renderStore(store, 'text').toString('utf8') +
      exitCodes.prometheusText() +
      (relay?.prometheusText(promIdentity) ?? '') +
      pushes.prometheusText(promIdentity)
    );
  };
  const pgPush = async (): Promise<void> => {
    const pg = opts.pushgateway!;
    await pushToPushgateway({ url: pg.url, ...pgGroup(), body: await pgBody(), method: 'PUT' });
  };

  // Watches ---------------------------------------------------------------------------------------
  const onJob = (j: JobSnap): void => {
    store.upsert('jobs', j);
    cronJobName ??= cronJobOf(j);
  };
  const podReflector = new Reflector<PodSnap>(kc, {
    resource: POD,
    namespace: opts.podNamespace,
    fieldSelector: `metadata.name=${opts.podName}`,
    compact: (raw: unknown) => ({
      model: compactPod(raw as never),
      view: podView(raw as Record<string, unknown>),
    }),
    logger: log.child({ watch: 'pod' }),
  });
  let jobReflector: Reflector<JobSnap> | undefined;
  let podSeen: () => void = () => {};
  const podSeenP = new Promise<void>((r) => {
    podSeen = r;
  });

  const startJobWatch = (name: string): void => {
    if (jobReflector) return;
    jobReflector = new Reflector<JobSnap>(kc, {
      resource: JOB,
      namespace: opts.podNamespace,
      fieldSelector: `metadata.name=${name}`,
      compact: (raw: unknown) => compactJob(raw as never),
      logger: log.child({ watch: 'job' }),
    });
    jobReflector.on('add', onJob);
    jobReflector.on('update', onJob);
    // The Job's last state stays in the store: delivering it is the sidecar's purpose.
    jobReflector.on('delete', () => {
      jobGone = true;
      log.info({ job: name }, 'owning Job deleted');
    });
    Promise.resolve(jobReflector.start()).catch((err: Error) => log.error({ err: err.message }, 'Job watch failed'));
  };

  const onPod = (snap: PodSnap): void => {
    if (opts.podUid && snap.view.uid !== opts.podUid) {
      log.warn({ uid: snap.view.uid, expected: opts.podUid }, 'a Pod with our name but another UID: ignored');
      return;
    }
    const before = pod;
    pod = snap.view;
    store.upsert('pods', snap.model);
    if (!jobName && snap.view.jobName) jobName = snap.view.jobName;
    if (jobName) startJobWatch(jobName);
    podSeen();
    if (!before) {
      const grace = snap.view.graceSeconds;
      if (grace !== undefined && grace * 1000 <= flushDeadlineMs) {
        log.warn(
          { terminationGracePeriodSeconds: grace, flushDeadlineMs },
          'flush deadline is not below the pod termination grace period: the kubelet may SIGKILL the sidecar mid-flush',
        );
      }
    }
    for (const c of snap.view.terminated) {
      if (!before?.terminated.some((b) => b.name === c.name)) {
        log.info({ container: c.name, reason: c.reason, exitCode: c.exitCode }, 'main container terminated');
      }
    }
    if (snap.view.mainDone && !before?.mainDone && (opts.exitOnMainDone ?? true)) {
      void finish('main-container-terminated');
      return;
    }
    // Eviction, preemption, deletion: the kubelet will SIGTERM the main container and us within ONE grace
    // period, and we are stopped last. Push what we have now rather than hope that time is left then.
    const disrupted = snap.view.disruption ?? (snap.view.deleting ? 'deletionTimestamp' : undefined);
    const wasDisrupted = before
      ? (before.disruption ?? (before.deleting ? 'deletionTimestamp' : undefined))
      : undefined;
    if (disrupted && !wasDisrupted && !finishing) void flushEarly(disrupted);
  };
  podReflector.on('add', onPod);
  podReflector.on('update', onPod);
  // Keep our own Pod's last state for the final flush even if the Pod object is deleted.
  podReflector.on('delete', () => log.info('own Pod deleted'));
  if (opts.jobName) startJobWatch(opts.jobName);
  Promise.resolve(podReflector.start()).catch((err: Error) => log.error({ err: err.message }, 'Pod watch failed'));

  // Periodic work ---------------------------------------------------------------------------------
  if (relay) {
    const tick = async () => {
      const r = await relay.scrape();
      if (!r.ok) log.debug({ err: r.error }, 'scrape failed; keeping last good scrape');
    };
    timers.push(setInterval(tick, scrapeIntervalMs));
  }
  if (opts.pushgateway) {
    timers.push(
      setInterval(() => {
        pgPush().catch((err: Error) =>
          log.warn({ err: err.message }, 'pushgateway push failed; will retry next interval'),
        );
      }, intervalMs),
    );
  }

  const ready = (async () => {
    // Push as soon as there is something worth pushing instead of waiting a whole interval:
    // a CronJob run may be shorter than the interval.
    const seen = await within(
      podSeenP.then(() => true),
      Math.min(intervalMs, 5_000),
      false,
    );
    if (!seen) log.warn({ pod: opts.podName, namespace: opts.podNamespace }, 'own Pod not seen yet; pushing anyway');
    // The Job watch starts once the Pod names its owner; give its initial list a moment.
    if (jobReflector) await within(jobReflector.synced, 1_000, undefined);
    if (seen) log.info({ job: jobName, memory: memoryMb() }, 'own Pod synced');
    if (finishing) return;
    if (relay) await relay.scrape();
    const otlp = await otlpP;
    await pushServerP;
    if (finishing) return;
    const [o, p] = await Promise.allSettled([otlp?.forceFlush(), opts.pushgateway ? pgPush() : undefined]);
    firstPushAtMs = Date.now();
    log.info(
      {
        startToFirstPushMs: firstPushAtMs - startedAtMs,
        memory: memoryMb(),
        ...(otlp ? { otlpDelivered: o.status === 'fulfilled' && o.value?.delivered === true } : {}),
        ...(opts.pushgateway ? { pushgatewayDelivered: p.status === 'fulfilled' } : {}),
      },
      'first push done',
    );
  })();

  const flushEarly = async (why: string): Promise<void> => {
    log.warn({ reason: why }, 'pod is being evicted or deleted: flushing now');
    const otlp = await otlpP;
    const [o, p] = await Promise.allSettled([otlp?.forceFlush(), opts.pushgateway ? pgPush() : undefined]);
    const delivered =
      (!otlp || (o.status === 'fulfilled' && o.value?.delivered === true)) &&
      (!opts.pushgateway || p.status === 'fulfilled');
    earlyFlush = { trigger: why, delivered };
    log.info({ reason: why, delivered }, 'early flush done');
  };

  // Final flush -----------------------------------------------------------------------------------
  const pgFinal = async (deadlineAt: number): Promise<SinkOutcome> => {
    const pg = opts.pushgateway!;
    let attempts = 0;
    let lastError: string | undefined;
    let delay = opts.retry?.initialMs ?? 250;
    const deleting = pg.deleteOnFinish === true && jobGone;
    for (;;) {
      attempts++;
      try {
        if (deleting) await deletePushgatewayGroup({ url: pg.url, ...pgGroup() });
        else await pgPush();
        return { delivered: true, attempts };
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() + delay >= deadlineAt) return { delivered: false, attempts, lastError };
      await sleep(delay);
      delay = Math.min(delay * 2, opts.retry?.maxMs ?? 2_000);
    }
  };

  const lostCounts = (): { families: number; points: number } => {
    const counts = countStore(store);
    const relayed = relay?.metricData() ?? [];
    const pushed = pushes.metricData();
    const points = (ms: typeof pushed) => ms.reduce((n, m) => n + m.dataPoints.length, 0);
    return {
      families: counts.families + relayed.length + pushed.length,
      points: counts.points + points(relayed) + points(pushed),
    };
  };

  function finish(trigger: string): Promise<SidecarResult> {
    finishing ??= (async (): Promise<SidecarResult> => {
      const t0 = Date.now();
      const deadlineAt = t0 + flushDeadlineMs;
      log.info({ trigger, flushDeadlineMs }, 'final flush started');
      for (const t of timers) clearInterval(t);
      // A signal can arrive before the kubelet's status update reaches us: give the watch a moment
      // so the final batch carries the main container's termination reason and exit code.
      const waitUntil = t0 + Math.min(opts.finalStateWaitMs ?? 2_000, flushDeadlineMs / 4);
      while (!pod?.mainDone && Date.now() < waitUntil) await sleep(50);
      if (relay) {
        const r = await relay.scrape(Math.min(scrapeTimeoutMs, flushDeadlineMs / 4));
        if (!r.ok) log.info({ err: r.error }, 'final scrape failed; relaying the last good scrape');
      }
      const remaining = () => Math.max(0, deadlineAt - Date.now());
      // No new local pushes after this point: what was accepted goes into the final batch.
      await pushServerP;
      await pushServer?.close();
      const otlp = await otlpP;
      const [o, p] = await Promise.all([
        otlp ? otlp.shutdown({ timeoutMs: remaining() }) : undefined,
        opts.pushgateway ? pgFinal(deadlineAt) : undefined,
      ]);
      await Promise.allSettled([podReflector.stop(), jobReflector?.stop(), probeServerP?.then((s) => s?.close())]);
      (kc as { close?: () => void }).close?.();
      const otlpOut: SinkOutcome | undefined = !o
        ? opts.otlp
          ? { delivered: false, attempts: 0, lastError: 'OTLP push could not be set up' }
          : undefined
        : {
            delivered: o.delivered,
            attempts: o.attempts,
            points: o.points,
            ...(o.lastError ? { lastError: o.lastError } : {}),
          };
      const failed = (otlpOut && !otlpOut.delivered) || (p && !p.delivered);
      const flushMs = Date.now() - t0;
      // Counted only when something was lost: building the MetricData again costs memory at the peak.
      const lost = failed ? lostCounts() : undefined;
      if (failed) {
        log.error(
          { trigger, flushMs, otlp: otlpOut, pushgateway: p, lostFamilies: lost!.families, lostPoints: lost!.points },
          'final flush NOT delivered: metrics of this run are lost',
        );
      } else {
        log.info({ trigger, flushMs, otlp: otlpOut, pushgateway: p, memory: memoryMb() }, 'final flush delivered');
      }
      return {
        exitCode: failed ? 1 : 0,
        trigger,
        flushMs,
        ...(otlpOut ? { otlp: otlpOut } : {}),
        ...(p ? { pushgateway: p } : {}),
        ...(lost ? { lost } : {}),
      };
    })().catch((err: Error): SidecarResult => {
      log.error({ err: err.message }, 'final flush crashed');
      return { exitCode: 1, trigger, flushMs: 0 };
    });
    finishing.then(resolveDone);
    return finishing;
  }

  return {
    ready,
    done,
    finish,
    stats: () => ({
      startedAtMs,
      firstPushAtMs,
      pod,
      jobGone,
      scrape: relay?.stats() ?? { scrapes: 0, failures: 0, lastScrapeMs: undefined, families: 0 },
      pushAddress: pushServer?.address,
      earlyFlush,
    }),
  };
}
