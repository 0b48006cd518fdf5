// TEMPORARY (issue #14, until the sidecar switches to @kso/exporters/prom-parse): the one Prometheus text
// reader in @kso/exporters reads every input exactly as the sidecar's own copy does, so the integrator can
// delete packages/sidecar/src/prom-text.ts and import the shared one. Delete this file with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '@kso/exporters/prom-parse';
import { parsePrometheusText as sidecarParse } from '@kso/sidecar';

const INPUTS = [
  `# HELP a_total Things\\nwith a newline and a \\\\ backslash
# TYPE a_total counter
a_total{x="1",y="with \\"quotes\\" and \\\\ and \\n"} 3
# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="+Inf"} 2
h_sum 0.7
h_count 2
h_created 1700000000
# TYPE s summary
s{quantile="0.9"} NaN
s_sum -Inf
s_count 4
# TYPE om counter
om_total 5 # {trace_id="x"} 1 1.5
# TYPE st stateset
st{st="a"} 1
# UNIT h seconds
ts 1 1700000000000
# EOF
`,
  'good 1\nbad{x="1" 2\n9bad 3\nnovalue\n{x="1"} 4\nalso_good { a = "b" , } 2.5\n\n   spaced 7   \n',
  '# HELP only_help no samples\n# TYPE only_type gauge\n',
  '',
];

test('the shared reader and the sidecar copy agree on families, samples and errors', () => {
  for (const text of INPUTS) assert.deepEqual(parsePrometheusText(text), sidecarParse(text), JSON.stringify(text));
});
