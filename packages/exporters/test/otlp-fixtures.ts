// Objects and a counting view of the store shared by the OTLP encoder tests.
import type { MetricsSource, MetricsStore, ObjectMetrics, ResourceName } from '@kso/metrics';

/** A pod with one or two containers; `restarts` changes its points and nothing else. */
export function pod(i: number, restarts = 0) {
  return {
    metadata: { name: `p-${i}`, namespace: `ns-${i % 3}`, uid: `pod-${i}`, labels: { app: `a${i % 2}` } },
    spec: { nodeName: `node-${i % 2}`, containers: [{ name: 'main' }, ...(i % 2 ? [{ name: 'side' }] : [])] },
    status: {
      phase: i % 4 === 0 ? 'Pending' : 'Running',
      containerStatuses: [{ name: 'main', restartCount: restarts, ready: true, state: { running: {} } }],
    },
  };
}

/**
 * The store seen through wrappers that count each object's `families` reads per uid (= encodings: the encoder
 * reads them only to encode); one wrapper per stored object, so WeakMap-keyed caches behave as with the store.
 */
export function countingSource(store: MetricsStore): {
  src: MetricsSource;
  reads: Map<string, number>;
  view: (r: ResourceName, uid: string) => ObjectMetrics;
} {
  const reads = new Map<string, number>();
  const wrap = new WeakMap<ObjectMetrics, ObjectMetrics>();
  const of = (o: ObjectMetrics): ObjectMetrics => {
    let w = wrap.get(o);
    if (!w) {
      w = {
        uid: o.uid,
        resource: o.resource,
        startTimeMs: o.startTimeMs,
        get families() {
          reads.set(o.uid, (reads.get(o.uid) ?? 0) + 1);
          return o.families;
        },
      };
      wrap.set(o, w);
    }
    return w;
  };
  const src: MetricsSource = {
    schema: store.schema,
    resources: () => store.resources(),
    families: (r: ResourceName) => store.families(r),
    size: (r: ResourceName) => store.size(r),
    *entries(r: ResourceName) {
      for (const o of store.entries(r)) yield of(o);
    },
  };
  return { src, reads, view: (r, uid) => of(store.get(r, uid) as ObjectMetrics) };
}

/** All reads counted so far. */
export function totalReads(reads: Map<string, number>): number {
  let n = 0;
  for (const v of reads.values()) n += v;
  return n;
}
