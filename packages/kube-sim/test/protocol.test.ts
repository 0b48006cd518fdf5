// The REST protocol as clients rely on it: status shapes, content types, selectors, pagination,
// resourceVersion semantics (410), WatchList (sendInitialEvents) and subresources.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeSim } from '../src/index.ts';
import type { KObj } from '../src/resources.ts';
import { job, openWatch, pod, sim as startSim } from './helpers.ts';

const get = async (sim: KubeSim, path: string, init: RequestInit = {}) => {
  const r = await fetch(sim.url + path, init);
  return { status: r.status, type: r.headers.get('content-type'), headers: r.headers, body: (await r.json()) as KObj };
};
const send = (sim: KubeSim, method: string, path: string, body: unknown, type = 'application/json') =>
  get(sim, path, {
    method,
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('REST protocol', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startSim({ compactionWindow: 50, bookmarkIntervalMs: 100 });
  });
  after(() => sim.close());

  test('discovery and /version answer what kubectl and client-go expect', async () => {
    const v = await get(sim, '/version');
    assert.deepEqual([v.body.major, v.body.minor, v.body.gitVersion], ['1', '33', 'v1.33.1']);
    const core = await get(sim, '/api/v1');
    const pods = core.body.resources.find((r: KObj) => r.name === 'pods');
    assert.equal(pods.kind, 'Pod');
    assert.equal(pods.namespaced, true);
    assert.ok(pods.verbs.includes('watch'));
    assert.deepEqual(pods.shortNames, ['po']);
    assert.ok(core.body.resources.some((r: KObj) => r.name === 'pods/status'));
    const groups = await get(sim, '/apis');
    assert.deepEqual(groups.body.groups.map((g: KObj) => g.name).sort(), ['apps', 'batch']);
    const batch = await get(sim, '/apis/batch/v1');
    assert.deepEqual(
      batch.body.resources
        .filter((r: KObj) => !r.name.includes('/'))
        .map((r: KObj) => r.kind)
        .sort(),
      ['CronJob', 'Job'],
    );
    const apps = await get(sim, '/apis/apps/v1');
    assert.ok(apps.body.resources.some((r: KObj) => r.kind === 'StatefulSet' && r.shortNames?.includes('sts')));
    const openapi = await get(sim, '/openapi/v2');
    assert.equal(openapi.status, 404);
    assert.equal(openapi.body.kind, 'Status');
  });

  test('every response is application/json, including errors and watch streams, even when protobuf is preferred', async () => {
    const accept = { accept: 'application/vnd.kubernetes.protobuf,application/json' };
    for (const path of [
      '/version',
      '/api',
      '/api/v1/pods',
      '/api/v1/namespaces/none/pods/missing',
      '/nope',
      '/api/v1/pods?fieldSelector=bad.field%3Dx',
    ]) {
      const r = await fetch(sim.url + path, { headers: accept });
      assert.equal(r.headers.get('content-type'), 'application/json', path);
      await r.arrayBuffer();
    }
    const w = await openWatch(`${sim.url}/api/v1/pods?watch=1`, { headers: accept });
    assert.equal(w.contentType, 'application/json');
    w.close();
  });

  test('errors are metav1.Status with code, reason and details', async () => {
    const nf = await get(sim, '/api/v1/namespaces/default/pods/ghost');
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "ghost" not found',
      reason: 'NotFound',
      details: { name: 'ghost', kind: 'pods' },
      code: 404,
    });
    const created = await send(sim, 'POST', '/apis/batch/v1/namespaces/err/jobs', job('dup', 'err'));
    assert.equal(created.status, 201);
    const dup = await send(sim, 'POST', '/apis/batch/v1/namespaces/err/jobs', job('dup', 'err'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.deepEqual(dup.body.details, { name: 'dup', group: 'batch', kind: 'jobs' });
    const stale = { ...created.body, metadata: { ...created.body.metadata, resourceVersion: '1' } };
    const conflict = await send(sim, 'PUT', '/apis/batch/v1/namespaces/err/jobs/dup', stale);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.reason, 'Conflict');
    const bad = await send(sim, 'POST', '/api/v1/namespaces/err/pods', '{not json');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.reason, 'BadRequest');
    const noName = await send(sim, 'POST', '/api/v1/namespaces/err/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {},
    });
    assert.equal(noName.status, 422);
    assert.equal(noName.body.reason, 'Invalid');
    const wrongKind = await send(sim, 'POST', '/api/v1/namespaces/err/pods', job('x', 'err'));
    assert.equal(wrongKind.status, 400);
    const badField = await get(sim, '/api/v1/pods?fieldSelector=spec.bogus%3Dx');
    assert.equal(badField.status, 400);
    assert.equal(badField.body.message, 'field label not supported: spec.bogus');
    const method = await get(sim, '/api/v1/namespaces/err/pods/x', { method: 'POST', body: '{}' });
    assert.equal(method.status, 405);
    const apply = await send(
      sim,
      'PATCH',
      '/apis/batch/v1/namespaces/err/jobs/dup',
      'a: 1',
      'application/apply-patch+yaml',
    );
    assert.equal(apply.status, 415);
  });

  test('create fills uid, creationTimestamp, resourceVersion and generateName', async () => {
    const r = await send(sim, 'POST', '/api/v1/namespaces/gen/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'worker-' },
      spec: {},
    });
    assert.equal(r.status, 201);
    assert.match(r.body.metadata.name, /^worker-[a-z0-9]{5}$/);
    assert.match(r.body.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.body.metadata.resourceVersion, sim.cluster.resourceVersion());
    assert.equal(sim.cluster.get('Namespace', undefined, 'gen')?.status?.phase, 'Active', 'namespace auto-created');
  });

  test('label and field selectors on list', async () => {
    const ns = 'sel';
    sim.cluster.create(pod('a', ns, { app: 'web', tier: 'fe' }, 'Running'));
    sim.cluster.create(pod('b', ns, { app: 'web' }, 'Failed'));
    sim.cluster.create(pod('c', ns, { app: 'db', tier: 'be' }, 'Running'));
    sim.cluster.create(pod('d', ns, {}, 'Pending'));
    const names = async (q: string) =>
      (await get(sim, `/api/v1/namespaces/${ns}/pods?${q}`)).body.items.map((p: KObj) => p.metadata.name).join(',');
    const ls = (s: string) => `labelSelector=${encodeURIComponent(s)}`;
    const fs = (s: string) => `fieldSelector=${encodeURIComponent(s)}`;
    assert.equal(await names(ls('app=web')), 'a,b');
    assert.equal(await names(ls('app==web')), 'a,b');
    assert.equal(await names(ls('app!=web')), 'c,d');
    assert.equal(await names(ls('app in (db, web),tier')), 'a,c');
    assert.equal(await names(ls('app notin (web)')), 'c,d');
    assert.equal(await names(ls('tier')), 'a,c');
    assert.equal(await names(ls('!tier')), 'b,d');
    assert.equal(await names(fs('status.phase=Running')), 'a,c');
    assert.equal(await names(fs('status.phase!=Running,metadata.name!=d')), 'b');
    assert.equal(await names(fs('metadata.name=c')), 'c');
    assert.equal(await names(`${fs('spec.nodeName=node-1')}&${ls('app=db')}`), 'c');
    assert.equal((await get(sim, `/api/v1/pods?${fs('metadata.namespace=sel')}`)).body.items.length, 4);
    assert.equal((await get(sim, `/api/v1/pods?${ls('app in (web')}`)).status, 400);
  });

  test('continue-token pagination is complete under concurrent writes and expires with 410', async () => {
    for (let i = 0; i < 12; i++) sim.cluster.create(pod(`pg-${String(i).padStart(2, '0')}`, 'pg'));
    const first = await get(sim, '/api/v1/namespaces/pg/pods?limit=5');
    assert.equal(first.body.kind, 'PodList');
    assert.equal(first.body.apiVersion, 'v1');
    assert.equal(first.body.items.length, 5);
    assert.equal(first.body.metadata.remainingItemCount, 7);
    sim.cluster.create(pod('aa-before-cursor', 'pg'));
    const names: string[] = first.body.items.map((p: KObj) => p.metadata.name);
    let cont = first.body.metadata.continue;
    while (cont) {
      const page = await get(sim, `/api/v1/namespaces/pg/pods?limit=5&continue=${encodeURIComponent(cont)}`);
      assert.equal(page.body.metadata.resourceVersion, first.body.metadata.resourceVersion, 'pages report the list RV');
      names.push(...page.body.items.map((p: KObj) => p.metadata.name));
      cont = page.body.metadata.continue;
    }
    assert.deepEqual(
      names,
      Array.from({ length: 12 }, (_, i) => `pg-${String(i).padStart(2, '0')}`),
    );
    const again = await get(sim, '/api/v1/namespaces/pg/pods?limit=5');
    sim.cluster.create(pod('after-list', 'pg'));
    sim.faults.compact();
    const expired = await get(
      sim,
      `/api/v1/namespaces/pg/pods?limit=5&continue=${encodeURIComponent(again.body.metadata.continue)}`,
    );
    assert.equal(expired.status, 410);
    assert.equal(expired.body.reason, 'Expired');
    const garbage = await get(sim, '/api/v1/namespaces/pg/pods?limit=5&continue=garbage');
    assert.equal(garbage.status, 400);
  });

  test('watch from an RV replays later events; an RV older than the window gets an ERROR 410 event in a 200 stream', async () => {
    const start = sim.cluster.resourceVersion();
    sim.cluster.create(pod('r1', 'replay'));
    sim.cluster.patch('Pod', 'replay', 'r1', { metadata: { labels: { x: 'y' } } });
    const w = await openWatch(`${sim.url}/api/v1/namespaces/replay/pods?watch=true&resourceVersion=${start}`);
    assert.equal((await w.next()).type, 'ADDED');
    const mod = await w.next();
    assert.equal(mod.type, 'MODIFIED');
    assert.deepEqual(mod.object.metadata.labels, { x: 'y' });
    w.close();
    for (let i = 0; i < 60; i++) sim.cluster.patch('Pod', 'replay', 'r1', { metadata: { labels: { i: String(i) } } });
    const old = await openWatch(`${sim.url}/api/v1/namespaces/replay/pods?watch=true&resourceVersion=${start}`);
    assert.equal(old.status, 200);
    const ev = await old.next();
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.kind, 'Status');
    assert.equal(ev.object.code, 410);
    assert.equal(ev.object.reason, 'Expired');
    assert.match(ev.object.message, new RegExp(`^too old resource version: ${start} \\(\\d+\\)$`));
    assert.equal(await old.ended(), true);
  });

  test('watch without RV starts with synthetic ADDED of current state; selector transitions become ADDED/DELETED', async () => {
    sim.cluster.create(pod('s1', 'trans', { role: 'x' }));
    sim.cluster.create(pod('s2', 'trans', { role: 'y' }));
    const w = await openWatch(`${sim.url}/api/v1/namespaces/trans/pods?watch=1&labelSelector=role%3Dx`);
    const first = await w.next();
    assert.deepEqual([first.type, first.object.metadata.name], ['ADDED', 's1']);
    sim.cluster.patch('Pod', 'trans', 's1', { metadata: { labels: { role: 'z' } } });
    sim.cluster.patch('Pod', 'trans', 's2', { metadata: { labels: { role: 'x' } } });
    sim.cluster.patch('Pod', 'trans', 's2', { status: { phase: 'Failed' } });
    sim.cluster.delete('Pod', 'trans', 's2');
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const e = await w.next();
      seen.push(`${e.type} ${e.object.metadata.name}`);
    }
    assert.deepEqual(seen, ['DELETED s1', 'ADDED s2', 'MODIFIED s2', 'DELETED s2']);
    w.close();
  });

  test('watch honours timeoutSeconds and only sends BOOKMARKs when allowed', async () => {
    const rv = sim.cluster.resourceVersion();
    const plain = await openWatch(`${sim.url}/apis/batch/v1/jobs?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
    assert.equal(await plain.ended(2500), true, 'stream ends after timeoutSeconds without events');
    const bm = await openWatch(`${sim.url}/apis/batch/v1/jobs?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`);
    const e = await bm.next();
    assert.equal(e.type, 'BOOKMARK');
    assert.deepEqual(e.object, {
      kind: 'Job',
      apiVersion: 'batch/v1',
      metadata: { resourceVersion: sim.cluster.resourceVersion() },
    });
    bm.close();
  });

  test('sendInitialEvents=true: initial ADDED, then a BOOKMARK annotated initial-events-end, then live events', async () => {
    sim.cluster.create(job('wl-1', 'wl'));
    sim.cluster.create(job('wl-2', 'wl'));
    const q = 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
    const w = await openWatch(`${sim.url}/apis/batch/v1/namespaces/wl/jobs?${q}`);
    const a = await w.next();
    const b = await w.next();
    assert.deepEqual(
      [a.type, a.object.metadata.name, b.type, b.object.metadata.name],
      ['ADDED', 'wl-1', 'ADDED', 'wl-2'],
    );
    const end = await w.next();
    assert.equal(end.type, 'BOOKMARK');
    assert.equal(end.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    assert.equal(end.object.metadata.resourceVersion, sim.cluster.resourceVersion());
    sim.cluster.delete('Job', 'wl', 'wl-1');
    assert.equal((await w.next()).type, 'DELETED');
    w.close();
    // The real server's validation: sendInitialEvents needs NotOlderThan and bookmarks.
    for (const bad of [
      'watch=1&sendInitialEvents=true',
      'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
      'sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
    ]) {
      const r = await get(sim, `/apis/batch/v1/jobs?${bad}`);
      assert.equal(r.status, 422, bad);
      assert.equal(r.body.reason, 'Invalid');
    }
  });

  test('status subresource: PUT/PATCH on /status change only status, main resource ignores status', async () => {
    sim.cluster.create(job('st', 'sub'));
    const main = await send(
      sim,
      'PATCH',
      '/apis/batch/v1/namespaces/sub/jobs/st',
      { metadata: { labels: { a: 'b' } }, status: { succeeded: 5 } },
      'application/merge-patch+json',
    );
    assert.equal(main.status, 200);
    assert.deepEqual(main.body.metadata.labels, { a: 'b' });
    assert.equal(main.body.status.succeeded, undefined);
    const st = await send(
      sim,
      'PATCH',
      '/apis/batch/v1/namespaces/sub/jobs/st/status',
      { metadata: { labels: { c: 'd' } }, status: { succeeded: 1 } },
      'application/merge-patch+json',
    );
    assert.equal(st.body.status.succeeded, 1);
    assert.deepEqual(st.body.metadata.labels, { a: 'b' });
    const jp = await send(
      sim,
      'PATCH',
      '/apis/batch/v1/namespaces/sub/jobs/st/status',
      [{ op: 'add', path: '/status/conditions', value: [{ type: 'Complete', status: 'True' }] }],
      'application/json-patch+json',
    );
    assert.equal(jp.body.status.conditions[0].type, 'Complete');
    const got = await get(sim, '/apis/batch/v1/namespaces/sub/jobs/st/status');
    const put = await send(sim, 'PUT', '/apis/batch/v1/namespaces/sub/jobs/st/status', {
      ...got.body,
      spec: { parallelism: 9 },
      status: { failed: 2 },
    });
    assert.deepEqual(put.body.status, { failed: 2 });
    assert.equal(put.body.spec.parallelism, undefined);
    const smp = await send(
      sim,
      'PATCH',
      '/apis/batch/v1/namespaces/sub/jobs/st',
      { spec: { parallelism: 3 } },
      'application/strategic-merge-patch+json',
    );
    assert.equal(smp.body.spec.parallelism, 3);
    assert.equal(smp.body.metadata.generation, 2);
  });

  test('delete returns the pod, a Status for other kinds, and honours preconditions', async () => {
    const p = sim.cluster.create(pod('del', 'del'));
    const pre = await send(sim, 'DELETE', '/api/v1/namespaces/del/pods/del', { preconditions: { uid: 'other' } });
    assert.equal(pre.status, 409);
    const d = await send(sim, 'DELETE', '/api/v1/namespaces/del/pods/del', { gracePeriodSeconds: 30 });
    assert.equal(d.status, 200);
    assert.equal(d.body.metadata.uid, p.metadata.uid);
    assert.equal(sim.cluster.get('Pod', 'del', 'del'), undefined);
    sim.cluster.create(job('dj', 'del'));
    const dj = await send(sim, 'DELETE', '/apis/batch/v1/namespaces/del/jobs/dj', '');
    assert.equal(dj.body.kind, 'Status');
    assert.equal(dj.body.status, 'Success');
    const again = await send(sim, 'DELETE', '/apis/batch/v1/namespaces/del/jobs/dj', '');
    assert.equal(again.status, 404);
  });
});
