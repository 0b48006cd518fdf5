import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compactJob, compactPod, MalformedObjectError } from '@kso/model';
import { familiesFor, MetricsStore, parseAllowlist } from '../src/index.ts';

const podRaw = (uid: string, phase: string, labels: Record<string, string> = {}) => ({
  metadata: { name: `p-${uid}`, namespace: 'ns', uid, labels },
  status: { phase },
});
function familyPoints(store: MetricsStore, uid: string, name: string) {
  const idx = store.families('pods').findIndex((f) => f.name === name);
  return store.get('pods', uid)!.families[idx]!;
}

describe('MetricsStore', () => {
  test('upsert replaces the entry, keeps first-seen start time, bumps version', () => {
    let now = 1000;
    const store = new MetricsStore({ schema: 'ksm', now: () => now });
    const v0 = store.version;
    const first = store.upsert('pods', compactPod(podRaw('a', 'Pending')));
    assert.ok(store.version > v0);
    now = 2000;
    const second = store.upsert('pods', compactPod(podRaw('a', 'Running')));
    assert.notEqual(first, second, 'entries are immutable: a new object per update');
    assert.ok(Object.isFrozen(second));
    assert.equal(second.startTimeMs, 1000);
    assert.equal(store.size('pods'), 1);
    const phase = familyPoints(store, 'a', 'kube_pod_status_phase').find((p) => p.value === 1);
    assert.equal(phase?.attributes.phase, 'Running');
    assert.equal(second.families.length, store.families('pods').length);
  });

  test('remove drops every series of the object at once; clear empties one resource', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    store.upsert('pods', compactPod(podRaw('a', 'Running')));
    store.upsert('pods', compactPod(podRaw('b', 'Running')));
    store.upsert('jobs', compactJob({ metadata: { name: 'j', namespace: 'ns', uid: 'j1' } }));
    const v = store.version;
    assert.equal(store.remove('pods', 'a'), true);
    assert.equal(store.remove('pods', 'a'), false);
    assert.ok(store.version > v);
    assert.equal(store.has('pods', 'a'), false);
    assert.deepEqual(
      [...store.entries('pods')].map((e) => e.uid),
      ['b'],
    );
    store.clear('pods');
    assert.equal(store.size('pods'), 0);
    assert.equal(store.size('jobs'), 1);
    assert.deepEqual(store.counts(), { jobs: 1, pods: 0, cronjobs: 0 });
  });

  test('iteration order is stable across updates', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    for (const u of ['x', 'y', 'z']) store.upsert('pods', compactPod(podRaw(u, 'Running')));
    store.upsert('pods', compactPod(podRaw('x', 'Failed')));
    assert.deepEqual(
      [...store.entries('pods')].map((e) => e.uid),
      ['x', 'y', 'z'],
    );
  });

  test('upsertObject rejects malformed objects without touching the store', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    const v = store.version;
    assert.throws(() => store.upsertObject('pods', { metadata: { name: 'x' } }), MalformedObjectError);
    assert.equal(store.version, v);
    assert.equal(store.size('pods'), 0);
  });

  test('resources option limits what is served; unknown resources are rejected', () => {
    const store = new MetricsStore({ schema: 'semconv', resources: ['jobs'] });
    assert.deepEqual(store.resources(), ['jobs']);
    assert.throws(() => store.size('pods'), /not served/);
    assert.deepEqual(
      store.families('jobs').map((f) => f.name),
      familiesFor('semconv', 'jobs').map((f) => f.name),
    );
  });

  test('allowlists reach the label families; extensions can be turned off', () => {
    const store = new MetricsStore({
      schema: 'ksm',
      allowlists: { labels: parseAllowlist('pods=[app.kubernetes.io/name,team]') },
      extensions: false,
    });
    store.upsert('pods', compactPod(podRaw('a', 'Running', { 'app.kubernetes.io/name': 'web', other: 'x' })));
    assert.deepEqual(familyPoints(store, 'a', 'kube_pod_labels')[0]!.attributes, {
      namespace: 'ns',
      pod: 'p-a',
      uid: 'a',
      label_app_kubernetes_io_name: 'web',
    });
    assert.deepEqual(familyPoints(store, 'a', 'kube_pod_annotations'), []);
    assert.ok(store.families('pods').every((f) => f.stability !== 'EXTENSION'));
  });

  test('a throwing generator empties only its family and is logged', () => {
    const warnings: object[] = [];
    const store = new MetricsStore({ schema: 'ksm', logger: { warn: (o) => warnings.push(o) } });
    // A hand-built snapshot that violates the model's types (containerStatuses not an array) — models a bug.
    const bad = { ...compactPod(podRaw('a', 'Running')), containerStatuses: 42 } as never;
    const e = store.upsert('pods', bad);
    assert.ok(warnings.length > 0);
    assert.equal(e.families.length, store.families('pods').length);
    assert.ok(familyPoints(store, 'a', 'kube_pod_info').length === 1);
  });
});
