// The Helm chart deploy/helm/kube-state-otel with a real helm (v3, built by test/peers/build.sh): `helm lint` and
// `helm template` of every value set in the chart's ci/ folder, the rendered `kso run` arguments checked by kso's own
// configuration loader, and `kubectl apply --dry-run=server` of every rendering on a real kube-apiserver that has
// the Prometheus Operator CRDs and enforces the restricted Pod Security Standard in the target namespaces.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadRunConfig } from '@kso/cli';
import { DATA_GRANTS, grants } from '@kso/cli/testing';
import {
  kubeconfig,
  kubectlPath,
  peerBinary,
  promOperatorCrdsDir,
  type RealApiServer,
  requirePeers,
  skipUnlessPeers,
  startRealApiServer,
} from '@kso/peers';
import { SIDECAR_ENTRY, SIDECAR_NODE_FLAGS } from '@kso/sidecar/launch';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { startKsoRun } from './kso.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(REPO, 'deploy/helm/kube-state-otel');
// The server the chart is dry-run against (and whose version `helm template` assumes).
const KUBE_VERSION = '1.33.13';
const skipHelm = skipUnlessPeers('helm');
const skipServer =
  skipUnlessPeers('helm', 'prom-crds', 'etcd', 'kube-apiserver') ||
  (!kubectlPath() && 'no kubectl (bash test/peers/build.sh kubectl)');

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are loosely typed YAML, asserted field by field
type Obj = Record<string, any>;

