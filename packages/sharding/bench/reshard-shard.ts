// One shard of the reshard benchmark, in its own thread (a shard is its own pod with its own CPU): the
// production pipeline minus HTTP — ShardIdentityWatcher → Resharder → createStoreView — reporting each
// view switch to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { MetricsStore, type ResourceName } from '@kso/metrics';
import { loadKubeConfig } from '@kso/watch';
import { pino } from 'pino';
import { createStoreView, Resharder, ShardIdentityWatcher, type StoreView } from '../src/index.ts';

export interface ShardWorkerData {
  kubeconfig: string;
  podName: string;
  namespace: string;
  resources: ResourceName[];
}

export type ShardMessage =
  | { type: 'switch'; pod: string; shard: number; total: number; atMs: number; objects: Record<string, number> }
  | { type: 'error'; pod: string; message: string }
  | { type: 'stopped'; pod: string };

const d = workerData as ShardWorkerData;
const port = parentPort!;
const logger = pino({ level: process.env.KSO_BENCH_LOG ?? 'silent' });
const kc = loadKubeConfig({ kubeconfig: d.kubeconfig });
const resharder = new Resharder<StoreView>({
  createView: (assignment) =>
    createStoreView({
      kubeConfig: kc,
      assignment,
      resources: d.resources,
      createStore: () => new MetricsStore({ schema: 'ksm', resources: d.resources }),
      logger,
    }),
  onSwitch: (a, view) =>
    port.postMessage({
      type: 'switch',
      pod: d.podName,
      shard: a.shard,
      total: a.total,
      atMs: Date.now(),
      objects: view.store.counts() as Record<string, number>,
    } satisfies ShardMessage),
});
const watcher = new ShardIdentityWatcher({ kubeConfig: kc, podName: d.podName, podNamespace: d.namespace, logger });
watcher.on('assignment', (a) => void resharder.apply(a));
watcher.start().catch((err: Error) => port.postMessage({ type: 'error', pod: d.podName, message: err.message }));
port.on('message', async (m: unknown) => {
  if (m !== 'stop') return;
  await watcher.stop();
  await resharder.stop();
  port.postMessage({ type: 'stopped', pod: d.podName } satisfies ShardMessage);
  port.close();
});
