import { parseSamplesStrict } from '../src/index.ts';
import { buildSyntheticSource, type SyntheticSource, syntheticPod } from '../src/testing/index.ts';

/** A realistic ksm source with 25 pods, 2 jobs (one with nasty label values and special floats), no cronjobs. */
export function realisticSource(): SyntheticSource {
  const s = buildSyntheticSource(25);
  s.setPod(
    syntheticPod(1000, {
      namespace: 'we\\ird"ns\nx',
      name: 'pod-with-"quotes"',
      phase: 'Failed',
      createdS: 1495800007,
    }),
  );
  s.set('jobs', 'job-1', [
    [{ attributes: { namespace: 'default', job_name: 'backup' }, value: 1 }],
    [{ attributes: { namespace: 'default', job_name: 'backup' }, value: 1234567 }],
    [{ attributes: { namespace: 'default', job_name: 'backup', reason: 'BackoffLimitExceeded' }, value: Number.NaN }],
    [],
  ]);
  s.set('jobs', 'job-2', [
    [{ attributes: { namespace: 'default', job_name: 'a\\b' }, value: 1 }],
    [{ attributes: { namespace: 'default', job_name: 'a\\b' }, value: Number.POSITIVE_INFINITY }],
    [{ attributes: { namespace: 'default', job_name: 'a\\b', reason: '' }, value: Number.NEGATIVE_INFINITY }],
    [{ attributes: { namespace: 'default', job_name: 'a\\b', condition: 'true' }, value: 0.000012 }],
  ]);
  return s;
}

/** Series key (name + sorted labels) → value, read with the one text reader (prom-parse); throws on a bad line. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of parseSamplesStrict(text)) {
    const labels = Object.entries(s.labels).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    out.set(`${s.name}${JSON.stringify(labels)}`, s.value);
  }
  return out;
}
