// What a change of our own Pod makes the sidecar do: the final flush once every main container has ended, an
// early flush the first time an eviction/deletion shows, nothing otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newlyTerminated, podAction } from '../src/lifecycle.ts';
import type { PodView } from '../src/pod-view.ts';

const running: PodView = {
  name: 'run-1-x',
  namespace: 'batch',
  uid: 'u1',
  jobName: 'run-1',
  mainDone: false,
  terminated: [],
  graceSeconds: 30,
  deleting: false,
  disruption: undefined,
};
const done: PodView = { ...running, mainDone: true, terminated: [{ name: 'main', reason: 'Completed', exitCode: 0 }] };

test('main containers done: finish once, unless told to wait for SIGTERM', () => {
  assert.deepEqual(podAction(running, done, true), { kind: 'finish', trigger: 'main-container-terminated' });
  assert.deepEqual(podAction(undefined, done, true), { kind: 'finish', trigger: 'main-container-terminated' });
  assert.deepEqual(podAction(done, done, true), { kind: 'none' }, 'not again on a later update');
  assert.deepEqual(podAction(running, done, false), { kind: 'none' });
});

test('eviction or deletion: flush early the first time it shows, with its reason', () => {
  const evicted = { ...running, disruption: 'EvictionByEvictionAPI', deleting: true };
  assert.deepEqual(podAction(running, evicted, true), { kind: 'flush-early', reason: 'EvictionByEvictionAPI' });
  assert.deepEqual(podAction(evicted, evicted, true), { kind: 'none' }, 'once');
  const deleted = { ...running, deleting: true };
  assert.deepEqual(podAction(running, deleted, true), { kind: 'flush-early', reason: 'deletionTimestamp' });
  // Already disrupted when first seen (sidecar started late): still flush early.
  assert.deepEqual(podAction(undefined, deleted, true), { kind: 'flush-early', reason: 'deletionTimestamp' });
  // Deleted while the main containers end: the final flush wins.
  assert.deepEqual(podAction(running, { ...done, deleting: true }, true), {
    kind: 'finish',
    trigger: 'main-container-terminated',
  });
  assert.deepEqual(podAction(running, { ...done, deleting: true }, false), {
    kind: 'flush-early',
    reason: 'deletionTimestamp',
  });
});

test('each terminated main container is reported once', () => {
  assert.deepEqual(
    newlyTerminated(running, done).map((c) => c.name),
    ['main'],
  );
  assert.deepEqual(newlyTerminated(done, done), []);
});
