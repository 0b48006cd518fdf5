// The sidecar in-cluster against a real kube-apiserver: deploy/sidecar-cronjob's ServiceAccount and Role
// applied server-side, a bound token from the TokenRequest API (what the projected volume holds), the
// apiserver's CA, KUBERNETES_SERVICE_HOST/PORT. Proves the manifest's RBAC is enough for the light in-cluster
// path (own Pod and Job, field selectors) and that the final state is delivered.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '@kso/exporters/testing';
import { kubectlPath, skipUnlessPeers, startRealApiServer } from '@kso/peers';
import { MAIN_METRICS } from './fixtures.ts';
import { startMetricsEndpoint, waitUntil } from './helpers.ts';
import { spawnSidecar } from './process.ts';

const execFileP = promisify(execFile);
const DEPLOY = fileURLToPath(new URL('../../../deploy/sidecar-cronjob', import.meta.url));
const NS = 'descheduler-demo';
const skip =
  skipUnlessPeers('etcd', 'kube-apiserver') || (!kubectlPath() && 'no kubectl (bash test/peers/build.sh kubectl)');

test('in a real cluster: the manifest RBAC and a bound ServiceAccount token are all the sidecar needs', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const api = await startRealApiServer();
  t.after(() => api.stop());
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const child = execFileP(kubectlPath()!, ['--kubeconfig', api.kubeconfigPath, '--request-timeout=30s', ...args], {
      timeout: 60_000,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    try {
      return (await child).stdout;
    } catch (err) {
      throw new Error(`kubectl ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  };
  // The example's Namespace, ServiceAccount, Role, RoleBinding and CronJob, applied as a user would.
  await kubectl(
    ['apply', '--server-side', '--field-manager=kso-test', '-f', '-'],
    await kubectl(['kustomize', DEPLOY]),
  );
  const cron = JSON.parse(await kubectl(['-n', NS, 'get', 'cronjob', 'descheduler', '-o', 'json'])) as {
    metadata: { uid: string };
  };

  // What the CronJob and Job controllers would create for one run (no controllers run here).
  const job = 'descheduler-29200001';
  const pod = `${job}-r3al1`;
  const jobObj = (await api.call('POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: job,
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'descheduler', uid: cron.metadata.uid, controller: true },
      ],
    },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'descheduler', image: 'busybox:1.36' }] } },
    },
  })) as { metadata: { uid: string } };
  await api.call('POST', `/api/v1/namespaces/${NS}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod,
      labels: { 'batch.kubernetes.io/job-name': job },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job, uid: jobObj.metadata.uid, controller: true }],
    },
    spec: {
      nodeName: 'node-1',
      restartPolicy: 'Never',
      serviceAccountName: 'kso-sidecar',
      automountServiceAccountToken: false,
      initContainers: [{ name: 'kso-sidecar', image: 'kube-state-otel', restartPolicy: 'Always' }],
      containers: [{ name: 'descheduler', image: 'busybox:1.36' }],
    },
  });
  const now = new Date().toISOString();
  const status = (main: Record<string, unknown>) =>
    api.call(
      'PATCH',
      `/api/v1/namespaces/${NS}/pods/${pod}/status`,
      {
        status: {
          phase: 'Running',
          startTime: now,
          containerStatuses: [
            { name: 'descheduler', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: main },
          ],
        },
      },
      'application/merge-patch+json',
    );
  await status({ running: { startedAt: now } });

  // The projected volume's content: a bound token, the cluster CA, the namespace.
  const dir = await mkdtemp(join(tmpdir(), 'kso-sa-real-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const saDir = join(dir, 'serviceaccount');
  await mkdir(saDir);
  const token = (await kubectl(['-n', NS, 'create', 'token', 'kso-sidecar', '--duration=1h'])).trim();
  await writeFile(join(saDir, 'token'), token);
  await writeFile(join(saDir, 'ca.crt'), api.caPem);
  await writeFile(join(saDir, 'namespace'), NS);

  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  const main = await startMetricsEndpoint(MAIN_METRICS(9));
  t.after(() => main.close());
  const url = new URL(api.url);
  const p = spawnSidecar(
    [
      `--otlp-endpoint=http://${rx.grpcAddress}`,
      `--scrape-url=${main.url}`,
      '--interval=60s',
      '--push-listen=off',
      '--final-state-wait=500ms',
    ],
    {
      viaKso: true,
      env: {
        PATH: process.env['PATH'],
        HOME: dir,
        KUBERNETES_SERVICE_HOST: url.hostname,
        KUBERNETES_SERVICE_PORT: url.port,
        KSO_SERVICE_ACCOUNT_DIR: saDir,
        KSO_POD: pod,
        KSO_POD_NAMESPACE: NS,
      },
    },
  );
  t.after(() => p.kill());
  const first = await p.waitForLog((l) => l['msg'] === 'first push done', 30_000);
  assert.equal(first['otlpDelivered'], true, p.stderr);
  await status({
    terminated: { reason: 'Completed', exitCode: 0, startedAt: now, finishedAt: new Date().toISOString() },
  });
  const { code } = await p.exited;
  assert.equal(code, 0, `${p.stderr}\n${JSON.stringify(p.logs.slice(-5))}`);
  assert.ok(
    !p.logs.some((l) => Number(l['level']) >= 50),
    `no errors: ${JSON.stringify(p.logs.filter((l) => Number(l['level']) >= 50))}`,
  );

  const find = (name: string, attrs: Record<string, string>) =>
    rx.received
      .flatMap((r) => r.metrics)
      .filter((m) => m.name === name)
      .flatMap((m) => m.points)
      .find((pt) => Object.entries(attrs).every(([k, v]) => pt.attributes[k] === v));
  await waitUntil(
    () => find('kube_pod_container_status_terminated_reason', { pod, reason: 'Completed' }) !== undefined,
    5_000,
    'final state',
  );
  assert.ok(find('kube_job_info', { job_name: job, namespace: NS }), 'the Job watch worked with the Role');
  assert.equal(find('descheduler_pods_evicted', { pod, job_name: job })?.value, 9);
});
