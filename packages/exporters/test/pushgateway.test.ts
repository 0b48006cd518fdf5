import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { deletePushgatewayGroup, pushgatewayGroupUrl, pushToPushgateway, StoreRenderer } from '../src/index.ts';
import { realisticSource } from './helpers.ts';

test('grouping key URL uses @base64 for values with / or empty', () => {
  assert.equal(
    pushgatewayGroupUrl({ url: 'http://pg:9091/', job: 'kso', groupingKey: { instance: 'a' } }),
    'http://pg:9091/metrics/job/kso/instance/a',
  );
  assert.equal(
    pushgatewayGroupUrl({ url: 'http://pg:9091', job: 'a/b', groupingKey: { path: '/var/x', empty: '' } }),
    'http://pg:9091/metrics/job@base64/YS9i/path@base64/L3Zhci94/empty@base64/=',
  );
});

const bin = '/usr/bin/prometheus-pushgateway';
test('push, read back and delete a group on a real Pushgateway', {
  skip: existsSync(bin) ? false : 'prometheus-pushgateway not installed (apt-get install -y prometheus-pushgateway)',
  timeout: 30_000,
}, async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  // Debian's build defaults to persisting in /var/lib/prometheus/pushgateway.data: groups would leak between runs.
  const pg: ChildProcess = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], {
    stdio: 'ignore',
  });
  t.after(async () => {
    pg.kill('SIGTERM');
    await new Promise((r) => (pg.exitCode !== null ? r(null) : pg.once('exit', r)));
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const body = new StoreRenderer({ numberFormat: 'go' }).renderStore(realisticSource()).toString();
  const target = { url, job: 'kso-sidecar', groupingKey: { pod: 'cron-1/x', shard: '' } };
  assert.equal(await pushToPushgateway({ ...target, body }), 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /kube_job_status_succeeded\{.*job="kso-sidecar".*pod="cron-1\/x".*\} 1\.234567e\+06/);
  await assert.rejects(pushToPushgateway({ ...target, body: 'not valid exposition{' }), /answered 400/);
  assert.equal(await deletePushgatewayGroup(target), 202);
  // 202: the Pushgateway applies deletions asynchronously.
  let after = '';
  for (let i = 0; i < 50; i++) {
    after = await (await fetch(`${url}/metrics`)).text();
    if (!after.includes('kube_job_status_succeeded')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(
    !after.includes('kube_job_status_succeeded'),
    after
      .split('\n')
      .filter((l) => l.includes('kube_job_status_succeeded'))
      .slice(0, 5)
      .join('\n'),
  );
  await assert.rejects(pushToPushgateway({ url: 'http://127.0.0.1:1', job: 'x', body }), /failed/);
});
