import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '@kso/config';
import { parseSidecarArgs } from '../src/cli.ts';
import { podView } from '../src/pod-view.ts';

const pod = (containerStatuses: unknown[]) => ({
  metadata: {
    name: 'job-1-abc',
    namespace: 'ops',
    uid: 'u1',
    ownerReferences: [{ kind: 'Job', name: 'job-1', controller: true, uid: 'j1' }],
  },
  spec: {
    terminationGracePeriodSeconds: 30,
    initContainers: [{ name: 'kso-sidecar', restartPolicy: 'Always' }],
    containers: [{ name: 'main' }, { name: 'helper' }],
  },
  status: {
    initContainerStatuses: [{ name: 'kso-sidecar', state: { running: {} } }],
    containerStatuses,
  },
});

test('main is done only when every regular container terminated; the native sidecar is ignored', () => {
  const running = podView(
    pod([
      { name: 'main', state: { terminated: { reason: 'Completed', exitCode: 0 } } },
      { name: 'helper', state: { running: {} } },
    ]),
  );
  assert.equal(running.mainDone, false);
  assert.equal(running.jobName, 'job-1');
  assert.equal(running.graceSeconds, 30);
  const done = podView(
    pod([
      { name: 'main', state: { terminated: { reason: 'Completed', exitCode: 0 } } },
      { name: 'helper', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } },
    ]),
  );
  assert.equal(done.mainDone, true);
  assert.deepEqual(done.terminated, [
    { name: 'main', reason: 'Completed', exitCode: 0 },
    { name: 'helper', reason: 'OOMKilled', exitCode: 137 },
  ]);
});

test('malformed pods never throw and are never "done"', () => {
  for (const raw of [null, {}, { spec: { containers: 'x' } }, { status: { containerStatuses: [null, 3] } }]) {
    const v = podView(raw as never);
    assert.equal(v.mainDone, false);
  }
});

test('job name falls back to the Job controller labels', () => {
  const v = podView({ metadata: { name: 'p', labels: { 'batch.kubernetes.io/job-name': 'j' } } });
  assert.equal(v.jobName, 'j');
});

test('durations and flags: env fallbacks, defaults, clear errors', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('7'), undefined, 'a bare number is refused: it meant seconds here, ms in kso run');
  assert.equal(parseDuration('ten'), undefined);
  const r = parseSidecarArgs(['--otlp-endpoint', 'http://c:4317', '--flush-deadline', '5s'], {
    KSO_POD: 'p',
    KSO_POD_NAMESPACE: 'ns',
  });
  assert.equal(r.help, false);
  if (!r.help) {
    assert.equal(r.options.podName, 'p');
    assert.equal(r.options.flushDeadlineMs, 5000);
    assert.equal(r.options.intervalMs, 10_000);
    assert.equal(r.options.otlp?.protocol, 'grpc');
  }
  assert.throws(() => parseSidecarArgs([], {}), /--pod, KSO_POD/);
  assert.throws(() => parseSidecarArgs(['--pod', 'p', '--pod-namespace', 'n', '--schema', 'x'], {}), /--schema/);
});

test('a DisruptionTarget condition (eviction, preemption) and a deletionTimestamp are seen', () => {
  const base = pod([{ name: 'main', state: { running: {} } }]);
  assert.equal(podView(base).disruption, undefined);
  assert.equal(podView(base).deleting, false);
  const evicted = {
    ...base,
    metadata: { ...base.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    status: {
      ...base.status,
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' },
      ],
    },
  };
  assert.equal(podView(evicted).disruption, 'PreemptionByScheduler');
  assert.equal(podView(evicted).deleting, true);
  const cleared = { ...base, status: { ...base.status, conditions: [{ type: 'DisruptionTarget', status: 'False' }] } };
  assert.equal(podView(cleared).disruption, undefined, 'a False condition is no disruption');
});

test('new sidecar flags: local push on by default (off disables), probe listener, pod uid, SA dir', () => {
  const env = { KSO_POD: 'p', KSO_POD_NAMESPACE: 'ns' };
  const d = parseSidecarArgs([], env);
  assert.ok(!d.help && d.options.pushListen === '127.0.0.1:4318');
  const off = parseSidecarArgs(['--push-listen=off'], env);
  assert.ok(!off.help && off.options.pushListen === undefined);
  const all = parseSidecarArgs(['--probe-listen=0.0.0.0:8686', '--pod-uid=u-1', '--service-account-dir=/sa'], env);
  assert.ok(!all.help);
  assert.equal(all.options.probeListen, '0.0.0.0:8686');
  assert.equal(all.options.podUid, 'u-1');
  assert.equal(all.options.serviceAccountDir, '/sa');
});
