// The ReflectorStore seam: a store handed to the Reflector receives exactly the changes the reflector applied
// (list, watch, 410 relist reconcile), in order, and a `replace` after each complete list whose objects equal
// the server's. A store that throws is counted, and the reflector keeps going.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deepEqual, type ReflectorStore } from '../src/index.ts';
import { churn, converge, createPods, type PodSnap, reflect, serverPods, sim, waitFor } from './helpers.ts';

const NS = ['x', 'y'];

/** A store built only from the calls it receives, plus a log of them. */
function recordingStore() {
  const held = new Map<string, PodSnap>();
  const calls: string[] = [];
  const replaced: { size: number; resourceVersion: string; equalHeld: boolean }[] = [];
  const store: ReflectorStore<PodSnap> = {
    add(uid, object) {
      assert.equal(held.has(uid), false, `add of a held uid ${uid}`);
      held.set(uid, object);
      calls.push('add');
    },
    update(uid, object, previous) {
      assert.equal(held.get(uid), previous, 'update carries the previously delivered snapshot');
      held.set(uid, object);
      calls.push('update');
    },
    delete(uid, object) {
      assert.equal(held.get(uid), object, 'delete carries the last delivered snapshot');
      held.delete(uid);
      calls.push('delete');
    },
    replace(objects, resourceVersion) {
      // deepEqual, not identity: a suppressed update refreshes the reflector's snapshot without telling anyone.
      const equalHeld = objects.size === held.size && [...objects].every(([k, v]) => deepEqual(held.get(k), v));
      replaced.push({ size: objects.size, resourceVersion, equalHeld });
      calls.push('replace');
    },
  };
  return { store, held, calls, replaced };
}

describe('ReflectorStore: the reflector sink', () => {
  it('receives the initial list, watch changes and a 410 relist reconcile; replace follows every list', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, NS, 9);
    const r = recordingStore();
    const h = reflect(kc, { pageSize: 4, store: r.store });
    h.reflector.start();
    try {
      await h.reflector.synced;
      assert.deepEqual(r.held, serverPods(s));
      assert.equal(r.calls.at(-1), 'replace', 'the first list ends with replace');
      assert.deepEqual(r.replaced, [
        { size: 18, resourceVersion: h.reflector.stats().resourceVersion, equalHeld: true },
      ]);
      await waitFor('watch open', () => h.reflector.stats().watching);
      churn(s, NS, 1);
      await converge(h, () => serverPods(s));
      await waitFor('store follows', () => r.held.size === serverPods(s).size);
      assert.deepEqual(r.held, serverPods(s));
      assert.ok(r.calls.includes('update') && r.calls.includes('delete'));
      // 410: deletions during the outage must reach the store from the relist's reconcile.
      s.faults.failNext(1000, { status: 503, verb: 'watch' });
      s.faults.dropWatches();
      for (const p of s.cluster.list('Pod', 'x').slice(0, 3)) s.cluster.delete('Pod', 'x', p.metadata.name);
      s.faults.compact();
      s.faults.clear();
      await waitFor('relisted', () => r.replaced.length === 2);
      assert.deepEqual(r.held, serverPods(s));
      assert.equal(r.replaced[1]!.equalHeld, true);
      assert.equal(h.reflector.stats().relists, 1);
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });

  it('a store that throws is counted as a handler error; events still flow and the reflector stays synced', async () => {
    const { sim: s, kc } = await sim();
    createPods(s, ['x'], 3);
    const throwing: ReflectorStore<PodSnap> = {
      add() {
        throw new Error('boom');
      },
      update() {},
      delete() {},
      replace() {},
    };
    const h = reflect(kc, { store: throwing });
    h.reflector.start();
    try {
      await h.reflector.synced;
      assert.equal(h.reflector.stats().handlerErrors, 3);
      assert.equal(h.events.length, 3, 'the EventEmitter listeners were still told');
    } finally {
      await h.reflector.stop();
      await s.close();
    }
  });
});
