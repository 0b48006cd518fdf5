// End to end: the real `kso run` process against kube-sim (a real HTTP API server), scraped over HTTP and
// pushing OTLP to a real gRPC receiver.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type OtlpReceiver, startOtlpReceiver } from '@kso/exporters/testing';
import { type KubeSim, startKubeSim } from '@kso/kube-sim';

const KSO = fileURLToPath(new URL('../../packages/cli/bin/kso.js', import.meta.url));

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KSO_') && k !== 'KUBECONFIG') e[k] = v;
  return e;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

const pod = (name: string, phase: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'e2e' },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
  status: { phase },
});

describe('kso run against kube-sim', () => {
  let sim: KubeSim;
  let receiver: OtlpReceiver;
  let child: ChildProcess;
  let stderr = '';
  let base = '';
  let dir: string;
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kso-e2e-'));
    sim = await startKubeSim({ port: 0, scenario: 'empty', bookmarkIntervalMs: 300 });
    const kubeconfig = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfig);
    receiver = await startOtlpReceiver();
    child = spawn(
      process.execPath,
      [
        KSO,
        'run',
        '--kubeconfig',
        kubeconfig,
        '--prometheus-host',
        '127.0.0.1',
        '--prometheus-port',
        '0',
        '--otlp-endpoint',
        `http://${receiver.grpcAddress}`,
        '--otlp-interval',
        '1s',
        '--max-staleness',
        '3s',
      ],
      { env: env(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const port = await until('the bridge to listen', async () => {
      const m = /"port":(\d+)[^\n]*prometheus bridge listening/.exec(stderr);
      if (exited()) throw new Error(`kso exited: ${stderr}`);
      return m ? Number(m[1]) : undefined;
    });
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if (child && !exited()) child.kill('SIGKILL');
    await Promise.allSettled([sim?.close(), receiver?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async () => (await fetch(`${base}/metrics`)).text();
  const podInfo = (body: string, name: string) =>
    body.split('\n').find((l) => l.startsWith('kube_pod_info{') && l.includes(`pod="${name}"`));

  test('/readyz turns ready after the initial sync', async () => {
    await until('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
    assert.match(stderr, /initial sync done/);
  });

  test('a created pod appears, an update is reflected, a deleted pod is gone at the next scrape', async () => {
    await sim.cluster.create('pods', pod('e2e-a', 'Pending'));
    await until('pod series', async () => podInfo(await scrape(), 'e2e-a'));
    await sim.cluster.patch('pods', 'e2e', 'e2e-a', { status: { phase: 'Failed' } });
    await until('phase update', async () =>
      (await scrape())
        .split('\n')
        .find(
          (l) =>
            l.startsWith('kube_pod_status_phase{') &&
            l.includes('pod="e2e-a"') &&
            l.includes('phase="Failed"') &&
            l.endsWith(' 1'),
        ),
    );
    await sim.cluster.delete('pods', 'e2e', 'e2e-a');
    await until('pod gone', async () => (podInfo(await scrape(), 'e2e-a') ? undefined : true));
    const body = await scrape();
    assert.equal(
      body.split('\n').filter((l) => l.includes('pod="e2e-a"')).length,
      0,
      'no series of the deleted pod remains',
    );
    assert.match(body, /kso_watch_objects\{resource="pods"[^}]*\} 0/);
  });

  test('/healthz turns 503 when the API server stalls beyond --max-staleness', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    sim.faults.stallWatches();
    const reason = await until(
      'healthz 503',
      async () => {
        const r = await fetch(`${base}/healthz`);
        return r.status === 503 ? r.text() : undefined;
      },
      15_000,
    );
    assert.match(reason, /stale/);
    sim.faults.stallWatches(false);
  });

  test('SIGTERM: clean exit with the final OTLP export delivered', async () => {
    const before = receiver.received.length;
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0, stderr.slice(-2000));
    assert.ok(receiver.received.length > before, 'a final push arrived');
    const final = stderr.split('\n').find((l) => l.includes('"msg":"final OTLP export'));
    assert.ok(final, 'final export logged');
    assert.equal(JSON.parse(final).delivered, true);
    const names = new Set(receiver.received.at(-1)!.metrics.map((m) => m.name));
    assert.ok(names.has('kso_watch_last_sync_age_seconds'), [...names].join(','));
  });
});

describe('kso demo', () => {
  test('--duration: prints endpoints and a live summary, exits 0', async () => {
    const child = spawn(
      process.execPath,
      [KSO, 'demo', '--duration', '5s', '--port', '0', '--summary-interval', '2s'],
      {
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 40_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, /metrics: +http:\/\/127\.0\.0\.1:\d+\/metrics/);
    assert.match(out, /kubeconfig: +\S+/);
    assert.match(out, /kube-sim: +http/);
    const summary = out.split('\n').filter((l) => l.startsWith('[kso demo] ready=true'));
    assert.ok(summary.length >= 1, out);
    assert.match(summary.at(-1)!, /pods=[1-9]/);
    assert.match(out, /final OTLP export delivered/);
  });
});
