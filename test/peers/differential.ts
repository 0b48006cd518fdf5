// Differential comparison of kube-state-metrics and `kso run --schema ksm` expositions.
import {
  declaredFamilies,
  describeDiff,
  diffSets,
  familyHeaders,
  familyOf,
  isEmptyDiff,
  parseExposition,
  type SeriesDiff,
  type SeriesSet,
  toSet,
} from './series.ts';

export interface Comparison {
  /** Families declared by both (`# TYPE`), i.e. implemented by both. */
  common: string[];
  onlyKsm: string[];
  onlyKso: string[];
  ksm: SeriesSet;
  kso: SeriesSet;
  diff: SeriesDiff;
  /** Common families whose `# HELP` or `# TYPE` line differs: `name: ksm … | kso …`. */
  headerDiffs: string[];
}

/**
 * Compares the families both programs implement. kso's own `kso_*` self-metrics and KSM's build info are not
 * object state and are outside the comparison.
 */
export function compareExpositions(ksmText: string, ksoText: string): Comparison {
  const ksmFam = declaredFamilies(ksmText);
  const ksoFam = new Set([...declaredFamilies(ksoText)].filter((f) => f.startsWith('kube_')));
  const common = [...ksmFam].filter((f) => ksoFam.has(f)).sort();
  const keep = new Set(common);
  const ksm = toSet(parseExposition(ksmText), (s) => keep.has(s.name));
  const kso = toSet(parseExposition(ksoText), (s) => keep.has(s.name));
  return {
    common,
    onlyKsm: [...ksmFam].filter((f) => !ksoFam.has(f)).sort(),
    onlyKso: [...ksoFam].filter((f) => !ksmFam.has(f)).sort(),
    ksm,
    kso,
    diff: diffSets(ksm, kso),
    headerDiffs: headerDiffs(ksmText, ksoText, common),
  };
}

function headerDiffs(ksmText: string, ksoText: string, common: readonly string[]): string[] {
  const a = familyHeaders(ksmText);
  const b = familyHeaders(ksoText);
  const out: string[] = [];
  for (const f of common) {
    const x = a.get(f) ?? {};
    const y = b.get(f) ?? {};
    if (x.help !== y.help || x.type !== y.type)
      out.push(`${f}: ${x.type} ${JSON.stringify(x.help)} | ${y.type} ${JSON.stringify(y.help)}`);
  }
  return out;
}

export function comparisonEqual(c: Comparison): boolean {
  return isEmptyDiff(c.diff);
}

/** Per-family counts of differing series, then examples: enough to see at a glance what diverges. */
export function describeComparison(c: Comparison): string {
  const byFamily = new Map<string, number>();
  for (const k of [...c.diff.onlyLeft, ...c.diff.onlyRight, ...c.diff.valueDiffs])
    byFamily.set(familyOf(k), (byFamily.get(familyOf(k)) ?? 0) + 1);
  const fams = [...byFamily].map(([f, n]) => `${f}: ${n}`).join(', ');
  return `differing families: ${fams}\n${describeDiff(c.diff, 'kube-state-metrics', 'kso')}`;
}
