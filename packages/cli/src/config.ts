// `kso run` configuration, defined once: every option is a convict schema entry with its flag (`arg`) and
// environment variable (`env`), and may also come from a YAML/JSON file (`--config FILE`). Precedence
// (convict re-applies env and args after a file load): flags > env > file > defaults.
// Problems are collected, not thrown one at a time: a user fixing a config sees every mistake in one go.
import { existsSync, readFileSync } from 'node:fs';
import { parseAllowlist } from '@kso/metrics';
import convict from 'convict';
import { parse as parseYaml } from 'yaml';

const RESOURCE_NAMES = ['jobs', 'pods', 'cronjobs'] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

/** Parses `500ms`, `10s`, `1m`, `2h`, `1m30s` (or plain milliseconds) to milliseconds; undefined when invalid. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1e3 : m[2] === 'm' ? n * 6e4 : n * 36e5;
    pos = re.lastIndex;
  }
  return s.length > 0 ? Math.round(total) : undefined;
}

/** `k=v,k2=v2` → record; undefined when a pair has no `=` or an empty key. */
export function parseHeaders(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const k = part.slice(0, eq).trim();
    if (k === '') return undefined;
    out[k.toLowerCase()] = part.slice(eq + 1).trim();
  }
  return out;
}

const toList = (v: unknown): unknown => {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  return v;
};

let formatsAdded = false;
function addFormats(): void {
  if (formatsAdded) return;
  formatsAdded = true;
  // Coercers keep the raw value when it cannot be converted, so validate() reports it with the user's input.
  convict.addFormat({
    name: 'string-list',
    coerce: toList,
    validate(v: unknown) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === ''))
        throw new Error(`must be a comma-separated list of names`);
    },
  });
  convict.addFormat({
    name: 'resource-list',
    coerce: toList,
    validate(v: unknown) {
      if (!Array.isArray(v) || v.length === 0)
        throw new Error(`must be a non-empty comma-separated subset of ${RESOURCE_NAMES.join(',')}`);
      const bad = v.filter((x) => !(RESOURCE_NAMES as readonly unknown[]).includes(x));
      if (bad.length > 0)
        throw new Error(
          `unknown resource(s) ${bad.map((x) => JSON.stringify(x)).join(', ')}; allowed: ${RESOURCE_NAMES.join(', ')}`,
        );
    },
  });
  convict.addFormat({
    name: 'duration-ms',
    coerce: (v: unknown) => parseDuration(v) ?? v,
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
        throw new Error(`must be a positive duration like 500ms, 10s, 1m or 1h`);
    },
  });
  convict.addFormat({
    name: 'tcp-port',
    coerce: (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
        throw new Error(`must be a port number 0-65535 (0 = any free port)`);
    },
  });
  convict.addFormat({
    name: 'non-negative-int',
    coerce: (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`must be a non-negative integer`);
    },
  });
  convict.addFormat({
    name: 'positive-int',
    coerce: (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`must be a positive integer`);
    },
  });
  convict.addFormat({
    name: 'bool',
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (s === 'true' || s === '1' || s === 'yes') return true;
      if (s === 'false' || s === '0' || s === 'no') return false;
      return v;
    },
    validate(v: unknown) {
      if (typeof v !== 'boolean') throw new Error(`must be true or false`);
    },
  });
  convict.addFormat({
    name: 'endpoint-url',
    validate(v: unknown) {
      if (v === '') return;
      let u: URL | undefined;
      try {
        u = new URL(String(v));
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
        throw new Error(`must be an http:// or https:// URL (or empty to disable)`);
    },
  });
  convict.addFormat({
    name: 'headers',
    validate(v: unknown) {
      // Never echo the value: headers carry credentials.
      if (typeof v !== 'string' || parseHeaders(v) === undefined)
        throw new Error('must be key=value pairs separated by commas (value not shown: may hold secrets)');
    },
  });
  convict.addFormat({
    name: 'allowlist',
    validate(v: unknown) {
      if (typeof v !== 'string') throw new Error(`must be a string like pods=[app,team],jobs=[*]`);
      const parsed = parseAllowlist(v); // throws a message naming the bad part
      const bad = Object.keys(parsed).filter((r) => !(RESOURCE_NAMES as readonly string[]).includes(r));
      if (bad.length > 0) throw new Error(`unknown resource(s) ${bad.join(', ')} in allowlist`);
    },
  });
  convict.addFormat({
    name: 'existing-file',
    validate(v: unknown) {
      if (v === '') return;
      if (typeof v !== 'string' || !existsSync(v)) throw new Error('file does not exist');
    },
  });
}

