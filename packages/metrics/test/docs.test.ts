import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { familiesFor, renderMetricsReference } from '../src/index.ts';

test('METRICS.md is up to date with the family tables (run: node packages/metrics/scripts/gen-docs.ts)', () => {
  const committed = readFileSync(new URL('../METRICS.md', import.meta.url), 'utf8');
  assert.equal(committed, renderMetricsReference());
});

test('reference lists every family of both schemas with its stability', () => {
  const doc = renderMetricsReference();
  for (const schema of ['ksm', 'semconv'] as const) {
    for (const r of ['jobs', 'pods', 'cronjobs'] as const) {
      for (const f of familiesFor(schema, r)) assert.ok(doc.includes(`| \`${f.name}\` | ${f.type} |`), f.name);
    }
  }
});

test('catalog invariants: unique names, STABLE help prefix, counters keep _total', () => {
  for (const schema of ['ksm', 'semconv'] as const) {
    const names = (['jobs', 'pods', 'cronjobs'] as const).flatMap((r) => familiesFor(schema, r).map((f) => f.name));
    assert.equal(new Set(names).size, names.length, `${schema}: unique family names`);
  }
  for (const r of ['jobs', 'pods', 'cronjobs'] as const) {
    for (const f of familiesFor('ksm', r)) {
      assert.equal(f.help.startsWith('[STABLE] '), f.stability === 'STABLE', f.name);
      if (f.type === 'counter') assert.ok(f.name.endsWith('_total'), f.name);
    }
  }
  const restarts = familiesFor('ksm', 'pods').find((f) => f.name === 'kube_pod_container_status_restarts_total');
  assert.equal(restarts?.type, 'counter');
  assert.ok(familiesFor('ksm', 'pods', { extensions: false }).length >= 55, 'KSM pod family count');
});
