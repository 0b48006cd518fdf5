// The network side of autosharding (KSM metrics_handler.go, with its #2347 fix as the only behaviour):
// GET the own Pod → controlling StatefulSet → follow that one StatefulSet with a Reflector whose field
// selector is `metadata.name=<sts>` in the Pod's namespace. Never a label selector: labels change (Helm
// upgrades, operators) and a selector built from them goes blind (field problem 5).
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, Backoff, Reflector, type ReflectorOptions, type ReflectorStats } from '@kso/watch';
import { type Logger, pino } from 'pino';
import { getObject, type KubeConfig } from './get.ts';
import { ordinalFromPodName, ShardIdentityTracker, statefulSetOwnerName } from './identity.ts';
import type { ShardAssignment } from './resharder.ts';

export interface ShardIdentityWatcherOptions {
  kubeConfig: KubeConfig;
  podName: string;
  podNamespace: string;
  logger?: Logger;
  /** Bound on start(): pod GET retries plus the StatefulSet's initial list. Default 60 s. */
  startTimeoutMs?: number;
  /** Passed to the StatefulSet Reflector (tests shorten watch timeouts and backoff). */
  reflector?: Pick<ReflectorOptions<unknown>, 'backoff' | 'watchTimeoutSeconds' | 'requestTimeoutMs'>;
}

export interface ShardIdentityStats {
  statefulSet: string | undefined;
  assignment: ShardAssignment | undefined;
  /** Assignment changes seen (the first one included). */
  changes: number;
  /** Resume point of the StatefulSet watch: proves which StatefulSet writes were seen. */
  resourceVersion: string;
  watching: boolean;
  lastError: string | undefined;
}

interface StsIdentity {
  metadata: { name: string };
  spec: { replicas: number | null };
}

/** Only name and replicas: a label/annotation edit compacts to the same value and is suppressed at the source. */
function compactIdentity(raw: unknown): StsIdentity {
  const o = raw as { metadata?: { name?: unknown }; spec?: { replicas?: unknown } };
  const name = o?.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new Error('StatefulSet without metadata.name');
  const r = o.spec?.replicas;
  return { metadata: { name }, spec: { replicas: typeof r === 'number' ? r : null } };
}

const STATEFULSETS = { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet' };

/** Emits `assignment` with {shard: ordinal, total: spec.replicas} whenever that pair changes, the first one included. */
export class ShardIdentityWatcher extends EventEmitter<{ assignment: [ShardAssignment] }> {
  readonly #o: ShardIdentityWatcherOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #reflector: Reflector<StsIdentity> | undefined;
  #statefulSet: string | undefined;
  #assignment: ShardAssignment | undefined;
  #changes = 0;

  constructor(o: ShardIdentityWatcherOptions) {
    super();
    if (!o.podName || !o.podNamespace) throw new Error('autosharding: pod name and namespace are both required');
    this.#o = o;
    this.#log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'shard-identity' });
  }

  current(): ShardAssignment | undefined {
    return this.#assignment ? { ...this.#assignment } : undefined;
  }

  /** The StatefulSet watch's own stats (freshness of the shard identity), undefined before start(). */
  reflectorStats(): ReflectorStats | undefined {
    return this.#reflector?.stats();
  }

  stats(): ShardIdentityStats {
    const r = this.#reflector?.stats();
    return {
      statefulSet: this.#statefulSet,
      assignment: this.current(),
      changes: this.#changes,
      resourceVersion: r?.resourceVersion ?? '',
      watching: r?.watching ?? false,
      lastError: r?.lastError,
    };
  }

  /** Resolves with the first assignment; rejects with an actionable message (no owner, not found, forbidden). */
  async start(): Promise<ShardAssignment> {
    const { podName, podNamespace } = this.#o;
    const deadline = Date.now() + (this.#o.startTimeoutMs ?? 60_000);
    const pod = (await this.#getPod(deadline)) as Parameters<typeof statefulSetOwnerName>[0];
    const sts = statefulSetOwnerName(pod);
    if (ordinalFromPodName(podName, sts) === undefined)
      throw new Error(`autosharding: pod name ${podName} is not <statefulset>-<ordinal> for StatefulSet ${sts}`);
    this.#statefulSet = sts;
    const tracker = new ShardIdentityTracker(podName, sts);
    const reflector = new Reflector<StsIdentity>(this.#o.kubeConfig, {
      ...this.#o.reflector,
      resource: STATEFULSETS,
      namespace: podNamespace,
      fieldSelector: `metadata.name=${sts}`,
      compact: compactIdentity,
      ...(this.#o.logger ? { logger: this.#o.logger } : {}),
    });
    this.#reflector = reflector;
    const observe = (ss: StsIdentity) => {
      const next = tracker.observe(ss);
      if (!next) return;
      this.#assignment = { shard: next.ordinal, total: next.total };
      this.#changes++;
      this.#log.info({ statefulSet: sts, shard: next.ordinal, total: next.total }, 'shard assignment');
      this.emit('assignment', { ...this.#assignment });
    };
    reflector.on('add', observe);
    reflector.on('update', observe);
    // KSM ignores deletion too: keep the last assignment (a recreated StatefulSet is an add).
    reflector.on('delete', () => this.#log.warn({ statefulSet: sts }, 'own StatefulSet deleted; keeping assignment'));
    reflector.start();
    const left = Math.max(0, deadline - Date.now());
    const raceEnd = new AbortController();
    const signal = AbortSignal.any([this.#stop.signal, raceEnd.signal]);
    const outcome = await Promise.race([
      reflector.synced.then(
        () => 'synced' as const,
        () => 'stopped' as const,
      ),
      sleep(left, 'timeout' as const, { signal }).catch(() => 'stopped' as const),
    ]);
    raceEnd.abort();
    if (outcome !== 'synced') {
      const why = reflector.stats().lastError;
      await reflector.stop();
      throw new Error(
        outcome === 'stopped'
          ? 'autosharding: stopped during start'
          : `autosharding: cannot list StatefulSet ${podNamespace}/${sts} within ${Math.round(left / 1000)}s` +
              (why ? `: ${why}` : '') +
              ' (RBAC needs get/list/watch on that StatefulSet)',
      );
    }
    if (!this.#assignment) {
      await reflector.stop();
      throw new Error(`autosharding: StatefulSet ${podNamespace}/${sts} (owner of pod ${podName}) not found`);
    }
    return { ...this.#assignment };
  }

  async #getPod(deadline: number): Promise<unknown> {
    const { podName, podNamespace, kubeConfig } = this.#o;
    const path = `/api/v1/namespaces/${encodeURIComponent(podNamespace)}/pods/${encodeURIComponent(podName)}`;
    const backoff = new Backoff({ initialMs: 200, maxMs: 5_000 });
    for (;;) {
      try {
        return await getObject(kubeConfig, path, 10_000);
      } catch (err) {
        const code = err instanceof ApiError ? err.statusCode : 0;
        const what = `autosharding: cannot get own pod ${podNamespace}/${podName}`;
        if (code === 404) throw new Error(`${what}: not found (check --pod/--pod-namespace, downward API)`);
        if (code === 401 || code === 403)
          throw new Error(`${what}: ${(err as Error).message} (RBAC needs get on pods in ${podNamespace})`);
        const delay = backoff.next();
        if (this.#stop.signal.aborted || Date.now() + delay > deadline)
          throw new Error(`${what}: ${(err as Error).message}`);
        this.#log.warn({ err: (err as Error).message, retryInMs: delay }, 'own pod GET failed; retrying');
        await sleep(delay);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#reflector?.stop();
  }
}
