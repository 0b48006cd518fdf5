import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsSource } from '@kso/metrics';
import { Resharder, type ShardAssignment, type ShardView, SwitchableSource } from '../src/index.ts';

interface FakeView extends ShardView {
  assignment: ShardAssignment;
  isSynced: boolean;
  stopped: boolean;
  resolve(): void;
  reject(e: Error): void;
}

function fakeFactory() {
  const views: FakeView[] = [];
  const createView = (assignment: ShardAssignment): FakeView => {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const synced = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    synced.catch(() => {});
    const source = {
      schema: 'ksm',
      resources: () => ['pod'],
      families: () => [],
      entries: () => [],
      size: () => assignment.shard * 100 + assignment.total,
    } as unknown as MetricsSource;
    const v: FakeView = {
      assignment,
      source,
      synced,
      isSynced: false,
      stopped: false,
      resolve: () => {
        v.isSynced = true;
        resolve();
      },
      reject: (e) => reject(e),
      stop: async () => {
        v.stopped = true;
      },
    };
    views.push(v);
    return v;
  };
  return { views, createView };
}

const tick = () => new Promise((r) => setImmediate(r));

test('old view is served until the new one has synced, then old is stopped', async () => {
  const f = fakeFactory();
  const r = new Resharder({ createView: f.createView });
  assert.equal(r.current(), undefined);
  const p0 = r.apply({ shard: 0, total: 2 });
  await tick();
  assert.equal(r.current(), undefined, 'unsynced view must not be served');
  f.views[0]!.resolve();
  assert.equal(await p0, true);
  assert.equal(r.current(), f.views[0]);
  const p1 = r.apply({ shard: 0, total: 3 });
  await tick();
  assert.equal(r.current(), f.views[0]);
  assert.equal(f.views[0]!.stopped, false);
  f.views[1]!.resolve();
  assert.equal(await p1, true);
  assert.equal(r.current(), f.views[1]);
  assert.equal(f.views[0]!.stopped, true);
  assert.deepEqual(
    { shard: r.stats().shard, total: r.stats().total, reshards: r.stats().reshards },
    { shard: 0, total: 3, reshards: 2 },
  );
  await r.stop();
  assert.equal(f.views[1]!.stopped, true);
});

test('a newer assignment supersedes a pending one (pending stopped, never served)', async () => {
  const f = fakeFactory();
  const r = new Resharder({ createView: f.createView });
  const p0 = r.apply({ shard: 0, total: 1 });
  f.views[0]!.resolve();
  await p0;
  const pA = r.apply({ shard: 0, total: 2 });
  const pB = r.apply({ shard: 1, total: 3 });
  await tick();
  assert.equal(f.views[1]!.stopped, true);
  f.views[1]!.resolve(); // late sync of the superseded view must not switch
  assert.equal(await pA, false);
  assert.equal(r.current(), f.views[0]);
  f.views[2]!.resolve();
  assert.equal(await pB, true);
  assert.equal(r.current(), f.views[2]);
  assert.deepEqual(r.currentAssignment(), { shard: 1, total: 3 });
  await r.stop();
});

test('a view that fails to sync is dropped and the old one kept', async () => {
  const f = fakeFactory();
  const r = new Resharder({ createView: f.createView });
  const p0 = r.apply({ shard: 0, total: 1 });
  f.views[0]!.resolve();
  await p0;
  const p1 = r.apply({ shard: 0, total: 2 });
  f.views[1]!.reject(new Error('boom'));
  assert.equal(await p1, false);
  assert.equal(r.current(), f.views[0]);
  assert.equal(f.views[1]!.stopped, true);
  await r.stop();
});

test('a reader polling current() never sees an unsynced view; SwitchableSource follows the swap', async () => {
  const f = fakeFactory();
  const r = new Resharder({ createView: f.createView });
  const src = new SwitchableSource(r, 'ksm' as MetricsSource['schema']);
  assert.equal(src.size('pod' as never), 0);
  let polling = true;
  let violations = 0;
  let reads = 0;
  const poller = (async () => {
    while (polling) {
      const v = r.current() as FakeView | undefined;
      if (v && !v.isSynced) violations++;
      if (v?.stopped) violations++;
      reads++;
      await tick();
    }
  })();
  for (let i = 1; i <= 6; i++) {
    const p = r.apply({ shard: 0, total: i });
    await tick();
    await tick();
    f.views.at(-1)!.resolve();
    await p;
    assert.equal(src.size('pod' as never), i);
  }
  polling = false;
  await poller;
  assert.ok(reads > 0);
  assert.equal(violations, 0);
  await r.stop();
});
