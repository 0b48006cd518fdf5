import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { familiesFor } from '../src/index.ts';
import { generate, KIND_TO_RESOURCE, loadConformance, normExpected, series } from './helpers.ts';

const cases = loadConformance();

describe('KSM v2.20 conformance examples', () => {
  test('fixture has the 8 upstream cases', () => assert.equal(cases.length, 8));

  for (const c of cases) {
    test(c.name, () => {
      const resource = KIND_TO_RESOURCE[c.object.kind]!;
      // Upstream Go test objects omit metadata.uid (KSM's job tests never read it); real API objects always
      // carry one, and compaction requires it, so give such fixtures a placeholder that no expected job label uses.
      const obj = structuredClone(c.object);
      obj.metadata.uid ??= `uid-of-${String(obj.metadata.name)}`;
      const known = new Set(familiesFor('ksm', resource).map((f) => f.name));
      for (const f of c.families) assert.ok(known.has(f), `family ${f} is implemented`);
      const got = series(generate(resource, obj, { only: c.families }));
      const want = c.expected.map(normExpected).sort();
      assert.deepEqual(got, want);
    });
  }
});

describe('label wire order = KSM (default labels first, then generator order)', () => {
  test('container waiting reason: namespace, pod, uid, container, reason', () => {
    const c = cases.find((x) => x.name === 'container_waiting_crashloopbackoff')!;
    const fams = generate('pods', c.object);
    const p = fams.get('kube_pod_container_status_waiting_reason')![0]!;
    assert.deepEqual(Object.keys(p.attributes), ['namespace', 'pod', 'uid', 'container', 'reason']);
  });
  test('job owner: namespace, job_name, owner_kind, owner_name, owner_is_controller', () => {
    const c = cases.find((x) => x.name === 'job_running_owned_by_cronjob')!;
    const obj = structuredClone(c.object);
    obj.metadata.uid = 'u1';
    const p = generate('jobs', obj).get('kube_job_owner')![0]!;
    assert.deepEqual(Object.keys(p.attributes), [
      'namespace',
      'job_name',
      'owner_kind',
      'owner_name',
      'owner_is_controller',
    ]);
  });
  test('pod info and resource requests', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'n', uid: 'u' },
      spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '250m' } } }] },
      status: {},
    };
    const fams = generate('pods', pod);
    assert.deepEqual(Object.keys(fams.get('kube_pod_info')![0]!.attributes), [
      'namespace',
      'pod',
      'uid',
      'host_ip',
      'pod_ip',
      'node',
      'created_by_kind',
      'created_by_name',
      'priority_class',
      'host_network',
    ]);
    const req = fams.get('kube_pod_container_resource_requests')![0]!;
    assert.deepEqual(Object.keys(req.attributes), ['namespace', 'pod', 'uid', 'container', 'node', 'resource', 'unit']);
    assert.equal(req.value, 0.25);
  });
});
