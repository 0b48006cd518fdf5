// Server-side printing (meta.k8s.io/v1 Table) for kubectl, which asks for `as=Table` and otherwise falls
// back to printing only NAME and AGE.
import type { KObj, ResourceDef } from './resources.ts';

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
}

function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function podStatus(p: KObj): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const c of p.status?.initContainerStatuses ?? []) {
    if (c.state?.terminated && c.state.terminated.exitCode !== 0) return `Init:${c.state.terminated.reason ?? 'Error'}`;
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      return `Init:${c.state.waiting.reason}`;
  }
  for (const c of p.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}

// long: kubectl's printer columns, one branch per kind, kept in its column order
function cells(res: ResourceDef, o: KObj, now: number): { columns: Column[]; cells: unknown[] } {
  const name: Column = { name: 'Name', type: 'string', format: 'name' };
  const ageCol: Column = { name: 'Age', type: 'string' };
  const created = o.metadata?.creationTimestamp;
  switch (res.kind) {
    case 'Pod': {
      const cs: KObj[] = o.status?.containerStatuses ?? [];
      const total = (o.spec?.containers ?? []).length;
      const ready = cs.filter((c) => c.ready).length;
      const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      return {
        columns: [
          name,
          { name: 'Ready', type: 'string' },
          { name: 'Status', type: 'string' },
          { name: 'Restarts', type: 'string' },
          ageCol,
          { name: 'IP', type: 'string', priority: 1 },
          { name: 'Node', type: 'string', priority: 1 },
        ],
        cells: [
          o.metadata.name,
          `${ready}/${total}`,
          podStatus(o),
          String(restarts),
          age(created, now),
          o.status?.podIP ?? '<none>',
          o.spec?.nodeName ?? '<none>',
        ],
      };
    }
    case 'Job': {
      const conds: KObj[] = o.status?.conditions ?? [];
      const has = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
      const status = has('Complete')
        ? 'Complete'
        : has('Failed')
          ? 'Failed'
          : has('Suspended')
            ? 'Suspended'
            : has('FailureTarget')
              ? 'FailureTarget'
              : has('SuccessCriteriaMet')
                ? 'SuccessCriteriaMet'
                : 'Running';
      const start = o.status?.startTime ? Date.parse(o.status.startTime) : undefined;
      const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now;
      return {
        columns: [
          name,
          { name: 'Status', type: 'string' },
          { name: 'Completions', type: 'string' },
          { name: 'Duration', type: 'string' },
          ageCol,
        ],
        cells: [
          o.metadata.name,
          status,
          `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`,
          start ? age(new Date(start).toISOString(), end) : '',
          age(created, now),
        ],
      };
    }
    case 'CronJob':
      return {
        columns: [
          name,
          { name: 'Schedule', type: 'string' },
          { name: 'Suspend', type: 'boolean' },
          { name: 'Active', type: 'integer' },
          { name: 'Last Schedule', type: 'string' },
          ageCol,
        ],
        cells: [
          o.metadata.name,
          o.spec?.schedule ?? '',
          Boolean(o.spec?.suspend),
          (o.status?.active ?? []).length,
          o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>',
          age(created, now),
        ],
      };
    case 'StatefulSet':
      return {
        columns: [name, { name: 'Ready', type: 'string' }, ageCol],
        cells: [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, age(created, now)],
      };
    case 'Node': {
      const ready = (o.status?.conditions ?? []).find((c: KObj) => c.type === 'Ready');
      return {
        columns: [
          name,
          { name: 'Status', type: 'string' },
          { name: 'Roles', type: 'string' },
          ageCol,
          { name: 'Version', type: 'string' },
        ],
        cells: [
          o.metadata.name,
          ready?.status === 'True' ? 'Ready' : 'NotReady',
          '<none>',
          age(created, now),
          o.status?.nodeInfo?.kubeletVersion ?? '',
        ],
      };
    }
    case 'Namespace':
      return {
        columns: [name, { name: 'Status', type: 'string' }, ageCol],
        cells: [o.metadata.name, o.status?.phase ?? 'Active', age(created, now)],
      };
    default:
      return { columns: [name, ageCol], cells: [o.metadata.name, age(created, now)] };
  }
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

function rowObject(o: KObj, include: string | null): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  res: ResourceDef,
  objs: KObj[],
  listMeta: Record<string, unknown>,
  include: string | null,
  withHeaders = true,
): Record<string, unknown> {
  const now = Date.now();
  let columns: Column[] = cells(res, { metadata: {} }, now).columns;
  const rows = objs.map((o) => {
    const c = cells(res, o, now);
    columns = c.columns;
    const obj = rowObject(o, include);
    return { cells: c.cells, ...(obj ? { object: obj } : {}) };
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders
      ? columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? '',
          description: '',
          priority: c.priority ?? 0,
        }))
      : [],
    rows,
  };
}
