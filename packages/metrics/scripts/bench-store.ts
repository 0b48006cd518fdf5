// Rough upsert cost at scale: node scripts/bench-store.ts [pods=50000]
import { compactPod } from '@kso/model';
import { MetricsStore } from '../src/index.ts';

const N = Number(process.argv[2] ?? 50_000);
function raw(i: number, phase: string) {
  return {
    metadata: {
      name: `pod-${i}`,
      namespace: `ns-${i % 50}`,
      uid: `uid-${i}`,
      resourceVersion: String(i),
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: `app-${i % 100}` },
      ownerReferences: [{ kind: 'ReplicaSet', name: `rs-${i % 1000}`, uid: 'x', controller: true }],
    },
    spec: {
      nodeName: `node-${i % 200}`,
      restartPolicy: 'Always',
      containers: ['app', 'sidecar'].map((c) => ({
        name: c,
        image: `${c}:1`,
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      })),
    },
    status: {
      phase,
      hostIP: '10.0.0.1',
      podIP: `10.1.${(i >> 8) & 255}.${i & 255}`,
      podIPs: [{ ip: `10.1.${(i >> 8) & 255}.${i & 255}` }],
      qosClass: 'Burstable',
      startTime: '2026-01-01T00:00:01Z',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) => ({
        type: t,
        status: 'True',
        lastTransitionTime: '2026-01-01T00:00:02Z',
      })),
      containerStatuses: ['app', 'sidecar'].map((c) => ({
        name: c,
        image: `${c}:1`,
        imageID: `sha256:${c}`,
        containerID: `containerd://${i}${c}`,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: '2026-01-01T00:00:03Z' } },
      })),
    },
  };
}
for (const schema of ['ksm', 'semconv'] as const) {
  const store = new MetricsStore({ schema });
  const raws = Array.from({ length: N }, (_, i) => raw(i, 'Running'));
  let t = process.hrtime.bigint();
  const snaps = raws.map(compactPod);
  const compactUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  t = process.hrtime.bigint();
  for (const s of snaps) store.upsert('pods', s);
  const upsertUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  // Steady state: every pod updated once more (the watch MODIFIED path), entries replaced.
  const updates = raws.map((r) => compactPod({ ...r, status: { ...r.status, phase: 'Succeeded' } }));
  t = process.hrtime.bigint();
  for (const s of updates) store.upsert('pods', s);
  const updateUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  let points = 0;
  for (const e of store.entries('pods')) for (const f of e.families) points += f.length;
  global.gc?.();
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    JSON.stringify({
      schema,
      pods: N,
      compactUs: +compactUs.toFixed(1),
      firstUpsertUs: +upsertUs.toFixed(1),
      updateUs: +updateUs.toFixed(1),
      points,
      heapMb: Math.round(heapMb),
      size: store.size('pods'),
    }),
  );
}
