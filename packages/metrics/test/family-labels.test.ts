// Every family's `labels` declaration is checked against what it emits: run each family of both schemas over a
// rich set of objects (the table-test objects and KSM's conformance cases, with every label and annotation
// allowed) and compare the emitted attribute keys with the declaration, default labels first. A key the
// declaration lacks, a key out of the declared wire order, or a declared key that no object brings out fails.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import {
  ALL_RESOURCES,
  allFamilies,
  DEFAULT_LABELS,
  type FamilyDef,
  type GenerateContext,
  type ResourceName,
  type Schema,
} from '../src/index.ts';
import { compactFor, KIND_TO_RESOURCE, loadConformance } from './helpers.ts';
import * as O from './table-objects.ts';

const EVERYTHING: GenerateContext = { labelsAllow: ['*'], annotationsAllow: ['*'] };

function inputs(resource: ResourceName): unknown[] {
  const prefix = { pods: 'pod', jobs: 'job', cronjobs: 'cron' }[resource];
  const out: unknown[] = Object.entries(O)
    .filter(([k]) => k.startsWith(prefix))
    .map(([, v]) => v);
  for (const c of loadConformance()) {
    if (KIND_TO_RESOURCE[c.object.kind] !== resource) continue;
    const obj = structuredClone(c.object);
    obj.metadata.uid ??= `uid-of-${String(obj.metadata.name)}`;
    out.push(obj);
  }
  return out;
}

/** `label_*` matches any key with that prefix; a trailing `?` (semconv: present only when known) is dropped. */
function matches(declared: string, key: string): boolean {
  const d = declared.endsWith('?') ? declared.slice(0, -1) : declared;
  return d.endsWith('*') ? key.startsWith(d.slice(0, -1)) : key === d;
}

/** The first key that is undeclared or out of the declared order, if any. */
function orderViolation(declared: readonly string[], keys: readonly string[]): string | undefined {
  let j = 0;
  for (const k of keys) {
    while (j < declared.length && !matches(declared[j]!, k)) j++;
    if (j === declared.length) return k;
    if (!declared[j]!.endsWith('*')) j++; // a pattern may take several keys
  }
  return undefined;
}

/** Keys every point must carry: ksm default labels; semconv identity and enum attributes not marked `?`. */
function required(schema: Schema, resource: ResourceName, d: FamilyDef<never>): string[] {
  if (schema === 'ksm') return [...DEFAULT_LABELS[resource]];
  return d.labels.filter((l) => !l.endsWith('?') && !l.endsWith('*'));
}

for (const schema of ['ksm', 'semconv'] as const) {
  describe(`${schema}: every family emits exactly the labels it declares`, () => {
    for (const resource of ALL_RESOURCES) {
      const snaps = inputs(resource).map((o) => compactFor(resource, o));
      for (const d of allFamilies(schema, resource) as readonly FamilyDef<never>[]) {
        test(`${d.name}`, () => {
          const declared = schema === 'ksm' ? [...DEFAULT_LABELS[resource], ...d.labels] : [...d.labels];
          const must = required(schema, resource, d);
          const seen = new Set<string>();
          let points = 0;
          for (const s of snaps) {
            for (const p of d.generate(s as never, EVERYTHING)) {
              points++;
              const keys = Object.keys(p.attributes);
              const bad = orderViolation(declared, keys);
              assert.equal(bad, undefined, `${d.name} emits ${bad} (keys ${keys.join(',')}; declared ${declared})`);
              for (const m of must) assert.ok(keys.includes(m), `${d.name}: a point without ${m}`);
              for (const k of keys) for (const l of declared) if (matches(l, k)) seen.add(l);
            }
          }
          assert.ok(points > 0, `${d.name}: no input object brings out a series`);
          const never = declared.filter((l) => !seen.has(l));
          assert.deepEqual(never, [], `${d.name} declares labels no input emits`);
        });
      }
    }
  });
}

describe('families you can grep', () => {
  const dir = new URL('../src/families/', import.meta.url);
  const source = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))
    .join('\n');

  test('every family is declared with its full name written out', () => {
    const missing = (['ksm', 'semconv'] as const)
      .flatMap((schema) => ALL_RESOURCES.flatMap((r) => allFamilies(schema, r)))
      .map((d) => d.name)
      .filter((n) => !source.includes(`name: '${n}',`));
    assert.deepEqual(missing, [], 'families whose name is assembled instead of written');
    assert.doesNotMatch(source, /name: `/, 'no template literal names');
  });

  test('semconv names are the metric names of the pinned semantic conventions', () => {
    const metricNames = new Set(
      Object.entries(semconv)
        .filter(([k]) => k.startsWith('METRIC_'))
        .map(([, v]) => v as string),
    );
    for (const r of ALL_RESOURCES)
      for (const d of allFamilies('semconv', r)) assert.ok(metricNames.has(d.name), `${d.name} is a semconv metric`);
  });
});
