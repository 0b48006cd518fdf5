// Prometheus text exposition (0.0.4) and OpenMetrics 1.0.0 for OTel MetricData. In text mode with
// numberFormat 'js', scope info and target info disabled, the output is byte-identical to the SDK's
// PrometheusSerializer (exporter-prometheus 0.301.0): same name sanitising, `_total` for monotonic sums,
// HELP fallback "description missing", `# UNIT` comment, one header per family name, TYPE conflicts dropped,
// `# no registered metrics` for an empty exposition. The fast store renderer reuses these helpers.
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type NumberFormat, numberFormatter } from './number-format.ts';
import { escapeHelp, escapeLabelValue } from './prom-escape.ts';
import type { PromType as TextPromType } from './prom-parse.ts';

export { escapeHelp, escapeLabelValue };

export type ExpositionFormat = 'text' | 'openmetrics';
/** What an OTel MetricData maps to (summaries are never produced). */
export type PromType = Exclude<TextPromType, 'summary'>;

export const CONTENT_TYPE_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const CONTENT_TYPE_OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const NO_REGISTERED_METRICS = '# no registered metrics';

export interface PromTextOptions {
  /** 'js' (default) = SDK output; 'go' = kube-state-metrics float formatting. */
  numberFormat?: NumberFormat;
  format?: ExpositionFormat;
  /** Write `# UNIT` comments (SDK behaviour). Default: true for 'js', false for 'go' (KSM text has none). */
  unitComments?: boolean;
  /** Prefix every metric name (`prefix_`), as the SDK's `prefix` option. */
  prefix?: string;
  /** Add otel_scope_name/version labels (SDK default). Default false: pure noise for a KSM replacement. */
  withScopeInfo?: boolean;
  /** Emit `target_info` with the resource attributes first. Default false. */
  withTargetInfo?: boolean;
}

const invalidChars = /[^a-z0-9_]/gi;
const multiUnderscore = /_{2,}/g;

const labelNameCache = new Map<string, string>();
export function sanitizeLabelName(key: string): string {
  let r = labelNameCache.get(key);
  if (r === undefined) {
    r = key.replace(invalidChars, '_').replace(multiUnderscore, '_');
    if (labelNameCache.size < 10_000) labelNameCache.set(key, r);
  }
  return r;
}

/** SDK metric naming: sanitise, prefix, leading digit → `_`, `_total` on monotonic sums (never `_total_total`). */
export function prometheusName(name: string, monotonicSum: boolean, prefix?: string): string | undefined {
  let n = name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(invalidChars, '_').replace(multiUnderscore, '_');
  if (prefix) n = `${prefix}_${n}`;
  if (n === '' || n === '_') return undefined;
  const c = n.charCodeAt(0);
  if (c >= 48 && c <= 57) n = `_${n}`;
  if (monotonicSum && !n.endsWith('_total')) n += '_total';
  return n;
}

export function labelsText(
  attributes: Readonly<Record<string, unknown>>,
  extra?: Readonly<Record<string, unknown>>,
): string {
  let s = '';
  for (const k in attributes) {
    s += `${s.length > 0 ? ',' : ''}${sanitizeLabelName(k)}="${escapeLabelValue(attributes[k])}"`;
  }
  if (extra) {
    for (const k in extra) s += `${s.length > 0 ? ',' : ''}${sanitizeLabelName(k)}="${escapeLabelValue(extra[k])}"`;
  }
  return s;
}

export interface FamilyMeta {
  name: string;
  type: PromType;
  help: string;
  unit: string;
}

/** Header lines for one family. OpenMetrics: counter family names drop `_total`; UNIT only when it is the name's suffix. */
export function familyHeader(meta: FamilyMeta, format: ExpositionFormat, unitComments: boolean): string {
  if (format === 'openmetrics') {
    const fam = meta.type === 'counter' && meta.name.endsWith('_total') ? meta.name.slice(0, -6) : meta.name;
    const unit = unitComments && meta.unit && fam.endsWith(`_${meta.unit}`) ? `# UNIT ${fam} ${meta.unit}\n` : '';
    const type = meta.type === 'untyped' ? 'unknown' : meta.type;
    return `# HELP ${fam} ${escapeHelp(meta.help || 'description missing', true)}\n${unit}# TYPE ${fam} ${type}\n`;
  }
  const unit = unitComments && meta.unit ? `# UNIT ${meta.name} ${escapeHelp(meta.unit)}\n` : '';
  return `# HELP ${meta.name} ${escapeHelp(meta.help || 'description missing')}\n${unit}# TYPE ${meta.name} ${meta.type}\n`;
}

