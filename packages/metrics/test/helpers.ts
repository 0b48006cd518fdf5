import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compactCronJob, compactJob, compactPod } from '@kso/model';
import {
  allFamilies,
  DEFAULT_CONTEXT,
  type FamilyDef,
  type GenerateContext,
  type Point,
  type ResourceName,
  type Schema,
} from '../src/index.ts';

export interface ConformanceCase {
  name: string;
  object: Record<string, unknown> & { kind: string; metadata: Record<string, unknown> };
  expected: string[];
  families: string[];
}

/** KSM v2.20 store-test cases, kept in the repository (test/fixtures/README.md names the source). */
const CONFORMANCE_FIXTURE = fileURLToPath(
  new URL('../../../test/fixtures/ksm-conformance-examples.json', import.meta.url),
);

export function loadConformance(): ConformanceCase[] {
  return JSON.parse(readFileSync(CONFORMANCE_FIXTURE, 'utf8'));
}

/** `name|k=v,...|value` with labels sorted: order-insensitive comparison, values as numbers. */
export function norm(name: string, attrs: Readonly<Record<string, string>>, value: number): string {
  const labels = Object.keys(attrs)
    .sort()
    .map((k) => `${k}=${JSON.stringify(attrs[k])}`)
    .join(',');
  return `${name}|${labels}|${value}`;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
export function normExpected(line: string): string {
  const m = LINE.exec(line);
  if (!m) throw new Error(`bad expected line ${line}`);
  const attrs: Record<string, string> = {};
  for (const l of m[2]!.matchAll(LABEL)) attrs[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
  return norm(m[1]!, attrs, Number(m[3]));
}

export const KIND_TO_RESOURCE: Record<string, ResourceName> = { Pod: 'pods', Job: 'jobs', CronJob: 'cronjobs' };

export function compactFor(resource: ResourceName, raw: unknown) {
  if (resource === 'pods') return compactPod(raw);
  if (resource === 'jobs') return compactJob(raw);
  return compactCronJob(raw);
}

export function generate(
  resource: ResourceName,
  raw: unknown,
  opts: { schema?: Schema; ctx?: GenerateContext; only?: readonly string[] } = {},
): Map<string, Point[]> {
  const snap = compactFor(resource, raw);
  // Every declared family, opt-in ones included: tests look at each family by name.
  const defs = allFamilies(opts.schema ?? 'ksm', resource) as readonly FamilyDef<typeof snap>[];
  const out = new Map<string, Point[]>();
  for (const d of defs) {
    if (opts.only && !opts.only.includes(d.name)) continue;
    out.set(d.name, d.generate(snap, opts.ctx ?? DEFAULT_CONTEXT));
  }
  return out;
}

export function series(fams: Map<string, Point[]>, name?: string): string[] {
  const out: string[] = [];
  for (const [n, pts] of fams) {
    if (name !== undefined && n !== name) continue;
    for (const p of pts) out.push(norm(n, p.attributes, p.value));
  }
  return out.sort();
}

export function pts(fams: Map<string, Point[]>, name: string): Point[] {
  const p = fams.get(name);
  if (!p) throw new Error(`no family ${name}`);
  return p;
}

/** Go strconv.FormatFloat(v, 'g', -1, 64), as KSM writes sample values. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return '0';
  const [mant, exp] = v.toExponential().split('e') as [string, string];
  const e = Number(exp);
  // Shortest digits; exponent form below 1e-4 and from 1e6 on (Go's 'g' with precision -1 decides with 6).
  if (e < -4 || e >= 6) return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(v);
}

const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** A family's points as KSM exposition lines: labels in wire (insertion) order, Go number format. */
export function expositionLines(name: string, points: readonly Point[]): string[] {
  return points.map((p) => {
    const labels = Object.entries(p.attributes)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    return `${name}{${labels}} ${goFloat(p.value)}`;
  });
}

/** One row of a family table: an object in, the exact series of one family out (KSM internal/store/*_test.go). */
export interface FamilyRow {
  readonly family: string;
  readonly name: string;
  readonly object: unknown;
  readonly ctx?: GenerateContext;
  readonly want: readonly string[];
}

export const row = (
  family: string,
  name: string,
  object: unknown,
  want: string[],
  ctx?: GenerateContext,
): FamilyRow => ({ family, name, object, want, ctx });

/**
 * Runs a resource's table and checks that every family of its catalog has a row: ksm (KSM, opt-in, EXTENSION)
 * and semconv (family names are unique across the schemas, so a row's family names its schema).
 */
export function runFamilyTable(resource: ResourceName, rows: readonly FamilyRow[]): void {
  const schemaOf = new Map<string, Schema>();
  for (const schema of ['ksm', 'semconv'] as const)
    for (const d of allFamilies(schema, resource)) schemaOf.set(d.name, schema);
  test(`every ${resource} family of both schemas has a table row`, () => {
    const covered = new Set(rows.map((r) => r.family));
    assert.deepEqual(
      [...schemaOf.keys()].filter((n) => !covered.has(n)),
      [],
      'families without a row',
    );
    assert.deepEqual(
      [...covered].filter((n) => !schemaOf.has(n)),
      [],
      'rows for unknown families',
    );
  });
  for (const r of rows) {
    test(`${r.family}: ${r.name}`, () => {
      const schema = schemaOf.get(r.family) ?? 'ksm';
      const pts = generate(resource, r.object, { schema, only: [r.family], ctx: r.ctx }).get(r.family) ?? [];
      assert.deepEqual(expositionLines(r.family, pts), r.want);
    });
  }
}
