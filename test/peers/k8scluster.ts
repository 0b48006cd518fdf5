// Differential against the Collector's own Kubernetes receiver: k8sclusterreceiver and `kso run --schema semconv`
// watch the same cluster and go through the same Collector (file exporter, OTLP JSON), then every metric both
// emit for Pods, containers, Jobs and CronJobs is compared: name, unit, instrument type, value type, resource
// attributes and values, per entity.
//
// The receiver build the peers can reach (k8sclusterreceiver v0.149.0: v0.159.0 is not on the module proxy)
// predates its `semconv.k8s.enableStable` / `semconv.k8s.disableLegacy` feature gates and emits the legacy
// names; the mapping below is the conventions' own migration table (semantic-conventions
// docs/non-normative/k8s-migration.md), so the comparison is by meaning, and the name/shape differences are
// listed in DELIBERATE (and the README) instead of being ignored.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type RealCollector, startCollector } from '@kso/peers';
import { startKsoRun } from './kso.ts';

type KV = { key: string; value: Record<string, unknown> };
interface JsonPoint {
  attributes?: KV[];
  asInt?: string;
  asDouble?: number;
}
interface JsonMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: JsonPoint[]; isMonotonic?: boolean };
  gauge?: { dataPoints: JsonPoint[] };
}
interface JsonRm {
  resource?: { attributes?: KV[] };
  scopeMetrics?: { metrics?: JsonMetric[] }[];
}

export interface SeenMetric {
  unit: string;
  kind: 'gauge' | 'sum';
  valueType: 'int' | 'double';
  /** Point attributes (sorted JSON) → value. */
  points: Map<string, number>;
}
export interface SeenEntity {
  key: string;
  attributes: Record<string, string>;
  metrics: Map<string, SeenMetric>;
}

const attrs = (list: KV[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, String(Object.values(a.value)[0])]));

function entityKey(a: Record<string, string>): string | undefined {
  const ns = a['k8s.namespace.name'];
  if (a['k8s.container.name'] && a['k8s.pod.name'])
    return `container ${ns}/${a['k8s.pod.name']}/${a['k8s.container.name']}`;
  if (a['k8s.pod.name']) return `pod ${ns}/${a['k8s.pod.name']}`;
  if (a['k8s.job.name']) return `job ${ns}/${a['k8s.job.name']}`;
  if (a['k8s.cronjob.name']) return `cronjob ${ns}/${a['k8s.cronjob.name']}`;
  return undefined;
}

/** The latest state per entity from a file-exporter file (later lines win). */
export async function readEntities(file: string, namespace: string): Promise<Map<string, SeenEntity>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out = new Map<string, SeenEntity>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rms: JsonRm[];
    try {
      rms = (JSON.parse(line) as { resourceMetrics: JsonRm[] }).resourceMetrics;
    } catch {
      continue; // a line being written
    }
    for (const rm of rms) {
      const a = attrs(rm.resource?.attributes);
      if (a['k8s.namespace.name'] !== namespace) continue;
      const key = entityKey(a);
      if (!key) continue;
      const metrics = new Map<string, SeenMetric>();
      for (const m of rm.scopeMetrics?.flatMap((s) => s.metrics ?? []) ?? []) {
        const dps = (m.sum ?? m.gauge)?.dataPoints ?? [];
        const points = new Map<string, number>();
        for (const p of dps) {
          const pa = Object.entries(attrs(p.attributes)).sort();
          points.set(JSON.stringify(pa), p.asInt !== undefined ? Number(p.asInt) : Number(p.asDouble ?? 0));
        }
        metrics.set(m.name, {
          unit: m.unit ?? '',
          kind: m.sum ? 'sum' : 'gauge',
          valueType: dps[0]?.asInt !== undefined ? 'int' : 'double',
          points,
        });
      }
      const prev = out.get(key);
      // A Resource split over several requests: merge; a newer snapshot of a metric replaces the older one.
      if (prev) for (const [n, m] of metrics) prev.metrics.set(n, m);
      else out.set(key, { key, attributes: a, metrics });
    }
  }
  return out;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const POD_REASONS = ['Evicted', 'NodeAffinity', 'NodeLost', 'Shutdown', 'UnexpectedAdmissionError'];

/** The receiver's enum gauge (value = index + 1) as the conventions' one-hot points keyed by `attr`. */
function enumToOneHot(m: SeenMetric, attr: string, values: string[]): Map<string, number> {
  const v = [...m.points.values()][0] ?? 0;
  return new Map(values.map((x, i) => [JSON.stringify([[attr, x]]), v === i + 1 ? 1 : 0]));
}

export interface Mapping {
  receiver: string;
  kso: string;
  /** Receiver points as kso would write them (default: unchanged). */
  translate?: (m: SeenMetric) => Map<string, number>;
}

