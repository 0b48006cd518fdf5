// Minimal Prometheus text-format (0.0.4) parser for relaying the main container's own /metrics.
// Written here instead of pulling a dependency: the format is line-based and we need only
// families, types and samples; exemplars, OpenMetrics `# EOF` and timestamps are tolerated/ignored.

export type PromType = 'counter' | 'gauge' | 'untyped' | 'histogram' | 'summary';

export interface PromSample {
  /** Full sample name, e.g. `foo_bucket` for a histogram family `foo`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  readonly type: PromType;
  readonly help: string;
  readonly samples: PromSample[];
}

export interface ParseResult {
  readonly families: PromFamily[];
  /** Lines that could not be parsed, with their 1-based line number; they are skipped, never fatal. */
  readonly errors: { line: number; message: string }[];
}

const TYPES = new Set<string>(['counter', 'gauge', 'untyped', 'histogram', 'summary']);
const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function familyOf(sample: string, byName: Map<string, PromFamily>): PromFamily | undefined {
  const direct = byName.get(sample);
  if (direct) return direct;
  // Histogram/summary samples carry a suffix; only attach them to a family declared with that type.
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (!sample.endsWith(suffix)) continue;
    const fam = byName.get(sample.slice(0, -suffix.length));
    if (fam && (fam.type === 'histogram' || fam.type === 'summary')) return fam;
  }
  // OpenMetrics counters are declared without `_total`.
  if (sample.endsWith('_total')) {
    const fam = byName.get(sample.slice(0, -'_total'.length));
    if (fam?.type === 'counter') return fam;
  }
  return undefined;
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default: {
      const v = Number(text);
      if (text === '' || Number.isNaN(v)) throw new Error(`invalid value ${JSON.stringify(text)}`);
      return v;
    }
  }
}

/** Parses `{a="x",b="y"}` starting at `pos` (which points at `{`); returns labels and the index after `}`. */
function parseLabels(line: string, pos: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = pos + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!m) throw new Error(`invalid label name at column ${i + 1}`);
    const key = m[0];
    i += key.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') throw new Error(`expected '=' after label ${key}`);
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') throw new Error(`expected '"' for label ${key}`);
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated value for label ${key}`);
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[key] = value;
    i++;
  }
}

export function parsePrometheusText(text: string): ParseResult {
  const families: PromFamily[] = [];
  const byName = new Map<string, PromFamily>();
  const errors: { line: number; message: string }[] = [];
  const declare = (name: string): PromFamily => {
    let fam = byName.get(name);
    if (!fam) {
      fam = { name, type: 'untyped', help: '', samples: [] };
      byName.set(name, fam);
      families.push(fam);
    }
    return fam;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').trim();
    if (line === '') continue;
    try {
      if (line.startsWith('#')) {
        const m = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
        if (!m) continue; // plain comment, `# EOF`, `# UNIT`
        const fam = declare(m[2]!);
        const rest = m[3] ?? '';
        if (m[1] === 'TYPE') {
          const t = rest.trim();
          // OpenMetrics types we do not model (gaugehistogram, stateset, info, unknown) relay as untyped.
          (fam as { type: PromType }).type = TYPES.has(t) ? (t as PromType) : 'untyped';
        } else {
          (fam as { help: string }).help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
        }
        continue;
      }
      const m = NAME_RE.exec(line);
      if (!m) throw new Error('invalid metric name');
      const name = m[0];
      let i = name.length;
      let labels: Record<string, string> = {};
      if (line[i] === '{') {
        const parsed = parseLabels(line, i);
        labels = parsed.labels;
        i = parsed.end;
      }
      // Value, then an optional timestamp (ignored: relayed samples get the collection time),
      // then an optional OpenMetrics exemplar after '#'.
      const fields = line.slice(i).split('#')[0]!.trim().split(/\s+/);
      const value = parseValue(fields[0] ?? '');
      const fam = familyOf(name, byName) ?? declare(name);
      fam.samples.push({ name, labels, value });
    } catch (err) {
      errors.push({ line: n + 1, message: (err as Error).message });
    }
  }
  return { families: families.filter((f) => f.samples.length > 0), errors };
}
