import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findKubectl } from '@kso/kube-sim';
import { parse, parseAllDocuments } from 'yaml';
import { DATA_GRANTS, grants } from './testing.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KUBECTL = findKubectl() ?? 'kubectl';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are loosely typed YAML, asserted field by field
type Obj = Record<string, any>;
function kustomize(dir: string): Obj[] {
  const out = execFileSync(KUBECTL, ['kustomize', `${ROOT}${dir}`], { encoding: 'utf8', timeout: 30_000 });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj);
}
const find = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

/** Probes, hardening, config wiring and the scrape Service of the kso Deployment or StatefulSet. */
function checkWorkload(objs: Obj[], workload: Obj): void {
  const pod = workload.spec.template.spec;
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
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>))
    assert.equal(workload.spec.template.metadata.labels[k], v, `Service selects the pods by ${k}`);
  for (const o of objs)
    if (o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding' && o.kind !== 'Namespace')
      assert.equal(o.metadata.namespace, 'kube-state-otel', `${o.kind} namespaced`);
}

describe('deploy/ kustomize renders', {
  skip: findKubectl() ? false : 'kubectl not installed (bash test/peers/build.sh kubectl)',
}, () => {
  for (const dir of ['deploy/base', 'deploy/overlays/otlp']) {
    test(`${dir}: ClusterRole grants only list/watch on pods, jobs, cronjobs`, () => {
      const objs = kustomize(dir);
      const roles = find(objs, 'ClusterRole');
      assert.equal(roles.length, 1);
      assert.equal(find(objs, 'Role').length, 0);
      assert.deepEqual(grants(roles[0]!), DATA_GRANTS);
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
      checkWorkload(objs, dep);
      const cm = find(objs, 'ConfigMap')[0]!;
      if (dir.endsWith('otlp')) assert.match(cm.data.KSO_OTLP_ENDPOINT, /^http:\/\/.+:4317$/);
      else assert.equal(cm.data.KSO_OTLP_ENDPOINT, undefined);
    });
  }

  test('deploy/overlays/autosharding: StatefulSet with downward-API identity, headless Service, no Deployment', () => {
    const objs = kustomize('deploy/overlays/autosharding');
    assert.equal(find(objs, 'Deployment').length, 0);
    const sts = find(objs, 'StatefulSet')[0]!;
    checkWorkload(objs, sts);
    const svc = find(objs, 'Service')[0]!;
    assert.equal(find(objs, 'Service').length, 1);
    assert.equal(svc.spec.clusterIP, 'None');
    assert.equal(sts.spec.serviceName, svc.metadata.name);
    assert.ok(sts.spec.replicas >= 2);
    const env = Object.fromEntries(
      (sts.spec.template.spec.containers[0].env as Obj[]).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]),
    );
    assert.deepEqual(env, { KSO_POD: 'metadata.name', KSO_POD_NAMESPACE: 'metadata.namespace' });
  });

  test('deploy/overlays/autosharding: RBAC adds only get on pods and get/list/watch on that one StatefulSet', () => {
    const objs = kustomize('deploy/overlays/autosharding');
    const sts = find(objs, 'StatefulSet')[0]!;
    const sa = find(objs, 'ServiceAccount')[0]!;
    assert.deepEqual(grants(find(objs, 'ClusterRole')[0]!), DATA_GRANTS);
    const roles = find(objs, 'Role');
    assert.equal(roles.length, 1);
    assert.equal(roles[0]!.metadata.namespace, sts.metadata.namespace);
    const name = sts.metadata.name;
    assert.deepEqual(grants(roles[0]!), [
      '/pods:get',
      `apps/statefulsets:get@${name}`,
      `apps/statefulsets:list@${name}`,
      `apps/statefulsets:watch@${name}`,
    ]);
    const binding = find(objs, 'RoleBinding')[0]!;
    assert.equal(binding.metadata.namespace, sts.metadata.namespace);
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: roles[0]!.metadata.name,
    });
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
  });

  test('every kso workload pushes service.instance.id <namespace>.<pod> from the downward API', async () => {
    const { loadRunConfig } = await import('../src/config.ts');
    const { resolveIdentity } = await import('@kso/config');
    for (const dir of ['deploy/base', 'deploy/overlays/otlp', 'deploy/overlays/autosharding']) {
      const objs = kustomize(dir);
      const w = [...find(objs, 'Deployment'), ...find(objs, 'StatefulSet')][0]!;
      const ns = w.metadata.namespace as string;
      const podName = 'kube-state-otel-0';
      const fields: Record<string, string> = { 'metadata.name': podName, 'metadata.namespace': ns };
      // What the kubelet does: fieldRefs resolved, $(VAR) expanded from the variables defined before.
      const env: Record<string, string> = { ...(find(objs, 'ConfigMap')[0]!.data as Record<string, string>) };
      for (const e of (w.spec.template.spec.containers[0].env ?? []) as Obj[])
        env[e.name] = e.valueFrom
          ? fields[e.valueFrom.fieldRef.fieldPath]!
          : String(e.value).replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? `$(${v})`);
      const { config, problems } = loadRunConfig([], env);
      assert.deepEqual(problems, [], dir);
      const id = resolveIdentity(config!, {
        serviceName: 'kube-state-otel',
        serviceVersion: '0',
        pod: config!.pod ? { name: config!.pod, namespace: config!.podNamespace } : undefined,
        hostname: () => 'not-the-pod',
      });
      assert.equal(id.resource['service.instance.id'], `${ns}.${podName}`, dir);
    }
  });

  test('the ConfigMap keys are valid kso run configuration', async () => {
    const { loadRunConfig } = await import('../src/config.ts');
    for (const dir of ['deploy/base', 'deploy/overlays/otlp', 'deploy/overlays/autosharding']) {
      const objs = kustomize(dir);
      const cm = find(objs, 'ConfigMap')[0]!;
      // What the downward API puts into the StatefulSet's pods.
      const identity = find(objs, 'StatefulSet').length
        ? { KSO_POD: 'kube-state-otel-0', KSO_POD_NAMESPACE: 'kube-state-otel' }
        : {};
      const { problems } = loadRunConfig([], { ...(cm.data as Record<string, string>), ...identity });
      assert.deepEqual(problems, [], dir);
    }
  });
});