interface Output {
  stdout: string;
  stderr: string;
}
function run(bin: string, args: string[], input?: string): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve({ stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}
const helm = (args: string[]) => run(requirePeers('helm')[0]!, args);

/** The value sets shipped in the chart's ci/ folder (`<name>-values.yaml`), each rendered and applied below. */
const VALUE_SETS = (await readdir(join(CHART, 'ci')))
  .filter((f) => f.endsWith('-values.yaml'))
  .map((f) => f.replace(/-values\.yaml$/, ''))
  .sort();

async function template(set: string, extra: string[] = [], chart = CHART): Promise<{ yaml: string; objs: Obj[] }> {
  const { stdout } = await helm([
    'template',
    'kso',
    chart,
    '--namespace',
    `kso-${set}`,
    '--kube-version',
    KUBE_VERSION,
    '-f',
    join(CHART, 'ci', `${set}-values.yaml`),
    ...extra,
  ]);
  const objs = parseAllDocuments(stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
  return { yaml: stdout, objs };
}
const find = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const workloads = (objs: Obj[]) => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const ksoContainer = (w: Obj): Obj => w.spec.template.spec.containers.find((c: Obj) => c.name === 'kube-state-otel');

/** Stand-ins for the files a pod's volumes would mount (kso checks that e.g. --otlp-ca exists). */
const MOUNTS = mkdtempSync(join(tmpdir(), 'kso-helm-mounts-'));
process.on('exit', () => rmSync(MOUNTS, { recursive: true, force: true }));

/**
 * What kso's own loader makes of a rendered container: its flags plus the env a pod would get, with every path
 * under a volume mount pointing at a stand-in file (so a flag naming a file the volume does not provide fails).
 */
function ksoConfig(c: Obj, pod?: Obj) {
  assert.equal(c.args[0], 'run');
  let args = (c.args as string[]).slice(1);
  for (const m of (c.volumeMounts as Obj[] | undefined) ?? []) {
    const vol = (pod?.volumes as Obj[] | undefined)?.find((v) => v.name === m.name);
    const items = (vol?.configMap ?? vol?.secret)?.items as Obj[] | undefined;
    const dir = join(MOUNTS, m.name);
    mkdirSync(dir, { recursive: true });
    for (const it of items ?? []) writeFileSync(join(dir, it.path), '-----BEGIN CERTIFICATE-----\n');
    args = args.map((a) => a.replace(`=${m.mountPath}/`, `=${dir}/`));
  }
  const env: Record<string, string> = {};
  for (const e of (c.env as Obj[] | undefined) ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = 'kso-kube-state-otel-0';
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = 'kso';
    else if (e.valueFrom?.secretKeyRef) env[e.name] = 'authorization=Bearer test';
  }
  return loadRunConfig(args, env);
}

describe('Helm chart deploy/helm/kube-state-otel (helm template)', { skip: skipHelm, timeout: 180_000 }, () => {
  test('the ci/ folder has the value sets the chart promises', () => {
    assert.deepEqual(VALUE_SETS, ['autosharding', 'default', 'monitoring', 'otlp', 'sharded']);
  });

  for (const set of VALUE_SETS) {
    test(`helm lint --strict with ci/${set}-values.yaml`, async () => {
      const { stdout } = await helm(['lint', '--strict', CHART, '-f', join(CHART, 'ci', `${set}-values.yaml`)]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });

    test(`${set}: every kso container gets flags kso accepts, probes and the restricted security context`, async () => {
      const { objs } = await template(set);
      const ws = workloads(objs);
      assert.ok(ws.length >= 1);
      for (const w of ws) {
        const pod = w.spec.template.spec;
        const c = ksoContainer(w);
        const { problems } = ksoConfig(c, pod);
        assert.deepEqual(problems, [], `${w.kind}/${w.metadata.name}: ${c.args.join(' ')}`);
        assert.equal(c.livenessProbe.httpGet.path, '/healthz');
        assert.equal(c.readinessProbe.httpGet.path, '/readyz');
        assert.equal(c.ports[0].containerPort, 9464);
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
        assert.ok(c.resources.requests.memory && c.resources.limits.memory, 'memory sized by default');
        assert.equal(pod.serviceAccountName, find(objs, 'ServiceAccount')[0]!.metadata.name);
        const svc = find(objs, 'Service')[0]!;
        for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>))
          assert.equal(w.spec.template.metadata.labels[k], v, `the Service selects ${w.metadata.name}'s pods`);
      }
      assert.deepEqual(grants(find(objs, 'ClusterRole')[0]!), DATA_GRANTS);
      for (const o of objs)
        if (!o.kind.startsWith('Cluster')) assert.equal(o.metadata.namespace, `kso-${set}`, `${o.kind} namespaced`);
    });
  }

  test('default: one Deployment, image from values.image with the chart appVersion, ClusterIP Service', async () => {
    const { objs } = await template('default');
    const chart = parseYaml(await readFile(join(CHART, 'Chart.yaml'), 'utf8')) as Obj;
    assert.equal(find(objs, 'Deployment').length, 1);
    assert.equal(find(objs, 'StatefulSet').length, 0);
    assert.equal(ksoContainer(find(objs, 'Deployment')[0]!).image, `kube-state-otel:${chart.appVersion}`);
    const svc = find(objs, 'Service')[0]!;
    assert.equal(svc.spec.clusterIP, undefined);
    assert.equal(svc.metadata.annotations['prometheus.io/port'], '9464');
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'NetworkPolicy', 'PodDisruptionBudget'])
      assert.equal(find(objs, kind).length, 0, `${kind} is opt-in`);
    // What a user runs first: no --kube-version, helm assumes the Kubernetes its client libraries come from.
    const plain = await helm(['template', 'kso', CHART]);
    assert.match(plain.stdout, /kind: Deployment/);
    const { config } = ksoConfig(
      ksoContainer(find(objs, 'Deployment')[0]!),
      find(objs, 'Deployment')[0]!.spec.template.spec,
    );
    assert.equal(config!.otlp.endpoint, '', 'pull only by default');
  });

  test('the image is set in one place: values.image reaches every kso container', async () => {
    for (const set of VALUE_SETS) {
      const { objs } = await template(set, [
        '--set',
        'image.registry=registry.example.com/platform',
        '--set',
        'image.tag=1.2.3',
      ]);
      for (const w of workloads(objs))
        for (const c of w.spec.template.spec.containers as Obj[])
          assert.equal(c.image, 'registry.example.com/platform/kube-state-otel:1.2.3', `${set}: ${w.metadata.name}`);
    }
    const { objs } = await template('default', ['--set', `image.digest=sha256:${'a'.repeat(64)}`]);
    assert.match(ksoContainer(find(objs, 'Deployment')[0]!).image, /^kube-state-otel:[^@]+@sha256:a{64}$/);
  });

  test('autosharding: StatefulSet with downward-API identity, headless Service, Role on that one StatefulSet', async () => {
    const { objs } = await template('autosharding');
    assert.equal(find(objs, 'Deployment').length, 0);
    const sts = find(objs, 'StatefulSet')[0]!;
    assert.equal(sts.spec.replicas, 3);
    const svc = find(objs, 'Service')[0]!;
    assert.equal(svc.spec.clusterIP, 'None');
    assert.equal(sts.spec.serviceName, svc.metadata.name);
    const { config, problems } = ksoConfig(ksoContainer(sts), sts.spec.template.spec);
    assert.deepEqual(problems, []);
    assert.equal(config!.pod, 'kso-kube-state-otel-0', 'KSO_POD from metadata.name turns autosharding on');
    const roles = find(objs, 'Role');
    assert.equal(roles.length, 1);
    assert.deepEqual(grants(roles[0]!), [
      '/pods:get',
      `apps/statefulsets:get@${sts.metadata.name}`,
      `apps/statefulsets:list@${sts.metadata.name}`,
      `apps/statefulsets:watch@${sts.metadata.name}`,
    ]);
    assert.equal(find(objs, 'RoleBinding')[0]!.roleRef.name, roles[0]!.metadata.name);
    assert.deepEqual(find(objs, 'PodDisruptionBudget')[0]!.spec.maxUnavailable, 1);
  });

  test('static sharding: one Deployment per shard with --shard/--total-shards, disjoint selectors', async () => {
    const { objs } = await template('sharded');
    const deps = find(objs, 'Deployment');
    assert.equal(deps.length, 3);
    const shards = deps.map((d) => {
      const { config, problems } = ksoConfig(ksoContainer(d), d.spec.template.spec);
      assert.deepEqual(problems, []);
      assert.equal(config!.totalShards, 3);
      assert.equal(d.spec.selector.matchLabels['kube-state-otel.io/shard'], `${config!.shard}`);
      assert.deepEqual(config!.namespaces, ['team-a', 'team-b']);
      assert.equal(config!.metricLabelsAllowlist, 'pods=[app,team],jobs=[*]');
      assert.equal(config!.metricAnnotationsAllowlist, 'cronjobs=[owner]');
      assert.deepEqual(config!.metricDenylist, ['kube_pod_tolerations', 'kube_job_owner']);
      assert.deepEqual(config!.metricOptInList, ['kube_pod_nodeselectors']);
      return config!.shard;
    });
    assert.deepEqual(shards.sort(), [0, 1, 2]);
    assert.equal(new Set(deps.map((d) => d.metadata.name)).size, 3);
    assert.equal(find(objs, 'Service')[0]!.spec.clusterIP, 'None', 'every shard is its own scrape target');
  });

  test('OTLP: endpoint and TLS CA from values, headers only through a secretKeyRef', async () => {
    const { objs, yaml } = await template('otlp');
    const dep = find(objs, 'Deployment')[0]!;
    const c = ksoContainer(dep);
    const { config, problems } = ksoConfig(c, dep.spec.template.spec);
    assert.deepEqual(problems, []);
    assert.equal(config!.otlp.endpoint, 'https://otel-collector.observability.svc:4317');
    assert.equal(config!.otlp.interval, 15_000, 'extraArgs come after the chart flags and win');
    const headers = (c.env as Obj[]).find((e) => e.name === 'KSO_OTLP_HEADERS')!;
    assert.deepEqual(headers.valueFrom.secretKeyRef, { name: 'kso-otlp-headers', key: 'headers' });
    assert.doesNotMatch(yaml, /Bearer/, 'no header value in the rendered manifests');
    const mount = (c.volumeMounts as Obj[]).find((m) => m.name === 'otlp-ca')!;
    assert.equal(config!.otlp.ca, join(MOUNTS, mount.name, 'ca.crt'), 'the CA path is inside the mounted volume');
    const vol = (dep.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'otlp-ca')!;
    assert.equal(vol.configMap.name, 'kso-otlp-ca');
    assert.ok(
      (c.env as Obj[]).some((e) => e.name === 'KSO_LOG_LEVEL' && e.value === 'debug'),
      'extra env',
    );
  });

  test('monitoring: ServiceMonitor, PodMonitor, and a PrometheusRule from files/alerts with the job selector rewritten', async () => {
    const { objs } = await template('monitoring');
    const sm = find(objs, 'ServiceMonitor')[0]!;
    const svc = find(objs, 'Service')[0]!;
    assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>))
      assert.equal(svc.metadata.labels[k], v, 'the ServiceMonitor selects the Service');
    assert.equal(sm.spec.endpoints[0].port, svc.spec.ports[0].name);
    const pm = find(objs, 'PodMonitor')[0]!;
    assert.equal(pm.spec.podMetricsEndpoints[0].port, 'metrics');
    const rule = find(objs, 'PrometheusRule')[0]!;
    const alerts = (rule.spec.groups as Obj[]).flatMap((g) => (g.rules as Obj[]).map((r) => r));
    const files = (await readdir(join(CHART, 'files/alerts'))).filter((f) => f.endsWith('.yaml'));
    const expected: string[] = [];
    for (const f of files) {
      const doc = parseYaml(await readFile(join(CHART, 'files/alerts', f), 'utf8')) as Obj;
      for (const g of doc.groups as Obj[]) for (const r of g.rules as Obj[]) expected.push(r.alert ?? r.record);
    }
    assert.deepEqual(alerts.map((r) => r.alert ?? r.record).sort(), expected.sort(), 'every rule of every file');
    for (const r of alerts) assert.doesNotMatch(r.expr, /job="(?!kube-state-metrics")/, `${r.alert}: job rewritten`);
    assert.ok(alerts.some((r) => /job="kube-state-metrics"/.test(r.expr)));
    const np = find(objs, 'NetworkPolicy')[0]!;
    assert.deepEqual(np.spec.ingress, [{ ports: [{ port: 'metrics', protocol: 'TCP' }] }]);
    assert.equal(find(objs, 'Deployment')[0]!.spec.template.spec.priorityClassName, 'system-cluster-critical');
    assert.equal(find(objs, 'PodDisruptionBudget')[0]!.spec.minAvailable, 1);

    const first = alerts[0]!.alert as string;
    const without = await template('monitoring', ['--set', `prometheus.rules.disabled={${first}}`]);
    const left = (find(without.objs, 'PrometheusRule')[0]?.spec.groups ?? []) as Obj[];
    assert.ok(!left.some((g) => (g.rules as Obj[]).some((r) => r.alert === first)), 'disabled alerts are left out');
  });

  test('contradictory or invalid values fail the render with a message', async () => {
    await assert.rejects(
      template('autosharding', ['--set', 'sharding.totalShards=3']),
      /autosharding\.enabled and sharding\.totalShards > 1 are mutually exclusive/,
    );
    // values.schema.json stops what kso would reject at start-up before anything reaches the cluster.
    await assert.rejects(
      template('default', ['--set', 'schema=prom']),
      /\/schema': value must be one of 'ksm', 'semconv'/,
    );
    await assert.rejects(
      template('default', ['--set', 'otlp.protocol=udp']),
      /\/otlp\/protocol': value must be one of/,
    );
    await assert.rejects(template('default', ['--set', 'collectors={pods,nodes}']), /\/collectors\/1'/);
    await assert.rejects(
      template('sharded', ['--set', 'metricAllowlist={kube_pod_info}']),
      /metricAllowlist and metricDenylist are mutually exclusive/,
    );
  });
});

