// The light in-cluster path of @kso/watch, as a Pod runs it: HTTPS with the mounted CA, the mounted token,
// and token rotation by the kubelet (the file is rewritten; the API server stops accepting the old token).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startKubeSim } from '@kso/kube-sim';
import { InClusterConfig, loadKubeConfig, Reflector } from '@kso/watch';
import { NS, podObject } from './fixtures.ts';
import { waitUntil } from './helpers.ts';
import { startInClusterFront } from './in-cluster.ts';

const POD = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' } as const;

test('in-cluster credentials: TLS with the mounted CA, bearer token, and a rotated token is picked up after a 401', {
  timeout: 30_000,
}, async (t) => {
  const sim = await startKubeSim({});
  t.after(() => sim.close());
  const front = await startInClusterFront(sim, NS);
  t.after(() => front.close());
  await sim.cluster.create('pods', podObject('p-1', 'j'));

  // No kubeconfig anywhere and the service variables set: loadKubeConfig picks the light path by itself.
  const env = { ...front.env, HOME: front.saDir, KUBECONFIG: '' };
  const kc = loadKubeConfig({ serviceAccountDir: front.saDir }, env);
  assert.ok(kc instanceof InClusterConfig, 'in-cluster config without client-node');
  assert.equal(kc.getCurrentCluster()?.server, `https://127.0.0.1:${front.env['KUBERNETES_SERVICE_PORT']}`);

  const seen = new Set<string>();
  const r = new Reflector<{ name: string }>(kc, {
    resource: POD,
    namespace: NS,
    compact: (raw) => ({ name: (raw as { metadata: { name: string } }).metadata.name }),
    backoff: { initialMs: 20, maxMs: 200, resetAfterMs: 500 },
  });
  r.on('add', (p: { name: string }) => seen.add(p.name));
  r.start();
  t.after(() => r.stop());
  await r.synced;
  assert.ok(seen.has('p-1'));

  // Rotation: the kubelet writes a new token and the old one stops working; the open watch is cut.
  front.accepted.add('sa-token-2');
  await front.writeToken('sa-token-2');
  front.accepted.delete('sa-token-1');
  sim.faults.dropWatches();
  await sim.cluster.create('pods', podObject('p-2', 'j'));
  await waitUntil(() => seen.has('p-2'), 10_000, 'the watch resumes with the rotated token');
  assert.ok(front.rejected >= 1, 'the stale token was rejected once, then re-read');
});

test('in-cluster server URL: https, plain http only on the insecure ports, IPv6 in brackets (as client-node)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kso-sa-url-'));
  await writeFile(join(dir, 'token'), 't');
  const url = (host: string, port: string) =>
    new InClusterConfig({
      env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port },
      serviceAccountDir: dir,
    }).server;
  assert.equal(url('127.0.0.1', '8080'), 'http://127.0.0.1:8080');
  assert.equal(url('fd00::1', '80'), 'http://[fd00::1]:80');
  assert.throws(() => url('10.0.0.1', '443'), /cannot read the cluster CA .*ca\.crt/, 'https needs the CA');
  const opts: { headers?: Record<string, string> } = {};
  await new InClusterConfig({
    env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '8080' },
    serviceAccountDir: dir,
  }).applyToHTTPSOptions(opts);
  assert.equal(opts.headers?.['Authorization'], 'Bearer t');
  await rm(dir, { recursive: true });
});

test('in-cluster errors name the missing piece', () => {
  assert.throws(() => new InClusterConfig({ env: {} }), /KUBERNETES_SERVICE_HOST/);
  assert.throws(
    () =>
      new InClusterConfig({
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
        serviceAccountDir: '/nonexistent',
      }),
    /cannot read the service account token \/nonexistent\/token/,
  );
  assert.throws(
    () =>
      loadKubeConfig({ inCluster: true, context: 'x' }, { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }),
    /needs a kubeconfig file/,
  );
});
