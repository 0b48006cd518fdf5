import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runKso, samples, sortedLine } from './helpers.ts';

interface Case {
  name: string;
  object: Record<string, unknown> & { kind: string };
  expected: string[];
  families: string[];
}
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ksm-conformance-examples.json', import.meta.url));
const cases: Case[] = JSON.parse(readFileSync(FIXTURES, 'utf8'));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kso-render-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running' },
  ...extra,
});

describe('kso render: KSM conformance examples', () => {
  test('fixture has cases', () => assert.ok(cases.length >= 8));

  for (const c of cases) {
    test(`${c.name} via stdin: the listed families' series are exactly the expected lines`, async () => {
      const r = await runKso(['render', '-'], { input: JSON.stringify(c.object) });
      assert.equal(r.code, 0, r.stderr);
      const fams = new Set(c.families);
      const got = samples(r.stdout)
        .filter((s) => fams.has(s.name))
        .map((s) => s.text)
        .sort();
      const want = c.expected.map((l) => sortedLine(l).text).sort();
      assert.deepEqual(got, want);
    });
  }

  test('all cases as files (YAML and JSON) in one invocation: every expected line is present', async () => {
    const files = cases.map((c, i) => {
      const f = join(dir, `case-${i}.${i % 2 ? 'yaml' : 'json'}`);
      writeFileSync(f, i % 2 ? stringify(c.object) : JSON.stringify(c.object, null, 2));
      return f;
    });
    const r = await runKso(['render', '--number-format', 'go', ...files]);
    assert.equal(r.code, 0, r.stderr);
    const got = new Set(samples(r.stdout).map((s) => s.text));
    for (const c of cases) for (const l of c.expected) assert.ok(got.has(sortedLine(l).text), `${c.name}: ${l}`);
  });
});

describe('kso render: input shapes', () => {
  test('multi-document YAML: every supported object rendered, unknown kinds warned and skipped', async () => {
    const f = join(dir, 'multi.yaml');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } };
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j1', namespace: 'ns' },
      spec: {},
      status: {},
    };
    writeFileSync(f, [pod('a'), cm, job, pod('b')].map((o) => stringify(o)).join('---\n'));
    const r = await runKso(['render', f]);
    assert.equal(r.code, 0, r.stderr);
    const lines = samples(r.stdout).map((s) => s.text);
    assert.ok(lines.some((l) => l.startsWith('kube_pod_info{') && l.includes('pod="a"')));
    assert.ok(lines.some((l) => l.startsWith('kube_pod_info{') && l.includes('pod="b"')));
    assert.ok(lines.includes('kube_job_info{job_name="j1",namespace="ns"} 1'));
    assert.match(r.stderr, /multi\.yaml: document 1: skipping unsupported kind "ConfigMap"/);
  });

  test('List and typed PodList (items without kind) are expanded', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [pod('l1'), pod('l2')] };
    const { kind: _k, apiVersion: _a, ...bare } = pod('t1');
    const podList = { apiVersion: 'v1', kind: 'PodList', items: [bare] };
    const r = await runKso(['render', '-'], { input: `${JSON.stringify(list)}\n---\n${JSON.stringify(podList)}` });
    assert.equal(r.code, 0, r.stderr);
    const pods = samples(r.stdout)
      .filter((s) => s.name === 'kube_pod_info')
      .map((s) => /pod="([^"]+)"/.exec(s.text)![1])
      .sort();
    assert.deepEqual(pods, ['l1', 'l2', 't1']);
  });

  test('malformed documents are named (file, index), the rest is rendered, exit 1', async () => {
    const f = join(dir, 'bad.yaml');
    const broken = { kind: 'Pod', metadata: { name: 'broken', namespace: 'ns', uid: 'u' }, spec: { containers: 'x' } };
    writeFileSync(
      f,
      `${stringify(pod('good1'))}---\nkind: Pod\nmetadata: {name: [unclosed\n---\n${stringify(broken)}---\n${stringify(pod('good2'))}`,
    );
    const r = await runKso(['render', f, join(dir, 'missing.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml: document 1: invalid YAML/);
    assert.match(r.stderr, /bad\.yaml: document 2: Pod: malformed object/);
    assert.match(r.stderr, /missing\.yaml: cannot read/);
    const pods = samples(r.stdout)
      .filter((s) => s.name === 'kube_pod_info')
      .map((s) => /pod="([^"]+)"/.exec(s.text)![1])
      .sort();
    assert.deepEqual(pods, ['good1', 'good2']);
  });

  test('--format otlp-json emits an ExportMetricsServiceRequest JSON with the semconv metrics', async () => {
    const r = await runKso(['render', '--schema', 'semconv', '--format', 'otlp-json', '-'], {
      input: JSON.stringify(pod('o1')),
    });
    assert.equal(r.code, 0, r.stderr);
    const req = JSON.parse(r.stdout) as {
      resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: unknown[] } }[] }[] }[];
    };
    const names = req.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)));
    assert.ok(names.includes('k8s.pod.status.phase'), names.join(','));
  });

  test('usage errors exit 2 with one line', async () => {
    for (const args of [['render'], ['render', '--format', 'xml', '-'], ['render', '--frob', '-']]) {
      const r = await runKso(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
