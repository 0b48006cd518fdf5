// `kso sidecar` flags → SidecarOptions, signal wiring, exit code. Flags win over KSO_* env variables
// (env is how the downward API hands the Pod name/namespace to the container).

import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { parseDuration } from './pod-view.ts';
import type { Sidecar, SidecarOptions } from './sidecar.ts';

export const USAGE = `Usage: kso sidecar --pod-name NAME --pod-namespace NS [options]

Runs as a native sidecar (initContainer with restartPolicy: Always) next to a CronJob's main container.

  --pod-name NAME            own Pod name (env KSO_POD_NAME; use the downward API)
  --pod-namespace NS         own namespace (env KSO_POD_NAMESPACE)
  --job-name NAME            owning Job (default: from the Pod's ownerReferences; env KSO_JOB_NAME)
  --otlp-endpoint URL        OTLP endpoint, e.g. http://collector:4317 (env KSO_OTLP_ENDPOINT)
  --otlp-protocol P          grpc | http (default grpc; env KSO_OTLP_PROTOCOL)
  --otlp-header K=V          extra header, repeatable (env KSO_OTLP_HEADERS=k=v,k2=v2)
  --otlp-compression C       gzip | none (default none)
  --otlp-timeout DUR         per-attempt export timeout (default 5s)
  --pushgateway-url URL      Prometheus Pushgateway base URL (env KSO_PUSHGATEWAY_URL)
  --pushgateway-job NAME     grouping key job (default: the owning CronJob, else the Job; the
                             group is job + namespace, one per CronJob, not one per run)
  --pushgateway-delete-on-finish
                             delete the Pushgateway group on the final flush when the Job is gone
  --scrape-url URL           main container's Prometheus endpoint to relay (env KSO_SCRAPE_URL)
  --scrape-interval DUR      scrape interval (default 2s)
  --interval DUR             push interval (default 10s; env KSO_INTERVAL)
  --flush-deadline DUR       budget for the final flush incl. retries (default 20s; env KSO_FLUSH_DEADLINE).
                             Keep it below the Pod's terminationGracePeriodSeconds, or the kubelet
                             SIGKILLs the sidecar mid-flush.
  --schema S                 ksm | semconv (default ksm; env KSO_SCHEMA)
  --no-exit-on-main-done     wait for SIGTERM instead of flushing when the main containers end
  --push-listen HOST:PORT    local push endpoint: OTLP/HTTP POST /v1/metrics and Pushgateway-style
                             PUT/POST /metrics/job/<name>; also /readyz (default 127.0.0.1:4318;
                             "off" disables; env KSO_PUSH_LISTEN)
  --probe-listen HOST:PORT   /readyz and /healthz only, for the kubelet's startupProbe on the Pod IP
                             (default off; env KSO_PROBE_LISTEN)
  --pod-uid UID              own Pod UID, to ignore a same-named Pod (env KSO_POD_UID; downward API)
  --kubeconfig PATH          kubeconfig (default: $KUBECONFIG, ~/.kube/config, else in-cluster)
  --service-account-dir DIR  in-cluster token/ca.crt location (default the standard mount;
                             env KSO_SERVICE_ACCOUNT_DIR)
  --context NAME             kubeconfig context
  --log-level L              pino level (default info; env KSO_LOG_LEVEL)
  -h, --help
`;

