// Fault injection through the programmatic API and the HTTP control endpoint.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeSim } from '../src/index.ts';
import type { KObj } from '../src/resources.ts';
import { fetchRetry, job, openWatch, pod, sim as startSim, until } from './helpers.ts';

const control = (sim: KubeSim, body: unknown) =>
  fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('faults', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startSim({ bookmarkIntervalMs: 50 });
  });
  after(() => sim.close());

  test('dropWatches cuts every open stream', async () => {
    const a = await openWatch(`${sim.url}/api/v1/pods?watch=1`);
    const b = await openWatch(`${sim.url}/apis/batch/v1/jobs?watch=1`);
    await until('two watches registered', () => sim.stats().watches === 2);
    sim.faults.dropWatches();
    assert.equal(await a.ended(), true);
    assert.equal(await b.ended(), true);
    assert.equal(sim.stats().watches, 0);
  });

  test('expireNextWatch forces 410 on the next watch of that resource only', async () => {
    const rv = sim.cluster.resourceVersion();
    sim.faults.expireNextWatch('jobs');
    const pods = await openWatch(`${sim.url}/api/v1/pods?watch=1&resourceVersion=${rv}`);
    sim.cluster.create(pod('e1', 'exp'));
    assert.equal((await pods.next()).type, 'ADDED');
    pods.close();
    const jobs = await openWatch(`${sim.url}/apis/batch/v1/jobs?watch=1&resourceVersion=${rv}`);
    const ev = await jobs.next();
    assert.deepEqual([ev.type, ev.object.code, ev.object.reason], ['ERROR', 410, 'Expired']);
    const again = await openWatch(
      `${sim.url}/apis/batch/v1/jobs?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    assert.equal((await again.next()).type, 'BOOKMARK', 'only the next watch expires');
    again.close();
  });

  test('failNext answers N matching requests with 429 + Retry-After, then recovers', async () => {
    sim.faults.failNext(2, { status: 429, retryAfterSeconds: 3, resource: 'pods', verb: 'list' });
    const jobs = await fetch(`${sim.url}/apis/batch/v1/jobs`);
    assert.equal(jobs.status, 200, 'other resources are not affected');
    await jobs.arrayBuffer();
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${sim.url}/api/v1/pods`);
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '3');
      assert.equal(r.headers.get('content-type'), 'application/json');
      const body = (await r.json()) as KObj;
      assert.deepEqual(
        [body.kind, body.reason, body.code, body.details.retryAfterSeconds],
        ['Status', 'TooManyRequests', 429, 3],
      );
    }
    const ok = await fetch(`${sim.url}/api/v1/pods`);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
  });

  test('failNext with 5xx on watch requests', async () => {
    sim.faults.failNext(1, { status: 503, verb: 'watch' });
    const list = await fetch(`${sim.url}/api/v1/pods`);
    assert.equal(list.status, 200);
    await list.arrayBuffer();
    const w = await fetch(`${sim.url}/api/v1/pods?watch=true`);
    assert.equal(w.status, 503);
    assert.equal(((await w.json()) as KObj).reason, 'ServiceUnavailable');
    sim.faults.failNext(1, { status: 500 });
    const r = await fetch(`${sim.url}/api/v1/namespaces/default/pods/x`);
    assert.equal(r.status, 500);
    assert.equal(((await r.json()) as KObj).reason, 'InternalError');
    assert.ok(sim.stats().faultsInjected >= 4);
  });

  test('setLatency delays every response', async () => {
    sim.faults.setLatency(200);
    const t0 = performance.now();
    const r = await fetch(`${sim.url}/api/v1/pods`);
    await r.arrayBuffer();
    assert.ok(performance.now() - t0 >= 190, 'response not earlier than the injected latency');
    sim.faults.clear();
  });

  test('stallWatches holds events and bookmarks on open streams until cleared', async () => {
    const rv = sim.cluster.resourceVersion();
    sim.faults.stallWatches(true);
    const w = await openWatch(
      `${sim.url}/apis/batch/v1/namespaces/stall/jobs?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    sim.cluster.create(job('held', 'stall'));
    await assert.rejects(w.next(400), /no watch event/);
    sim.faults.stallWatches(false);
    const e = await w.next();
    assert.deepEqual([e.type, e.object.metadata.name], ['ADDED', 'held']);
    w.close();
  });

  test('HTTP control endpoint applies faults and rejects bad specs', async () => {
    const r = await control(sim, {
      failNext: { n: 1, status: 429, retryAfterSeconds: 1, resource: 'Job', verb: 'get' },
    });
    assert.equal(r.status, 200);
    const state = (await r.json()) as KObj;
    assert.equal(state.failNext[0].resource, 'jobs');
    sim.cluster.create(job('ctl', 'ctl'));
    assert.equal((await fetch(`${sim.url}/apis/batch/v1/namespaces/ctl/jobs/ctl`)).status, 429);
    assert.equal((await fetch(`${sim.url}/apis/batch/v1/namespaces/ctl/jobs/ctl`)).status, 200);
    const w = await openWatch(`${sim.url}/api/v1/pods?watch=1`);
    assert.equal((await control(sim, { dropWatches: true })).status, 200);
    assert.equal(await w.ended(), true);
    const bad = await control(sim, { explode: true });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as KObj).kind, 'Status');
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as KObj;
    assert.equal(typeof stats.requests, 'number');
    assert.ok(stats.objects.jobs >= 1);
  });

  test('restart with state preserved: same port, same objects, old RVs still resume', async () => {
    sim.cluster.create(pod('keep', 'rs'));
    const rv = sim.cluster.resourceVersion();
    const w = await openWatch(`${sim.url}/api/v1/pods?watch=1&resourceVersion=${rv}`);
    const port = sim.port;
    await sim.restart({ preserveState: true });
    assert.equal(await w.ended(), true, 'open streams are cut');
    assert.equal(sim.port, port);
    const got = await fetchRetry(`${sim.url}/api/v1/namespaces/rs/pods/keep`);
    assert.equal(got.status, 200);
    await got.arrayBuffer();
    sim.cluster.patch('Pod', 'rs', 'keep', { metadata: { labels: { after: 'restart' } } });
    const resumed = await openWatch(`${sim.url}/api/v1/pods?watch=1&resourceVersion=${rv}`);
    const e = await resumed.next();
    assert.deepEqual([e.type, e.object.metadata.labels], ['MODIFIED', { after: 'restart' }]);
    resumed.close();
  });

  test('restart with state lost: empty store, RV jumps forward, old RVs get 410', async () => {
    sim.cluster.create(pod('gone', 'rs'));
    const rv = Number(sim.cluster.resourceVersion());
    await sim.restart({ preserveState: false });
    const list = (await (await fetchRetry(`${sim.url}/api/v1/pods`)).json()) as KObj;
    assert.equal(list.items.length, 0);
    assert.ok(Number(list.metadata.resourceVersion) > rv);
    const w = await openWatch(`${sim.url}/api/v1/pods?watch=1&resourceVersion=${rv}`);
    const e = await w.next();
    assert.deepEqual([e.type, e.object.code], ['ERROR', 410]);
  });

  test('restart over HTTP and compact over HTTP', async () => {
    sim.cluster.create(pod('c1', 'hc'));
    const rv = sim.cluster.resourceVersion();
    sim.cluster.create(pod('c2', 'hc'));
    assert.equal((await control(sim, { compact: true })).status, 200);
    const w = await openWatch(`${sim.url}/api/v1/pods?watch=1&resourceVersion=${rv}`);
    assert.equal((await w.next()).object.code, 410);
    const restarts = sim.stats().restarts;
    const r = await fetch(`${sim.url}/_sim/restart`, { method: 'POST', body: JSON.stringify({ preserveState: true }) });
    assert.equal(r.status, 202);
    await until('restarted', () => sim.stats().restarts === restarts + 1);
    await until(
      'listening again',
      async () => (await fetch(`${sim.url}/api/v1/namespaces/hc/pods/c2`).catch(() => undefined))?.status === 200,
    );
  });
});