export function promTypeOf(m: MetricData): PromType {
  switch (m.dataPointType) {
    case DataPointType.SUM:
      return m.isMonotonic ? 'counter' : 'gauge';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return 'untyped';
  }
}

/**
 * Groups metrics by exposed name like the SDK: first occurrence fixes the order and TYPE, a later
 * different TYPE drops the whole family, HELP/UNIT come from the first non-empty one.
 */
export function groupFamilies<T>(
  items: Iterable<{ item: T; name: string | undefined; type: PromType; help: string; unit: string }>,
): { meta: FamilyMeta; items: T[] }[] {
  const map = new Map<string, { meta: FamilyMeta; items: T[]; dropped: boolean }>();
  for (const it of items) {
    if (it.name === undefined) continue;
    const f = map.get(it.name);
    if (f === undefined) {
      map.set(it.name, {
        meta: { name: it.name, type: it.type, help: it.help, unit: it.unit },
        items: [it.item],
        dropped: false,
      });
      continue;
    }
    if (f.dropped) continue;
    if (f.meta.type !== it.type) {
      f.dropped = true;
      f.items = [];
      continue;
    }
    if (!f.meta.help) f.meta.help = it.help;
    if (!f.meta.unit) f.meta.unit = it.unit;
    f.items.push(it.item);
  }
  return [...map.values()].filter((f) => !f.dropped);
}

export function resolveOptions(o: PromTextOptions = {}) {
  const numberFormat = o.numberFormat ?? 'js';
  return {
    numberFormat,
    fmt: numberFormatter(numberFormat),
    format: o.format ?? 'text',
    unitComments: o.unitComments ?? numberFormat === 'js',
    prefix: o.prefix,
    withScopeInfo: o.withScopeInfo ?? false,
    withTargetInfo: o.withTargetInfo ?? false,
  };
}

/** Target info block (SDK: `target_info` gauge = 1 with all resource attributes). */
export function targetInfoText(rm: ResourceMetrics, opts: ReturnType<typeof resolveOptions>): string {
  const meta: FamilyMeta = { name: 'target_info', type: 'gauge', help: 'Target metadata', unit: '' };
  const labels = labelsText(rm.resource.attributes);
  return `${familyHeader(meta, opts.format, opts.unitComments)}target_info${labels ? `{${labels}}` : ''} 1\n`;
}

/**
 * Serialises the families of a ResourceMetrics (no trailer). Returns '' when there is no family.
 * Histograms are not supported (the store has none; SDK self-metrics should use gauges/counters).
 */
export function serializeFamilies(rm: ResourceMetrics, o: PromTextOptions = {}): string {
  const opts = resolveOptions(o);
  const items = [];
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      const monotonic = m.dataPointType === DataPointType.SUM && m.isMonotonic;
      items.push({
        item: { m, scope: sm.scope },
        name: prometheusName(m.descriptor.name, monotonic, opts.prefix),
        type: promTypeOf(m),
        help: m.descriptor.description,
        unit: m.descriptor.unit,
      });
    }
  }
  let out = '';
  for (const fam of groupFamilies(items)) {
    if (fam.meta.type === 'histogram' || fam.meta.type === 'untyped') continue;
    out += familyHeader(fam.meta, opts.format, opts.unitComments);
    for (const { m, scope } of fam.items) {
      let extra: Record<string, unknown> | undefined;
      if (opts.withScopeInfo) {
        extra = { 'otel.scope.name': scope.name };
        if (scope.schemaUrl) extra['otel.scope.schema_url'] = scope.schemaUrl;
        if (scope.version) extra['otel.scope.version'] = scope.version;
      }
      for (const dp of m.dataPoints as { attributes: Record<string, unknown>; value: number }[]) {
        const labels = labelsText(dp.attributes, extra);
        out += `${fam.meta.name}${labels ? `{${labels}}` : ''} ${opts.fmt(dp.value)}\n`;
      }
    }
  }
  return out;
}

/** Full exposition of one ResourceMetrics (what the SDK PrometheusSerializer.serialize returns in text mode). */
export function serializePrometheus(rm: ResourceMetrics, o: PromTextOptions = {}): string {
  const opts = resolveOptions(o);
  const head = opts.withTargetInfo ? targetInfoText(rm, opts) : '';
  const body = serializeFamilies(rm, o);
  if (opts.format === 'openmetrics') return `${head}${body}# EOF\n`;
  return head + (body === '' ? NO_REGISTERED_METRICS : body);
}