/** Legacy receiver name → semantic-conventions name (the conventions' k8s migration table). */
export const MAPPINGS: readonly Mapping[] = [
  {
    receiver: 'k8s.pod.phase',
    kso: 'k8s.pod.status.phase',
    translate: (m) => enumToOneHot(m, 'k8s.pod.status.phase', PHASES),
  },
  {
    receiver: 'k8s.pod.status_reason',
    kso: 'k8s.pod.status.reason',
    translate: (m) => enumToOneHot(m, 'k8s.pod.status.reason', POD_REASONS),
  },
  { receiver: 'k8s.container.status.state', kso: 'k8s.container.status.state' },
  { receiver: 'k8s.container.status.reason', kso: 'k8s.container.status.reason' },
  { receiver: 'k8s.container.restarts', kso: 'k8s.container.restart.count' },
  { receiver: 'k8s.container.ready', kso: 'k8s.container.ready' },
  { receiver: 'k8s.container.cpu_request', kso: 'k8s.container.cpu.request' },
  { receiver: 'k8s.container.cpu_limit', kso: 'k8s.container.cpu.limit' },
  { receiver: 'k8s.container.memory_request', kso: 'k8s.container.memory.request' },
  { receiver: 'k8s.container.memory_limit', kso: 'k8s.container.memory.limit' },
  { receiver: 'k8s.container.storage_request', kso: 'k8s.container.storage.request' },
  { receiver: 'k8s.container.storage_limit', kso: 'k8s.container.storage.limit' },
  { receiver: 'k8s.container.ephemeralstorage_request', kso: 'k8s.container.ephemeral_storage.request' },
  { receiver: 'k8s.container.ephemeralstorage_limit', kso: 'k8s.container.ephemeral_storage.limit' },
  { receiver: 'k8s.job.active_pods', kso: 'k8s.job.pod.active' },
  { receiver: 'k8s.job.failed_pods', kso: 'k8s.job.pod.failed' },
  { receiver: 'k8s.job.successful_pods', kso: 'k8s.job.pod.successful' },
  { receiver: 'k8s.job.desired_successful_pods', kso: 'k8s.job.pod.desired_successful' },
  { receiver: 'k8s.job.max_parallel_pods', kso: 'k8s.job.pod.max_parallel' },
  { receiver: 'k8s.cronjob.active_jobs', kso: 'k8s.cronjob.job.active' },
];

/**
 * Differences that are design, not bugs (README "OTLP: kso vs the Collector's k8sclusterreceiver"). Keys:
 * `descriptor <receiver name>: <what>` and `attribute <entity kind> <key>: <which side only>`.
 */
export const DELIBERATE: ReadonlySet<string> = new Set([
  // The conventions make every k8s state metric an UpDownCounter with a {unit}; the legacy receiver uses Gauges.
  ...MAPPINGS.filter((m) => !m.kso.startsWith('k8s.container.status.')).map(
    (m) => `descriptor ${m.receiver}: kind gauge vs sum`,
  ),
  'descriptor k8s.pod.phase: unit "" vs "{pod}"',
  'descriptor k8s.pod.status_reason: unit "" vs "{pod}"',
  'descriptor k8s.container.ready: unit "" vs "{container}"',
  // Container identity: the receiver adds the running container's image and runtime id; kso keeps the entity
  // identity stable across restarts and image changes (a new container.id would start a new series).
  'attribute container container.id: receiver only',
  'attribute container container.image.name: receiver only',
  'attribute container container.image.tag: receiver only',
  // The owning Job is a descriptive attribute of the pod entity in kso; the receiver reports it only on the
  // Job's own resource.
  'attribute pod k8s.job.name: kso only',
  'attribute pod k8s.job.uid: kso only',
  'attribute container k8s.job.name: kso only',
  'attribute container k8s.job.uid: kso only',
]);

export interface DiffReport {
  /** Receiver names (mapped) both emitted for at least one entity, with identical values everywhere. */
  matching: string[];
  /** Human-readable differences not in DELIBERATE (must be empty). */
  unexpected: string[];
  /** Deliberate differences actually observed. */
  deliberate: string[];
  entities: { receiver: number; kso: number; compared: number };
  valuesCompared: number;
}

