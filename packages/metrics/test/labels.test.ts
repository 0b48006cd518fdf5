import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelName, parseAllowlist, toPrometheusLabels } from '../src/index.ts';
import { generate } from './helpers.ts';

describe('label/annotation allowlists (KSM semantics)', () => {
  test('sanitisation: invalid chars → _, camelCase → snake_case, prefix', () => {
    assert.equal(labelName('label', 'app.kubernetes.io/name'), 'label_app_kubernetes_io_name');
    assert.equal(labelName('label', 'teamName'), 'label_team_name');
    assert.equal(labelName('annotation', 'ci-Build.ID'), 'annotation_ci_build_id');
  });

  test('conflicts get _conflictN suffixes in sorted key order, including the first', () => {
    const out = toPrometheusLabels('label', { 'a-b': '1', a_b: '2', 'a.b': '3', z: '4' }, ['*']);
    assert.deepEqual(out, [
      ['label_a_b_conflict1', '1'],
      ['label_a_b_conflict2', '3'],
      ['label_a_b_conflict3', '2'],
      ['label_z', '4'],
    ]);
  });

  test('wildcard takes all keys; explicit list only present keys; unlisted resource nothing', () => {
    const data = { b: '2', a: '1' };
    assert.deepEqual(toPrometheusLabels('label', data, ['*']), [
      ['label_a', '1'],
      ['label_b', '2'],
    ]);
    assert.deepEqual(toPrometheusLabels('label', data, ['b', 'missing']), [['label_b', '2']]);
    assert.deepEqual(toPrometheusLabels('label', data, undefined), []);
  });

  test('listed resource with no matching keys still emits one series with default labels only', () => {
    const job = { metadata: { name: 'j', namespace: 'n', uid: 'u', labels: { x: '1' } } };
    const f = generate('jobs', job, { ctx: { labelsAllow: ['nomatch'], annotationsAllow: undefined } });
    assert.deepEqual(
      f.get('kube_job_labels')!.map((p) => p.attributes),
      [{ namespace: 'n', job_name: 'j' }],
    );
    assert.deepEqual(f.get('kube_job_annotations'), []);
  });

  test('parseAllowlist: KSM flag syntax, wildcard, empty lists, errors', () => {
    assert.deepEqual(parseAllowlist('pods=[app,team], jobs=[*],cronjobs=[]'), {
      pods: ['app', 'team'],
      jobs: ['*'],
      cronjobs: [],
    });
    assert.deepEqual(parseAllowlist(''), {});
    assert.throws(() => parseAllowlist('pods=app'), /invalid allowlist/);
  });
});
