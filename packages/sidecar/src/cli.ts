// `kso sidecar` configuration → SidecarOptions, signal wiring, exit code. The configuration layer, flag and
// environment names, duration grammar, header parser, OTEL_* variables and logger are @kso/config's, shared
// with `kso run` (precedence flags > KSO_* > OTEL_* > file > defaults; the downward API hands the Pod name and
// namespace in as KSO_POD / KSO_POD_NAMESPACE). Sidecar-specific options go in sidecarSchema().

import { readFileSync } from 'node:fs';
import {
  type CommandSpec,
  formatDuration,
  identityOptions,
  LOG_LEVELS,
  loadConfig,
  makeLogger,
  type OptionInfo,
  type OtlpConfig,
  otlpOptions,
  otlpProblems,
  otlpTls,
  parseHeaders,
  resolveIdentity,
  usage,
} from '@kso/config';
import type { Schema } from '@kso/metrics';
import type { Logger } from 'pino';
import type { Sidecar, SidecarOptions } from './sidecar.ts';

// One declaration per option (doc, format, default, env, flag), read by @kso/config's loader and usage().
// long: a declarative table, as long as the option list
export function sidecarSchema() {
  return {
    pod: {
      doc: 'Own Pod name (use the downward API)',
      format: String,
      default: '',
      env: 'KSO_POD',
      arg: 'pod',
      deprecatedFlags: ['pod-name'],
      deprecatedEnv: ['KSO_POD_NAME'],
    },
    podNamespace: {
      doc: 'Own namespace (use the downward API)',
      format: String,
      default: '',
      env: 'KSO_POD_NAMESPACE',
      arg: 'pod-namespace',
    },
    jobName: {
      doc: "Owning Job (default: from the Pod's ownerReferences)",
      format: String,
      default: '',
      env: 'KSO_JOB_NAME',
      arg: 'job-name',
    },
    otlp: otlpOptions(),
    pushgateway: {
      url: {
        doc: 'Prometheus Pushgateway base URL',
        format: 'endpoint-url',
        default: '',
        env: 'KSO_PUSHGATEWAY_URL',
        arg: 'pushgateway-url',
      },
      job: {
        doc: 'Grouping key job (default: the owning CronJob, else the Job; the group is job + namespace, one per CronJob, not one per run)',
        format: String,
        default: '',
        env: 'KSO_PUSHGATEWAY_JOB',
        arg: 'pushgateway-job',
      },
      deleteOnFinish: {
        doc: 'Delete the Pushgateway group on the final flush when the Job is gone',
        format: 'bool',
        default: false,
        env: 'KSO_PUSHGATEWAY_DELETE_ON_FINISH',
        arg: 'pushgateway-delete-on-finish',
      },
    },
    scrapeUrl: {
      doc: "Main container's Prometheus endpoint to relay",
      format: 'endpoint-url',
      default: '',
      env: 'KSO_SCRAPE_URL',
      arg: 'scrape-url',
    },
    scrapeInterval: {
      doc: 'Scrape interval of --scrape-url',
      format: 'duration-ms',
      default: 2_000,
      env: 'KSO_SCRAPE_INTERVAL',
      arg: 'scrape-interval',
    },
    interval: {
      doc: 'Push interval (every sink)',
      format: 'duration-ms',
      default: 10_000,
      env: 'KSO_INTERVAL',
      arg: 'interval',
    },
    flushDeadline: {
      doc: "Budget for the final flush incl. retries; keep it below the Pod's terminationGracePeriodSeconds",
      format: 'duration-ms',
      default: 20_000,
      env: 'KSO_FLUSH_DEADLINE',
      arg: 'flush-deadline',
    },
    finalStateWait: {
      doc: "After a signal, how long to wait for the Pod watch to show the main containers' final state",
      format: 'duration-ms',
      default: 2_000,
      env: 'KSO_FINAL_STATE_WAIT',
      arg: 'final-state-wait',
    },
    retryInitial: {
      doc: 'First retry delay of a failed push',
      format: 'duration-ms',
      default: 250,
      env: 'KSO_RETRY_INITIAL',
      arg: 'retry-initial',
    },
    schema: {
      doc: 'Metric naming: ksm or semconv',
      format: ['ksm', 'semconv'],
      default: 'ksm',
      env: 'KSO_SCHEMA',
      arg: 'schema',
    },
    exitOnMainDone: {
      doc: 'Flush and exit when the main containers end (--no-exit-on-main-done: wait for SIGTERM)',
      format: 'bool',
      default: true,
      env: 'KSO_EXIT_ON_MAIN_DONE',
      arg: 'exit-on-main-done',
    },
    pushListen: {
      doc: 'Local push endpoint: OTLP/HTTP POST /v1/metrics and Pushgateway-style PUT/POST /metrics/job/<name>; also /readyz ("off" disables)',
      format: String,
      default: '127.0.0.1:4318',
      env: 'KSO_PUSH_LISTEN',
      arg: 'push-listen',
    },
    probeListen: {
      doc: "/readyz and /healthz only, for the kubelet's startupProbe on the Pod IP (empty = off)",
      format: String,
      default: '',
      env: 'KSO_PROBE_LISTEN',
      arg: 'probe-listen',
    },
    podUid: {
      doc: 'Own Pod UID, to ignore a same-named Pod (downward API: metadata.uid)',
      format: String,
      default: '',
      env: 'KSO_POD_UID',
      arg: 'pod-uid',
    },
    ...identityOptions('kube-state-otel'),
    serviceAccountDir: {
      doc: 'In-cluster token/ca.crt location (default: the standard ServiceAccount mount)',
      format: String,
      default: '',
      env: 'KSO_SERVICE_ACCOUNT_DIR',
      arg: 'service-account-dir',
    },
    kubeconfig: {
      doc: 'kubeconfig (default: in-cluster, then $KUBECONFIG)',
      format: 'existing-file',
      default: '',
      env: 'KSO_KUBECONFIG',
      arg: 'kubeconfig',
    },
    context: { doc: 'kubeconfig context', format: String, default: '', env: 'KSO_CONTEXT', arg: 'context' },
    logLevel: { doc: 'Log level', format: [...LOG_LEVELS], default: 'info', env: 'KSO_LOG_LEVEL', arg: 'log-level' },
  };
}

