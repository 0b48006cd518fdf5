// kube-sim's restart semantics checked against the real kube-apiserver (issue 15): after an apiserver restart
// over the same etcd, its watch cache is rebuilt from a fresh list, so a watch resuming from a resourceVersion
// older than that list gets 410 Expired (the client relists), while before the restart the same resume point
// was served. The same sequence against kube-sim must give the same answers.
import assert from 'node:assert/strict';
import https from 'node:https';
import { test } from 'node:test';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';
import { type RealApiServer, skipUnlessPeers, startRealApiServer } from '@kso/peers';

const skip = skipUnlessPeers('etcd', 'kube-apiserver');

interface Target {
  name: string;
  /** First line of a watch on `path`: {type, code?}. */
  firstEvent(path: string): Promise<{ type: string; code?: number }>;
  createPod(ns: string, name: string): Promise<string>;
  restart(): Promise<void>;
}

function firstLine(url: string, opts: https.RequestOptions, get: typeof https.get): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, opts, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          resolve(buf.slice(0, nl));
          req.destroy();
        }
      });
      res.on('end', () => resolve(buf));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`no watch event from ${url}`)));
  });
}

const parse = (line: string) => {
  const e = JSON.parse(line) as { type: string; object?: { code?: number } };
  return { type: e.type, ...(e.type === 'ERROR' ? { code: e.object?.code } : {}) };
};

const pod = (ns: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
});

function real(api: RealApiServer): Target {
  return {
    name: 'kube-apiserver',
    firstEvent: async (path) =>
      parse(
        await firstLine(
          `${api.url}${path}`,
          { ca: api.caPem, headers: { authorization: `Bearer ${api.token}` } },
          https.get,
        ),
      ),
    createPod: async (ns, name) =>
      (
        (await api.call('POST', `/api/v1/namespaces/${ns}/pods`, pod(ns, name))) as {
          metadata: { resourceVersion: string };
        }
      ).metadata.resourceVersion,
    restart: () => api.restartApiServer(),
  };
}

async function sim(s: KubeSim): Promise<Target> {
  const http = await import('node:http');
  return {
    name: 'kube-sim',
    firstEvent: async (path) => parse(await firstLine(`${s.url}${path}`, {}, http.get as unknown as typeof https.get)),
    createPod: async (ns, name) => s.cluster.create(pod(ns, name)).metadata.resourceVersion,
    restart: () => s.restart({ preserveState: true }),
  };
}

async function sequence(t: Target): Promise<unknown[]> {
  const r0 = await t.createPod('default', 'before-0');
  await t.createPod('default', 'before-1');
  const watch = (rv: string) => t.firstEvent(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
  const beforeRestart = await watch(r0);
  await t.restart();
  const afterRestart = await watch(r0);
  return [beforeRestart, afterRestart];
}

test('an apiserver restart expires older resume points: kube-sim answers like kube-apiserver', {
  skip,
  timeout: 240_000,
}, async () => {
  const api = await startRealApiServer();
  const s = await startKubeSim({ port: 0, scenario: 'empty' });
  try {
    const want = await sequence(real(api));
    assert.deepEqual(want, [{ type: 'ADDED' }, { type: 'ERROR', code: 410 }], 'kube-apiserver');
    assert.deepEqual(await sequence(await sim(s)), want, 'kube-sim');
  } finally {
    await s.close();
    await api.stop();
  }
});
