// Scenario loading: object files (YAML multi-document, Lists), the living demo cluster, scale.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type KubeSim, startKubeSim } from '../src/index.ts';
import type { KObj } from '../src/resources.ts';
import { openWatch, until } from './helpers.ts';

describe('scenarios', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-objects-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('objects from a multi-document YAML file and a JSON List are served', async () => {
    const yamlFile = join(dir, 'objs.yaml');
    writeFileSync(
      yamlFile,
      `apiVersion: batch/v1
kind: Job
metadata: {name: from-yaml, namespace: files, uid: 11111111-2222-4333-8444-555555555555}
spec: {completions: 1}
status: {failed: 2}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: yaml-pod, namespace: files, labels: {a: b}}
  status: {phase: Running}
`,
    );
    const jsonFile = join(dir, 'pods.json');
    writeFileSync(
      jsonFile,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PodList',
        items: [{ metadata: { name: 'json-pod', namespace: 'files' }, status: { phase: 'Failed' } }],
      }),
    );
    const sim = await startKubeSim({
      objectFiles: [yamlFile, jsonFile],
      objects: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }],
    });
    try {
      const pods = (await (await fetch(`${sim.url}/api/v1/namespaces/files/pods`)).json()) as KObj;
      assert.deepEqual(
        pods.items.map((p: KObj) => [p.metadata.name, p.status.phase]),
        [
          ['json-pod', 'Failed'],
          ['yaml-pod', 'Running'],
        ],
      );
      const j = (await (await fetch(`${sim.url}/apis/batch/v1/namespaces/files/jobs/from-yaml`)).json()) as KObj;
      assert.equal(j.status.failed, 2);
      assert.equal(
        j.metadata.uid,
        '11111111-2222-4333-8444-555555555555',
        'given uid kept so ownerReferences in fixtures line up',
      );
      assert.equal(sim.cluster.list('Node').length, 1);
    } finally {
      await sim.close();
    }
  });

  test('an object file with an unsupported kind fails startup with a clear message', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n');
    await assert.rejects(startKubeSim({ objectFiles: [f] }), /cannot load apps\/v1 Deployment "web"/);
    const g = join(dir, 'broken.yaml');
    writeFileSync(g, 'kind: [unclosed\n');
    await assert.rejects(startKubeSim({ objectFiles: [g] }), /broken\.yaml/);
  });

  describe('demo', () => {
    let sim: KubeSim;
    before(async () => {
      sim = await startKubeSim({ scenario: 'demo', demo: { tickMs: 25 } });
    });
    after(() => sim.close());

    test('contains the states of the field problems', () => {
      const jobs = sim.cluster.list('Job');
      const condTypes = new Set(jobs.flatMap((j) => (j.status.conditions ?? []).map((c: KObj) => c.type)));
      for (const t of ['FailureTarget', 'SuccessCriteriaMet', 'Complete', 'Failed', 'Suspended'])
        assert.ok(condTypes.has(t), t);
      assert.ok(
        jobs.some((j) => j.status.failed > 0 && !j.status.conditions),
        'a Job with failures and no conditions',
      );
      const pods = sim.cluster.list('Pod');
      const disruption = new Set(
        pods.flatMap((p) =>
          p.status.conditions.filter((c: KObj) => c.type === 'DisruptionTarget').map((c: KObj) => c.reason),
        ),
      );
      assert.deepEqual([...disruption].sort(), [
        'DeletionByTaintManager',
        'EvictionByEvictionAPI',
        'PreemptionByScheduler',
        'TerminationByKubelet',
      ]);
      assert.ok(pods.some((p) => p.status.reason === 'Evicted'));
      const states = pods
        .flatMap((p) => p.status.containerStatuses ?? [])
        .map((c: KObj) => c.state.terminated?.reason ?? c.state.waiting?.reason);
      assert.ok(states.includes('OOMKilled'));
      assert.ok(states.includes('CrashLoopBackOff'));
      assert.ok(
        pods.some((p) => p.spec.initContainers?.some((c: KObj) => c.restartPolicy === 'Always')),
        'native sidecar',
      );
      for (const p of pods.filter((x) => x.metadata.namespace === 'batch')) {
        const owner = p.metadata.ownerReferences[0];
        assert.equal(owner.controller, true);
        assert.ok(
          jobs.some((j) => j.metadata.uid === owner.uid),
          `${p.metadata.name} is owned by an existing Job`,
        );
        assert.ok(p.status.containerStatuses.every((c: KObj) => c.imageID && c.containerID));
      }
      const sts = sim.cluster.get('StatefulSet', 'monitoring', 'kube-state-otel');
      const shards = pods
        .filter((p) => p.metadata.ownerReferences?.[0]?.uid === sts.metadata.uid)
        .map((p) => p.metadata.name);
      assert.deepEqual(
        shards.sort(),
        Array.from({ length: sts.spec.replicas }, (_, i) => `kube-state-otel-${i}`),
      );
      assert.equal(sim.cluster.list('CronJob').length, 1);
    });

    test('keeps changing: CronJob runs are created and complete; stopScenario stops it', async () => {
      const w = await openWatch(
        `${sim.url}/apis/batch/v1/namespaces/kube-system/jobs?watch=1&resourceVersion=${sim.cluster.resourceVersion()}`,
      );
      let finished: KObj;
      while (!finished) {
        const e = await w.next(5000);
        if (
          e.type === 'MODIFIED' &&
          e.object.status.conditions?.some((c: KObj) => ['Complete', 'Failed'].includes(c.type))
        )
          finished = e.object;
      }
      assert.equal(finished.metadata.ownerReferences[0].kind, 'CronJob');
      w.close();
      sim.stopScenario();
      const rv = sim.cluster.resourceVersion();
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(sim.cluster.resourceVersion(), rv);
    });
  });

  test('scale: pods spread over jobs, loaded directly, with churn', async () => {
    const sim = await startKubeSim({ scenario: 'scale', scale: { pods: 3000, jobs: 60, churnPerSecond: 500 } });
    try {
      const stats = sim.stats();
      assert.equal(stats.objects.pods, 3000);
      assert.equal(stats.objects.jobs, 60);
      const list = (await (await fetch(`${sim.url}/api/v1/pods?limit=1000`)).json()) as KObj;
      assert.equal(list.items.length, 1000);
      const jobUids = new Set(sim.cluster.list('Job').map((j) => j.metadata.uid));
      assert.ok(list.items.every((p: KObj) => jobUids.has(p.metadata.ownerReferences[0].uid)));
      const rv = Number(sim.cluster.resourceVersion());
      await until('churn writes', () => Number(sim.cluster.resourceVersion()) > rv + 20);
    } finally {
      await sim.close();
    }
  });

  test('cluster API accepts (obj) and (resource, obj) and returns copies', async () => {
    const sim = await startKubeSim();
    try {
      const a = sim.cluster.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x' } });
      const b = sim.cluster.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'b', namespace: 'x' },
        status: { phase: 'Pending' },
      });
      a.metadata.labels = { mutated: 'outside' };
      assert.equal(sim.cluster.get('Pod', 'x', 'a').metadata.labels, undefined);
      sim.cluster.patch('pods', 'x', 'b', { status: { phase: 'Running' } });
      assert.equal(sim.cluster.get('pods', 'x', 'b').status.phase, 'Running', 'programmatic patch changes status too');
      const cur = sim.cluster.get('Pod', 'x', 'b');
      sim.cluster.updateStatus({ ...cur, spec: { changed: true }, status: { phase: 'Succeeded' } });
      assert.deepEqual(sim.cluster.get('Pod', 'x', 'b').spec, b.spec);
      assert.throws(
        () => sim.cluster.update(cur),
        (e: KObj) => e.code === 409,
      );
      assert.throws(
        () => sim.cluster.delete('Pod', 'x', 'zz'),
        (e: KObj) => e.code === 404 && e.reason === 'NotFound',
      );
      assert.throws(() => sim.cluster.get('Deployment', 'x', 'y'), /does not serve/);
    } finally {
      await sim.close();
    }
  });
});

describe('pod factory', () => {
  test('DRA resource claims and PVC/ephemeral volumes land in spec and status as the API shapes them', async () => {
    const { pod } = await import('../src/scenarios/factory.ts');
    const p = pod({
      name: 'train',
      namespace: 'ml',
      phase: 'Running',
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'dataset', readOnly: true } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
      ],
      resourceClaims: [
        { name: 'gpu', resourceClaimTemplateName: 'gpu-template', generatedName: 'train-gpu-x7k2p' },
        { name: 'shared', resourceClaimName: 'shared-nic' },
        { name: 'pending', resourceClaimTemplateName: 'fpga-template' },
      ],
    });
    assert.deepEqual(p.spec.resourceClaims, [
      { name: 'gpu', resourceClaimTemplateName: 'gpu-template' },
      { name: 'shared', resourceClaimName: 'shared-nic' },
      { name: 'pending', resourceClaimTemplateName: 'fpga-template' },
    ]);
    assert.deepEqual(p.status.resourceClaimStatuses, [{ name: 'gpu', resourceClaimName: 'train-gpu-x7k2p' }]);
    assert.deepEqual(
      p.spec.volumes.map((v: KObj) => v.name),
      ['kube-api-access', 'data', 'scratch'],
    );
  });
});
