// The one Prometheus text-format (0.0.4) reader, and the writer for what it reads. Production: the sidecar
// relays its main container's /metrics and Pushgateway-style pushes with it; tests: every comparison of
// expositions (kso, kube-state-metrics, Prometheus, the Collector) parses with it. Line-based and forgiving:
// a line that cannot be parsed is reported with its number and skipped, never fatal; exemplars, timestamps
// and OpenMetrics `# EOF` / `# UNIT` are tolerated and ignored.
import { escapeHelp, escapeLabelValue } from './prom-escape.ts';

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

export interface ParseError {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface ParseResult {
  readonly families: PromFamily[];
  /** Lines that could not be parsed; they are skipped, never fatal. */
  readonly errors: ParseError[];
}

/** One line of an exposition, classified. */
export type PromLine =
  | { kind: 'sample'; sample: PromSample }
  | { kind: 'type'; family: string; type: string }
  | { kind: 'help'; family: string; help: string }
  | { kind: 'comment' };

const TYPES = new Set<string>(['counter', 'gauge', 'untyped', 'histogram', 'summary']);
const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const META_RE = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/;

/** Sample value: Go's float syntax plus `+Inf`, `-Inf`, `NaN`. */
export function parseSampleValue(text: string): number {
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
    const value = readQuoted(line, i + 1, key);
    labels[key] = value.text;
    i = value.end;
  }
}

/** A label value from just after its opening quote; `end` is the index after the closing quote. */
function readQuoted(line: string, start: number, key: string): { text: string; end: number } {
  let text = '';
  let i = start;
  for (;;) {
    const c = line[i];
    if (c === undefined) throw new Error(`unterminated value for label ${key}`);
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\') {
      const n = line[i + 1];
      text += n === 'n' ? '\n' : (n ?? '');
      i += 2;
      continue;
    }
    text += c;
    i++;
  }
}

/** Classifies one trimmed, non-empty line; throws on a malformed sample. */
export function parseLine(line: string): PromLine {
  if (line.startsWith('#')) {
    const m = META_RE.exec(line);
    if (!m) return { kind: 'comment' }; // plain comment, `# EOF`, `# UNIT`
    const rest = m[3] ?? '';
    if (m[1] === 'TYPE') return { kind: 'type', family: m[2]!, type: rest.trim() };
    return { kind: 'help', family: m[2]!, help: rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\') };
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
  // Value, then an optional timestamp (ignored), then an optional OpenMetrics exemplar after '#'.
  const fields = line.slice(i).split('#')[0]!.trim().split(/\s+/);
  return { kind: 'sample', sample: { name, labels, value: parseSampleValue(fields[0] ?? '') } };
}

/** Every line of `text`, classified, in order; malformed lines go to `errors`. */
function eachLine(text: string, onLine: (l: PromLine) => void): ParseError[] {
  const errors: ParseError[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').trim();
    if (line === '') continue;
    try {
      onLine(parseLine(line));
    } catch (err) {
      errors.push({ line: n + 1, message: (err as Error).message });
    }
  }
  return errors;
}

/** The samples of an exposition in line order (comments and metadata skipped). */
export function parseSamples(text: string): { samples: PromSample[]; errors: ParseError[] } {
  const samples: PromSample[] = [];
  const errors = eachLine(text, (l) => {
    if (l.kind === 'sample') samples.push(l.sample);
  });
  return { samples, errors };
}

/** Like parseSamples, but the first malformed line is an error (tests comparing expositions). */
export function parseSamplesStrict(text: string): PromSample[] {
  const { samples, errors } = parseSamples(text);
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new Error(`exposition line ${e.line}: ${e.message}: ${JSON.stringify(text.split('\n')[e.line - 1])}`);
  }
  return samples;
}

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

/** Families with their type, help and samples; families without samples are left out. */
export function parsePrometheusText(text: string): ParseResult {
  const families: PromFamily[] = [];
  const byName = new Map<string, PromFamily>();
  const declare = (name: string): PromFamily => {
    let fam = byName.get(name);
    if (!fam) {
      fam = { name, type: 'untyped', help: '', samples: [] };
      byName.set(name, fam);
      families.push(fam);
    }
    return fam;
  };
  const errors = eachLine(text, (l) => {
    if (l.kind === 'comment') return;
    if (l.kind === 'sample') {
      (familyOf(l.sample.name, byName) ?? declare(l.sample.name)).samples.push(l.sample);
      return;
    }
    const fam = declare(l.family) as { type: PromType; help: string };
    // OpenMetrics types we do not model (gaugehistogram, stateset, info, unknown) read as untyped.
    if (l.kind === 'type') fam.type = TYPES.has(l.type) ? (l.type as PromType) : 'untyped';
    else fam.help = l.help;
  });
  return { families: families.filter((f) => f.samples.length > 0), errors };
}

function sampleValueText(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Writes families back as text 0.0.4 (HELP when set, TYPE, one line per sample; `{}` when unlabelled). */
export function writePrometheusText(families: readonly PromFamily[]): string {
  const lines: string[] = [];
  for (const fam of families) {
    if (fam.help) lines.push(`# HELP ${fam.name} ${escapeHelp(fam.help)}`);
    lines.push(`# TYPE ${fam.name} ${fam.type}`);
    for (const s of fam.samples) {
      let body = '';
      for (const k in s.labels) body += `${body === '' ? '' : ','}${k}="${escapeLabelValue(s.labels[k])}"`;
      lines.push(`${s.name}{${body}} ${sampleValueText(s.value)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
