// Pieces kept only as gzip once compressed for a gzip client (piece.ts): the identity and gzip bodies must stay
// what a fresh render gives, through updates, inserts, deletes and OpenMetrics, and a client that reads text
// must get the same bytes whether the text was held or inflated.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MetricsStore } from '@kso/metrics';
import { GzipCache } from '../src/gzip-cache.ts';
import { bodyToBuffer, type MetricsSource, StoreRenderer, startPrometheusServer } from '../src/index.ts';
import { bodyText, isBoundary } from '../src/renderer.ts';
import { buildSyntheticSource, type SyntheticSource, syntheticPod } from '../src/testing/index.ts';

const PODS = 600;

function fresh(source: MetricsSource, format: 'text' | 'openmetrics' = 'text'): string {
  return new StoreRenderer({ numberFormat: 'go' }).renderStore(source, format).toString();
}

/** Compresses the body for a gzip client that is alone (text dropped) and returns what it would receive. */
async function gzipOnly(r: StoreRenderer, z: GzipCache, source: MetricsSource, format: 'text' | 'openmetrics') {
  const body = r.renderPieces(source, format);
  const members = await z.body(body, true);
  assert.ok(
    body.pieces.every((p) => !p.hasText),
    'every piece holds only its gzip member',
  );
  return { body, gz: gunzipSync(Buffer.concat(members)).toString() };
}

test('gzip-only pieces: updates, inserts and deletes still give the bytes of a fresh render, gzip and identity', async () => {
  const source = buildSyntheticSource(PODS);
  const r = new StoreRenderer({ numberFormat: 'go' });
  const z = new GzipCache(1);
  await gzipOnly(r, z, source, 'text');
  const uids = [...source.entries('pods')].map((o) => o.uid);
  const ends = uids.flatMap((u, i) => (isBoundary(u) && i > 0 && i < uids.length - 2 ? [i] : []));
  const [b1, b2] = ends as [number, number];
  const steps: { what: string; run: (s: SyntheticSource) => void }[] = [
    { what: 'a restart bump (one family block rewritten)', run: (s) => s.setPod(syntheticPod(7, { restarts: 3 })) },
    {
      what: 'several fields of a segment end',
      run: (s) => s.setPod(syntheticPod(b1, { restarts: 5, phase: 'Failed' })),
    },
    { what: 'an update that changes no byte', run: (s) => s.setPod(syntheticPod(7, { restarts: 3 })) },
    { what: 'delete a segment end (merges two segments)', run: (s) => s.delete('pods', uids[b2] as string) },
    { what: 're-insert it (at the end)', run: (s) => s.setPod(syntheticPod(b2)) },
    {
      what: 'insert new objects and delete a run',
      run: (s) => {
        for (let i = PODS; i < PODS + 30; i++) s.setPod(syntheticPod(i));
        for (let i = 100; i < 110; i++) s.delete('pods', uids[i] as string);
      },
    },
    { what: 'delete the first object', run: (s) => s.delete('pods', uids[0] as string) },
  ];
  for (const step of steps) {
    step.run(source);
    for (const format of ['text', 'openmetrics'] as const) {
      const want = fresh(source, format);
      const { body, gz } = await gzipOnly(r, z, source, format);
      assert.equal(gz, want, `${step.what} (${format}): gzip body`);
      assert.equal(bodyText(body).toString(), want, `${step.what} (${format}): text inflated from the members`);
    }
  }
});

test('gzip-only pieces over the real MetricsStore (points generated on each read): a status change rewrites its block', async () => {
  const store = new MetricsStore({ schema: 'ksm', now: () => 1_700_000_000_000 });
  const pod = (i: number, restarts: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'ns', uid: `uid-${i}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'img' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'app', image: 'img', ready: true, restartCount: restarts, state: { running: {} } }],
    },
  });
  for (let i = 0; i < 300; i++) store.upsertObject('pods', pod(i, 0));
  const r = new StoreRenderer({ numberFormat: 'go' });
  const z = new GzipCache(1);
  await gzipOnly(r, z, store, 'text');
  for (const [i, n] of [
    [5, 1],
    [6, 0],
    [200, 12],
    [5, 2],
  ] as const) {
    store.upsertObject('pods', pod(i, n));
    const { gz } = await gzipOnly(r, z, store, 'text');
    assert.equal(gz, fresh(store), `pod ${i} restarts ${n}`);
    assert.ok(gz.includes(`kube_pod_container_status_restarts_total{namespace="ns",pod="p${i}",uid="uid-${i}"`));
  }
});

function get(url: string, headers: Record<string, string>): Promise<{ body: Buffer; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        resolve({ body: encoding === 'gzip' ? gunzipSync(raw) : raw, encoding });
      });
    })
      .on('error', reject)
      .end();
  });
}

test('bridge: after gzip scrapes an uncompressed or OpenMetrics client gets the same bytes; a recurring one keeps the text', async (t) => {
  const source = buildSyntheticSource(PODS);
  const srv = await startPrometheusServer({ source, host: '127.0.0.1', port: 0, refreshIntervalMs: 0 });
  t.after(() => srv.close());
  const url = `${srv.url}/metrics`;
  const prom = { 'accept-encoding': 'gzip', 'user-agent': 'Prometheus/test' };
  const curl = { 'user-agent': 'curl/test' };
  const om = { accept: 'application/openmetrics-text; version=1.0.0', 'user-agent': 'om/test' };
  const held = () => srv.renderer.renderPieces(source).pieces.filter((p) => p.hasText).length;

  assert.equal((await get(url, prom)).encoding, 'gzip');
  assert.equal(held(), 0, 'a gzip client alone: no piece keeps its text');
  source.setPod(syntheticPod(3, { restarts: 77 }));
  const want = fresh(source);
  assert.equal((await get(url, prom)).body.toString(), want);
  const once = await get(url, curl);
  assert.equal(once.encoding, undefined);
  assert.equal(once.body.toString(), want, 'a one-off uncompressed scrape: inflated, same bytes');
  assert.equal(held(), 0, 'and the text is not held for it');
  const omBody = (await get(url, om)).body.toString();
  assert.equal(omBody, `${fresh(source, 'openmetrics')}# EOF\n`);

  // A client that keeps reading text: the pieces regain their text and keep it through gzip scrapes.
  assert.equal((await get(url, curl)).body.toString(), want);
  assert.ok(held() > 0, 'a second uncompressed scrape holds the text again');
  await get(url, prom);
  assert.ok(held() > 0, 'gzip scrapes do not drop text another client reads');
  source.setPod(syntheticPod(4, { restarts: 78 }));
  assert.equal((await get(url, curl)).body.toString(), fresh(source));
  assert.equal(bodyToBuffer(srv.renderer.renderPieces(source)).toString(), fresh(source));
});
