// Integration with the real @kso/metrics MetricsStore fed with the KSM conformance fixture objects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MetricsStore } from '@kso/metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { StoreMetricProducer, StoreRenderer } from '../src/index.ts';
import { parseExposition } from './helpers.ts';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ksm-conformance-examples.json', import.meta.url));
const KIND: Record<string, 'pods' | 'jobs' | 'cronjobs'> = { Pod: 'pods', Job: 'jobs', CronJob: 'cronjobs' };

function storeFrom(schema: 'ksm' | 'semconv'): MetricsStore {
  const cases = JSON.parse(readFileSync(FIXTURES, 'utf8')) as {
    object: { kind: string; metadata: Record<string, unknown> };
  }[];
  const store = new MetricsStore({ schema, now: () => 1_700_000_000_000 });
  cases.forEach((c, i) => {
    const res = KIND[c.object.kind];
    // Fixture objects may lack a UID (the store requires one).
    const obj = { ...c.object, metadata: { uid: `fixture-uid-${i}`, ...c.object.metadata } };
    if (res) store.upsertObject(res, obj);
  });
  return store;
}

for (const schema of ['ksm', 'semconv'] as const) {
  test(`real MetricsStore (${schema}): fast renderer is byte-identical to the SDK serializer; go mode parses to the same series`, async () => {
    const store = storeFrom(schema);
    const { resourceMetrics } = await new StoreMetricProducer({ source: store }).collect();
    const expected = new PrometheusSerializer(undefined, false, undefined, true, true).serialize(resourceMetrics);
    assert.ok(expected.split('\n').length > 20, 'the fixture yields series');
    assert.equal(new StoreRenderer({ numberFormat: 'js' }).renderStore(store).toString(), expected);
    const a = parseExposition(expected);
    const b = parseExposition(new StoreRenderer({ numberFormat: 'go' }).renderStore(store).toString());
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [k, v] of a) assert.ok(Object.is(b.get(k), v), k);
  });
}
