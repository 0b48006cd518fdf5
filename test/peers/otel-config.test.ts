// Every Collector configuration shipped in otel-config/ loaded by a real Collector (otelcol-kso v0.159, whose
// manifest carries the components they use), fed by the real `kso run` on kube-sim, and checked for what the
// config promises: health_check answers, the Prometheus exporter serves kso's names unchanged, the forwarding
// config delivers to an OTLP backend through its sending queue. Only listen addresses are rewritten (0.0.0.0:port
// → 127.0.0.1:free port); everything else is the file as shipped. Plus the Collector manifest of
// deploy/overlays/otlp, rendered with kustomize, against that config.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startKubeSim } from '@kso/kube-sim';
import {
  freePort,
  httpGet,
  kubectlPath,
  otlpToFileConfig,
  type RealCollector,
  skipUnlessPeers,
  startCollector,
  waitUntil,
} from '@kso/peers';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { startKsoRun } from './kso.ts';
import { parseExposition } from './series.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(REPO, 'otel-config');
const skip = skipUnlessPeers('otelcol');

// biome-ignore lint/suspicious/noExplicitAny: Collector configs and manifests are loosely typed YAML
type Obj = Record<string, any>;

/** The Collector configurations in otel-config/ (files with receivers and service.pipelines). */
const CONFIGS: { file: string; config: Obj }[] = [];
for (const f of (await readdir(DIR)).filter((n) => n.endsWith('.yaml')).sort()) {
  const docs = parseAllDocuments(await readFile(join(DIR, f), 'utf8')).map((d) => d.toJS() as Obj | null);
  const config = docs.length === 1 ? docs[0] : undefined;
  if (config?.receivers && config?.service?.pipelines) CONFIGS.push({ file: f, config });
}

/** Rewrites every `endpoint: 0.0.0.0:<port>` (a listen address) to a free loopback port; returns old → new port. */
async function localise(node: unknown, ports = new Map<number, number>()): Promise<Map<number, number>> {
  if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node as Obj)) {
      const m = typeof v === 'string' ? /^0\.0\.0\.0:(\d+)$/.exec(v) : null;
      if (k === 'endpoint' && m) {
        const port = await freePort();
        ports.set(Number(m[1]), port);
        (node as Obj)[k] = `127.0.0.1:${port}`;
      } else await localise(v, ports);
    }
  return ports;
}

describe('otel-config/: current Collector practice', () => {
  test('configs exist, and every pipeline starts with memory_limiter and uses no batch processor', () => {
    assert.deepEqual(
      CONFIGS.map((c) => c.file),
      ['collector-forward.yaml', 'collector.yaml'],
    );
    for (const { file, config } of CONFIGS) {
      assert.equal(config.processors?.batch, undefined, `${file}: the batch processor is deprecated`);
      for (const [name, p] of Object.entries(config.service.pipelines as Record<string, Obj>))
        assert.equal(p.processors?.[0], 'memory_limiter', `${file} ${name}: memory_limiter first`);
      assert.ok(config.extensions?.health_check, `${file}: health_check`);
      assert.deepEqual(config.service.extensions, ['health_check']);
      for (const [name, e] of Object.entries(config.exporters as Record<string, Obj>))
        if (name.startsWith('otlp')) assert.ok(e.sending_queue?.batch, `${file} ${name}: exporter-side batching`);
    }
  });
});

