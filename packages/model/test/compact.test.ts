import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compactCronJob,
  compactJob,
  compactPod,
  compactStatefulSet,
  MalformedObjectError,
  RESOURCES,
} from '../src/index.ts';

const meta = {
  name: 'p',
  namespace: 'ns',
  uid: 'u1',
  resourceVersion: '42',
  creationTimestamp: '2017-07-14T02:40:00Z',
};

describe('compact snapshots', () => {
  test('pod: only needed fields, times in unix seconds, quantities pre-parsed, frozen', () => {
    const s = compactPod({
      metadata: { ...meta, labels: { app: 'x' }, managedFields: [{ huge: true }] },
      spec: {
        nodeName: 'n1',
        containers: [
          {
            name: 'c',
            image: 'img',
            resources: { requests: { cpu: '100m', memory: '1Gi' } },
            env: [{ name: 'SECRET' }],
          },
        ],
      },
      status: {
        phase: 'Running',
        startTime: '2017-07-14T02:40:01.123Z',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2017-08-02T09:26:58Z' }],
        containerStatuses: [
          { name: 'c', ready: true, restartCount: 3, state: { running: { startedAt: '2017-07-14T02:40:02Z' } } },
        ],
      },
    });
    assert.equal(s.uid, 'u1');
    assert.equal(s.resourceVersion, '42');
    assert.equal(s.creationTimestamp, 1500000000);
    assert.equal(s.startTime, 1500000001, 'sub-seconds dropped');
    assert.deepEqual(s.containers[0]!.requests, [
      { name: 'cpu', value: 0.1 },
      { name: 'memory', value: 1073741824 },
    ]);
    assert.equal(s.conditions[0]!.lastTransitionTime, 1501666018);
    assert.equal(s.containerStatuses[0]!.state.kind, 'running');
    assert.equal(s.containerStatuses[0]!.restartCount, 3);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.containers) && Object.isFrozen(s.containers[0]));
    assert.ok(Object.isFrozen(s.labels));
    assert.ok(!('managedFields' in s) && !('env' in s.containers[0]!));
  });

  test('Go zero time and null mean unset', () => {
    const s = compactPod({
      metadata: { ...meta, deletionTimestamp: '0001-01-01T00:00:00Z' },
      status: { startTime: null },
    });
    assert.equal(s.deletionTimestamp, undefined);
    assert.equal(s.startTime, undefined);
  });

  test('tolerates absent optional sections', () => {
    const s = compactPod({ metadata: { name: 'p', uid: 'u' } });
    assert.equal(s.namespace, '');
    assert.deepEqual(s.containerStatuses, []);
    assert.equal(s.phase, '');
    const j = compactJob({ metadata: { name: 'j', uid: 'u' } });
    assert.equal(j.failed, undefined);
    assert.deepEqual(j.conditions, []);
  });

  test('malformed objects throw MalformedObjectError naming the field, not the content', () => {
    const cases: [unknown, string][] = [
      [null, 'pod'],
      ['str', 'pod'],
      [{ metadata: { name: 'p' } }, 'metadata.uid'],
      [{ metadata: { uid: 'u' } }, 'metadata.name'],
      [{ metadata: { name: 'p', uid: 7 } }, 'metadata.uid'],
      [{ metadata: { ...meta }, status: { containerStatuses: {} } }, 'status.containerStatuses'],
      [{ metadata: { ...meta }, status: { startTime: 'yesterday' } }, 'status.startTime'],
      [{ metadata: { ...meta, labels: { a: 1 } } }, 'metadata.labels.a'],
      [
        { metadata: { ...meta }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] } },
        'spec.containers[0].resources.limits.cpu',
      ],
    ];
    for (const [raw, field] of cases) {
      assert.throws(
        () => compactPod(raw),
        (e: unknown) =>
          e instanceof MalformedObjectError &&
          e.field === field &&
          !e.message.includes('yesterday') &&
          !e.message.includes('lots'),
        field,
      );
    }
  });

  test('job, cronjob, statefulset', () => {
    const j = compactJob({
      metadata: meta,
      spec: { parallelism: 2, completions: 5, suspend: true },
      status: {
        active: 1,
        failed: 2,
        conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }],
      },
    });
    assert.deepEqual(
      [j.parallelism, j.completions, j.suspend, j.active, j.failed, j.succeeded],
      [2, 5, true, 1, 2, undefined],
    );
    assert.equal(j.conditions[0]!.reason, 'BackoffLimitExceeded');
    const c = compactCronJob({
      metadata: meta,
      spec: { schedule: '*/5 * * * *', timeZone: 'UTC', suspend: false },
      status: { active: [{ name: 'a' }, { name: 'b' }], lastScheduleTime: '2017-07-14T02:40:00Z' },
    });
    assert.deepEqual([c.schedule, c.timeZone, c.activeJobs, c.lastScheduleTime], ['*/5 * * * *', 'UTC', 2, 1500000000]);
    const ss = compactStatefulSet({ metadata: meta, spec: { replicas: 3 }, status: { readyReplicas: 2 } });
    assert.deepEqual([ss.replicas, ss.readyReplicas, ss.currentReplicas], [3, 2, 0]);
  });

  test('RESOURCES table', () => {
    assert.deepEqual(
      Object.values(RESOURCES).map((r) => [r.group, r.version, r.plural, r.kind]),
      [
        ['', 'v1', 'pods', 'Pod'],
        ['batch', 'v1', 'jobs', 'Job'],
        ['batch', 'v1', 'cronjobs', 'CronJob'],
        ['apps', 'v1', 'statefulsets', 'StatefulSet'],
      ],
    );
    assert.equal(RESOURCES.jobs.compact({ metadata: { name: 'j', uid: 'u' } }).name, 'j');
  });
});
