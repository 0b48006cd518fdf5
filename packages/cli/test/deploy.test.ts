import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KUBECTL = '/usr/bin/kubectl';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are loosely typed YAML, asserted field by field
type Obj = Record<string, any>;
function kustomize(dir: string): Obj[] {
  const out = execFileSync(KUBECTL, ['kustomize', `${ROOT}${dir}`], { encoding: 'utf8', timeout: 30_000 });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj);
}
const find = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

describe('deploy/ kustomize renders', { skip: existsSync(KUBECTL) ? false : 'kubectl not installed' }, () => {
  for (const dir of ['deploy/base', 'deploy/overlays/otlp']) {
    test(`${dir}: ClusterRole grants only list/watch on pods, jobs, cronjobs`, () => {
      const objs = kustomize(dir);
      const roles = find(objs, 'ClusterRole');
      assert.equal(roles.length, 1);
      assert.equal(find(objs, 'Role').length, 0);
      const grants = new Set<string>();
      for (const rule of roles[0]!.rules as Obj[]) {
        assert.equal(rule.resourceNames, undefined);
        assert.equal(rule.nonResourceURLs, undefined);
        for (const g of rule.apiGroups as string[])
          for (const r of rule.resources as string[])
            for (const v of rule.verbs as string[]) grants.add(`${g}/${r}:${v}`);
      }
      assert.deepEqual([...grants].sort(), [
        '/pods:list',
        '/pods:watch',
        'batch/cronjobs:list',
        'batch/cronjobs:watch',
        'batch/jobs:list',
        'batch/jobs:watch',
      ]);
      const binding = find(objs, 'ClusterRoleBinding')[0]!;
      const sa = find(objs, 'ServiceAccount')[0]!;
      assert.equal(binding.roleRef.name, roles[0]!.metadata.name);
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
    });

    test(`${dir}: Deployment probes, hardening, config wiring`, () => {
      const objs = kustomize(dir);
      const dep = find(objs, 'Deployment')[0]!;
      const pod = dep.spec.template.spec;
      const c = pod.containers[0];
      assert.equal(pod.serviceAccountName, find(objs, 'ServiceAccount')[0]!.metadata.name);
      assert.equal(c.livenessProbe.httpGet.path, '/healthz');
      assert.equal(c.readinessProbe.httpGet.path, '/readyz');
      assert.equal(c.ports[0].containerPort, 9464);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
      // The ConfigMap reference survives kustomize's name hashing.
      const cm = find(objs, 'ConfigMap')[0]!;
      assert.equal(c.envFrom[0].configMapRef.name, cm.metadata.name);
      for (const k of Object.keys(cm.data)) assert.match(k, /^KSO_[A-Z_]+$/);
      const svc = find(objs, 'Service')[0]!;
      assert.equal(svc.metadata.annotations['prometheus.io/scrape'], 'true');
      assert.equal(svc.metadata.annotations['prometheus.io/port'], '9464');
      if (dir.endsWith('otlp')) assert.match(cm.data.KSO_OTLP_ENDPOINT, /^http:\/\/.+:4317$/);
      else assert.equal(cm.data.KSO_OTLP_ENDPOINT, undefined);
      for (const o of objs)
        if (o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding' && o.kind !== 'Namespace')
          assert.equal(o.metadata.namespace, 'kube-state-otel', `${o.kind} namespaced`);
    });
  }

  test('the ConfigMap keys are valid kso run configuration', async () => {
    const { loadRunConfig } = await import('../src/config.ts');
    for (const dir of ['deploy/base', 'deploy/overlays/otlp']) {
      const cm = find(kustomize(dir), 'ConfigMap')[0]!;
      const { problems } = loadRunConfig([], cm.data as Record<string, string>);
      assert.deepEqual(problems, [], dir);
    }
  });
});
