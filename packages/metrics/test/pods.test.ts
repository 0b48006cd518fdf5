import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodSnapshot } from '@kso/model';
import { derivedPodReason, disruptionComponent } from '../src/index.ts';
import { compactFor, generate, series } from './helpers.ts';

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'pu' }, spec, status };
}
const reasons = (f: ReturnType<typeof generate>, n: string) =>
  f
    .get(n)!
    .map((p) => p.attributes.reason)
    .sort();

const DISRUPTIONS = [
  ['EvictionByEvictionAPI', 'Eviction API: evicting', 'eviction-api'],
  ['DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint', 'taint-manager'],
  ['PreemptionByScheduler', 'default-scheduler: preempting to accommodate a higher priority pod', 'default-scheduler'],
  ['TerminationByKubelet', 'Pod was terminated in response to imminent node shutdown.', 'kubelet'],
] as const;

describe('field problem 2: evicted / disrupted pods', () => {
  for (const [reason, message, component] of DISRUPTIONS) {
    test(`DisruptionTarget ${reason}: sparse KSM series + disruption context`, () => {
      const f = generate(
        'pods',
        pod({
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'False' },
            { type: 'DisruptionTarget', status: 'True', reason, message, lastTransitionTime: '2026-01-02T03:04:05Z' },
          ],
        }),
      );
      assert.deepEqual(series(f, 'kube_pod_status_disruption_reason'), [
        `kube_pod_status_disruption_reason|namespace="ns",pod="p",reason="${reason}",uid="pu"|1`,
      ]);
      const d = f.get('kube_pod_status_disruption')!;
      assert.equal(d.length, 1);
      assert.deepEqual(d[0]!.attributes, {
        namespace: 'ns',
        pod: 'p',
        uid: 'pu',
        reason,
        component,
        condition: 'true',
      });
      assert.equal(d[0]!.value, 1);
      assert.deepEqual(series(f, 'kube_pod_status_disruption_time'), [
        `kube_pod_status_disruption_time|namespace="ns",pod="p",reason="${reason}",uid="pu"|${Date.UTC(2026, 0, 2, 3, 4, 5) / 1000}`,
      ]);
      // KSM rule 2: any condition's reason counts for kube_pod_status_reason when it is listed.
      const listed = ['PreemptionByScheduler', 'TerminationByKubelet'].includes(reason);
      assert.deepEqual(reasons(f, 'kube_pod_status_reason'), listed ? [reason] : []);
      assert.deepEqual(
        f.get('kube_pod_status_reason_source')!.map((p) => [p.attributes.reason, p.attributes.source]),
        [[reason, 'disruption_target']],
      );
    });
  }

  test('unlisted disruption reason folds to Other in the KSM family, stays raw in the extension', () => {
    const f = generate(
      'pods',
      pod({ conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByNewThing' }] }),
    );
    assert.deepEqual(reasons(f, 'kube_pod_status_disruption_reason'), ['Other']);
    assert.equal(f.get('kube_pod_status_disruption')![0]!.attributes.reason, 'DeletionByNewThing');
  });

  test('status.reason Evicted + container OOMKilled: sparse reasons, status wins the derived reason', () => {
    const f = generate(
      'pods',
      pod({
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        containerStatuses: [
          { name: 'app', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } },
          { name: 'side', state: { terminated: { reason: 'Completed', exitCode: 0 } } },
        ],
      }),
    );
    assert.deepEqual(reasons(f, 'kube_pod_status_reason'), ['Evicted']);
    assert.deepEqual(reasons(f, 'kube_pod_container_status_terminated_reason'), ['Completed', 'OOMKilled']);
    assert.deepEqual(
      f.get('kube_pod_status_reason_source')!.map((p) => p.attributes),
      [{ namespace: 'ns', pod: 'p', uid: 'pu', reason: 'Evicted', source: 'status' }],
    );
    assert.deepEqual(
      f
        .get('kube_pod_status_phase')!
        .filter((p) => p.value === 1)
        .map((p) => p.attributes.phase),
      ['Failed'],
    );
  });

  test('container terminated reason is the last resort, non-Completed first', () => {
    const snap = compactFor(
      'pods',
      pod({
        containerStatuses: [
          { name: 'a', state: { terminated: { reason: 'Completed' } } },
          { name: 'b', state: { terminated: { reason: 'OOMKilled' } } },
        ],
      }),
    ) as PodSnapshot;
    assert.deepEqual(derivedPodReason(snap), { reason: 'OOMKilled', source: 'container_terminated' });
  });

  test('unlisted status.reason gives reason="Other" (v2.20); nothing for a healthy pod', () => {
    assert.deepEqual(reasons(generate('pods', pod({ reason: 'SomethingNew' })), 'kube_pod_status_reason'), ['Other']);
    const healthy = generate('pods', pod({ phase: 'Running' }));
    assert.deepEqual(healthy.get('kube_pod_status_reason'), []);
    assert.deepEqual(healthy.get('kube_pod_status_reason_source'), []);
    assert.deepEqual(healthy.get('kube_pod_status_disruption'), []);
  });

  test('last terminated reason survives a restart (OOMKilled then Running)', () => {
    const f = generate(
      'pods',
      pod({
        containerStatuses: [
          {
            name: 'app',
            restartCount: 1,
            state: { running: { startedAt: '2026-01-01T00:00:10Z' } },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-01-01T00:00:05Z' } },
          },
        ],
      }),
    );
    assert.deepEqual(reasons(f, 'kube_pod_container_status_last_terminated_reason'), ['OOMKilled']);
    assert.equal(f.get('kube_pod_container_status_last_terminated_exitcode')![0]!.value, 137);
    assert.equal(f.get('kube_pod_container_status_last_terminated_timestamp')![0]!.value, 1767225605);
    assert.equal(f.get('kube_pod_container_state_started')![0]!.value, 1767225610);
    assert.deepEqual(f.get('kube_pod_container_status_terminated_reason'), []);
  });

  test('disruption component prefers the message prefix', () => {
    assert.equal(disruptionComponent('DeletionByPodGC', 'PodGC: node no longer exists'), 'podgc');
    assert.equal(disruptionComponent('DeletionByPodGC', ''), 'pod-gc');
    assert.equal(disruptionComponent('Unheard', 'no prefix here'), '');
  });
});