function headers(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`invalid header ${JSON.stringify(item)} (expected key=value)`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

/** Parses argv (+ env fallbacks) into options; throws with a user-facing message on bad input. */
export function parseSidecarArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { help: true } | { help: false; options: SidecarOptions; logLevel: string } {
  const { values } = parseArgs({
    args: [...argv],
    allowNegative: true,
    strict: true,
    options: {
      'pod-name': { type: 'string' },
      'pod-namespace': { type: 'string' },
      'job-name': { type: 'string' },
      'otlp-endpoint': { type: 'string' },
      'otlp-protocol': { type: 'string' },
      'otlp-header': { type: 'string', multiple: true },
      'otlp-compression': { type: 'string' },
      'otlp-timeout': { type: 'string' },
      'pushgateway-url': { type: 'string' },
      'pushgateway-job': { type: 'string' },
      'pushgateway-delete-on-finish': { type: 'boolean' },
      'scrape-url': { type: 'string' },
      'scrape-interval': { type: 'string' },
      interval: { type: 'string' },
      'flush-deadline': { type: 'string' },
      'final-state-wait': { type: 'string' },
      'retry-initial': { type: 'string' },
      schema: { type: 'string' },
      'exit-on-main-done': { type: 'boolean' },
      kubeconfig: { type: 'string' },
      'push-listen': { type: 'string' },
      'probe-listen': { type: 'string' },
      'pod-uid': { type: 'string' },
      'service-account-dir': { type: 'string' },
      context: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? (env[name] || undefined);
  const podName = pick(values['pod-name'], 'KSO_POD_NAME');
  const podNamespace = pick(values['pod-namespace'], 'KSO_POD_NAMESPACE');
  if (!podName) throw new Error('--pod-name (or KSO_POD_NAME) is required');
  if (!podNamespace) throw new Error('--pod-namespace (or KSO_POD_NAMESPACE) is required');
  const protocol = pick(values['otlp-protocol'], 'KSO_OTLP_PROTOCOL') ?? 'grpc';
  if (protocol !== 'grpc' && protocol !== 'http')
    throw new Error(`--otlp-protocol must be grpc or http, got ${protocol}`);
  const compression = values['otlp-compression'] ?? 'none';
  if (compression !== 'gzip' && compression !== 'none') throw new Error(`--otlp-compression must be gzip or none`);
  const schema = pick(values.schema, 'KSO_SCHEMA') ?? 'ksm';
  if (schema !== 'ksm' && schema !== 'semconv') throw new Error(`--schema must be ksm or semconv, got ${schema}`);
  const dur = (flag: string | undefined, envName: string | undefined, dflt: number): number => {
    const text = envName ? pick(flag, envName) : flag;
    return text === undefined ? dflt : parseDuration(text);
  };
  const otlpEndpoint = pick(values['otlp-endpoint'], 'KSO_OTLP_ENDPOINT');
  const pgUrl = pick(values['pushgateway-url'], 'KSO_PUSHGATEWAY_URL');
  const jobName = pick(values['job-name'], 'KSO_JOB_NAME');
  const scrapeUrl = pick(values['scrape-url'], 'KSO_SCRAPE_URL');
  const envHeaders = env['KSO_OTLP_HEADERS'] ? env['KSO_OTLP_HEADERS'].split(',').filter(Boolean) : [];
  const pushListen = pick(values['push-listen'], 'KSO_PUSH_LISTEN') ?? '127.0.0.1:4318';
  const probeListen = pick(values['probe-listen'], 'KSO_PROBE_LISTEN');
  const podUid = pick(values['pod-uid'], 'KSO_POD_UID');
  const saDir = pick(values['service-account-dir'], 'KSO_SERVICE_ACCOUNT_DIR');
  const flushDeadlineMs = dur(values['flush-deadline'], 'KSO_FLUSH_DEADLINE', 20_000);
  if (flushDeadlineMs <= 0) throw new Error('--flush-deadline must be positive');
  const options: SidecarOptions = {
    podName,
    podNamespace,
    schema,
    ...(jobName ? { jobName } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values.context ? { context: values.context } : {}),
    ...(saDir ? { serviceAccountDir: saDir } : {}),
    ...(pushListen !== 'off' && pushListen !== '' ? { pushListen } : {}),
    ...(probeListen ? { probeListen } : {}),
    ...(podUid ? { podUid } : {}),
    ...(otlpEndpoint
      ? {
          otlp: {
            endpoint: otlpEndpoint,
            protocol,
            compression,
            headers: headers(values['otlp-header'] ?? envHeaders),
            timeoutMs: dur(values['otlp-timeout'], undefined, 5_000),
          },
        }
      : {}),
    ...(pgUrl
      ? {
          pushgateway: {
            url: pgUrl,
            ...(values['pushgateway-job'] ? { job: values['pushgateway-job'] } : {}),
            deleteOnFinish: values['pushgateway-delete-on-finish'] === true,
          },
        }
      : {}),
    ...(scrapeUrl ? { scrapeUrl } : {}),
    scrapeIntervalMs: dur(values['scrape-interval'], undefined, 2_000),
    intervalMs: dur(values.interval, 'KSO_INTERVAL', 10_000),
    flushDeadlineMs,
    finalStateWaitMs: dur(values['final-state-wait'], undefined, 2_000),
    retry: { initialMs: dur(values['retry-initial'], undefined, 250) },
    exitOnMainDone: values['exit-on-main-done'] ?? true,
  };
  return { help: false, options, logLevel: pick(values['log-level'], 'KSO_LOG_LEVEL') ?? 'info' };
}

/**
 * Runs the sidecar until its final flush completes; resolves with the process exit code
 * (0 delivered, 1 data lost or bad config, 2 usage error). Installs SIGTERM/SIGINT handlers.
 */
export async function runSidecar(argv: string[], logger?: Logger): Promise<number> {
  let parsed: ReturnType<typeof parseSidecarArgs>;
  try {
    parsed = parseSidecarArgs(argv);
  } catch (err) {
    process.stderr.write(`kso sidecar: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = logger ?? pino({ level: parsed.logLevel, base: { component: 'kso-sidecar' } });
  let sidecar: Sidecar;
  try {
    // Loaded lazily so flag errors and --help answer without loading the Kubernetes/OTel stack.
    const { startSidecar } = await import('./sidecar.ts');
    sidecar = startSidecar({ ...parsed.options, logger: log });
  } catch (err) {
    log.error({ error: (err as Error).message }, 'sidecar failed to start');
    return 1;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    log.info({ signal: sig }, 'signal received');
    void sidecar.finish(sig);
  };
  // A bug in a peer library must not kill the sidecar before its final flush: log and carry on.
  const onRejection = (reason: unknown) => log.error({ error: String(reason) }, 'unhandled rejection');
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