export interface SidecarConfig {
  pod: string;
  podNamespace: string;
  jobName: string;
  otlp: OtlpConfig;
  pushgateway: { url: string; job: string; deleteOnFinish: boolean };
  scrapeUrl: string;
  scrapeInterval: number;
  interval: number;
  flushDeadline: number;
  finalStateWait: number;
  retryInitial: number;
  schema: Schema;
  exitOnMainDone: boolean;
  pushListen: string;
  probeListen: string;
  podUid: string;
  serviceAccountDir: string;
  resourceAttributes: string;
  serviceName: string;
  serviceInstanceId: string;
  clusterName: string;
  kubeconfig: string;
  context: string;
  logLevel: string;
}

export const SIDECAR_SPEC: CommandSpec = { command: 'kso sidecar', schema: sidecarSchema() };

const fmtDefault = (o: OptionInfo): string => {
  if (o.default === '') return '';
  if (typeof o.default === 'number' && o.env !== 'KSO_OTLP_COMPRESSION') return formatDuration(o.default);
  return JSON.stringify(o.default);
};

export const USAGE = `${usage(
  SIDECAR_SPEC,
  `Usage: kso sidecar --pod NAME --pod-namespace NS [options]

Runs as a native sidecar (initContainer with restartPolicy: Always) next to a CronJob's main container.`,
  fmtDefault,
)}\n`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A validated configuration as the sidecar's options (identity resolved as `kso run` resolves it). */
function toSidecarOptions(c: SidecarConfig, version: string): SidecarOptions {
  const who = resolveIdentity(c, {
    serviceName: 'kube-state-otel',
    serviceVersion: version,
    pod: { name: c.pod, namespace: c.podNamespace },
  });
  const tls = otlpTls(c.otlp);
  return {
    podName: c.pod,
    podNamespace: c.podNamespace,
    schema: c.schema,
    ...(c.jobName ? { jobName: c.jobName } : {}),
    ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    ...(c.context ? { context: c.context } : {}),
    ...(c.serviceAccountDir ? { serviceAccountDir: c.serviceAccountDir } : {}),
    ...(c.pushListen !== 'off' && c.pushListen !== '' ? { pushListen: c.pushListen } : {}),
    ...(c.probeListen ? { probeListen: c.probeListen } : {}),
    ...(c.podUid ? { podUid: c.podUid } : {}),
    ...(c.otlp.endpoint
      ? {
          otlp: {
            endpoint: c.otlp.endpoint,
            protocol: c.otlp.protocol,
            compression: c.otlp.compression,
            headers: parseHeaders(c.otlp.headers) ?? {},
            timeoutMs: c.otlp.timeout,
            ...(tls ? { tls } : {}),
          },
        }
      : {}),
    resourceAttributes: who.resource,
    entityAttributes: who.entityAttributes,
    ...(c.pushgateway.url
      ? {
          pushgateway: {
            url: c.pushgateway.url,
            ...(c.pushgateway.job ? { job: c.pushgateway.job } : {}),
            deleteOnFinish: c.pushgateway.deleteOnFinish,
          },
        }
      : {}),
    ...(c.scrapeUrl ? { scrapeUrl: c.scrapeUrl } : {}),
    scrapeIntervalMs: c.scrapeInterval,
    intervalMs: c.interval,
    flushDeadlineMs: c.flushDeadline,
    finalStateWaitMs: c.finalStateWait,
    retry: { initialMs: c.retryInitial },
    exitOnMainDone: c.exitOnMainDone,
  };
}

/** Parses argv (+ environment) into options; throws with one line per problem on bad input. */
export function parseSidecarArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  version = packageVersion(),
): { help: true } | { help: false; options: SidecarOptions; logLevel: string; warnings: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const r = loadConfig<SidecarConfig>(SIDECAR_SPEC, argv, env);
  const problems = [...r.problems];
  const c = r.config;
  if (c) {
    if (c.pod === '') problems.push('pod (--pod, KSO_POD): required (use the downward API: metadata.name)');
    if (c.podNamespace === '')
      problems.push('podNamespace (--pod-namespace, KSO_POD_NAMESPACE): required (downward API: metadata.namespace)');
    problems.push(...otlpProblems(c.otlp));
  }
  if (!c || problems.length > 0) throw new Error(problems.join('\n'));
  const options = toSidecarOptions(c, version);
  return { help: false, options, logLevel: c.logLevel, warnings: r.warnings };
}

/**
 * Runs the sidecar until its final flush completes; resolves with the process exit code
 * (0 delivered, 1 data lost or failed start, 2 usage or configuration error). Installs SIGTERM/SIGINT handlers.
 */
export async function runSidecar(argv: string[], logger?: Logger): Promise<number> {
  let parsed: ReturnType<typeof parseSidecarArgs>;
  try {
    parsed = parseSidecarArgs(argv);
  } catch (err) {
    for (const line of (err as Error).message.split('\n'))
      process.stderr.write(`kso sidecar: invalid config: ${line}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = logger ?? makeLogger(parsed.logLevel, 'sidecar');
  for (const w of parsed.warnings) log.warn(w);
  let sidecar: Sidecar;
  try {
    // Loaded lazily so flag errors and --help answer without loading the Kubernetes/OTel stack.
    const { startSidecar } = await import('./sidecar.ts');
    sidecar = startSidecar({ ...parsed.options, logger: log });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'sidecar failed to start');
    return 1;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    log.info({ signal: sig }, 'signal received');
    void sidecar.finish(sig);
  };
  // A bug in a peer library must not kill the sidecar before its final flush: log and carry on.
  const onRejection = (reason: unknown) => log.error({ err: String(reason) }, 'unhandled rejection');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', onRejection);
  try {
    const result = await sidecar.done;
    return result.exitCode;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('unhandledRejection', onRejection);
  }
}