/** The schema: one entry per option. Keys are camelCase; flags are kebab-case; env is KSO_ + SNAKE_CASE. */
export function schema() {
  return {
    kubeconfig: {
      doc: 'Path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)',
      format: 'existing-file',
      default: '',
      env: 'KSO_KUBECONFIG',
      arg: 'kubeconfig',
    },
    context: { doc: 'kubeconfig context to use', format: String, default: '', env: 'KSO_CONTEXT', arg: 'context' },
    schema: {
      doc: 'Metric naming: ksm (kube-state-metrics names) or semconv (OpenTelemetry k8s semantic conventions)',
      format: ['ksm', 'semconv'],
      default: 'ksm',
      env: 'KSO_SCHEMA',
      arg: 'schema',
    },
    namespaces: {
      doc: 'Namespaces to watch, comma-separated (empty = all namespaces)',
      format: 'string-list',
      default: [] as string[],
      env: 'KSO_NAMESPACES',
      arg: 'namespaces',
    },
    resources: {
      doc: 'Resources to watch: any of jobs,pods,cronjobs',
      format: 'resource-list',
      default: ['jobs', 'pods', 'cronjobs'] as string[],
      env: 'KSO_RESOURCES',
      arg: 'resources',
    },
    prometheus: {
      enabled: {
        doc: 'Serve /metrics, /healthz and /readyz',
        format: 'bool',
        default: true,
        env: 'KSO_PROMETHEUS_ENABLED',
        arg: 'prometheus-enabled',
      },
      host: {
        doc: 'Listen address of the Prometheus bridge',
        format: String,
        default: '0.0.0.0',
        env: 'KSO_PROMETHEUS_HOST',
        arg: 'prometheus-host',
      },
      port: {
        doc: 'Listen port of the Prometheus bridge (0 = any free port)',
        format: 'tcp-port',
        default: 9464,
        env: 'KSO_PROMETHEUS_PORT',
        arg: 'prometheus-port',
      },
    },
    otlp: {
      endpoint: {
        doc: 'OTLP endpoint (grpc: http(s)://host:4317, http: http(s)://host:4318); empty disables push',
        format: 'endpoint-url',
        default: '',
        env: 'KSO_OTLP_ENDPOINT',
        arg: 'otlp-endpoint',
      },
      protocol: {
        doc: 'OTLP transport',
        format: ['grpc', 'http'],
        default: 'grpc',
        env: 'KSO_OTLP_PROTOCOL',
        arg: 'otlp-protocol',
      },
      headers: {
        doc: 'Extra OTLP headers, k=v,k2=v2 (values are secrets: never logged)',
        format: 'headers',
        default: '',
        sensitive: true,
        env: 'KSO_OTLP_HEADERS',
        arg: 'otlp-headers',
      },
      insecure: {
        doc: 'gRPC without TLS even for an https endpoint',
        format: 'bool',
        default: false,
        env: 'KSO_OTLP_INSECURE',
        arg: 'otlp-insecure',
      },
      ca: {
        doc: 'CA certificate file for OTLP TLS',
        format: 'existing-file',
        default: '',
        env: 'KSO_OTLP_CA',
        arg: 'otlp-ca',
      },
      compression: {
        doc: 'OTLP compression',
        format: ['gzip', 'none'],
        default: 'gzip',
        env: 'KSO_OTLP_COMPRESSION',
        arg: 'otlp-compression',
      },
      interval: {
        doc: 'OTLP push interval',
        format: 'duration-ms',
        default: 30_000,
        env: 'KSO_OTLP_INTERVAL',
        arg: 'otlp-interval',
      },
      timeout: {
        doc: 'OTLP per-request timeout',
        format: 'duration-ms',
        default: 10_000,
        env: 'KSO_OTLP_TIMEOUT',
        arg: 'otlp-timeout',
      },
    },
    shard: {
      doc: 'Static shard ordinal (0-based)',
      format: 'non-negative-int',
      default: 0,
      env: 'KSO_SHARD',
      arg: 'shard',
    },
    totalShards: {
      doc: 'Static number of shards',
      format: 'positive-int',
      default: 1,
      env: 'KSO_TOTAL_SHARDS',
      arg: 'total-shards',
    },
    pod: {
      doc: 'Own pod name: enables autosharding from the owning StatefulSet (ordinal from the name)',
      format: String,
      default: '',
      env: 'KSO_POD',
      arg: 'pod',
    },
    podNamespace: {
      doc: 'Own pod namespace (autosharding)',
      format: String,
      default: '',
      env: 'KSO_POD_NAMESPACE',
      arg: 'pod-namespace',
    },
    metricLabelsAllowlist: {
      doc: 'Kubernetes labels exposed as kube_<kind>_labels, KSM syntax pods=[app,team],jobs=[*]',
      format: 'allowlist',
      default: '',
      env: 'KSO_METRIC_LABELS_ALLOWLIST',
      arg: 'metric-labels-allowlist',
    },
    metricAnnotationsAllowlist: {
      doc: 'Kubernetes annotations exposed as kube_<kind>_annotations, KSM syntax',
      format: 'allowlist',
      default: '',
      env: 'KSO_METRIC_ANNOTATIONS_ALLOWLIST',
      arg: 'metric-annotations-allowlist',
    },
    maxStaleness: {
      doc: '/healthz fails when a resource made no successful sync/progress for longer than this',
      format: 'duration-ms',
      default: 300_000,
      env: 'KSO_MAX_STALENESS',
      arg: 'max-staleness',
    },
    consistencyCheckInterval: {
      doc: 'List this often, compare resourceVersions with the held objects, correct differences (0 = off)',
      format: 'duration-ms',
      default: 600_000,
      env: 'KSO_CONSISTENCY_CHECK_INTERVAL',
      arg: 'consistency-check-interval',
    },
    logLevel: {
      doc: 'Log level',
      format: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
      env: 'KSO_LOG_LEVEL',
      arg: 'log-level',
    },
    numberFormat: {
      doc: 'Sample value format: go (kube-state-metrics text) or js (OTel SDK); auto = go for ksm, js for semconv',
      format: ['auto', 'go', 'js'],
      default: 'auto',
      env: 'KSO_NUMBER_FORMAT',
      arg: 'number-format',
    },
  };
}

