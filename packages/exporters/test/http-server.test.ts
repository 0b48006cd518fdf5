import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { collectFrom, type Health, PullReader, startPrometheusServer } from '../src/index.ts';
import { syntheticPod } from '../src/testing/index.ts';
import { parseExposition, realisticSource } from './helpers.ts';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

test('bridge: negotiation, gzip, health, deletion, self-metrics', async (t) => {
  const source = realisticSource();
  let health: Health = { live: true, ready: false, reason: 'initial sync not done' };
  const reader = new PullReader();
  const mp = new MeterProvider({ readers: [reader] });
  mp.getMeter('kso')
    .createObservableGauge('kso_watch_staleness_seconds', { description: 'Age of the newest watch event' })
    .addCallback((r) => r.observe(2.5, { resource: 'pods' }));
  const srv = await startPrometheusServer({
    source,
    host: '127.0.0.1',
    port: 0,
    extraCollect: collectFrom(reader),
    health: () => health,
  });
  t.after(async () => {
    await srv.close();
    await mp.shutdown();
  });

  const text = await fetch(`${srv.url}/metrics`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(text.status, 200);
  assert.equal(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const body = await text.text();
  assert.ok(body.includes('# TYPE kube_pod_container_status_restarts_total counter'));
  assert.ok(body.includes(' 1.7e+09\n'), 'go number format by default');
  assert.ok(
    body.endsWith('kso_watch_staleness_seconds{resource="pods"} 2.5\n'),
    'self-metrics appended after store families',
  );
  assert.ok(!body.includes('# EOF'));

  const om = await get(`${srv.url}/metrics`, {
    accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    'accept-encoding': 'identity',
  });
  assert.equal(om.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  const omText = om.body.toString();
  assert.ok(omText.endsWith('# EOF\n'));
  assert.ok(omText.includes('# TYPE kube_pod_container_status_restarts counter\n'));

  const gz = await get(`${srv.url}/metrics`, { 'accept-encoding': 'gzip' });
  // fetch decompresses transparently; check through a raw request instead.
  assert.equal(gz.body.toString(), body);
  const raw = await new Promise<{ enc: string | undefined; buf: Buffer }>((resolve, reject) => {
    import('node:http').then(({ get: hget }) => {
      hget(`${srv.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ enc: res.headers['content-encoding'], buf: Buffer.concat(chunks) }));
      }).on('error', reject);
    }, reject);
  });
  assert.equal(raw.enc, 'gzip');
  assert.equal(gunzipSync(raw.buf).toString(), body);

  assert.equal((await get(`${srv.url}/healthz`)).status, 200);
  const notReady = await get(`${srv.url}/readyz`);
  assert.equal(notReady.status, 503);
  assert.match(notReady.body.toString(), /initial sync not done/);
  health = { live: true, ready: true };
  assert.equal((await get(`${srv.url}/readyz`)).status, 200);
  health = { live: false, ready: true, reason: 'watch data stale for 310s' };
  const dead = await get(`${srv.url}/healthz`);
  assert.equal(dead.status, 503);
  assert.match(dead.body.toString(), /stale for 310s/);
  assert.equal((await get(`${srv.url}/nope`)).status, 404);

  const victim = syntheticPod(5);
  assert.ok(body.includes(`uid="${victim.uid}"`));
  source.delete('pods', victim.uid);
  const after = await (await fetch(`${srv.url}/metrics`)).text();
  assert.ok(!after.includes(`uid="${victim.uid}"`), 'deleted pod gone from the next scrape');
});

const haveProm = existsSync('/usr/bin/prometheus') && existsSync('/usr/bin/promtool');

test('bridge: changes are rendered in the background between scrapes, so a scrape finds little left to render', async (t) => {
  const source = realisticSource();
  const srv = await startPrometheusServer({ source, host: '127.0.0.1', port: 0, refreshIntervalMs: 50 });
  t.after(() => srv.close());
  await get(`${srv.url}/metrics`);
  const rendered = srv.renderer.stats.objectRenders;
  source.setPod(syntheticPod(3, { restarts: 77 }));
  for (let i = 0; i < 100 && srv.renderer.stats.objectRenders === rendered; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(srv.renderer.stats.objectRenders, rendered + 1, 'the changed pod was rendered without a scrape');
  const { body } = await get(`${srv.url}/metrics`, { 'accept-encoding': 'identity' });
  assert.equal(srv.renderer.stats.objectRenders, rendered + 1, 'the scrape rendered nothing again');
  assert.ok(
    body.toString().includes(`pod="${syntheticPod(3).name}",uid="${syntheticPod(3).uid}",container="app"} 77\n`),
  );
});

test('promtool check metrics accepts the output', {
  skip: haveProm ? false : 'prometheus/promtool not installed (apt-get install -y prometheus)',
}, async (t) => {
  const srv = await startPrometheusServer({ source: realisticSource(), host: '127.0.0.1', port: 0 });
  t.after(() => srv.close());
  const body = await (await fetch(`${srv.url}/metrics`)).text();
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  child.stdin.end(body);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  // promtool exits 3 for lint findings only (e.g. counters without _total); 1 means a parse error.
  assert.notEqual(code, 1, out);
  assert.ok(!/error while linting|parse/i.test(out), out);
});

test('a real Prometheus scrapes the bridge (OpenMetrics negotiated) and sees the series', {
  skip: haveProm ? false : 'prometheus not installed',
  timeout: 45_000,
}, async (t) => {
  const source = realisticSource();
  const srv = await startPrometheusServer({ source, host: '127.0.0.1', port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'kso-prom-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: kso\n    static_configs:\n      - targets: ['127.0.0.1:${srv.port}']\n`,
  );
  const prom: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  t.after(async () => {
    prom.kill('SIGTERM');
    await new Promise((r) => (prom.exitCode !== null ? r(null) : prom.once('exit', r)));
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const q = async (expr: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const j = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return j.data.result;
  };
  const deadline = Date.now() + 30_000;
  let restarts: Awaited<ReturnType<typeof q>> = [];
  while (Date.now() < deadline) {
    try {
      restarts = await q('kube_pod_container_status_restarts_total{pod=~"web-4-.*",container="app"}');
      if (restarts.length > 0) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(restarts.length, 1);
  assert.equal(restarts[0]?.value[1], '4');
  const created = await q('kube_pod_created{pod="pod-with-\\"quotes\\""}');
  assert.equal(created[0]?.value[1], '1495800007');
  assert.equal(created[0]?.metric.namespace, 'we\\ird"ns\nx');
  assert.ok(srv.stats.openMetrics > 0, 'Prometheus negotiated OpenMetrics');
  assert.ok(srv.stats.gzip > 0, 'Prometheus scraped gzip (multi-member stream)');
  const up = await q('up{job="kso"}');
  assert.equal(up[0]?.value[1], '1');
  const series = await q('count({job="kso"})');
  const exposed = parseExposition(await (await fetch(`${srv.url}/metrics`)).text());
  // + up, scrape_* synthetic series (5)
  assert.equal(Number(series[0]?.value[1]), exposed.size + 5);
});
