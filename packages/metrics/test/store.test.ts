import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compactJob, compactPod, MalformedObjectError } from '@kso/model';
import {
  DEFAULT_CONTEXT,
  type FamilyDef,
  familiesFor,
  MetricsStore,
  type ObjectMetrics,
  type Point,
  parseAllowlist,
  type ResourceName,
} from '../src/index.ts';
import { KIND_TO_RESOURCE, loadConformance, normExpected, series } from './helpers.ts';

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
    assert.equal(e.families.length, store.families('pods').length);
    assert.ok(warnings.length > 0);
    assert.ok(familyPoints(store, 'a', 'kube_pod_info').length === 1);
    // Points are generated per read (e.g. per OTLP collection); the same failure must not flood the log.
    const logged = warnings.length;
    store.upsert('pods', compactPod(podRaw('b', 'Running')));
    for (let i = 0; i < 3; i++) for (const o of store.entries('pods')) assert.ok(o.families.length > 0);
    assert.equal(warnings.length, logged);
  });
});

describe('MetricsStore keeps snapshots, not points', () => {
  const cases = loadConformance();

  test('families read from the store equal the KSM conformance examples', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    const uids: [ResourceName, string, (typeof cases)[number]][] = [];
    for (const c of cases) {
      const resource = KIND_TO_RESOURCE[c.object.kind]!;
      const obj = structuredClone(c.object);
      obj.metadata.uid ??= `uid-of-${String(obj.metadata.name)}`;
      uids.push([resource, store.upsertObject(resource, obj).uid, c]);
    }
    // Twice, interleaving objects: every read must come from the right object's snapshot.
    for (let round = 0; round < 2; round++) {
      for (const [resource, uid, c] of uids) {
        const fams = store.families(resource);
        const got = new Map<string, Point[]>();
        store.get(resource, uid)!.families.forEach((p, i) => {
          if (c.families.includes(fams[i]!.name)) got.set(fams[i]!.name, [...p]);
        });
        assert.deepEqual(series(got), c.expected.map(normExpected).sort(), `${c.name} (round ${round})`);
      }
    }
  });

  test('every read regenerates the same points from the snapshot', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    const snap = compactPod(podRaw('a', 'Running', { team: 'x' }));
    const a = store.upsert('pods', snap);
    store.upsert('pods', compactPod(podRaw('b', 'Failed')));
    const first = a.families;
    const other = store.get('pods', 'b')!.families;
    const again = a.families;
    assert.notEqual(again, first, 'points are not kept per object');
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
    const direct = store.families('pods').map((f) => (f as FamilyDef<typeof snap>).generate(snap, DEFAULT_CONTEXT));
    assert.deepEqual(again, direct);
  });

  test('an update gives a new identity and new values; untouched objects keep theirs', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    const a1 = store.upsert('pods', compactPod(podRaw('a', 'Pending')));
    const b1 = store.upsert('pods', compactPod(podRaw('b', 'Pending')));
    const phase = (e: ObjectMetrics) => {
      const idx = store.families('pods').findIndex((f) => f.name === 'kube_pod_status_phase');
      return e.families[idx]!.find((p) => p.value === 1)?.attributes.phase;
    };
    assert.equal(phase(a1), 'Pending');
    const a2 = store.upsert('pods', compactPod(podRaw('a', 'Running')));
    assert.notEqual(a2, a1);
    assert.equal(store.get('pods', 'a'), a2);
    assert.equal(phase(a2), 'Running');
    assert.equal(phase(a1), 'Pending', 'a replaced entry still describes the object it was built from');
    assert.equal(store.get('pods', 'b'), b1);
    assert.deepEqual(
      [...store.entries('pods')].map((e) => e),
      [a2, b1],
    );
    // A removed entry another component still holds (e.g. a renderer's last object list) stays readable.
    store.remove('pods', 'a');
    assert.equal(phase(a2), 'Running');
  });

  test('a snapshot without a uid is rejected and leaves the store unchanged', () => {
    const store = new MetricsStore({ schema: 'ksm' });
    const v = store.version;
    const bad = { ...compactPod(podRaw('a', 'Running')), uid: '' };
    assert.throws(() => store.upsert('pods', bad), /without a uid/);
    assert.equal(store.version, v);
    assert.equal(store.size('pods'), 0);
  });
});