export function compareEntities(rx: Map<string, SeenEntity>, kso: Map<string, SeenEntity>): DiffReport {
  const unexpected = new Set<string>();
  const deliberate = new Set<string>();
  const note = (s: string) => (DELIBERATE.has(s) ? deliberate : unexpected).add(s);
  const matchingCandidates = new Map<string, boolean>();
  let compared = 0;
  let values = 0;
  for (const [key, r] of rx) {
    const k = kso.get(key);
    if (!k) {
      unexpected.add(`entity ${key}: receiver only`);
      continue;
    }
    compared++;
    const kind = key.split(' ')[0] as string;
    for (const [name, v] of Object.entries(r.attributes)) {
      // kso never writes an empty attribute value (a rule, not a list: README).
      if (!(name in k.attributes) && v === '')
        deliberate.add(`attribute ${kind} ${name}: empty on the receiver, absent in kso`);
      else if (!(name in k.attributes)) note(`attribute ${kind} ${name}: receiver only`);
      else if (k.attributes[name] !== v) unexpected.add(`attribute ${key} ${name}: ${v} vs ${k.attributes[name]}`);
    }
    for (const name of Object.keys(k.attributes))
      if (!(name in r.attributes)) note(`attribute ${kind} ${name}: kso only`);
    for (const map of MAPPINGS) {
      const rm = r.metrics.get(map.receiver);
      const km = k.metrics.get(map.kso);
      if (!rm && !km) continue;
      if (!rm || !km) {
        // The receiver writes a zero-valued limit/request gauge for nothing; both skip unset quantities.
        unexpected.add(`metric ${key} ${map.receiver} → ${map.kso}: ${rm ? 'receiver' : 'kso'} only`);
        continue;
      }
      if (rm.unit !== km.unit) note(`descriptor ${map.receiver}: unit "${rm.unit}" vs "${km.unit}"`);
      if (rm.kind !== km.kind) note(`descriptor ${map.receiver}: kind ${rm.kind} vs ${km.kind}`);
      if (rm.valueType !== km.valueType)
        note(`descriptor ${map.receiver}: value type ${rm.valueType} vs ${km.valueType}`);
      const want = map.translate ? map.translate(rm) : rm.points;
      let same = want.size === km.points.size;
      for (const [pk, pv] of want) {
        values++;
        if (km.points.get(pk) !== pv) same = false;
      }
      if (!same)
        unexpected.add(
          `values ${key} ${map.receiver}: ${JSON.stringify([...want])} vs ${map.kso} ${JSON.stringify([...km.points])}`,
        );
      matchingCandidates.set(map.receiver, (matchingCandidates.get(map.receiver) ?? true) && same);
    }
  }
  for (const key of kso.keys()) if (!rx.has(key)) unexpected.add(`entity ${key}: kso only`);
  return {
    matching: [...matchingCandidates].filter(([, ok]) => ok).map(([n]) => n),
    unexpected: [...unexpected].sort(),
    deliberate: [...deliberate].sort(),
    entities: { receiver: rx.size, kso: kso.size, compared },
    valuesCompared: values,
  };
}

export interface DifferentialRun {
  report: DiffReport;
  receiver: Map<string, SeenEntity>;
  kso: Map<string, SeenEntity>;
}

/**
 * Runs the Collector (k8s_cluster + otlp receivers, one file per source) and `kso run --schema semconv` on one
 * kubeconfig until both have reported `expected` entities and their comparison is stable.
 */
export async function runK8sClusterDifferential(opts: {
  kubeconfig: string;
  namespace: string;
  /** Entity keys that must be present on both sides before comparing. */
  expected: readonly string[];
  timeoutMs: number;
}): Promise<DifferentialRun> {
  const port = await freePort();
  const col: RealCollector = await startCollector(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${port}
  k8s_cluster:
    auth_type: kubeConfig
    collection_interval: 2s
    metrics:
      k8s.container.status.state: { enabled: true }
      k8s.container.status.reason: { enabled: true }
      k8s.pod.status_reason: { enabled: true }
exporters:
  file/receiver:
    path: {{DIR}}/receiver.json
    flush_interval: 200ms
  file/kso:
    path: {{DIR}}/kso.json
    flush_interval: 200ms
service:
  pipelines:
    metrics/receiver:
      receivers: [k8s_cluster]
      exporters: [file/receiver]
    metrics/kso:
      receivers: [otlp]
      exporters: [file/kso]
`,
    { env: { ...process.env, KUBECONFIG: opts.kubeconfig } },
  );
  try {
    const kso = await startKsoRun(opts.kubeconfig, [
      '--schema',
      'semconv',
      '--otlp-endpoint',
      `http://127.0.0.1:${port}`,
      '--otlp-interval',
      '1s',
    ]);
    try {
      const deadline = Date.now() + opts.timeoutMs;
      let last: DifferentialRun | undefined;
      for (;;) {
        const receiver = await readEntities(join(col.dir, 'receiver.json'), opts.namespace);
        const mine = await readEntities(join(col.dir, 'kso.json'), opts.namespace);
        const complete = opts.expected.every((k) => receiver.has(k) && mine.has(k));
        last = { report: compareEntities(receiver, mine), receiver, kso: mine };
        if ((complete && last.report.unexpected.length === 0) || Date.now() > deadline) return last;
        await sleep(1_000);
      }
    } finally {
      await kso.stop();
    }
  } finally {
    await col.stop();
  }
}