test('the kso image is set in one place for kustomize: deploy/components/image, used by every kustomization', {
  skip: findKubectl() ? false : 'kubectl not installed (bash test/peers/build.sh kubectl)',
}, async () => {
  const { readFileSync } = await import('node:fs');
  const component = parse(readFileSync(`${ROOT}deploy/components/image/kustomization.yaml`, 'utf8')) as Obj;
  const [entry] = component.images as Obj[];
  const ref = `${entry!.newName}:${entry!.newTag}`;
  for (const dir of ['deploy/base', 'deploy/overlays/otlp', 'deploy/overlays/autosharding', 'deploy/sidecar-cronjob']) {
    const objs = kustomize(dir);
    const images = objs
      .flatMap((o) => {
        const pod = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
        return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
      })
      .map((c: Obj) => c.image as string)
      .filter((i) => i.includes('kube-state-otel'));
    assert.ok(images.length > 0, dir);
    for (const i of images) assert.equal(i, ref, dir);
  }
});

test('with the compile cache warmed as the image warms it, `kso run` loads no TypeScript stripper', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { KSO_NODE_FLAGS } = await import('@kso/config');
  const cache = mkdtempSync(join(tmpdir(), 'kso-cc-'));
  try {
    const env = { ...process.env, NODE_COMPILE_CACHE: cache };
    execFileSync(process.execPath, [...KSO_NODE_FLAGS, `${ROOT}packages/cli/scripts/warm-compile-cache.ts`], { env });
    // What `kso run` imports before it starts (main.ts, then the run command's module).
    const child = `await import(${JSON.stringify(`${ROOT}packages/cli/src/main.ts`)});
await import(${JSON.stringify(`${ROOT}packages/cli/src/run.ts`)});
process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes("amaro"))));`;
    const out = execFileSync(process.execPath, [...KSO_NODE_FLAGS, '--input-type=module', '-e', child], {
      env,
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), [], 'every module came from the cache');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('the image and `npm run kso` start Node with KSO_NODE_FLAGS and KSO_MALLOC_ENV (read only at start-up)', async () => {
  const { readFileSync } = await import('node:fs');
  const { KSO_MALLOC_ENV, KSO_NODE_FLAGS } = await import('@kso/config');
  const dockerfile = readFileSync(`${ROOT}deploy/Dockerfile`, 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  assert.ok(entry, 'Dockerfile has an exec-form ENTRYPOINT');
  assert.deepEqual(JSON.parse(entry[1]!), ['node', ...KSO_NODE_FLAGS, 'packages/cli/bin/kso.js']);
  // Node keys the compile cache by V8 flags: warmed with others, `kso run` would load the TypeScript stripper.
  const warm = /^RUN node (.*)packages\/cli\/scripts\/warm-compile-cache\.ts/m.exec(dockerfile);
  assert.ok(warm, 'Dockerfile warms the compile cache');
  assert.deepEqual(
    warm[1]!.split(' ').filter(Boolean),
    [...KSO_NODE_FLAGS],
    'the compile cache is warmed with KSO_NODE_FLAGS',
  );
  const env = Object.entries(KSO_MALLOC_ENV).map(([k, v]) => `${k}=${v}`);
  assert.ok(new RegExp(`^ENV ${env.join(' ')}$`, 'm').test(dockerfile), `Dockerfile sets ENV ${env.join(' ')}`);
  const scripts = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts as Record<string, string>;
  assert.equal(
    scripts['kso'],
    `${env.join(' ')} bash scripts/run.sh node ${KSO_NODE_FLAGS.join(' ')} packages/cli/bin/kso.js`,
  );
});
