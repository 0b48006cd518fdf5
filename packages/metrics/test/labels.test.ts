import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  familiesFor,
  familyFilter,
  labelName,
  MetricsStore,
  parseAllowlist,
  toPrometheusLabels,
} from '../src/index.ts';
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

describe('KSM --metric-labels-allowlist resource wildcard and --metric-allowlist/--metric-denylist', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'a', team: 't' } },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Running' },
  };
  const labelsOf = (allow: string) => {
    const store = new MetricsStore({
      schema: 'ksm',
      resources: ['pods'],
      allowlists: { labels: parseAllowlist(allow) },
    });
    const entry = store.upsertObject('pods', pod);
    const i = store.families('pods').findIndex((f) => f.name === 'kube_pod_labels');
    return entry.families[i]!.map((pt) => Object.keys(pt.attributes).filter((k) => k.startsWith('label_')));
  };

  test('*=[*] exposes every label of every resource and wins over a per-resource entry', () => {
    assert.deepEqual(parseAllowlist('*=[*]'), { '*': ['*'] });
    assert.deepEqual(labelsOf('*=[*]'), [['label_app', 'label_team']]);
    assert.deepEqual(labelsOf('pods=[app],*=[team]'), [['label_team']]);
    assert.deepEqual(labelsOf('pods=[app]'), [['label_app']]);
  });

  test('allowlist keeps, denylist drops, by unanchored regular expression; both at once is an error', () => {
    const all = familiesFor('ksm', 'jobs').map((f) => f.name);
    const allow = familyFilter(['kube_job_status_(succeeded|failed)$'], [])!;
    assert.deepEqual(all.filter(allow), ['kube_job_status_succeeded', 'kube_job_status_failed']);
    const deny = familyFilter([], ['_info$', 'owner'])!;
    const kept = familiesFor('ksm', 'jobs', { filter: deny }).map((f) => f.name);
    assert.ok(!kept.includes('kube_job_info') && !kept.includes('kube_job_owner'));
    assert.equal(kept.length, all.length - 2);
    assert.equal(familyFilter([], []), undefined);
    assert.throws(() => familyFilter(['a'], ['b']), /mutually exclusive/);
  });
});
