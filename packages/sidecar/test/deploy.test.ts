import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '@kso/config';
import { findKubectl } from '@kso/kube-sim';
import { parseAllDocuments } from 'yaml';

const dir = fileURLToPath(new URL('../../../deploy/sidecar-cronjob', import.meta.url));
const KUBECTL = findKubectl();

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML is walked ad hoc; the assertions check its shape
type Obj = Record<string, any>;

test('deploy/sidecar-cronjob renders: native sidecar, downward API, namespaced RBAC, deadline < grace', {
  skip: !KUBECTL && 'kubectl missing (bash test/peers/build.sh kubectl)',
}, async () => {
  const out = execFileSync(KUBECTL!, ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  const docs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
  const kinds = docs.map((d) => d['kind']).sort();
  assert.deepEqual(kinds, ['CronJob', 'Namespace', 'Role', 'RoleBinding', 'ServiceAccount']);
  assert.equal(
    docs.some((d) => d['kind'] === 'ClusterRole' || d['kind'] === 'ClusterRoleBinding'),
    false,
  );

  const cron = docs.find((d) => d['kind'] === 'CronJob')!;
  const podSpec = cron['spec']['jobTemplate']['spec']['template']['spec'];
  assert.equal(podSpec['restartPolicy'], 'Never');
  const sidecar = (podSpec['initContainers'] as Obj[]).find((c) => (c['args'] as string[])?.[0] === 'sidecar');
  assert.ok(sidecar, 'sidecar is an init container');
  assert.equal(sidecar['restartPolicy'], 'Always', 'native sidecar: outlives the main container');
  assert.ok(!(podSpec['containers'] as Obj[]).some((c) => c['name'] === sidecar['name']));
  const env = new Map((sidecar['env'] as Obj[]).map((e) => [e['name'], e['valueFrom']?.['fieldRef']?.['fieldPath']]));
  assert.equal(env.get('KSO_POD'), 'metadata.name');
  assert.equal(env.get('KSO_POD_NAMESPACE'), 'metadata.namespace');

  // The sidecar's service.instance.id comes from the same downward-API variables.
  const { parseSidecarArgs } = await import('../src/cli.ts');
  const parsed = parseSidecarArgs((sidecar['args'] as string[]).slice(1), {
    KSO_POD: 'run-1-x',
    KSO_POD_NAMESPACE: 'batch',
  });
  assert.equal(parsed.help, false);
  if (!parsed.help) assert.equal(parsed.options.resourceAttributes?.['service.instance.id'], 'batch.run-1-x');

  const deadlineArg = (sidecar['args'] as string[]).find((a) => a.startsWith('--flush-deadline='));
  const deadlineMs = parseDuration(deadlineArg ? deadlineArg.split('=')[1]! : '20s') ?? Number.NaN;
  const graceMs = Number(podSpec['terminationGracePeriodSeconds']) * 1000;
  assert.ok(deadlineMs < graceMs, `flush deadline ${deadlineMs}ms must be below grace ${graceMs}ms`);
  const scrape = (sidecar['args'] as string[]).find((a) => a.startsWith('--scrape-url='));
  assert.match(scrape ?? '', /^--scrape-url=http:\/\/127\.0\.0\.1:\d+\/metrics$/);

  const sa = docs.find((d) => d['kind'] === 'ServiceAccount')!;
  assert.equal(podSpec['serviceAccountName'], sa['metadata']['name']);
  const role = docs.find((d) => d['kind'] === 'Role')!;
  const granted = (role['rules'] as Obj[]).flatMap((r) =>
    (r['resources'] as string[]).flatMap((res) =>
      (r['verbs'] as string[]).map((v) => `${r['apiGroups'][0]}/${res}:${v}`),
    ),
  );
  assert.deepEqual(granted.sort(), [
    '/pods:get',
    '/pods:list',
    '/pods:watch',
    'batch/jobs:get',
    'batch/jobs:list',
    'batch/jobs:watch',
  ]);
  const binding = docs.find((d) => d['kind'] === 'RoleBinding')!;
  assert.equal(binding['roleRef']['name'], role['metadata']['name']);
  assert.deepEqual(binding['subjects'], [
    { kind: 'ServiceAccount', name: sa['metadata']['name'], namespace: 'descheduler-demo' },
  ]);
});
