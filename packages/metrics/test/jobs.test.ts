import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generate, series } from './helpers.ts';

function job(status: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return { metadata: { name: 'j', namespace: 'ns', uid: 'ju' }, spec, status };
}
const J = 'namespace="ns",job_name="j"';
const one = (fams: Map<string, { value: number; attributes: Record<string, string> }[]>, name: string) => {
  const p = fams.get(name)!;
  assert.equal(p.length, 1, `${name} has exactly one series`);
  return p[0]!;
};

describe('field problem 1: jobs without conditions keep their status gauges', () => {
  test('failed pods, no conditions: active/succeeded/failed/ready exist, 0 where absent', () => {
    const f = generate('jobs', job({ failed: 3, active: 1 }));
    assert.equal(one(f, 'kube_job_status_active').value, 1);
    assert.equal(one(f, 'kube_job_status_succeeded').value, 0);
    assert.equal(one(f, 'kube_job_status_ready').value, 0);
    // KSM v2.14+ fallback: reason="" carries the count.
    assert.deepEqual(one(f, 'kube_job_status_failed').attributes, { namespace: 'ns', job_name: 'j', reason: '' });
    assert.equal(one(f, 'kube_job_status_failed').value, 3);
    assert.equal(one(f, 'kube_job_status_failed_pods').value, 3);
    // condition-driven families stay empty without conditions
    for (const n of ['kube_job_complete', 'kube_job_failed', 'kube_job_status_suspended', 'kube_job_failure_target']) {
      assert.deepEqual(f.get(n), [], n);
    }
  });

  test('a brand-new job with an empty status still has all four basic gauges at 0', () => {
    const f = generate('jobs', job({}));
    for (const n of [
      'kube_job_status_active',
      'kube_job_status_succeeded',
      'kube_job_status_ready',
      'kube_job_status_failed_pods',
    ]) {
      assert.equal(one(f, n).value, 0, n);
    }
    assert.deepEqual(one(f, 'kube_job_status_failed').attributes, { namespace: 'ns', job_name: 'j' });
  });

  test('known failure reason: KSM reports flags, failed_pods keeps the count', () => {
    const f = generate(
      'jobs',
      job({ failed: 6, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }),
    );
    assert.deepEqual(series(f, 'kube_job_status_failed'), [
      `kube_job_status_failed|job_name="j",namespace="ns",reason="BackoffLimitExceeded"|1`,
      `kube_job_status_failed|job_name="j",namespace="ns",reason="DeadlineExceeded"|0`,
      `kube_job_status_failed|job_name="j",namespace="ns",reason="Evicted"|0`,
    ]);
    assert.equal(one(f, 'kube_job_status_failed_pods').value, 6);
    assert.deepEqual(one(f, 'kube_job_failure_reason').attributes, {
      namespace: 'ns',
      job_name: 'j',
      condition_type: 'Failed',
      reason: 'BackoffLimitExceeded',
    });
  });

  test('unknown reason (PodFailurePolicy): flags 0 plus reason="" count', () => {
    const f = generate(
      'jobs',
      job({ failed: 2, conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy' }] }),
    );
    const s = series(f, 'kube_job_status_failed');
    assert.equal(s.length, 4);
    assert.ok(s.includes(`kube_job_status_failed|job_name="j",namespace="ns",reason=""|2`));
    assert.equal(one(f, 'kube_job_failure_reason').attributes.reason, 'PodFailurePolicy');
  });

  test('FailureTarget and SuccessCriteriaMet conditions become triples', () => {
    const f = generate(
      'jobs',
      job({
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'SuccessPolicy' },
          { type: 'FailureTarget', status: 'False', reason: 'x' },
        ],
      }),
    );
    assert.deepEqual(series(f, 'kube_job_success_criteria_met'), [
      `kube_job_success_criteria_met|condition="false",job_name="j",namespace="ns"|0`,
      `kube_job_success_criteria_met|condition="true",job_name="j",namespace="ns"|1`,
      `kube_job_success_criteria_met|condition="unknown",job_name="j",namespace="ns"|0`,
    ]);
    assert.deepEqual(
      f.get('kube_job_failure_target')!.map((p) => [p.attributes.condition, p.value]),
      [
        ['true', 0],
        ['false', 1],
        ['unknown', 0],
      ],
    );
    assert.deepEqual(f.get('kube_job_failure_reason'), [], 'only True Failed/FailureTarget conditions carry a reason');
  });

  test('spec.suspend is visible before the Suspended condition appears', () => {
    const f = generate('jobs', job({}, { suspend: true }));
    assert.equal(one(f, 'kube_job_spec_suspend').value, 1);
    assert.deepEqual(f.get('kube_job_status_suspended'), [], 'KSM family follows the condition only');
    assert.equal(one(generate('jobs', job({})), 'kube_job_spec_suspend').value, 0);
  });

  test('status outside True/False/Unknown yields an all-zero triple (KSM addConditionMetrics)', () => {
    const f = generate('jobs', job({ conditions: [{ type: 'Complete', status: 'Weird' }] }));
    assert.deepEqual(
      f.get('kube_job_complete')!.map((p) => p.value),
      [0, 0, 0],
    );
  });

  test('owner without controller field reports owner_is_controller="false"', () => {
    const raw = job({});
    (raw.metadata as Record<string, unknown>).ownerReferences = [{ kind: 'CronJob', name: 'cj', uid: 'x' }];
    assert.equal(one(generate('jobs', raw), 'kube_job_owner').attributes.owner_is_controller, 'false');
  });
  void J;
});
