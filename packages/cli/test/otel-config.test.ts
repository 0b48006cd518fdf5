// The configuration as users give it, through real `kso run` processes: the standard OTEL_* variables alone
// (pushing to the OTLP test receiver), KSM's flag names against kube-sim, and bad values stopping start-up.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type OtlpReceiver, startOtlpReceiver } from '@kso/exporters/testing';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';
import { cleanEnv, KSO_BIN, runKso, waitForStderr } from './helpers.ts';

let dir: string;
let sim: KubeSim;
let kubeconfig: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kso-otel-config-'));
  sim = await startKubeSim({ port: 0, scenario: 'demo' });
  kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
});
after(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startKso(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [KSO_BIN, 'run', `--kubeconfig=${kubeconfig}`, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

const listening = (out: string, what: string): string => {
  const line = out.split('\n').find((l) => l.includes(`"serving ${what}"`));
  assert.ok(line, out);
  return (JSON.parse(line) as { url: string }).url;
};

describe('kso run configured only through the OpenTelemetry environment', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver?.close());

  test('OTEL_EXPORTER_OTLP_ENDPOINT alone: http/protobuf to <endpoint>/v1/metrics, resource from the environment', async () => {
    const child = startKso(['--no-prometheus-enabled'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=team%20a,authorization=Bearer%20s3cr3t',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '4000',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.cluster.name=prod-eu,deployment.environment.name=test,service.name=ignored',
      OTEL_SERVICE_NAME: 'ksm-replacement',
      KSO_SERVICE_INSTANCE_ID: 'monitoring.kso-0',
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    try {
      await receiver.waitFor((rs) => rs.some((r) => r.metrics.some((m) => m.name === 'kube_pod_info')), 30_000);
      const req = receiver.received.find((r) => r.metrics.some((m) => m.name === 'kube_pod_info'))!;
      assert.equal(req.transport, 'http', 'the spec default protocol for an OTEL_* endpoint');
      assert.equal(req.headers['x-tenant'], 'team a', 'header values percent-decoded');
      assert.equal(req.headers['authorization'], 'Bearer s3cr3t');
      const resources = receiver.received.flatMap((r) => r.resourceAttributes);
      const own = resources.find((a) => a['service.name'] !== undefined)!;
      assert.equal(own['service.name'], 'ksm-replacement', 'OTEL_SERVICE_NAME wins over service.name');
      assert.equal(own['service.instance.id'], 'monitoring.kso-0');
      assert.match(String(own['service.version']), /^\d+\.\d+\.\d+/);
      assert.equal(own['k8s.cluster.name'], 'prod-eu');
      assert.equal(own['deployment.environment.name'], 'test');
    } finally {
      const code = await stop(child);
      assert.equal(code, 0, stderr);
    }
    assert.match(stderr, /final OTLP export delivered/);
    assert.doesNotMatch(stderr, /s3cr3t/, 'header values never logged');
  });
});

describe('kso run over gRPC from OTEL_* alone', () => {
  test('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT + _PROTOCOL=grpc; service.instance.id falls back to the host name', async () => {
    const receiver = await startOtlpReceiver();
    const child = startKso(['--no-prometheus-enabled'], {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://${receiver.grpcAddress}`,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-scope-orgid=t1',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
    try {
      await receiver.waitFor((rs) => rs.some((r) => r.metrics.some((m) => m.name === 'kube_job_info')), 30_000);
      const req = receiver.received.find((r) => r.metrics.some((m) => m.name === 'kube_job_info'))!;
      assert.equal(req.transport, 'grpc');
      assert.equal(req.headers['x-scope-orgid'], 't1');
      const own = req.resourceAttributes.find((a) => a['service.name'] !== undefined)!;
      assert.equal(own['service.name'], 'kube-state-otel');
      assert.equal(own['service.instance.id'], hostname());
    } finally {
      assert.equal(await stop(child), 0);
      await receiver.close();
    }
  });
});

describe('KSM command line against kube-sim', () => {
  test('--port/--host, --telemetry-port, --metric-denylist, --namespaces-denylist, *=[*] labels', async () => {
    const child = startKso(
      [
        '--port=0',
        '--host=127.0.0.1',
        '--telemetry-port=0',
        '--telemetry-host=127.0.0.1',
        '--metric-denylist=kube_pod_container_.*,^kube_job_status_start_time$',
        '--namespaces-denylist=monitoring',
        '--metric-labels-allowlist=*=[*]',
        '--enable-gzip-encoding',
      ],
      {},
    );
    try {
      const out = await waitForStderr(
        child,
        (s) => s.includes('"serving self-metrics"') && s.includes('synced; ready'),
        30_000,
      );
      assert.match(out, /--enable-gzip-encoding ignored: kso always gzips/);
      const main = await (await fetch(`${listening(out, 'metrics')}`)).text();
      const telemetry = await (await fetch(`${listening(out, 'self-metrics')}`)).text();
      assert.match(main, /^kube_pod_info\{/m);
      assert.doesNotMatch(main, /^kube_pod_container_/m, 'denylisted families are gone');
      assert.doesNotMatch(main, /^kube_job_status_start_time/m);
      assert.match(main, /^kube_job_status_completion_time|^kube_job_info/m, 'other job families stay');
      assert.doesNotMatch(main, /namespace="monitoring"/, 'the denied namespace is not watched');
      assert.match(main, /namespace="batch"/);
      assert.match(main, /^kube_pod_labels\{.*label_/m, '*=[*] exposes every label of every resource');
      assert.match(main, /^kube_job_labels\{.*label_/m);
      assert.doesNotMatch(main, /^kso_watch_objects/m, 'self-metrics moved to the telemetry port');
      assert.match(telemetry, /^kso_watch_objects\{resource="pods"\}/m);
      assert.match(telemetry, /^kube_state_metrics_total_shards 1/m);
      assert.doesNotMatch(telemetry, /^kube_pod_info/m);
      const served = sim.cluster.list('Pod').filter((p) => p.metadata?.namespace !== 'monitoring').length;
      assert.match(telemetry, new RegExp(`^kso_watch_objects\\{resource="pods"\\} ${served}$`, 'm'));
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test('KSM flags without meaning here are refused, one line each with the reason', async () => {
    const r = await runKso([
      'run',
      '--custom-resource-state-config-file=crs.yaml',
      '--node',
      'worker-1',
      '--use-apiserver-cache',
      '--v=2',
    ]);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    assert.match(lines[0]!, /--custom-resource-state-config-file is not supported: kso has no Custom Resource State/);
    assert.match(lines[1]!, /--node is not supported: DaemonSet sharding/);
    assert.match(lines[2]!, /--use-apiserver-cache is not supported/);
    assert.match(lines[3]!, /--v is not supported: kso logs JSON to stderr; use --log-level/);
    const both = await runKso(['run', '--metric-allowlist=kube_pod_info', '--metric-denylist=kube_job_.*']);
    assert.equal(both.code, 2);
    assert.match(
      both.stderr,
      /^kso run: invalid config: metricAllowlist \/ metricDenylist .*mutually exclusive, as in KSM\n$/,
    );
  });
});

describe('bad OTLP settings stop start-up: exit 2, one line each, secrets never shown', () => {
  test('unreadable certificate, malformed header list, unknown protocol, client cert without key', async () => {
    const notPem = join(dir, 'key.txt');
    writeFileSync(notPem, 'not a key');
    const r = await runKso(['run', `--kubeconfig=${kubeconfig}`, `--otlp-client-cert=${notPem}`], {
      env: cleanEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318',
        OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'no-such-ca.pem'),
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization Bearer-s3cr3t',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      }),
    });
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    for (const l of lines) assert.match(l, /^kso run: invalid config: /);
    assert.match(
      r.stderr,
      /OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: http\/json is not supported: use http\/protobuf or grpc/,
    );
    assert.match(r.stderr, /OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value/);
    assert.match(r.stderr, /otlp\.ca \(.*OTEL_EXPORTER_OTLP_CERTIFICATE\): ".*no-such-ca\.pem": cannot read: ENOENT/);
    assert.match(r.stderr, /otlp\.clientCert \(--otlp-client-cert, .*\): .*not a PEM file/);
    assert.doesNotMatch(r.stderr, /s3cr3t/);
  });
});
