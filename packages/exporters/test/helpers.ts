import { buildSyntheticSource, type SyntheticSource, syntheticPod } from '../src/index.ts';

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

/** Minimal Prometheus text parser: series key (name + sorted labels) → value. Comments ignored. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: [string, string][] = [];
    const body = m[3] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let x = re.exec(body); x; x = re.exec(body)) {
      labels.push([x[1] as string, (x[2] as string).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c))]);
    }
    labels.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const v = m[4] as string;
    out.set(`${m[1]}${JSON.stringify(labels)}`, v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
  }
  return out;
}
