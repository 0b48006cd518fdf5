// `kso run` configuration, defined once: every option is a schema entry with its flag, its KSO_* variable, its
// KSM-compatible alias or OTEL_* counterpart where one exists, and may also come from a YAML/JSON file
// (`--config FILE`). The layer itself (precedence flags > KSO_* > OTEL_* > file > defaults, formats, messages)
// is @kso/config, shared with `kso sidecar`.
import {
  type CommandSpec,
  flatten,
  formatDuration,
  identityOptions,
  LOG_LEVELS,
  loadConfig,
  type OptionInfo,
  type OtlpConfig,
  otlpOptions,
  otlpProblems,
  parseHeaders,
  toList,
  usage,
} from '@kso/config';
import { loadWebConfig } from '@kso/exporters';
import {
  ALL_RESOURCES,
  familyFilter,
  optInFamilies,
  optInFilter,
  parseAllowlist,
  type ResourceName,
  type Schema,
} from '@kso/metrics';
import convict from 'convict';

export { parseDuration, parseHeaders } from '@kso/config';

const RESOURCE_NAMES = ALL_RESOURCES;

export type { ResourceName };

let formatsAdded = false;
function addRunFormats(): void {
  if (formatsAdded) return;
  formatsAdded = true;
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
    name: 'allowlist',
    validate(v: unknown) {
      if (typeof v !== 'string') throw new Error('must be a string like pods=[app,team],jobs=[*]');
      const parsed = parseAllowlist(v); // throws a message naming the bad part
      const bad = Object.keys(parsed).filter((r) => r !== '*' && !(RESOURCE_NAMES as readonly string[]).includes(r));
      if (bad.length > 0) throw new Error(`unknown resource(s) ${bad.join(', ')} in allowlist`);
    },
  });
}

// kube-state-metrics v2.20 flags (pkg/options/options.go, plus klog's) that mean nothing for kso: refused with
// the reason, so a migrated manifest fails loudly instead of silently doing something else.
const KLOG = 'kso logs JSON to stderr; use --log-level';
export const KSM_REJECTED: Readonly<Record<string, string>> = {
  apiserver: 'set the API server in the kubeconfig (--kubeconfig) or run in-cluster',
  'custom-resource-state-only': 'kso has no Custom Resource State metrics (only Pods, Jobs, CronJobs)',
  'custom-resource-state-config': 'kso has no Custom Resource State metrics (only Pods, Jobs, CronJobs)',
  'custom-resource-state-config-file': 'kso has no Custom Resource State metrics (only Pods, Jobs, CronJobs)',
  node: 'DaemonSet sharding by spec.nodeName is not implemented; use --shard/--total-shards or --pod autosharding',
  'track-unscheduled-pods': 'belongs to --node DaemonSet sharding, which kso does not implement',
  'use-apiserver-cache':
    'kso lists with consistent reads (paginated, never older than etcd); a possibly stale cache read is not offered',
  'object-limit': 'kso lists everything (paginated); there is no per-resource object cap',
  'auto-gomemlimit': 'a Go runtime setting; kso runs on Node.js (size the container memory limit instead)',
  'auto-gomemlimit-ratio': 'a Go runtime setting; kso runs on Node.js (size the container memory limit instead)',
  'tls-config': 'use --web-config-file (the same exporter-toolkit format) or a kube-rbac-proxy in front',
  'server-read-timeout': 'not configurable in kso (Node.js http server defaults)',
  'server-write-timeout': 'not configurable in kso (Node.js http server defaults)',
  'server-idle-timeout': 'not configurable in kso (keep-alive timeout is 65s)',
  'server-read-header-timeout': 'not configurable in kso (Node.js http server defaults)',
  v: KLOG,
  vmodule: KLOG,
  logtostderr: KLOG,
  alsologtostderr: KLOG,
  'log-dir': KLOG,
  'log-file': KLOG,
  'log-file-max-size': KLOG,
  'skip-headers': KLOG,
  'skip-log-headers': KLOG,
  stderrthreshold: KLOG,
  'one-output': KLOG,
  'add-dir-header': KLOG,
  'log-backtrace-at': KLOG,
};
const KSM_IGNORED: Readonly<Record<string, string>> = {
  'enable-gzip-encoding': 'kso always gzips /metrics when the client accepts it',
};

