// The few fields of the sidecar's own Pod that drive its lifecycle (not metrics: those come from
// @kso/model's compact snapshots). Kept separate so termination detection is a pure, tested function.

export interface ContainerEnd {
  readonly name: string;
  readonly reason: string;
  readonly exitCode: number;
}

export interface PodView {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** Owning Job (controller ownerReference), falling back to the job-name labels the Job controller sets. */
  readonly jobName: string | undefined;
  /** True when every regular (non-init, non-sidecar) container has terminated. */
  readonly mainDone: boolean;
  readonly terminated: readonly ContainerEnd[];
  readonly graceSeconds: number | undefined;
  readonly deleting: boolean;
  /** Reason of a DisruptionTarget condition (eviction, preemption, taint manager...), when it is True. */
  readonly disruption: string | undefined;
}

type Raw = Record<string, unknown> | null | undefined;
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// The control plane sets DisruptionTarget=True before it deletes a Pod for eviction, preemption or a
// NoExecute taint (PodDisruptionConditions, GA in 1.31), usually together with the deletionTimestamp.
function disruptionOf(status: Record<string, unknown>): string | undefined {
  const c = arr(status['conditions']).find((x) => x['type'] === 'DisruptionTarget' && x['status'] === 'True');
  return c ? (str(c['reason']) ?? 'DisruptionTarget') : undefined;
}

export function podView(raw: Raw): PodView {
  const meta = obj(raw?.['metadata']);
  const spec = obj(raw?.['spec']);
  const status = obj(raw?.['status']);
  const labels = obj(meta['labels']);
  const owner = arr(meta['ownerReferences']).find((o) => o['kind'] === 'Job' && o['controller'] !== false);
  const jobName = str(owner?.['name']) ?? str(labels['batch.kubernetes.io/job-name']) ?? str(labels['job-name']);
  // Native sidecars live in spec.initContainers and report in initContainerStatuses, so
  // spec.containers is exactly the set of "main" containers we wait for.
  const mains = arr(spec['containers'])
    .map((c) => str(c['name']))
    .filter((n): n is string => n !== undefined);
  const statuses = new Map(arr(status['containerStatuses']).map((s) => [str(s['name']) ?? '', s]));
  const terminated: ContainerEnd[] = [];
  for (const name of mains) {
    const t = obj(obj(statuses.get(name)?.['state'])['terminated']);
    if (Object.keys(t).length === 0) continue;
    const code = typeof t['exitCode'] === 'number' ? t['exitCode'] : -1;
    terminated.push({ name, reason: str(t['reason']) ?? (code === 0 ? 'Completed' : 'Error'), exitCode: code });
  }
  const grace = spec['terminationGracePeriodSeconds'];
  return {
    name: str(meta['name']) ?? '',
    namespace: str(meta['namespace']) ?? '',
    uid: str(meta['uid']) ?? '',
    jobName,
    mainDone: mains.length > 0 && terminated.length === mains.length,
    terminated,
    graceSeconds: typeof grace === 'number' ? grace : undefined,
    deleting: str(meta['deletionTimestamp']) !== undefined,
    disruption: disruptionOf(status),
  };
}
