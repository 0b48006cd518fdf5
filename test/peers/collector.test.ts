import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, httpGet, skipUnlessPeers, startCollector, waitUntil } from '@kso/peers';

const skip = skipUnlessPeers('otelcol-kso');

test('otelcol-kso turns an OTLP/HTTP push into Prometheus exposition and a file export', {
  skip,
  timeout: 120_000,
}, async () => {
  const [otlpPort, promPort] = [await freePort(), await freePort()];
  const col = await startCollector(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  prometheus:
    endpoint: 127.0.0.1:${promPort}
  file:
    path: {{DIR}}/metrics.jsonl
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus, file]
`);
  try {
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'kso-e2e' } }] },
          scopeMetrics: [
            {
              scope: { name: 'e2e' },
              metrics: [
                {
                  name: 'kso_e2e_jobs',
                  gauge: {
                    dataPoints: [
                      {
                        asInt: '3',
                        timeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
                        attributes: [{ key: 'namespace', value: { stringValue: 'batch' } }],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());

    let scraped = '';
    await waitUntil(
      'prometheus exporter to expose kso_e2e_jobs',
      async () => {
        scraped = (await httpGet(`http://127.0.0.1:${promPort}/metrics`)).body;
        return scraped.includes('kso_e2e_jobs{');
      },
      { timeoutMs: 30_000 },
    );
    const line = scraped.split('\n').find((l) => l.startsWith('kso_e2e_jobs{'));
    assert.ok(line);
    assert.match(line, /namespace="batch"/);
    assert.match(line, /job="kso-e2e"/, 'service.name becomes the job label');
    assert.match(line, /\} 3$/);

    let exported = '';
    await waitUntil(
      'fileexporter to write the batch',
      async () => {
        exported = await readFile(join(col.dir, 'metrics.jsonl'), 'utf8').catch(() => '');
        return exported.includes('kso_e2e_jobs');
      },
      { timeoutMs: 30_000 },
    );
    assert.match(exported, /"stringValue":"batch"/);
  } finally {
    await col.stop();
  }
});