/**
 * A throw-away parent chart that uses the "kube-state-otel.sidecarContainer" helper the way a team's CronJob chart
 * would (this chart as a dependency), so the helper's output can be rendered and applied like any manifest.
 */
async function sidecarChart(dir: string): Promise<string> {
  const parent = join(dir, 'nightly-report');
  await mkdir(join(parent, 'templates'), { recursive: true });
  await cp(CHART, join(parent, 'charts', 'kube-state-otel'), { recursive: true });
  await writeFile(
    join(parent, 'Chart.yaml'),
    'apiVersion: v2\nname: nightly-report\nversion: 0.0.1\ndependencies:\n  - name: kube-state-otel\n    version: 0.1.0\n',
  );
  await writeFile(
    join(parent, 'values.yaml'),
    [
      'kube-state-otel:',
      '  sidecar:',
      '    otlpEndpoint: http://otel-collector.observability.svc:4317',
      '    scrapeUrl: http://127.0.0.1:8080/metrics',
    ].join('\n'),
  );
  // .Subcharts gives the helper the dependency's own scope (its values and appVersion), as the chart README shows.
  await writeFile(
    join(parent, 'templates', 'cronjob.yaml'),
    `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          serviceAccountName: kso-sidecar
          restartPolicy: Never
          terminationGracePeriodSeconds: 30
          securityContext:
            runAsNonRoot: true
            runAsUser: 1000
            seccompProfile:
              type: RuntimeDefault
          initContainers:
            {{- include "kube-state-otel.sidecarContainer" (index .Subcharts "kube-state-otel") | nindent 12 }}
          containers:
            - name: report
              image: registry.example.com/report:1
              securityContext:
                allowPrivilegeEscalation: false
                capabilities:
                  drop: ["ALL"]
`,
  );
  return parent;
}

