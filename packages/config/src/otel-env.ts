// The standard OpenTelemetry SDK/exporter environment variables, read with the specification's meaning
// (opentelemetry-specification: protocol/exporter.md, configuration/sdk-environment-variables.md) and turned
// into one layer of kso configuration values. This layer sits between the config file and the KSO_* variables:
// flags > KSO_* > OTEL_* > file > defaults. Each OTEL_EXPORTER_OTLP_METRICS_* variable wins over its generic
// OTEL_EXPORTER_OTLP_* counterpart.
import { HEADER_LIST, parseKeyValues } from './key-values.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Values in kso's config shape (only those the environment set) plus where each came from. */
export interface OtelLayer {
  values: {
    otlp?: Record<string, unknown>;
    resourceAttributes?: string;
    serviceName?: string;
  };
  /** Config key → the OTEL_* variable it was read from (error messages, docs). */
  sources: Record<string, string>;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: for http/protobuf `v1/metrics` is appended to its path once the
   * final protocol is known (a KSO_* or flag protocol may still change it). Unset when the endpoint came from
   * the signal-specific variable or from no OTEL_* variable. The signal-specific URL is passed on unchanged and
   * the OTLP/HTTP transport posts to a URL with a path as is (only a path-less URL gets `/v1/metrics` there).
   */
  baseEndpoint?: string;
  /** OTEL_METRICS_EXPORTER=otlp without any endpoint: the spec's default one for the final protocol. */
  defaultEndpoint?: boolean;
  problems: string[];
}

