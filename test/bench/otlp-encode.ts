// In-process cost of one OTLP push body over a real MetricsStore: per-object encode (first push), stamped
// re-use (later pushes, a few objects changed), gzip. `node test/bench/otlp-encode.ts [pods]`.
import { gzipSync, constants as z } from 'node:zlib';
import { StoreEncoder, scopeFor } from '@kso/exporters';
import { startKubeSim } from '@kso/kube-sim';
import { MetricsStore, type Schema } from '../../packages/metrics/src/index.ts';

const pods = Number(process.argv[2] ?? 10_000);
const sim = await startKubeSim({
  port: 0,
  scenario: 'scale',
  scale: { pods, jobs: Math.round(pods / 5), churnPerSecond: 0 },
});
const objects = {
  jobs: sim.cluster.list('jobs'),
  pods: sim.cluster.list('pods'),
  cronjobs: sim.cluster.list('cronjobs'),
};
await sim.close();
for (const schema of ['ksm', 'semconv'] as Schema[]) {
  const store = new MetricsStore({ schema });
  for (const r of ['jobs', 'pods', 'cronjobs'] as const) for (const o of objects[r]) store.upsertObject(r, o);
  const enc = new StoreEncoder({ scope: scopeFor(schema) });
  const limits = { maxBytes: 3.5 * 1024 * 1024, maxPoints: 50_000 };
  const run = (label: string, level?: number) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const reqs = enc.plan(store, Date.now(), limits);
    let bytes = 0;
    let gz = 0;
    let points = 0;
    for (const r of reqs) {
      const b = r.write();
      bytes += b.length;
      points += r.points;
      if (level !== undefined) gz += gzipSync(b, { level }).length;
    }
    const c = process.cpuUsage(c0);
    console.log(
      `${schema} ${label}: ${reqs.length} requests, ${points} points, ${(bytes / 1048576).toFixed(1)} MiB` +
        `${level !== undefined ? ` → gzip-${level} ${(gz / 1048576).toFixed(2)} MiB` : ''}; ` +
        `${(performance.now() - t0).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU`,
    );
  };
  run('first push (encode all)');
  // 750 changed objects ≈ 50 updates/s over a 15 s interval.
  const list = objects.pods;
  for (let k = 0; k < 750; k++) {
    const p = structuredClone(list[(k * 7919) % list.length]) as {
      status?: { containerStatuses?: { restartCount?: number }[] };
    };
    const cs = p.status?.containerStatuses?.[0];
    if (cs) cs.restartCount = 1000 + k;
    store.upsertObject('pods', p);
  }
  run('next push (750 changed)');
  run('next push, gzip', z.Z_BEST_SPEED);
  run('next push, gzip', z.Z_DEFAULT_COMPRESSION);
}
