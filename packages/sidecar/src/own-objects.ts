// The sidecar's own Pod and its owning Job, each watched by name (a field selector: the sidecar's RBAC is
// get/list/watch on pods and jobs of its namespace). Their snapshots go into the store, as the metrics of this
// run; the Pod's lifecycle view is handed to the sidecar on every change, which decides what to do with it
// (lifecycle.ts). The last state of both stays in the store after a delete: delivering it is the point.

import type { MetricsStore } from '@kso/metrics';
import { compactJob, compactPod } from '@kso/model';
import { type loadKubeConfig, Reflector } from '@kso/watch';
import type { Logger } from 'pino';
import { type PodView, podView } from './pod-view.ts';

const POD = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' } as const;
const JOB = { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' } as const;

type PodSnap = { readonly model: ReturnType<typeof compactPod>; readonly view: PodView };
type JobSnap = ReturnType<typeof compactJob>;

export interface OwnObjectsOptions {
  readonly kc: ReturnType<typeof loadKubeConfig>;
  readonly podName: string;
  readonly podNamespace: string;
  /** Own Pod UID (downward API): a same-named Pod with another UID is not ours and is ignored. */
  readonly podUid?: string;
  /** Overrides the owning Job found from the Pod's ownerReferences. */
  readonly jobName?: string;
  readonly store: MetricsStore;
  readonly logger: Logger;
  /** Every accepted Pod change: the previous view (undefined on the first) and the new one. */
  readonly onPod: (before: PodView | undefined, now: PodView) => void;
}

export class OwnObjects {
  readonly #opts: OwnObjectsOptions;
  readonly #podReflector: Reflector<PodSnap>;
  #jobReflector: Reflector<JobSnap> | undefined;
  #pod: PodView | undefined;
  #jobName: string | undefined;
  #cronJobName: string | undefined;
  #jobGone = false;
  #podSeen: () => void = () => {};
  /** Resolves when our Pod was first seen. */
  readonly podSeen = new Promise<void>((r) => {
    this.#podSeen = r;
  });

  constructor(opts: OwnObjectsOptions) {
    this.#opts = opts;
    this.#jobName = opts.jobName;
    this.#podReflector = new Reflector<PodSnap>(opts.kc, {
      resource: POD,
      namespace: opts.podNamespace,
      fieldSelector: `metadata.name=${opts.podName}`,
      compact: (raw: unknown) => ({ model: compactPod(raw as never), view: podView(raw as Record<string, unknown>) }),
      logger: opts.logger.child({ watch: 'pod' }),
    });
    this.#podReflector.on('add', (s) => this.#onPod(s));
    this.#podReflector.on('update', (s) => this.#onPod(s));
    this.#podReflector.on('delete', () => opts.logger.info('own Pod deleted'));
  }

  get pod(): PodView | undefined {
    return this.#pod;
  }
  /** The owning Job: given, or learnt from the Pod's owner (so read it at each collection). */
  get jobName(): string | undefined {
    return this.#jobName;
  }
  /** The CronJob that owns the Job, once the Job was seen. */
  get cronJobName(): string | undefined {
    return this.#cronJobName;
  }
  get jobGone(): boolean {
    return this.#jobGone;
  }

  start(): void {
    const log = this.#opts.logger;
    if (this.#opts.jobName) this.#startJobWatch(this.#opts.jobName);
    Promise.resolve(this.#podReflector.start()).catch((err: Error) =>
      log.error({ err: err.message }, 'Pod watch failed'),
    );
  }

  /** The Job watch's initial list, once the Job is known (never rejects). */
  get jobSynced(): Promise<void> | undefined {
    return this.#jobReflector?.synced.catch(() => {});
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.#podReflector.stop(), this.#jobReflector?.stop()]);
  }

  #onPod(snap: PodSnap): void {
    const o = this.#opts;
    if (o.podUid && snap.view.uid !== o.podUid) {
      o.logger.warn({ uid: snap.view.uid, expected: o.podUid }, 'a Pod with our name but another UID: ignored');
      return;
    }
    const before = this.#pod;
    this.#pod = snap.view;
    o.store.upsert('pods', snap.model);
    if (!this.#jobName && snap.view.jobName) this.#jobName = snap.view.jobName;
    if (this.#jobName) this.#startJobWatch(this.#jobName);
    this.#podSeen();
    o.onPod(before, snap.view);
  }

  #startJobWatch(name: string): void {
    if (this.#jobReflector) return;
    const log = this.#opts.logger;
    const onJob = (j: JobSnap): void => {
      this.#opts.store.upsert('jobs', j);
      this.#cronJobName ??= j.owners.find((ow) => ow.kind === 'CronJob')?.name;
    };
    const r = new Reflector<JobSnap>(this.#opts.kc, {
      resource: JOB,
      namespace: this.#opts.podNamespace,
      fieldSelector: `metadata.name=${name}`,
      compact: (raw: unknown) => compactJob(raw as never),
      logger: log.child({ watch: 'job' }),
    });
    this.#jobReflector = r;
    r.on('add', onJob);
    r.on('update', onJob);
    r.on('delete', () => {
      this.#jobGone = true;
      log.info({ job: name }, 'owning Job deleted');
    });
    Promise.resolve(r.start()).catch((err: Error) => log.error({ err: err.message }, 'Job watch failed'));
  }
}
