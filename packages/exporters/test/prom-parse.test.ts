// The one Prometheus text reader/writer (prom-parse.ts): families with types, help and escaped labels from
// real-world expositions; malformed lines reported by number and skipped; samples in line order for the
// comparison tests; and text written back that reads the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText, parseSamples, parseSamplesStrict, writePrometheusText } from '../src/index.ts';

const DESCHEDULER = `# HELP descheduler_pods_evicted Number of evicted pods
# TYPE descheduler_pods_evicted counter
descheduler_pods_evicted{namespace="default",result="success",strategy="RemoveDuplicates"} 3
descheduler_pods_evicted{namespace="kube-system",result="error",strategy="RemoveDuplicates"} 1
# HELP descheduler_build_info Build info\\nsecond line with a \\\\ backslash
# TYPE descheduler_build_info gauge
descheduler_build_info{version="v0.31.0"} 1
# TYPE loop_duration_seconds histogram
loop_duration_seconds_bucket{le="0.1"} 1
loop_duration_seconds_bucket{le="1"} 4
loop_duration_seconds_bucket{le="+Inf"} 5
loop_duration_seconds_sum 3.5
loop_duration_seconds_count 5
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.2
rpc_seconds_sum 7
rpc_seconds_count 21
# TYPE http_requests counter
http_requests_total{code="200"} 10 # {trace_id="abc"} 1 1700000000.000
plain_untyped 42 1700000000000
weird{path="a\\"b\\\\c\\nd"} -Inf
nan_value NaN
# EOF
`;

test('families: counter, gauge, histogram, summary, OpenMetrics _total, untyped; help and labels unescaped', () => {
  const { families, errors } = parsePrometheusText(DESCHEDULER);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    families.map((f) => [f.name, f.type, f.samples.length]),
    [
      ['descheduler_pods_evicted', 'counter', 2],
      ['descheduler_build_info', 'gauge', 1],
      ['loop_duration_seconds', 'histogram', 5],
      ['rpc_seconds', 'summary', 3],
      ['http_requests', 'counter', 1],
      ['plain_untyped', 'untyped', 1],
      ['weird', 'untyped', 1],
      ['nan_value', 'untyped', 1],
    ],
  );
  assert.equal(families[1]!.help, 'Build info\nsecond line with a \\ backslash');
  assert.equal(families[4]!.samples[0]!.value, 10, 'the exemplar after # is ignored');
  assert.equal(families[5]!.samples[0]!.value, 42, 'the timestamp is ignored');
  const weird = families[6]!.samples[0]!;
  assert.equal(weird.labels.path, 'a"b\\c\nd');
  assert.equal(weird.value, Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(families[7]!.samples[0]!.value));
});

test('malformed lines are reported by line number and skipped without losing the good ones', () => {
  const text = 'good 1\nbad{x="1" 2\n9bad 3\nnovalue\nalso_good{a="b"} 2.5\n';
  const { families, errors } = parsePrometheusText(text);
  assert.deepEqual(
    families.map((f) => f.name),
    ['good', 'also_good'],
  );
  assert.deepEqual(
    errors.map((e) => e.line),
    [2, 3, 4],
  );
  assert.deepEqual(
    parseSamples(text).samples.map((s) => s.name),
    ['good', 'also_good'],
  );
  assert.throws(() => parseSamplesStrict(text), /exposition line 2: .*bad\{x/);
});

test('parseSamples keeps line order across families (the comparison tests key on it)', () => {
  const { samples } = parseSamples('b 1\n# TYPE a gauge\na{x="1"} 2\nb 3\n');
  assert.deepEqual(
    samples.map((s) => [s.name, s.value]),
    [
      ['b', 1],
      ['a', 2],
      ['b', 3],
    ],
  );
});

test('writePrometheusText: exact text 0.0.4, and it reads back to the same families', () => {
  const { families } = parsePrometheusText(DESCHEDULER);
  const text = writePrometheusText(families.slice(1, 2).concat(families.slice(6, 7)));
  assert.equal(
    text,
    [
      '# HELP descheduler_build_info Build info\\nsecond line with a \\\\ backslash',
      '# TYPE descheduler_build_info gauge',
      'descheduler_build_info{version="v0.31.0"} 1',
      '# TYPE weird untyped',
      'weird{path="a\\"b\\\\c\\nd"} -Inf',
      '',
    ].join('\n'),
  );
  const all = writePrometheusText(families);
  assert.deepEqual(parsePrometheusText(all).families, families);
  assert.equal(writePrometheusText([]), '');
});
