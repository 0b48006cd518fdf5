import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeSim } from '@kso/kube-sim';
import { loadKubeConfig } from '../src/index.ts';
import { converge, createPods, reflect, serverPods, sim } from './helpers.ts';

describe('loadKubeConfig', () => {
  let s: KubeSim;
  let dir: string;
  let file: string;
  before(async () => {
    ({ sim: s } = await sim());
    dir = await mkdtemp(join(tmpdir(), 'kso-watch-'));
    file = join(dir, 'kubeconfig');
    // The sim's kubeconfig plus a second context pointing nowhere, to prove context selection matters.
    const extra = s
      .kubeconfig()
      .replace('contexts:\n', 'contexts:\n- name: other\n  context:\n    cluster: nowhere\n    user: kube-sim\n')
      .replace(
        'clusters:\n',
        'clusters:\n- name: nowhere\n  cluster:\n    server: http://127.0.0.1:1\n    insecure-skip-tls-verify: true\n',
      );
    await writeFile(file, extra);
  });
  after(async () => {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a kubeconfig file and context drive a working reflector', async () => {
    createPods(s, ['k'], 3);
    const kc = loadKubeConfig({ kubeconfig: file, context: 'kube-sim' });
    assert.equal(kc.getCurrentCluster()?.server, s.url);
    const h = reflect(kc);
    h.reflector.start();
    try {
      await h.reflector.synced;
      await converge(h, () => serverPods(s));
    } finally {
      await h.reflector.stop();
    }
    assert.equal(
      loadKubeConfig({ kubeconfig: file, context: 'other' }).getCurrentCluster()?.server,
      'http://127.0.0.1:1',
    );
  });

  it('bad input gets errors that name the problem', async () => {
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'missing') }), /cannot load .*missing/);
    assert.throws(
      () => loadKubeConfig({ kubeconfig: file, context: 'nope' }),
      /no context "nope" \(available: .*kube-sim/,
    );
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      assert.throws(() => loadKubeConfig({ inCluster: true }), /KUBERNETES_SERVICE_HOST/);
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
    assert.throws(() => loadKubeConfig({ inCluster: true, kubeconfig: file }), /mutually exclusive/);
    const bad = join(dir, 'bad');
    await writeFile(bad, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    assert.throws(() => loadKubeConfig({ kubeconfig: bad }), /no current context/);
  });

  it('an unreachable server is retried with backoff, counted, and never throws', async () => {
    const kc = loadKubeConfig({ kubeconfig: file, context: 'other' });
    const h = reflect(kc);
    h.reflector.start();
    await new Promise((r) => setTimeout(r, 300));
    const st = h.reflector.stats();
    await h.reflector.stop();
    await assert.rejects(h.reflector.synced);
    assert.ok(st.errors >= 2 && st.lastError !== undefined, `errors ${st.errors}`);
    // Backoff grows: with a 10 ms start and 200 ms cap, far fewer than 300/10 attempts fit in 300 ms.
    assert.ok(st.errors < 15, `errors ${st.errors}`);
  });
});