describe('Helm chart: the CronJob sidecar helper', { skip: skipHelm, timeout: 120_000 }, () => {
  test('"kube-state-otel.sidecarContainer" renders a native sidecar with the downward-API identity', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kso-helm-sidecar-'));
    try {
      const parent = await sidecarChart(dir);
      const { stdout } = await helm(['template', 'nightly', parent, '--show-only', 'templates/cronjob.yaml']);
      const cron = parseYaml(stdout) as Obj;
      const side = cron.spec.jobTemplate.spec.template.spec.initContainers[0];
      assert.equal(side.name, 'kso-sidecar');
      assert.equal(side.restartPolicy, 'Always', 'native sidecar: stopped after the main container');
      assert.equal(side.args[0], 'sidecar');
      // The command the sidecar's footprint is measured with (packages/sidecar/src/launch.ts).
      assert.deepEqual(side.command, ['node', ...SIDECAR_NODE_FLAGS, SIDECAR_ENTRY]);
      assert.equal(side.resources.limits.memory, '96Mi');
      assert.ok(side.args.includes('--otlp-endpoint=http://otel-collector.observability.svc:4317'));
      assert.ok(side.args.includes('--scrape-url=http://127.0.0.1:8080/metrics'));
      assert.ok(side.args.includes('--flush-deadline=20s'));
      const env = Object.fromEntries((side.env as Obj[]).map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]));
      // KSO_POD, not the deprecated KSO_POD_NAME alias (which makes the sidecar log a warning at every start).
      assert.deepEqual(env, {
        KSO_POD: 'metadata.name',
        KSO_POD_NAMESPACE: 'metadata.namespace',
        KSO_POD_UID: 'metadata.uid',
      });
      assert.equal(side.image, 'kube-state-otel:0.1.0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Helm chart on a real kube-apiserver (kubectl apply --dry-run=server)', {
  skip: skipServer,
  timeout: 300_000,
}, () => {
  let api: RealApiServer;
  const kubectl = (args: string[], input?: string) =>
    run(kubectlPath()!, ['--kubeconfig', api.kubeconfigPath, '--request-timeout=60s', ...args], input);
  /** A namespace that enforces the restricted Pod Security Standard (workload warnings name any violation). */
  const restrictedNamespace = async (name: string) => {
    await kubectl(['create', 'namespace', name]);
    await kubectl(['label', 'namespace', name, 'pod-security.kubernetes.io/enforce=restricted']);
  };
  const dryRun = async (what: string, yaml: string) => {
    const { stdout, stderr } = await kubectl(['apply', '--dry-run=server', '-f', '-'], yaml);
    const lines = stdout.trim().split('\n');
    assert.ok(lines.length >= 4, `${what}: ${stdout}`);
    for (const l of lines) assert.match(l, /\(server dry run\)$/, `${what}: ${l}`);
    return stderr;
  };

  before(async () => {
    api = await startRealApiServer();
    const crds = promOperatorCrdsDir();
    await kubectl(['apply', '--server-side', '-f', crds]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', crds]);
  });
  after(async () => {
    await api?.stop();
  });

  test('the Prometheus Operator CRDs are served', async () => {
    assert.ok(peerBinary('prom-crds'));
    const { stdout } = await kubectl(['api-resources', '--api-group=monitoring.coreos.com', '-o', 'name']);
    for (const r of ['servicemonitors', 'podmonitors', 'prometheusrules'])
      assert.ok(
        stdout.split('\n').some((l) => l.startsWith(`${r}.`)),
        `${r} in ${stdout}`,
      );
  });

  for (const set of VALUE_SETS) {
    test(`${set}: every rendered object passes server-side validation, no Pod Security warning`, async () => {
      await restrictedNamespace(`kso-${set}`);
      const { yaml } = await template(set);
      const stderr = await dryRun(set, yaml);
      assert.doesNotMatch(stderr, /PodSecurity|Warning/, `${set}: ${stderr}`);
    });
  }

  test('the Pod Security check can fail: a privileged variant gets the restricted warning', async () => {
    await restrictedNamespace('kso-insecure');
    const { yaml } = await template('default', [
      '--namespace',
      'kso-insecure',
      '--set',
      'containerSecurityContext.allowPrivilegeEscalation=true',
    ]);
    const stderr = await dryRun('insecure', yaml);
    assert.match(stderr, /would violate PodSecurity "restricted:latest": allowPrivilegeEscalation/);
  });

  test("autosharding installed for real: kso runs with the chart's ServiceAccount and flags and finds its shard", async () => {
    const ns = 'kso-live';
    await kubectl(['create', 'namespace', ns]);
    const { yaml, objs } = await template('autosharding', ['--namespace', ns]);
    await kubectl(['apply', '-f', '-'], yaml);
    const sts = find(objs, 'StatefulSet')[0]!;
    // No controllers run here: create the StatefulSet's first pod as the controller would, owned by it.
    const uid = (await kubectl(['-n', ns, 'get', 'statefulset', sts.metadata.name, '-o', 'jsonpath={.metadata.uid}']))
      .stdout;
    const pod = `${sts.metadata.name}-0`;
    await api.call('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod,
        namespace: ns,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid, controller: true },
        ],
      },
      spec: { containers: [{ name: 'kube-state-otel', image: ksoContainer(sts).image }] },
    });
    const sa = find(objs, 'ServiceAccount')[0]!.metadata.name as string;
    const token = (await kubectl(['-n', ns, 'create', 'token', sa, '--duration=1h'])).stdout.trim();
    const dir = await mkdtemp(join(tmpdir(), 'kso-helm-live-'));
    try {
      const cfg = join(dir, 'kubeconfig');
      await writeFile(cfg, kubeconfig(api.url, api.caPem, token), { mode: 0o600 });
      // The chart's own flags (the test picks the port) plus what the downward API gives the pod.
      const args = (ksoContainer(sts).args as string[]).slice(1).filter((a) => !a.startsWith('--prometheus-port='));
      const kso = await startKsoRun(cfg, [...args, `--pod=${pod}`, `--pod-namespace=${ns}`]);
      try {
        const text = await kso.scrape();
        assert.match(text, /^kube_state_metrics_total_shards 3$/m, 'total from the StatefulSet spec.replicas');
        assert.match(text, /^kube_state_metrics_shard_ordinal\{shard_ordinal="0"\} 0$/m, 'ordinal from the pod name');
        assert.doesNotMatch(kso.proc.output(), /forbidden|(?<!Ms":)\b403\b/i, 'the chart RBAC covers what kso reads');
      } finally {
        await kso.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the sidecar helper output is a valid CronJob under the restricted standard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kso-helm-sidecar-'));
    try {
      const parent = await sidecarChart(dir);
      await restrictedNamespace('kso-cron');
      const { stdout } = await helm([
        'template',
        'nightly',
        parent,
        '--namespace',
        'kso-cron',
        '--show-only',
        'templates/cronjob.yaml',
      ]);
      const out = await kubectl(['apply', '--dry-run=server', '-n', 'kso-cron', '-f', '-'], stdout);
      assert.match(out.stdout, /cronjob\.batch\/nightly-report created \(server dry run\)/);
      assert.doesNotMatch(out.stderr, /PodSecurity/, out.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