export interface RunConfig {
  kubeconfig: string;
  context: string;
  schema: 'ksm' | 'semconv';
  namespaces: string[];
  resources: ResourceName[];
  prometheus: { enabled: boolean; host: string; port: number };
  otlp: {
    endpoint: string;
    protocol: 'grpc' | 'http';
    headers: string;
    insecure: boolean;
    ca: string;
    compression: 'gzip' | 'none';
    interval: number;
    timeout: number;
  };
  shard: number;
  totalShards: number;
  pod: string;
  podNamespace: string;
  metricLabelsAllowlist: string;
  metricAnnotationsAllowlist: string;
  maxStaleness: number;
  consistencyCheckInterval: number;
  logLevel: string;
  numberFormat: 'auto' | 'go' | 'js';
}

export interface OptionInfo {
  key: string;
  flag: string;
  env: string;
  doc: string;
  default: unknown;
  sensitive: boolean;
  boolean: boolean;
}

/** Flattened option list (help text, README table, argv parsing). */
export function options(): OptionInfo[] {
  const out: OptionInfo[] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const e = v as Record<string, unknown>;
      if ('doc' in e && 'default' in e) {
        out.push({
          key: prefix + k,
          flag: `--${String(e.arg)}`,
          env: String(e.env),
          doc: String(e.doc),
          default: e.default,
          sensitive: e.sensitive === true,
          boolean: e.format === 'bool',
        });
      } else walk(e, `${prefix}${k}.`);
    }
  };
  walk(schema(), '');
  return out;
}

export interface ConfigResult {
  config?: RunConfig;
  /** One line per problem, naming the option and where it can be set. */
  problems: string[];
}

/**
 * Normalises argv into `--flag=value` form, rejecting unknown flags and stray positionals (convict's argument
 * parser would silently ignore them). Returns the config file path separately.
 */
