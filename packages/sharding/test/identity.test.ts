import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ordinalFromPodName, ShardIdentityTracker, statefulSetOwnerName, totalFromStatefulSet } from '../src/index.ts';

test('statefulSetOwnerName finds controller apps/v1 StatefulSet, clear error otherwise', () => {
  const ok = {
    metadata: {
      name: 'kso-0',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'kso', controller: true }],
    },
  };
  assert.equal(statefulSetOwnerName(ok), 'kso');
  const rs = {
    metadata: {
      name: 'p',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', controller: true }],
    },
  };
  assert.throws(() => statefulSetOwnerName(rs), /no controlling apps\/v1 StatefulSet/);
  assert.throws(() => statefulSetOwnerName({ metadata: { name: 'p' } }), /no controlling/);
});

test('ordinal and total parsing', () => {
  assert.equal(ordinalFromPodName('kso-12', 'kso'), 12);
  assert.equal(ordinalFromPodName('kso-x', 'kso'), undefined);
  assert.equal(ordinalFromPodName('other-1', 'kso'), undefined);
  assert.equal(totalFromStatefulSet({ spec: {} }), 1);
  assert.equal(totalFromStatefulSet({ spec: { replicas: 3 } }), 3);
});

test('tracker emits only on (ordinal,total) change; label-only updates are silent; later scale seen', () => {
  const t = new ShardIdentityTracker('kso-0', 'kso');
  assert.deepEqual(t.observe({ metadata: { name: 'kso' }, spec: { replicas: 2 } }), { ordinal: 0, total: 2 });
  assert.deepEqual(t.observe({ metadata: { name: 'kso' }, spec: { replicas: 3 } }), { ordinal: 0, total: 3 });
  assert.equal(
    t.observe({ metadata: { name: 'kso', labels: { rev: 'x' } } as never, spec: { replicas: 3 } }),
    undefined,
  );
  assert.deepEqual(t.observe({ metadata: { name: 'kso' }, spec: { replicas: 1 } }), { ordinal: 0, total: 1 });
  assert.equal(t.observe({ metadata: { name: 'other' }, spec: { replicas: 5 } }), undefined);
});