describe('pod families: KSM details', () => {
  test('unset times emit nothing (no Go zero-time quirk)', () => {
    const f = generate('pods', pod({ containerStatuses: [{ name: 'c', state: { terminated: { reason: 'Error' } } }] }));
    assert.deepEqual(f.get('kube_pod_container_state_started'), []);
    assert.deepEqual(f.get('kube_pod_completion_time'), []);
    assert.deepEqual(f.get('kube_pod_start_time'), []);
  });

  test('resources: cpu cores, bytes, sanitised names, extended integer, init containers', () => {
    const f = generate(
      'pods',
      pod(
        {},
        {
          nodeName: 'n1',
          containers: [
            {
              name: 'c',
              resources: {
                requests: { cpu: '100m', memory: '1Gi', 'ephemeral-storage': '500Ki', 'nvidia.com/gpu': '1' },
                limits: { cpu: '1.5', 'hugepages-2Mi': '4Mi' },
              },
            },
          ],
          initContainers: [{ name: 'i', restartPolicy: 'Always', resources: { requests: { cpu: '1e3' } } }],
        },
      ),
    );
    assert.deepEqual(
      f.get('kube_pod_container_resource_requests')!.map((p) => [p.attributes.resource, p.attributes.unit, p.value]),
      [
        ['cpu', 'core', 0.1],
        ['memory', 'byte', 1073741824],
        ['ephemeral_storage', 'byte', 512000],
        ['nvidia_com_gpu', 'integer', 1],
      ],
    );
    assert.deepEqual(
      f.get('kube_pod_container_resource_limits')!.map((p) => [p.attributes.resource, p.value]),
      [
        ['cpu', 1.5],
        ['hugepages_2Mi', 4194304],
      ],
    );
    assert.deepEqual(
      f.get('kube_pod_init_container_resource_requests')!.map((p) => p.value),
      [1000],
    );
  });

  test('container info needs a spec entry and a status entry; init info carries restart_policy', () => {
    const f = generate(
      'pods',
      pod(
        {
          containerStatuses: [{ name: 'c', image: 'img:1', imageID: 'sha', containerID: 'cid' }],
          initContainerStatuses: [{ name: 'i', image: 'init:1' }],
        },
        {
          containers: [{ name: 'c', image: 'img:spec' }, { name: 'orphan' }],
          initContainers: [{ name: 'i', restartPolicy: 'Always' }],
        },
      ),
    );
    assert.deepEqual(
      f.get('kube_pod_container_info')!.map((p) => p.attributes),
      [
        {
          namespace: 'ns',
          pod: 'p',
          uid: 'pu',
          container: 'c',
          image_spec: 'img:spec',
          image: 'img:1',
          image_id: 'sha',
          container_id: 'cid',
        },
      ],
    );
    assert.equal(f.get('kube_pod_init_container_info')![0]!.attributes.restart_policy, 'Always');
  });

  test('pod IPs: family per address, IPv4-mapped counts as 4, garbage skipped', () => {
    const f = generate(
      'pods',
      pod({ podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }, { ip: '::ffff:10.1.1.1' }, { ip: 'nope' }] }),
    );
    assert.deepEqual(
      f.get('kube_pod_ips')!.map((p) => [p.attributes.ip, p.attributes.ip_family]),
      [
        ['10.0.0.1', '4'],
        ['fd00::1', '6'],
        ['::ffff:10.1.1.1', '4'],
      ],
    );
  });

  test('phase: five series in KSM order, none when empty', () => {
    assert.deepEqual(generate('pods', pod({})).get('kube_pod_status_phase'), []);
    assert.deepEqual(
      generate('pods', pod({ phase: 'Running' }))
        .get('kube_pod_status_phase')!
        .map((p) => [p.attributes.phase, p.value]),
      [
        ['Pending', 0],
        ['Succeeded', 0],
        ['Failed', 0],
        ['Unknown', 0],
        ['Running', 1],
      ],
    );
  });

  test('every pod family tolerates a minimal pod and a pod with odd-but-valid fields', () => {
    const odd = pod(
      { phase: 'Weird', qosClass: 'Other', conditions: [{ type: 'X' }], containerStatuses: [{ name: 'c', state: {} }] },
      {
        containers: [{ name: 'c', resources: { requests: { 'example.com/foo': '3', weird: '1' } } }],
        tolerations: [{}],
      },
    );
    for (const raw of [{ metadata: { name: 'm', uid: 'u' } }, odd]) {
      const f = generate('pods', raw);
      assert.ok(f.size > 50, `${f.size} families ran`);
    }
  });
});

test('PVC families include generic ephemeral volumes (claim <pod>-<volume>)', () => {
  const f = generate(
    'pods',
    pod(
      {},
      {
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'pvc-1', readOnly: true } },
          { name: 'scratch', ephemeral: { volumeClaimTemplate: {} } },
          { name: 'cfg', configMap: { name: 'x' } },
        ],
      },
    ),
  );
  assert.deepEqual(
    f
      .get('kube_pod_spec_volumes_persistentvolumeclaims_readonly')!
      .map((p) => [p.attributes.volume, p.attributes.persistentvolumeclaim, p.value]),
    [
      ['data', 'pvc-1', 1],
      ['scratch', 'p-scratch', 0],
    ],
  );
});