describe('otel-config/ loaded by a real Collector and fed by kso run', { skip, timeout: 240_000 }, () => {
  for (const { file, config: shipped } of CONFIGS) {
    test(`${file}: starts, reports healthy and delivers what kso pushes`, async () => {
      const config = structuredClone(shipped);
      const ports = await localise(config);
      const dir = await mkdtemp(join(tmpdir(), 'kso-otelcfg-'));
      const sim = await startKubeSim({ port: 0, scenario: 'scale', scale: { pods: 20, jobs: 4, namespaces: 1 } });
      const started: RealCollector[] = [];
      try {
        // The forwarding config's backend: another Collector that writes what it receives to a file.
        let backendFile: string | undefined;
        if (config.exporters?.otlp_http) {
          const port = await freePort();
          const backend = await startCollector(otlpToFileConfig({ httpPort: port, file: 'received.jsonl' }));
          started.push(backend);
          backendFile = join(backend.dir, 'received.jsonl');
          process.env['OTLP_BACKEND_ENDPOINT'] = `http://127.0.0.1:${port}`;
        }
        const col = await startCollector(stringify(config));
        started.push(col);
        assert.doesNotMatch(col.output(), /deprecated/i, `${file}: the Collector warns of nothing deprecated`);

        const health = await httpGet(`http://127.0.0.1:${ports.get(13133)}/`);
        assert.equal(health.status, 200, health.body);

        // gRPC for the Prometheus pipeline, HTTP for the forwarder: both receivers of the shipped configs.
        const useHttp = backendFile !== undefined;
        const endpoint = `http://127.0.0.1:${ports.get(useHttp ? 4318 : 4317)}`;
        const kubeconfig = join(dir, 'kubeconfig');
        await sim.writeKubeconfig(kubeconfig);
        const kso = await startKsoRun(kubeconfig, [
          '--otlp-endpoint',
          endpoint,
          '--otlp-protocol',
          useHttp ? 'http' : 'grpc',
          '--otlp-interval',
          '1s',
        ]);
        try {
          const own = parseExposition(await kso.scrape());
          const podInfo = own.filter((s) => s.name === 'kube_pod_info').length;
          assert.equal(podInfo, sim.cluster.list('Pod').length);

          if (config.exporters?.prometheus) {
            const url = `http://127.0.0.1:${ports.get(8889)}/metrics`;
            let scraped: ReturnType<typeof parseExposition> = [];
            await waitUntil(
              'kube_pod_info for every pod on the Prometheus exporter',
              async () => {
                scraped = parseExposition((await httpGet(url)).body);
                return scraped.filter((s) => s.name === 'kube_pod_info').length === podInfo;
              },
              { timeoutMs: 30_000 },
            );
            // add_metric_suffixes: false keeps kube-state-metrics names: every kube_ family of kso arrives as is.
            const names = new Set(scraped.map((s) => s.name));
            const missing = [...new Set(own.map((s) => s.name))].filter((n) => n.startsWith('kube_') && !names.has(n));
            assert.deepEqual(missing, [], 'kube_ families renamed or lost by the exporter');
            assert.ok(!names.has('kube_pod_created_seconds'), 'no unit suffix');
            // resource_to_telemetry_conversion off: kso's resource stays in target_info, not on every series.
            assert.ok(scraped.filter((s) => s.name === 'kube_pod_info').every((s) => !('service_name' in s.labels)));
          }
          if (backendFile) {
            let received = '';
            await waitUntil(
              'the backend to receive kube_pod_info through the sending queue',
              async () => {
                received = await readFile(backendFile!, 'utf8').catch(() => '');
                return received.includes('"kube_pod_info"');
              },
              { timeoutMs: 30_000 },
            );
            const batch = JSON.parse(received.split('\n')[0]!) as Obj;
            assert.ok(batch.resourceMetrics?.length > 0);
          }
        } finally {
          await kso.stop();
        }
      } finally {
        delete process.env['OTLP_BACKEND_ENDPOINT'];
        await Promise.allSettled(started.map((c) => c.stop()));
        await sim.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('deploy/overlays/otlp runs the Collector of otel-config/', {
  skip: kubectlPath() ? false : 'no kubectl (bash test/peers/build.sh kubectl)',
}, () => {
  test('the Collector Deployment loads collector.yaml, exposes its ports and probes health_check; kso pushes to it', async () => {
    const out = execFileSync(kubectlPath()!, ['kustomize', join(REPO, 'deploy/overlays/otlp')], { encoding: 'utf8' });
    const objs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    const byName = (kind: string, name: string) =>
      objs.find((o) => o.kind === kind && o.metadata.name.startsWith(name))!;
    const shipped = await readFile(join(DIR, 'collector.yaml'), 'utf8');
    const cm = byName('ConfigMap', 'otel-collector-config');
    assert.equal(cm.data['collector.yaml'], shipped, 'the ConfigMap is the shipped file');
    const dep = byName('Deployment', 'otel-collector');
    const c = dep.spec.template.spec.containers[0];
    assert.match(c.image, /^otel\/opentelemetry-collector-contrib:0\.159\.\d+$/, 'a distribution with every component');
    const vol = (dep.spec.template.spec.volumes as Obj[]).find((v) => v.configMap)!;
    assert.equal(vol.configMap.name, cm.metadata.name);
    const mount = (c.volumeMounts as Obj[]).find((m) => m.name === vol.name)!;
    assert.deepEqual(c.args, [`--config=${mount.mountPath}/collector.yaml`]);
    const config = parseYaml(shipped) as Obj;
    const listen = [
      config.receivers.otlp.protocols.grpc.endpoint,
      config.receivers.otlp.protocols.http.endpoint,
      config.exporters.prometheus.endpoint,
      config.extensions.health_check.endpoint,
    ].map((e: string) => Number(e.split(':')[1]));
    const ports = new Map((c.ports as Obj[]).map((p) => [p.name as string, p.containerPort as number]));
    assert.deepEqual([...ports.values()].sort(), listen.sort());
    assert.equal(
      ports.get(c.livenessProbe.httpGet.port),
      Number(config.extensions.health_check.endpoint.split(':')[1]),
    );
    assert.equal(ports.get(c.readinessProbe.httpGet.port), ports.get(c.livenessProbe.httpGet.port));
    assert.equal(dep.metadata.namespace, 'kube-state-otel');

    // kso's endpoint names the Collector Service and its gRPC port, which targets the receiver's container port.
    const endpoint = new URL(byName('ConfigMap', 'kube-state-otel-config').data.KSO_OTLP_ENDPOINT);
    const svc = byName('Service', 'otel-collector');
    assert.equal(endpoint.hostname, svc.metadata.name);
    const sp = (svc.spec.ports as Obj[]).find((p) => p.port === Number(endpoint.port))!;
    assert.equal(ports.get(sp.targetPort), Number(config.receivers.otlp.protocols.grpc.endpoint.split(':')[1]));
    for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>))
      assert.equal(dep.spec.template.metadata.labels[k], v);
  });
});
