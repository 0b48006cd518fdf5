// Shared test fixtures: a kube-sim, a Reflector with fast backoff, a small pod compaction, and helpers
// that compare the reflector with the server's own state (never hard-coded expectations).
import { setTimeout as sleep } from 'node:timers/promises';
import { type KubeSim, type KubeSimOptions, startKubeSim } from '@kso/kube-sim';
import { KubeConfig } from '@kubernetes/client-node';
import { deepEqual, Reflector, type ReflectorEvent, type ReflectorOptions } from '../src/index.ts';

export interface PodSnap {
  uid: string;
  namespace: string;
  name: string;
  phase: string;
  labels: Readonly<Record<string, string>>;
  restarts: number;
}

/** Marks an object the compaction must reject (stands in for malformed input). */
export const MALFORMED = 'test.kso/malformed';

type Raw = {
  metadata?: {
    uid?: string;
    namespace?: string;
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  status?: { phase?: string; containerStatuses?: { restartCount?: number }[] };
};

export function compactPod(raw: unknown): PodSnap {
  const r = raw as Raw;
  const m = r?.metadata;
  if (!m?.uid || !m.name || !m.namespace) throw new Error('pod without uid/name/namespace');
  if (m.annotations?.[MALFORMED]) throw new Error('pod marked malformed');
  return Object.freeze({
    uid: m.uid,
    namespace: m.namespace,
    name: m.name,
    phase: r.status?.phase ?? 'Unknown',
    labels: Object.freeze({ ...(m.labels ?? {}) }),
    restarts: (r.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0),
  });
}

export const POD = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' };

export function pod(namespace: string, name: string, phase = 'Running', labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase, containerStatuses: [{ name: 'c', restartCount: 0 }] },
  };
}

export async function sim(opts: KubeSimOptions = {}): Promise<{ sim: KubeSim; kc: KubeConfig }> {
  const s = await startKubeSim({ port: 0, scenario: 'empty', bookmarkIntervalMs: 100, ...opts });
  const kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  return { sim: s, kc };
}

export interface Harness {
  reflector: Reflector<PodSnap>;
  events: ReflectorEvent<PodSnap>[];
  /** State rebuilt only from emitted events: proves events, not just items(), track the server. */
  shadow: Map<string, PodSnap>;
}

export function reflect(kc: KubeConfig, opts: Partial<ReflectorOptions<PodSnap>> = {}): Harness {
  const reflector = new Reflector<PodSnap>(kc, {
    resource: POD,
    compact: compactPod,
    pageSize: 7,
    backoff: { initialMs: 10, maxMs: 200, resetAfterMs: 500 },
    watchTimeoutSeconds: { min: 30, max: 40 },
    ...opts,
  });
  const events: ReflectorEvent<PodSnap>[] = [];
  const shadow = new Map<string, PodSnap>();
  reflector.onEvent((ev) => {
    events.push(ev);
    if (ev.type === 'delete') shadow.delete(ev.uid);
    else shadow.set(ev.uid, ev.object);
  });
  return { reflector, events, shadow };
}

/** The server's pods (optionally one namespace, optionally filtered), compacted like the reflector does. */
export function serverPods(s: KubeSim, namespace?: string, filter?: (uid: string) => boolean): Map<string, PodSnap> {
  const out = new Map<string, PodSnap>();
  for (const o of s.cluster.list('Pod', namespace)) {
    if (filter && !filter(o.metadata.uid)) continue;
    try {
      out.set(o.metadata.uid, compactPod(o));
    } catch {
      // the reflector skips these too
    }
  }
  return out;
}

export async function waitFor(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

/** Waits until both the reflector's items and the event-built shadow equal the server's state. */
export async function converge(h: Harness, expected: () => Map<string, PodSnap>, timeoutMs = 15_000): Promise<void> {
  const same = (a: ReadonlyMap<string, PodSnap>, b: ReadonlyMap<string, PodSnap>) =>
    a.size === b.size && [...b].every(([k, v]) => deepEqual(a.get(k), v));
  try {
    await waitFor(
      'reflector state equals server state',
      () => {
        const e = expected();
        return same(h.reflector.items(), e) && same(h.shadow, e);
      },
      timeoutMs,
    );
  } catch (err) {
    const e = expected();
    const missing = [...e.keys()].filter((k) => !h.reflector.items().has(k)).length;
    const extra = [...h.reflector.items().keys()].filter((k) => !e.has(k)).length;
    throw new Error(
      `${(err as Error).message} (server ${e.size}, held ${h.reflector.items().size}, missing ${missing}, extra ${extra}; stats ${JSON.stringify(h.reflector.stats())})`,
    );
  }
}

export function createPods(s: KubeSim, namespaces: string[], perNamespace: number, prefix = 'p'): void {
  for (const ns of namespaces) for (let i = 0; i < perNamespace; i++) s.cluster.create(pod(ns, `${prefix}-${i}`));
}

/** Some updates, deletes and creates spread over the namespaces' pods. */
export function churn(s: KubeSim, namespaces: string[], round: number): void {
  for (const ns of namespaces) {
    const pods = s.cluster.list('Pod', ns);
    pods.forEach((p, i) => {
      if (i % 3 === 0)
        s.cluster.patch('Pod', ns, p.metadata.name, {
          status: { containerStatuses: [{ name: 'c', restartCount: round * 10 + i }] },
        });
      else if (i % 7 === 1) s.cluster.delete('Pod', ns, p.metadata.name);
    });
    s.cluster.create(pod(ns, `r${round}-new`, 'Pending'));
  }
}