const get = (env: Env, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** First set of the signal-specific and the generic variable, with its name. */
function pick(env: Env, suffix: string): { name: string; value: string } | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_METRICS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const value = get(env, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/** `http/protobuf` → kso's `http`; the spec's third value is refused with the reason. */
export function otlpProtocol(value: string): { protocol: 'grpc' | 'http' } | { error: string } {
  const v = value.trim().toLowerCase();
  if (v === 'grpc') return { protocol: 'grpc' };
  if (v === 'http/protobuf' || v === 'http') return { protocol: 'http' };
  if (v === 'http/json') return { error: 'http/json is not supported: use http/protobuf or grpc' };
  return { error: `unknown protocol ${JSON.stringify(value)}: use grpc or http/protobuf` };
}

/** The spec's metrics path appended to a base endpoint's path (`http://c:4318/x` → `http://c:4318/x/v1/metrics`). */
export function appendMetricsPath(base: string): string {
  try {
    const u = new URL(base);
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/metrics`;
    return u.toString();
  } catch {
    return base; // validated (and reported) as an endpoint URL later
  }
}

/** What one OTEL_* reader writes into the layer being built. */
interface LayerWriter {
  readonly layer: OtelLayer;
  readonly otlp: Record<string, unknown>;
  set(key: string, value: unknown, from: string): void;
  problem(message: string): void;
}

export function readOtelEnv(env: Env): OtelLayer {
  const otlp: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const problems: string[] = [];
  const layer: OtelLayer = { values: {}, sources, problems };
  const w: LayerWriter = {
    layer,
    otlp,
    set: (key, value, from) => {
      otlp[key] = value;
      sources[`otlp.${key}`] = from;
    },
    problem: (message) => problems.push(message),
  };
  readProtocolAndEndpoint(env, w);
  readExporterSelection(env, w);
  readHeaders(env, w);
  readScalars(env, w);
  if (Object.keys(otlp).length > 0) layer.values.otlp = otlp;
  readResource(env, layer);
  return layer;
}

function readProtocolAndEndpoint(env: Env, w: LayerWriter): void {
  const proto = pick(env, 'PROTOCOL');
  if (proto) {
    const p = otlpProtocol(proto.value);
    if ('error' in p) w.problem(`${proto.name}: ${p.error}`);
    else w.set('protocol', p.protocol, proto.name);
  }
  const signalEndpoint = get(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const genericEndpoint = get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (signalEndpoint !== undefined) w.set('endpoint', signalEndpoint, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  else if (genericEndpoint !== undefined) {
    w.set('endpoint', genericEndpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    w.layer.baseEndpoint = genericEndpoint;
  }
}

// OTEL_METRICS_EXPORTER: `none` turns the push off; `otlp` with no endpoint means the spec's default one.
function readExporterSelection(env: Env, w: LayerWriter): void {
  const exporters = get(env, 'OTEL_METRICS_EXPORTER');
  if (exporters === undefined) return;
  const list = exporters.split(',').map((x) => x.trim().toLowerCase());
  if (list.length === 1 && list[0] === 'none') {
    w.set('endpoint', '', 'OTEL_METRICS_EXPORTER');
    delete w.layer.baseEndpoint;
  } else if (list.includes('otlp') && w.otlp['endpoint'] === undefined) {
    w.set('endpoint', 'http://localhost:4318/v1/metrics', 'OTEL_METRICS_EXPORTER');
    w.layer.defaultEndpoint = true;
  }
}

// Headers: generic first, then signal-specific, so the latter wins per key (the parser keeps the last).
function readHeaders(env: Env, w: LayerWriter): void {
  const hs = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']
    .map((name) => ({ name, value: get(env, name) }))
    .filter((h): h is { name: string; value: string } => h.value !== undefined);
  let headersOk = true;
  for (const h of hs) {
    const r = parseKeyValues(h.value, HEADER_LIST);
    if ('error' in r) {
      w.problem(`${h.name}: ${r.error}`);
      headersOk = false;
    }
  }
  if (hs.length > 0 && headersOk) w.set('headers', hs.map((h) => h.value).join(','), hs.map((h) => h.name).join(' + '));
}

function readScalars(env: Env, w: LayerWriter): void {
  const timeout = pick(env, 'TIMEOUT');
  if (timeout) {
    if (/^\d+$/.test(timeout.value) && Number(timeout.value) > 0) w.set('timeout', Number(timeout.value), timeout.name);
    else w.problem(`${timeout.name}: must be a positive integer number of milliseconds`);
  }
  const compression = pick(env, 'COMPRESSION');
  if (compression) {
    const v = compression.value.toLowerCase();
    if (v === 'gzip' || v === 'zstd' || v === 'none') w.set('compression', v, compression.name);
    else w.problem(`${compression.name}: must be gzip, zstd or none`);
  }
  const insecure = pick(env, 'INSECURE');
  if (insecure) {
    const v = insecure.value.toLowerCase();
    if (v === 'true' || v === 'false') w.set('insecure', v === 'true', insecure.name);
    else w.problem(`${insecure.name}: must be true or false`);
  }
  for (const [suffix, key] of [
    ['CERTIFICATE', 'ca'],
    ['CLIENT_CERTIFICATE', 'clientCert'],
    ['CLIENT_KEY', 'clientKey'],
  ] as const) {
    const f = pick(env, suffix);
    if (f) w.set(key, f.value, f.name);
  }
  const interval = get(env, 'OTEL_METRIC_EXPORT_INTERVAL');
  if (interval !== undefined) {
    if (/^\d+$/.test(interval) && Number(interval) > 0)
      w.set('interval', Number(interval), 'OTEL_METRIC_EXPORT_INTERVAL');
    else w.problem('OTEL_METRIC_EXPORT_INTERVAL: must be a positive integer number of milliseconds');
  }
}

function readResource(env: Env, layer: OtelLayer): void {
  const attrs = get(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (attrs !== undefined) {
    const r = parseKeyValues(attrs);
    if ('error' in r) layer.problems.push(`OTEL_RESOURCE_ATTRIBUTES: ${r.error}`);
    else {
      layer.values.resourceAttributes = attrs;
      layer.sources['resourceAttributes'] = 'OTEL_RESOURCE_ATTRIBUTES';
    }
  }
  const serviceName = get(env, 'OTEL_SERVICE_NAME');
  if (serviceName !== undefined) {
    layer.values.serviceName = serviceName;
    layer.sources['serviceName'] = 'OTEL_SERVICE_NAME';
  }
}

/**
 * The spec's rules that depend on the final (all layers merged) values, applied when the endpoint itself came
 * from OTEL_*: its default transport is http/protobuf unless some layer chose one; a generic endpoint gets
 * `/v1/metrics` for http/protobuf; OTEL_METRICS_EXPORTER=otlp alone means localhost's default port.
 */
export function finishOtlp(
  layer: OtelLayer,
  o: { endpoint: string; protocol: string },
  from: { endpoint: string; protocol: string },
): void {
  if (from.endpoint !== 'otel' || o.endpoint === '') return;
  if (from.protocol === 'default') o.protocol = 'http';
  if (layer.defaultEndpoint)
    o.endpoint = o.protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318/v1/metrics';
  else if (layer.baseEndpoint !== undefined && o.protocol === 'http')
    o.endpoint = appendMetricsPath(layer.baseEndpoint);
}