export function normaliseArgs(argv: readonly string[]): { args: string[]; configFile?: string; problems: string[] } {
  const byFlag = new Map(options().map((o) => [o.flag, o]));
  const args: string[] = [];
  const problems: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(a)} (options start with --; see kso run --help)`);
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq === -1 ? a : a.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : a.slice(eq + 1);
    if (name === '--config') {
      if (value === undefined) value = argv[++i];
      if (value === undefined) problems.push('--config needs a file path');
      else configFile = value;
      continue;
    }
    let negated = false;
    if (!byFlag.has(name) && name.startsWith('--no-') && byFlag.get(`--${name.slice(5)}`)?.boolean) {
      name = `--${name.slice(5)}`;
      negated = true;
    }
    const opt = byFlag.get(name);
    if (!opt) {
      problems.push(`unknown option ${name} (see kso run --help)`);
      continue;
    }
    if (opt.boolean) {
      if (negated) value = 'false';
      else if (value === undefined) {
        const next = argv[i + 1];
        if (next !== undefined && /^(true|false)$/i.test(next)) {
          value = next;
          i++;
        } else value = 'true';
      }
    } else if (value === undefined) {
      value = argv[++i];
      if (value === undefined) {
        problems.push(`option ${name} needs a value`);
        continue;
      }
    }
    args.push(`${name}=${value}`);
  }
  return { args, ...(configFile !== undefined ? { configFile } : {}), problems };
}

function loadConfigFile(path: string): { obj?: Record<string, unknown>; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problem: `config file ${path}: cannot read: ${(err as Error).message}` };
  }
  try {
    // YAML is a superset of JSON, so one parser serves both.
    const obj = parseYaml(text) as unknown;
    if (obj === null || obj === undefined) return { obj: {} };
    if (typeof obj !== 'object' || Array.isArray(obj)) return { problem: `config file ${path}: must be a mapping` };
    return { obj: obj as Record<string, unknown> };
  } catch (err) {
    return { problem: `config file ${path}: invalid YAML/JSON: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Loads, validates and cross-checks the `kso run` configuration. */
export function loadRunConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigResult {
  addFormats();
  const norm = normaliseArgs(argv);
  const problems = [...norm.problems];
  const byKey = new Map(options().map((o) => [o.key, o]));
  const conf = convict(schema() as never, { args: norm.args, env: env as Record<string, string> });
  if (norm.configFile !== undefined) {
    const f = loadConfigFile(norm.configFile);
    if (f.problem) problems.push(f.problem);
    else if (f.obj) conf.load(f.obj);
  }
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) {
      if (line.trim() === '') continue;
      const m = /^([\w.]+): (.*)$/.exec(line);
      const opt = m ? byKey.get(m[1]!) : undefined;
      if (m && opt) problems.push(`${opt.key} (${opt.flag}, ${opt.env}): ${m[2]}`);
      else
        problems.push(
          line.replace(/^configuration param '([^']+)' not declared in the schema$/, 'unknown config key $1'),
        );
    }
  }
  if (problems.length > 0) return { problems };
  const c = conf.getProperties() as unknown as RunConfig;
  if (c.shard >= c.totalShards)
    problems.push(`shard (--shard): ${c.shard} must be below total-shards ${c.totalShards}`);
  if ((c.pod === '') !== (c.podNamespace === ''))
    problems.push('pod / pod-namespace (--pod, --pod-namespace): autosharding needs both, or neither');
  if (c.pod !== '' && (c.shard !== 0 || c.totalShards !== 1))
    problems.push('shard / total-shards: cannot be combined with --pod autosharding');
  if (!c.prometheus.enabled && c.otlp.endpoint === '')
    problems.push('prometheus.enabled / otlp.endpoint: nothing to export (enable Prometheus or set --otlp-endpoint)');
  if (problems.length > 0) return { problems };
  return { config: c, problems };
}

/** A copy safe to log: secret values replaced. */
export function redacted(c: RunConfig): Record<string, unknown> {
  const headers = parseHeaders(c.otlp.headers) ?? {};
  return {
    ...c,
    otlp: { ...c.otlp, headers: Object.fromEntries(Object.keys(headers).map((k) => [k, '[REDACTED]'])) },
  };
}

export function runUsage(): string {
  const lines = ['Usage: kso run [--config FILE] [options]', '', 'Options (flag / environment variable):'];
  lines.push(
    '  --config FILE  YAML or JSON file with the options below (keys as in the table, nested otlp/prometheus)',
  );
  for (const o of options()) {
    const def = o.sensitive ? '' : ` (default ${JSON.stringify(o.default)})`;
    lines.push(`  ${o.flag.padEnd(32)} ${o.env.padEnd(34)} ${o.doc}${def}`);
  }
  lines.push('', 'Precedence: flags > environment > config file > defaults.');
  return lines.join('\n');
}
