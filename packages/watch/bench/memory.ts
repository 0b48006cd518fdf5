// Heap held per pod by a Reflector with the real pod compaction (@kso/model compactPod), against kube-sim's
// `scale` scenario (≈3 KB of JSON per pod). kube-sim runs in a child process so its store is not measured.
//
//   node packages/watch/bench/memory.ts [pods=10000]   (children get --expose-gc)
//
// Prints one JSON line: bytes per pod held as @kso/model snapshots, as raw API objects (what a naive
// informer keeps) and as identity-only snapshots (the reflector's own overhead per object).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startKubeSim } from '@kso/kube-sim';
import { compactPod } from '@kso/model';
import { KubeConfig } from '@kubernetes/client-node';
import { Reflector } from '../src/index.ts';

const pods = Number(process.argv[2] ?? 10_000);

const mode = process.argv[3];

if (mode === '--serve') {
  const sim = await startKubeSim({ port: 0, scenario: 'scale', scale: { pods, jobs: Math.ceil(pods / 20) } });
  process.send?.({ kubeconfig: sim.kubeconfig() });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
} else if (mode === '--measure') {
  // One measurement per process, so nothing from another run is still on the heap.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const kc = new KubeConfig();
  kc.loadFromString(process.env.KSO_BENCH_KUBECONFIG ?? '');
  const minimal = (raw: unknown) => {
    const m = (raw as { metadata: { uid: string; namespace: string; name: string } }).metadata;
    return { uid: m.uid, namespace: m.namespace, name: m.name };
  };
  const which = process.argv[4];
  const compact = which === 'raw' ? (raw: unknown) => raw : which === 'identity' ? minimal : compactPod;
  const base = heap();
  const r = new Reflector(kc, { resource: { group: '', version: 'v1', plural: 'pods', kind: 'Pod' }, compact });
  const t0 = performance.now();
  r.start();
  await r.synced;
  const syncMs = performance.now() - t0;
  await r.stop();
  const held = heap() - base;
  const n = r.items().size;
  process.send?.({
    objects: n,
    bytesPerObject: Math.round(held / n),
    heldMiB: +(held / 2 ** 20).toFixed(1),
    syncMs: Math.round(syncMs),
    parseErrors: r.stats().parseErrors,
  });
} else {
  const self = fileURLToPath(import.meta.url);
  const sim = fork(self, [String(pods), '--serve'], { stdio: 'inherit' });
  const { kubeconfig } = await new Promise<{ kubeconfig: string }>((ok) => sim.once('message', ok as never));
  const run = (what: 'compact' | 'raw' | 'identity') =>
    new Promise<unknown>((ok, fail) => {
      const c = fork(self, [String(pods), '--measure', what], {
        stdio: 'inherit',
        execArgv: [...process.execArgv, '--expose-gc'],
        env: { ...process.env, KSO_BENCH_KUBECONFIG: kubeconfig },
      });
      c.once('message', ok);
      c.once('exit', (code) => (code ? fail(new Error(`measure ${what} exited ${code}`)) : undefined));
    });
  const compact = await run('compact');
  const rawObjects = await run('raw');
  // uid/namespace/name only: the reflector's own per-object overhead (map entry, key, identity strings).
  const identityOnly = await run('identity');
  console.log(
    JSON.stringify({ bench: 'watch-memory', pods, node: process.version, compact, rawObjects, identityOnly }),
  );
  sim.disconnect();
}
