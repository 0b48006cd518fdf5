import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import * as attrs from '../src/families/semconv-attrs.ts';
import { familiesFor } from '../src/index.ts';
import { generate } from './helpers.ts';

const POD = {
  metadata: { name: 'p', namespace: 'ns', uid: 'pu' },
  spec: { nodeName: 'node-1' },
  status: {
    phase: 'Running',
    reason: 'Evicted',
    containerStatuses: [
      { name: 'app', ready: true, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ],
  },
};

describe('semconv schema', () => {
  test('the attribute names written out equal @opentelemetry/semantic-conventions incubating', () => {
    const names = Object.entries(attrs);
    assert.ok(names.length > 0);
    for (const [k, v] of names) assert.equal(v, (incubating as Record<string, unknown>)[k], k);
  });

  test('names, instrument types and units', () => {
    const byName = new Map(
      (['pods', 'jobs', 'cronjobs'] as const).flatMap((r) =>
        familiesFor('semconv', r).map((f) => [f.name, f] as const),
      ),
    );
    const want: [string, string][] = [
      ['k8s.pod.status.phase', '{pod}'],
      ['k8s.pod.status.reason', '{pod}'],
      ['k8s.container.status.state', '{container}'],
      ['k8s.container.status.reason', '{container}'],
      ['k8s.container.restart.count', '{restart}'],
      ['k8s.container.ready', '{container}'],
      ['k8s.job.pod.active', '{pod}'],
      ['k8s.job.pod.failed', '{pod}'],
      ['k8s.job.pod.successful', '{pod}'],
      ['k8s.job.pod.desired_successful', '{pod}'],
      ['k8s.job.pod.max_parallel', '{pod}'],
      ['k8s.cronjob.job.active', '{job}'],
    ];
    for (const [name, unit] of want) {
      const f = byName.get(name);
      assert.ok(f, name);
      assert.equal(f.unit, unit, name);
      assert.equal(f.type, 'updowncounter', name);
    }
  });

  test('pod phase: all five values with identity attributes, current = 1', () => {
    const f = generate('pods', POD, { schema: 'semconv' });
    const phase = f.get('k8s.pod.status.phase')!;
    assert.equal(phase.length, 5);
    assert.deepEqual(phase.find((p) => p.value === 1)!.attributes, {
      'k8s.namespace.name': 'ns',
      'k8s.pod.name': 'p',
      'k8s.pod.uid': 'pu',
      'k8s.node.name': 'node-1',
      'k8s.pod.status.phase': 'Running',
    });
    assert.deepEqual(
      f
        .get('k8s.pod.status.reason')!
        .filter((p) => p.value === 1)
        .map((p) => p.attributes['k8s.pod.status.reason']),
      ['Evicted'],
    );
  });

  test('container state/reason/restarts/ready carry k8s.container.name', () => {
    const f = generate('pods', POD, { schema: 'semconv' });
    const on = (n: string, k: string) =>
      f
        .get(n)!
        .filter((p) => p.value === 1)
        .map((p) => p.attributes[k]);
    assert.deepEqual(on('k8s.container.status.state', 'k8s.container.status.state'), ['waiting']);
    assert.deepEqual(on('k8s.container.status.reason', 'k8s.container.status.reason'), ['CrashLoopBackOff']);
    assert.equal(f.get('k8s.container.status.reason')!.length, 9);
    const rc = f.get('k8s.container.restart.count')![0]!;
    assert.equal(rc.value, 2);
    assert.equal(rc.attributes['k8s.container.name'], 'app');
    assert.equal(f.get('k8s.container.ready')![0]!.value, 1);
  });

  test('job pods with cronjob identity when owned by a CronJob', () => {
    const job = {
      metadata: {
        name: 'j',
        namespace: 'ns',
        uid: 'ju',
        ownerReferences: [{ kind: 'CronJob', name: 'cj', uid: 'cju', controller: true }],
      },
      spec: { completions: 3, parallelism: 2 },
      status: { active: 1, failed: 4 },
    };
    const f = generate('jobs', job, { schema: 'semconv' });
    const failed = f.get('k8s.job.pod.failed')![0]!;
    assert.equal(failed.value, 4);
    assert.deepEqual(failed.attributes, {
      'k8s.namespace.name': 'ns',
      'k8s.job.name': 'j',
      'k8s.job.uid': 'ju',
      'k8s.cronjob.name': 'cj',
      'k8s.cronjob.uid': 'cju',
    });
    assert.equal(f.get('k8s.job.pod.successful')![0]!.value, 0);
    assert.equal(f.get('k8s.job.pod.desired_successful')![0]!.value, 3);
    assert.equal(f.get('k8s.job.pod.max_parallel')![0]!.value, 2);
  });

  test('cronjob active jobs', () => {
    const cj = {
      metadata: { name: 'c', namespace: 'ns', uid: 'cu' },
      spec: { schedule: '* * * * *' },
      status: { active: [{}, {}] },
    };
    const p = generate('cronjobs', cj, { schema: 'semconv' }).get('k8s.cronjob.job.active')![0]!;
    assert.equal(p.value, 2);
    assert.equal(p.attributes['k8s.cronjob.uid'], 'cu');
  });

  test('pod status reason: PodStatus.reason only, at most one non-zero value', () => {
    const reasons = (pod: object) =>
      generate('pods', pod, { schema: 'semconv' })
        .get('k8s.pod.status.reason')!
        .filter((p) => p.value !== 0)
        .map((p) => p.attributes['k8s.pod.status.reason']);
    // A DisruptionTarget condition and an OOM-killed container are not PodStatus.reason (the ksm rule counts them).
    const noReason = {
      ...POD,
      status: {
        ...POD.status,
        reason: '',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'Evicted' }],
        containerStatuses: [{ name: 'app', state: { terminated: { reason: 'Shutdown', exitCode: 1 } } }],
      },
    };
    assert.deepEqual(reasons(noReason), []);
    assert.equal(generate('pods', noReason, { schema: 'semconv' }).get('k8s.pod.status.reason')!.length, 5);
    assert.deepEqual(reasons({ ...noReason, status: { ...noReason.status, reason: 'NodeLost' } }), ['NodeLost']);
  });

  test('OTLP shape: enum attributes stay on points, int value type except CPU', () => {
    for (const r of ['pods', 'jobs', 'cronjobs'] as const) {
      for (const f of familiesFor('semconv', r)) {
        assert.ok(f.pointAttributes, `${f.name} declares its point attributes`);
        for (const k of f.pointAttributes) assert.ok(f.labels.includes(k), `${f.name}: ${k} is one of its labels`);
        assert.equal(f.valueType, f.name.startsWith('k8s.container.cpu.') ? 'double' : 'int', f.name);
      }
    }
    const pointKeys = (name: string) =>
      familiesFor('semconv', 'pods').find((f) => f.name === name)?.pointAttributes ?? [];
    assert.deepEqual(pointKeys('k8s.pod.status.phase'), ['k8s.pod.status.phase']);
    assert.deepEqual(pointKeys('k8s.container.restart.count'), []);
  });

  test('container requests and limits from the spec; owning job on pod and container identity', () => {
    const pod = {
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'pu',
        ownerReferences: [{ kind: 'Job', name: 'j', uid: 'ju', controller: true }],
      },
      spec: {
        nodeName: 'node-1',
        containers: [
          {
            name: 'app',
            resources: {
              requests: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1Gi' },
              limits: { cpu: '1', memory: '128Mi' },
            },
          },
          { name: 'side' },
        ],
      },
      status: { phase: 'Running' },
    };
    const f = generate('pods', pod, { schema: 'semconv' });
    const one = (n: string) => {
      const pts = f.get(n)!;
      assert.equal(pts.length, 1, n);
      return pts[0]!;
    };
    assert.equal(one('k8s.container.cpu.request').value, 0.25);
    assert.equal(one('k8s.container.cpu.limit').value, 1);
    assert.equal(one('k8s.container.memory.request').value, 64 * 1024 * 1024);
    assert.equal(one('k8s.container.memory.limit').value, 128 * 1024 * 1024);
    assert.equal(one('k8s.container.ephemeral_storage.request').value, 1024 ** 3);
    assert.equal(f.get('k8s.container.ephemeral_storage.limit')!.length, 0);
    assert.equal(f.get('k8s.container.storage.request')!.length, 0);
    assert.deepEqual(one('k8s.container.memory.limit').attributes, {
      'k8s.namespace.name': 'ns',
      'k8s.pod.name': 'p',
      'k8s.pod.uid': 'pu',
      'k8s.node.name': 'node-1',
      'k8s.job.name': 'j',
      'k8s.job.uid': 'ju',
      'k8s.container.name': 'app',
    });
    assert.equal(f.get('k8s.pod.status.phase')![0]!.attributes['k8s.job.name'], 'j');
  });
});
