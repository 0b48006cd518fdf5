import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { httpGet, kubectlPath, type RealApiServer, skipUnlessPeers, startRealApiServer } from '@kso/peers';
import { startKsm } from './ksm.ts';

const run = promisify(execFile);
const skipApi = skipUnlessPeers('etcd', 'kube-apiserver');
const skipKsm = skipUnlessPeers('etcd', 'kube-apiserver', 'ksm');

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: kso-e2e
  labels: { app: web }
spec:
  containers:
  - name: web
    image: registry.invalid/web:1.0
`;

describe('real kube-apiserver + etcd', { skip: skipApi, timeout: 240_000 }, () => {
  let api: RealApiServer | undefined;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const child = run(
      kubectlPath() ?? 'kubectl',
      ['--kubeconfig', api!.kubeconfigPath, '--request-timeout=20s', ...args],
      {
        timeout: 60_000,
      },
    );
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  };

  before(async () => {
    api = await startRealApiServer();
  });
  after(async () => {
    await api?.stop();
  });

  test('kubectl with the returned kubeconfig creates a namespace and a Pod, and reads them back', async () => {
    await kubectl(['create', 'namespace', 'kso-e2e']);
    await kubectl(['apply', '-f', '-'], POD);
    const pod = JSON.parse(await kubectl(['-n', 'kso-e2e', 'get', 'pod', 'web-0', '-o', 'json']));
    assert.equal(pod.metadata.name, 'web-0');
    assert.equal(pod.metadata.namespace, 'kso-e2e');
    assert.equal(pod.metadata.labels.app, 'web');
    // No scheduler runs: the Pod stays Pending and unbound, which tests rely on to drive state themselves.
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.spec.nodeName, undefined);
    const ns = JSON.parse(await kubectl(['get', 'namespace', 'kso-e2e', '-o', 'json']));
    assert.equal(ns.status.phase, 'Active');
  });

  test('the token authenticates as a system:masters user; anonymous requests are refused', async () => {
    const withToken = await httpGet(`${api!.url}/api/v1/namespaces`, { ca: api!.caPem, token: api!.token });
    assert.equal(withToken.status, 200);
    assert.equal(JSON.parse(withToken.body).kind, 'NamespaceList');
    const anonymous = await httpGet(`${api!.url}/api/v1/namespaces`, { ca: api!.caPem });
    assert.ok(anonymous.status === 401 || anonymous.status === 403, `anonymous got HTTP ${anonymous.status}`);
  });

  test('kube-state-metrics against the real server exposes the Pod created by kubectl', { skip: skipKsm }, async () => {
    await kubectl(['create', 'namespace', 'kso-ksm']);
    await kubectl(['apply', '-f', '-'], POD.replace('namespace: kso-e2e', 'namespace: kso-ksm'));
    const ksm = await startKsm(['--resources=pods'], { kubeconfig: api!.kubeconfigPath });
    try {
      let text = '';
      const deadline = Date.now() + 60_000;
      while (!text.includes('namespace="kso-ksm"') && Date.now() < deadline) {
        text = await ksm.scrape();
        if (!text.includes('namespace="kso-ksm"')) await new Promise((r) => setTimeout(r, 500));
      }
      const info = text.split('\n').find((l) => l.startsWith('kube_pod_info{') && l.includes('namespace="kso-ksm"'));
      assert.ok(info, `kube_pod_info for kso-ksm/web-0 missing; KSM log:\n${ksm.output()}`);
      assert.match(info, /pod="web-0"/);
      assert.match(
        text,
        /kube_pod_status_phase\{[^}]*namespace="kso-ksm"[^}]*phase="Pending"[^}]*\} 1/,
        'Pending phase reported as 1',
      );
    } finally {
      await ksm.stop();
    }
  });
});

test('a kube-apiserver that dies on startup is reported with its own output, and etcd is cleaned up', {
  skip: skipApi,
  timeout: 120_000,
}, async () => {
  const existing = await readdir(tmpdir());
  await assert.rejects(startRealApiServer({ extraArgs: ['--no-such-flag=1'] }), (err: Error) => {
    assert.match(err.message, /kube-apiserver exited/);
    assert.match(err.message, /no-such-flag/, 'the apiserver output explains the failure');
    return true;
  });
  const leftovers = (await readdir(tmpdir())).filter((f) => f.startsWith('kso-apiserver-') && !existing.includes(f));
  assert.deepEqual(leftovers, [], 'temp dir (etcd data, certs, token) removed');
});
