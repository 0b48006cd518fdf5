// Series sets for comparing expositions of different programs: a series is name + label set, compared by an
// order-independent key; values are parsed floats, so "1", "1.0" and "1e+00" are the same value.
import { parseSamplesStrict } from '@kso/exporters';

/** key (name{sorted labels}) → value */
export type SeriesSet = Map<string, number>;

export interface ParsedSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Labels with an empty value are left out of the key: in Prometheus an empty label value is the same as no
 * label (kube-state-metrics writes e.g. `value=""` on tolerations, kso omits it; both store the same series).
 */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .filter((k) => labels[k] !== '')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(',')}}`;
}

/** The samples of a Prometheus text exposition (the one reader, @kso/exporters' prom-parse); throws on a bad line. */
export function parseExposition(text: string): ParsedSeries[] {
  return parseSamplesStrict(text).map((s) => ({ name: s.name, labels: { ...s.labels }, value: s.value }));
}

/** Family names declared by `# TYPE` lines (declared even when a family has no series at the moment). */
export function declaredFamilies(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) /gm)) out.add(m[1]!);
  return out;
}

/** `# HELP` and `# TYPE` text per family: `help` is the text after the name, as written (escapes kept). */
export function familyHeaders(text: string): Map<string, { help?: string; type?: string }> {
  const out = new Map<string, { help?: string; type?: string }>();
  for (const m of text.matchAll(/^# (HELP|TYPE) (\S+) ?(.*)$/gm)) {
    const h = out.get(m[2]!) ?? {};
    if (m[1] === 'HELP') h.help = m[3]!;
    else h.type = m[3]!;
    out.set(m[2]!, h);
  }
  return out;
}

export function toSet(series: Iterable<ParsedSeries>, keep: (s: ParsedSeries) => boolean = () => true): SeriesSet {
  const set: SeriesSet = new Map();
  for (const s of series) {
    if (!keep(s)) continue;
    const key = seriesKey(s.name, s.labels);
    if (set.has(key)) throw new Error(`duplicate series ${key}`);
    set.set(key, s.value);
  }
  return set;
}

export interface SeriesDiff {
  onlyLeft: string[];
  onlyRight: string[];
  /** `key: left != right` */
  valueDiffs: string[];
}

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

export function diffSets(left: SeriesSet, right: SeriesSet): SeriesDiff {
  const d: SeriesDiff = { onlyLeft: [], onlyRight: [], valueDiffs: [] };
  for (const [k, v] of left) {
    if (!right.has(k)) d.onlyLeft.push(k);
    else if (!same(v, right.get(k)!)) d.valueDiffs.push(`${k}: ${v} != ${right.get(k)}`);
  }
  for (const k of right.keys()) if (!left.has(k)) d.onlyRight.push(k);
  return d;
}

export function isEmptyDiff(d: SeriesDiff): boolean {
  return d.onlyLeft.length === 0 && d.onlyRight.length === 0 && d.valueDiffs.length === 0;
}

/** A bounded, readable description of a diff for assertion messages. */
export function describeDiff(d: SeriesDiff, leftName: string, rightName: string, max = 15): string {
  const part = (title: string, xs: string[]): string =>
    xs.length === 0
      ? ''
      : `${title} (${xs.length}):\n  ${xs.slice(0, max).join('\n  ')}${xs.length > max ? '\n  ...' : ''}\n`;
  return (
    part(`only in ${leftName}`, d.onlyLeft) +
    part(`only in ${rightName}`, d.onlyRight) +
    part(`different values (${leftName} != ${rightName})`, d.valueDiffs)
  );
}

/** Family name of a series key. */
export function familyOf(key: string): string {
  return key.slice(0, key.indexOf('{'));
}