/** The schema: one entry per option. Keys are camelCase; flags are kebab-case; env is KSO_ + SNAKE_CASE. */
// long: a declarative table, one entry per option (README's option table is generated from it)
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
    namespacesDenylist: {
      doc: 'Namespaces not to watch (server-side field selector metadata.namespace!=x when watching all, as KSM)',
      format: 'string-list',
      default: [] as string[],
      env: 'KSO_NAMESPACES_DENYLIST',
      arg: 'namespaces-denylist',
    },
    resources: {
      doc: 'Resources to watch: any of jobs,pods,cronjobs',
      format: 'resource-list',
      default: ['jobs', 'pods', 'cronjobs'] as string[],
      env: 'KSO_RESOURCES',
      arg: 'resources',
    },
    metricAllowlist: {
      doc: 'Only these metric families: comma-separated regular expressions (unanchored, as KSM)',
      format: 'regex-list',
      default: [] as string[],
      env: 'KSO_METRIC_ALLOWLIST',
      arg: 'metric-allowlist',
    },
    metricDenylist: {
      doc: 'Drop these metric families: comma-separated regular expressions (exclusive with the allowlist)',
      format: 'regex-list',
      default: [] as string[],
      env: 'KSO_METRIC_DENYLIST',
      arg: 'metric-denylist',
    },
    metricOptInList: {
      // KSM: unanchored, and in addition to the allow/denylist (which still applies to opted-in families).
      doc: 'Opt-in families to expose (e.g. kube_pod_nodeselectors): comma-separated regular expressions, as KSM',
      format: 'regex-list',
      default: [] as string[],
      env: 'KSO_METRIC_OPT_IN_LIST',
      arg: 'metric-opt-in-list',
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
        doc: 'Listen address of the Prometheus bridge (:: = dual-stack, falls back to 0.0.0.0 without IPv6)',
        format: String,
        default: '::',
        env: 'KSO_PROMETHEUS_HOST',
        arg: 'prometheus-host',
        aliases: ['host'],
      },
      port: {
        doc: 'Listen port of the Prometheus bridge (0 = any free port)',
        format: 'tcp-port',
        default: 9464,
        env: 'KSO_PROMETHEUS_PORT',
        arg: 'prometheus-port',
        aliases: ['port'],
      },
    },
    telemetry: {
      host: {
        doc: 'Listen address of the self-metrics endpoint (with --telemetry-port)',
        format: String,
        default: '::',
        env: 'KSO_TELEMETRY_HOST',
        arg: 'telemetry-host',
      },
      port: {
        doc: "Serve self-metrics on their own port (KSM's telemetry endpoint) instead of after /metrics' families",
        format: 'optional-port',
        default: '',
        env: 'KSO_TELEMETRY_PORT',
        arg: 'telemetry-port',
      },
    },
    otlp: {
      ...otlpOptions(),
      interval: {
        doc: 'OTLP push interval (OTEL_* variable: milliseconds)',
        format: 'duration-ms',
        default: 30_000,
        env: 'KSO_OTLP_INTERVAL',
        arg: 'otlp-interval',
        otelEnv: 'OTEL_METRIC_EXPORT_INTERVAL',
      },
    },
    ...identityOptions('kube-state-otel'),
    webConfigFile: {
      doc: 'Web config for /metrics (exporter-toolkit format: TLS, client CA, basic auth; reloaded on change)',
      // Parsed at start-up so a bad file is a configuration error (exit 2) listing every problem.
      format: (v: unknown) => {
        if (v !== '') loadWebConfig(String(v));
      },
      default: '',
      env: 'KSO_WEB_CONFIG_FILE',
      arg: 'web-config-file',
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
      doc: 'Kubernetes labels exposed as kube_<kind>_labels, KSM syntax `pods=[app,team],jobs=[*]`; `*=[*]` for all',
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
      format: [...LOG_LEVELS],
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

export const RUN_SPEC: CommandSpec = {
  command: 'kso run',
  schema: schema(),
  rejected: KSM_REJECTED,
  ignored: KSM_IGNORED,
};

export interface RunConfig {
  kubeconfig: string;
  context: string;
  schema: Schema;
  namespaces: string[];
  namespacesDenylist: string[];
  resources: ResourceName[];
  metricAllowlist: string[];
  metricDenylist: string[];
  metricOptInList: string[];
  prometheus: { enabled: boolean; host: string; port: number };
  /** `port: ''` = self-metrics stay on /metrics. */
  telemetry: { host: string; port: number | '' };
  otlp: OtlpConfig & { interval: number };
  resourceAttributes: string;
  serviceName: string;
  serviceInstanceId: string;
  clusterName: string;
  webConfigFile: string;
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

export type { OptionInfo };

/** Flattened option list (help text, README table, argv parsing). */
export function options(): OptionInfo[] {
  return flatten(RUN_SPEC.schema);
}

export interface ConfigResult {
  config?: RunConfig;
  /** One line per problem, naming the option and where it can be set. */
  problems: string[];
  /** Deprecated or ignored names that were used: logged at start-up. */
  warnings: string[];
}

/** Loads, validates and cross-checks the `kso run` configuration. */
export function loadRunConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigResult {
  addRunFormats();
  const r = loadConfig<RunConfig>(RUN_SPEC, argv, env);
  const { warnings } = r;
  if (!r.config) return { problems: r.problems, warnings };
  const c = r.config;
  const problems: string[] = [];
  if (c.shard >= c.totalShards)
    problems.push(`shard (--shard): ${c.shard} must be below total-shards ${c.totalShards}`);
  if ((c.pod === '') !== (c.podNamespace === ''))
    problems.push('pod / pod-namespace (--pod, --pod-namespace): autosharding needs both, or neither');
  if (c.pod !== '' && (c.shard !== 0 || c.totalShards !== 1))
    problems.push('shard / total-shards: cannot be combined with --pod autosharding');
  if (!c.prometheus.enabled && c.otlp.endpoint === '')
    problems.push('prometheus.enabled / otlp.endpoint: nothing to export (enable Prometheus or set --otlp-endpoint)');
  if (c.metricAllowlist.length > 0 && c.metricDenylist.length > 0)
    problems.push(
      'metricAllowlist / metricDenylist (--metric-allowlist, --metric-denylist): mutually exclusive, as in KSM',
    );
  if (c.telemetry.port !== '' && !c.prometheus.enabled)
    problems.push('telemetry.port (--telemetry-port): needs the Prometheus endpoint (--prometheus-enabled)');
  if (c.namespaces.length > 0 && c.namespaces.every((n) => c.namespacesDenylist.includes(n)))
    problems.push(
      'namespaces / namespacesDenylist (--namespaces, --namespaces-denylist): every listed namespace is denied',
    );
  const optIn = optInProblems(c);
  problems.push(...optIn.problems);
  warnings.push(...optIn.warnings);
  problems.push(...otlpProblems(c.otlp));
  if (problems.length > 0) return { problems, warnings };
  return { config: c, problems, warnings };
}

const OPT_IN = 'metricOptInList (--metric-opt-in-list, KSO_METRIC_OPT_IN_LIST)';

/**
 * --metric-opt-in-list as KSM reads it (RE2, unanchored, unknown names accepted). Syntax RE2 lacks is a problem;
 * an entry that turns on no family, or an opted-in family the allow/denylist then removes, is worth a warning.
 */
function optInProblems(c: RunConfig): { problems: string[]; warnings: string[] } {
  if (c.metricOptInList.length === 0) return { problems: [], warnings: [] };
  let optedIn: (name: string) => boolean;
  try {
    optedIn = optInFilter(c.metricOptInList);
  } catch (err) {
    return { problems: [`${OPT_IN}: ${(err as Error).message}`], warnings: [] };
  }
  const known = optInFamilies(c.schema);
  const warnings = c.metricOptInList
    .filter((entry) => !known.some(optInFilter([entry])))
    .map(
      (entry) =>
        `${OPT_IN}: ${JSON.stringify(entry)} names no opt-in family of schema ${c.schema} (${known.join(', ') || 'none'}); ignored, as KSM does`,
    );
  // Both lists at once is a problem reported by the caller; only one of them can remove an opted-in family.
  const keep =
    c.metricAllowlist.length > 0 && c.metricDenylist.length > 0
      ? undefined
      : familyFilter(c.metricAllowlist, c.metricDenylist);
  for (const n of known.filter((n) => optedIn(n) && keep !== undefined && !keep(n)))
    warnings.push(`${OPT_IN}: ${n} is opted in but --metric-allowlist/--metric-denylist removes it (as in KSM)`);
  return { problems: [], warnings };
}

/** A copy safe to log: secret values replaced. */
export function redacted(c: RunConfig): Record<string, unknown> {
  const headers = parseHeaders(c.otlp.headers) ?? {};
  return {
    ...c,
    otlp: { ...c.otlp, headers: Object.fromEntries(Object.keys(headers).map((k) => [k, '[REDACTED]'])) },
  };
}

const fmtDefault = (o: OptionInfo): string => {
  if (o.default === '' || (Array.isArray(o.default) && o.default.length === 0)) return '';
  if (typeof o.default === 'number' && /interval|timeout|staleness/i.test(o.key)) return formatDuration(o.default);
  return JSON.stringify(o.default);
};

export function runUsage(): string {
  const lines = [usage(RUN_SPEC, 'Usage: kso run [--config FILE] [options]', fmtDefault)];
  lines.push(
    '',
    `kube-state-metrics flags refused (no meaning here): ${Object.keys(KSM_REJECTED)
      .filter((f) => KSM_REJECTED[f] !== KLOG)
      .map((f) => `--${f}`)
      .join(', ')}, and klog's (--v, --logtostderr, ...).`,
  );
  return lines.join('\n');
}
