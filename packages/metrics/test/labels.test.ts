import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  familiesFor,
  familyFilter,
  labelName,
  MetricsStore,
  optInFamilies,
  optInFilter,
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

  test('a _conflictN name already taken by another key is skipped (KSM v2.20 nextFreeLabelName)', () => {
    // Sorted: 'a.b' < 'a_b' < 'a_b_conflict1'. Without the check two labels would be named label_a_b_conflict1,
    // an exposition Prometheus rejects.
    const out = toPrometheusLabels('label', { a_b_conflict1: 'x', 'a.b': '1', a_b: '2' }, ['*']);
    assert.deepEqual(out, [
      ['label_a_b_conflict1_conflict1', '1'],
      ['label_a_b_conflict2', '2'],
      ['label_a_b_conflict1_conflict2', 'x'],
    ]);
    assert.equal(new Set(out.map(([k]) => k)).size, out.length);
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

describe('--metric-opt-in-list (KSM pkg/optin)', () => {
  const pods = (opts: Parameters<typeof familiesFor>[2]) => familiesFor('ksm', 'pods', opts).map((f) => f.name);

  test('opt-in families are off by default and in no store without the list', () => {
    assert.deepEqual(optInFamilies('ksm'), ['kube_pod_nodeselectors']);
    assert.deepEqual(optInFamilies('semconv'), []);
    assert.ok(!pods({}).includes('kube_pod_nodeselectors'));
    const store = new MetricsStore({ schema: 'ksm' });
    assert.ok(!store.families('pods').some((f) => f.name === 'kube_pod_nodeselectors'));
  });

  test('an unanchored regular expression turns one on, at KSM position (after tolerations)', () => {
    for (const entry of ['kube_pod_nodeselectors', 'nodeselectors', '^kube_pod_node.*$']) {
      const names = pods({ optIn: [entry] });
      assert.equal(names.indexOf('kube_pod_nodeselectors'), names.indexOf('kube_pod_tolerations') + 1, entry);
    }
    assert.ok(!pods({ optIn: ['^nodeselectors'] }).includes('kube_pod_nodeselectors'));
    // Non-opt-in families are not affected by the list.
    assert.equal(pods({ optIn: ['kube_pod_nodeselectors'] }).length, pods({}).length + 1);
    const store = new MetricsStore({ schema: 'ksm', optIn: ['kube_pod_nodeselectors'] });
    assert.ok(store.families('pods').some((f) => f.name === 'kube_pod_nodeselectors'));
  });

  test('the allow/denylist still applies to an opted-in family (KSM composite filter: both must pass)', () => {
    const optIn = ['kube_pod_nodeselectors'];
    assert.deepEqual(pods({ optIn, filter: familyFilter(['kube_pod_(info|nodeselectors)$'], []) }), [
      'kube_pod_info',
      'kube_pod_nodeselectors',
    ]);
    assert.deepEqual(pods({ optIn, filter: familyFilter(['kube_pod_info$'], []) }), ['kube_pod_info']);
    assert.ok(!pods({ optIn, filter: familyFilter([], ['nodeselectors']) }).includes('kube_pod_nodeselectors'));
    assert.ok(!pods({ filter: familyFilter(['nodeselectors'], []) }).includes('kube_pod_nodeselectors'));
  });

  test('invalid and RE2-incompatible entries are refused with the entry named', () => {
    assert.throws(() => optInFilter(['kube_(pod']), /invalid regular expression "kube_\(pod"/);
    for (const x of ['kube_pod_(?=node)', 'kube_(?!x)pod', '(?<=kube_)pod', '(a)\\1', '(?<n>a)\\k<n>'])
      assert.throws(() => optInFilter([x]), /not RE2 syntax/, x);
    assert.ok(optInFilter(['(?<name>kube)_pod'])('kube_pod_x'), 'named groups are RE2 syntax too');
  });
});
