// ShardIdentityWatcher against kube-sim over HTTP: the own Pod's controlling StatefulSet is followed by name,
// so scaling re-assigns, relabelling does not, and neither dropped watches nor 410s make it lose track.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';
import { loadKubeConfig } from '@kso/watch';
import { type ShardAssignment, ShardIdentityWatcher } from '../src/index.ts';

const NS = 'monitoring';

function statefulSet(name: string, replicas: number, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS, labels: { app: name, ...labels } },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'kso', image: 'kso:dev' }] } },
    },
  };
}

function pod(name: string, owner?: { kind: string; name: string; uid: string; apiVersion?: string }) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, ...owner }] } : {}),
    },
    spec: { containers: [{ name: 'kso', image: 'kso:dev' }] },
    status: { phase: 'Running' },
  };
}

/** Resolves with the next `assignment` event, or rejects after timeoutMs naming what was awaited. */
function nextAssignment(w: ShardIdentityWatcher, what: string, timeoutMs = 10_000): Promise<ShardAssignment> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      w.off('assignment', on);
      reject(new Error(`no assignment event: ${what}`));
    }, timeoutMs);
    const on = (a: ShardAssignment) => {
      clearTimeout(t);
      resolve(a);
    };
    w.once('assignment', on);
  });
}

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ShardIdentityWatcher on kube-sim', () => {
  let sim: KubeSim;
  let dir: string;
  let kc: ReturnType<typeof loadKubeConfig>;
  const watchers: ShardIdentityWatcher[] = [];
  const watcher = (podName: string) => {
    const w = new ShardIdentityWatcher({
      kubeConfig: kc,
      podName,
      podNamespace: NS,
      startTimeoutMs: 5_000,
      reflector: { backoff: { initialMs: 20, maxMs: 200 } },
    });
    watchers.push(w);
    return w;
  };

  before(async () => {
    sim = await startKubeSim({ port: 0, bookmarkIntervalMs: 100 });
    dir = mkdtempSync(join(tmpdir(), 'kso-identity-'));
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    kc = loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig') });
    const sts = sim.cluster.create(statefulSet('kso', 2));
    // A second StatefulSet in the same namespace: its changes must never reach the watcher.
    sim.cluster.create(statefulSet('other', 5));
    for (const n of ['kso-0', 'kso-1'])
      sim.cluster.create(pod(n, { kind: 'StatefulSet', name: 'kso', uid: sts.metadata.uid as string }));
    sim.cluster.create(pod('loner'));
    const rs = { kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid' };
    sim.cluster.create(pod('web-abc-x1', rs));
  });
  after(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ordinal from the pod name, total from spec.replicas; scaling re-assigns; other StatefulSets ignored', async () => {
    const w = watcher('kso-1');
    const first = nextAssignment(w, 'initial');
    assert.deepEqual(await w.start(), { shard: 1, total: 2 });
    assert.deepEqual(await first, { shard: 1, total: 2 });
    assert.equal(w.stats().statefulSet, 'kso');

    const scaled = nextAssignment(w, 'scale 2→3');
    sim.cluster.patch('StatefulSet', NS, 'other', { spec: { replicas: 7 } });
    sim.cluster.patch('StatefulSet', NS, 'kso', { spec: { replicas: 3 } });
    assert.deepEqual(await scaled, { shard: 1, total: 3 });
    assert.deepEqual(w.current(), { shard: 1, total: 3 });
  });

  test('relabelling the StatefulSet changes nothing, and a later scale is still seen (KSM #2347)', async () => {
    const w = watcher('kso-0');
    await w.start();
    const changes = w.stats().changes;
    let events = 0;
    w.on('assignment', () => events++);
    const relabelled = sim.cluster.patch('StatefulSet', NS, 'kso', {
      metadata: { labels: { app: null, 'helm.sh/chart': 'kso-0.2.0', 'pod-template-hash': 'x1' } },
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } },
    } as never);
    const rv = relabelled.metadata.resourceVersion as string;
    await until(() => Number(w.stats().resourceVersion) >= Number(rv), 'the watch to pass the relabel');
    assert.equal(events, 0, 'no assignment event for a label/annotation change');
    assert.equal(w.stats().changes, changes);

    const scaled = nextAssignment(w, 'scale after relabel');
    sim.cluster.patch('StatefulSet', NS, 'kso', { spec: { replicas: 4 } });
    assert.deepEqual(await scaled, { shard: 0, total: 4 });
  });

  test('dropped watch streams and 410 Gone: the next scale is still seen', async () => {
    const w = watcher('kso-0');
    await w.start();
    sim.faults.dropWatches();
    sim.faults.compact();
    sim.faults.expireNextWatch('statefulsets');
    sim.faults.dropWatches();
    const scaled = nextAssignment(w, 'scale after faults');
    sim.cluster.patch('StatefulSet', NS, 'kso', { spec: { replicas: 6 } });
    assert.deepEqual(await scaled, { shard: 0, total: 6 });
  });

  test('replicas below the ordinal: assignment still reported (the view then owns nothing)', async () => {
    sim.cluster.patch('StatefulSet', NS, 'kso', { spec: { replicas: 2 } });
    const w = watcher('kso-1');
    await w.start();
    const down = nextAssignment(w, 'scale to 1');
    sim.cluster.patch('StatefulSet', NS, 'kso', { spec: { replicas: 1 } });
    assert.deepEqual(await down, { shard: 1, total: 1 });
  });

  test('clear start errors: no StatefulSet owner, ReplicaSet owner, unknown pod, owner StatefulSet missing', async () => {
    await assert.rejects(watcher('loner').start(), /pod loner has no controlling apps\/v1 StatefulSet/);
    await assert.rejects(watcher('web-abc-x1').start(), /no controlling apps\/v1 StatefulSet/);
    await assert.rejects(watcher('kso-9').start(), /cannot get own pod monitoring\/kso-9: not found/);
    sim.cluster.create(pod('gone-0', { kind: 'StatefulSet', name: 'gone', uid: 'gone-uid' }));
    await assert.rejects(watcher('gone-0').start(), /StatefulSet monitoring\/gone \(owner of pod gone-0\) not found/);
  });
});
