// Pure parts of autosharding (KSM metrics_handler.go semantics); the network part is identity-watcher.ts.

export interface OwnerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
}

/** Name of the controlling apps/v1 StatefulSet; throws a clear error if there is none. */
export function statefulSetOwnerName(pod: { metadata?: { name?: string; ownerReferences?: OwnerRef[] } }): string {
  const ref = pod.metadata?.ownerReferences?.find(
    (r) => r.apiVersion === 'apps/v1' && r.kind === 'StatefulSet' && r.controller === true && !!r.name,
  );
  if (!ref?.name) {
    throw new Error(
      `autosharding: pod ${pod.metadata?.name ?? '<unnamed>'} has no controlling apps/v1 StatefulSet ownerReference`,
    );
  }
  return ref.name;
}

/** Ordinal = pod name minus `<statefulset>-`, base-10; undefined when it does not parse (caller logs). */
export function ordinalFromPodName(podName: string, statefulSetName: string): number | undefined {
  const prefix = `${statefulSetName}-`;
  if (!podName.startsWith(prefix)) return undefined;
  const rest = podName.slice(prefix.length);
  if (!/^\d+$/.test(rest)) return undefined;
  const n = Number.parseInt(rest, 10);
  return n <= 0x7fffffff ? n : undefined;
}

/** total = spec.replicas, 1 when nil (KSM). */
export function totalFromStatefulSet(ss: { spec?: { replicas?: number | null } }): number {
  const r = ss.spec?.replicas;
  return typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : 1;
}

/** Emits only when (ordinal,total) changes; label/annotation-only updates produce nothing. */
export class ShardIdentityTracker {
  #last: { ordinal: number; total: number } | undefined;
  #podName: string;
  #ssName: string;
  constructor(podName: string, statefulSetName: string) {
    this.#podName = podName;
    this.#ssName = statefulSetName;
  }
  /** Feed a StatefulSet add/update; returns the new pair if it changed, else undefined. */
  observe(ss: {
    metadata?: { name?: string };
    spec?: { replicas?: number | null };
  }): { ordinal: number; total: number } | undefined {
    if (ss.metadata?.name !== this.#ssName) return undefined;
    const ordinal = ordinalFromPodName(this.#podName, this.#ssName);
    if (ordinal === undefined) throw new Error(`autosharding: cannot parse ordinal from pod ${this.#podName}`);
    const total = totalFromStatefulSet(ss);
    if (this.#last && this.#last.ordinal === ordinal && this.#last.total === total) return undefined;
    this.#last = { ordinal, total };
    return { ordinal, total };
  }
}
