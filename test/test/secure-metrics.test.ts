// `kso run --web-config-file` scraped by a real Prometheus over TLS with a client certificate and basic auth:
// the right credentials get metrics, a wrong password gets 401, a client certificate from another CA never gets
// past the handshake. Certificates are made with openssl for the test.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bcryptHash } from '@kso/exporters';
import { makeTestPki } from '@kso/exporters/testing';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';
import { type PeerProcess, waitUntil } from '@kso/peers';
import { spawnKsoRun } from '../peers/kso.ts';
import { prometheusAvailable, type RealPrometheus, startPrometheus } from '../peers/prometheus.ts';

const noPrometheus = prometheusAvailable() ? false : 'prometheus not installed (scripts/test-deps.sh)';

interface Target {
  labels: { job: string };
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

describe('kso run --web-config-file scraped by a real Prometheus', { skip: noPrometheus }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kso-secure-'));
  let sim: KubeSim;
  let kso: PeerProcess;
  let prom: RealPrometheus;
  let target = '';
  let pki: ReturnType<typeof makeTestPki>;
  const hash = bcryptHash('s3cret', 10);

  before(async () => {
    pki = makeTestPki(dir);
    writeFileSync(
      join(dir, 'web-config.yml'),
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  client_ca_file: kso-test-ca.crt',
        'basic_auth_users:',
        `  prometheus: ${JSON.stringify(hash)}`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'password'), 's3cret');
    writeFileSync(join(dir, 'wrong-password'), 'guess');
    sim = await startKubeSim({
      port: 0,
      scenario: 'empty',
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'web-0',
            namespace: 'default',
            uid: randomUUID(),
            creationTimestamp: new Date().toISOString(),
          },
          spec: { containers: [{ name: 'main', image: 'nginx' }] },
          status: { phase: 'Running' },
        },
      ],
    });
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    const started = await spawnKsoRun(kubeconfig, ['--web-config-file', join(dir, 'web-config.yml')]);
    kso = started.proc;
    target = `127.0.0.1:${started.port}`;
    await kso.waitForOutput(/prometheus bridge listening/, 30_000);
    const job = (name: string, cert: { cert: string; key: string } | undefined, passwordFile: string) => [
      `  - job_name: ${name}`,
      '    scheme: https',
      '    tls_config:',
      `      ca_file: ${JSON.stringify(pki.ca.cert)}`,
      ...(cert ? [`      cert_file: ${JSON.stringify(cert.cert)}`, `      key_file: ${JSON.stringify(cert.key)}`] : []),
      '    basic_auth:',
      '      username: prometheus',
      `      password_file: ${JSON.stringify(passwordFile)}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(target)}]`,
    ];
    prom = await startPrometheus([target, target, target, target], {
      config: () =>
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          'scrape_configs:',
          ...job('kso-tls', pki.client, join(dir, 'password')),
          ...job('kso-wrong-password', pki.client, join(dir, 'wrong-password')),
          ...job('kso-rogue-cert', pki.rogueClient, join(dir, 'password')),
          ...job('kso-no-cert', undefined, join(dir, 'password')),
          '',
        ].join('\n'),
    });
  });

  after(async () => {
    await prom?.stop();
    await kso?.stop();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const targets = async () => {
    const d = await prom.api<{ activeTargets: Target[] }>('/api/v1/targets');
    return new Map(d.activeTargets.map((t) => [t.labels.job, t]));
  };

  test('TLS + client certificate + password: Prometheus stores the metrics', async () => {
    await waitUntil(
      'kso-tls up with kube_pod_info',
      async () => (await prom.query('kube_pod_info{job="kso-tls", pod="web-0"}')).length === 1,
      { timeoutMs: 30_000, intervalMs: 500, peer: kso },
    );
    const t = (await targets()).get('kso-tls');
    assert.equal(t?.health, 'up', t?.lastError);
  });

  test('wrong password: 401; no client certificate or one of another CA: refused at the TLS layer', async () => {
    const bad = ['kso-wrong-password', 'kso-rogue-cert', 'kso-no-cert'];
    let byJob = new Map<string, Target>();
    await waitUntil(
      'the bad targets scraped',
      async () => {
        byJob = await targets();
        return bad.every((j) => byJob.get(j)?.lastError);
      },
      { timeoutMs: 30_000, intervalMs: 500, peer: kso },
    );
    for (const j of bad) assert.equal(byJob.get(j)?.health, 'down', j);
    assert.match(byJob.get('kso-wrong-password')!.lastError, /401 Unauthorized/);
    // No certificate: OpenSSL ends the handshake with TLS 1.3's certificate_required alert.
    assert.match(byJob.get('kso-no-cert')!.lastError, /tls: certificate required/);
    // Unknown CA: Node checks the chain as the handshake completes and drops the connection before reading the
    // request, so the client sees a reset, an EOF or, when Go's client had already parked the connection as idle,
    // "server closed idle connection" (Go's server would send a bad_certificate alert instead).
    const rogue = byJob.get('kso-rogue-cert')!.lastError;
    assert.match(rogue, /connection reset by peer|server closed idle connection|tls|certificate|EOF/i);
    for (const j of bad.slice(1))
      assert.doesNotMatch(byJob.get(j)!.lastError, /HTTP status/, `${j}: refused before HTTP`);
    // Nothing from the refused jobs reached the TSDB.
    assert.deepEqual(await prom.query('kube_pod_info{job=~"kso-wrong-password|kso-rogue-cert|kso-no-cert"}'), []);
  });

  test('a password changed in the web config applies to the next scrape, without restart', async () => {
    const webConfig = join(dir, 'web-config.yml');
    const original = readFileSync(webConfig, 'utf8');
    const health = async () => (await targets()).get('kso-tls');
    writeFileSync(webConfig, original.replace(JSON.stringify(hash), JSON.stringify(bcryptHash('rotated', 10))));
    await waitUntil(
      'kso-tls refused with the old password',
      async () => /401/.test((await health())?.lastError ?? ''),
      {
        timeoutMs: 20_000,
        intervalMs: 500,
        peer: kso,
      },
    );
    writeFileSync(join(dir, 'password'), 'rotated');
    await waitUntil('kso-tls up with the new password', async () => (await health())?.lastError === '', {
      timeoutMs: 20_000,
      intervalMs: 500,
      peer: kso,
    });
    assert.equal((await health())?.health, 'up');
    assert.ok(!kso.hasExited());
  });

  test('plain HTTP to the TLS port gets no metrics', async () => {
    const res = await fetch(`http://${target}/metrics`).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      (err: Error) => ({ status: 0, body: err.message }),
    );
    assert.ok(!res.body.includes('kube_pod_info'), res.body.slice(0, 200));
  });

  test('the kso process logged no secret', () => {
    const out = kso.output();
    assert.ok(!out.includes('s3cret'));
    assert.ok(!out.includes(hash));
  });
});
