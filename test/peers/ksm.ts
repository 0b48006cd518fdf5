import { freePort, httpGet, missingPeerMessage, peerBinary, spawnPeer, waitUntil } from '@kso/peers';

export interface RealKsm {
  /** http://127.0.0.1:<port>/metrics */
  metricsUrl: string;
  /** http://127.0.0.1:<telemetry-port>/metrics (KSM's own metrics) */
  telemetryUrl: string;
  /** GET /metrics and return the exposition text (throws on non-200). */
  scrape(): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

export interface StartKsmOptions {
  /** Passed as --kubeconfig unless args already contain one (or --apiserver). */
  kubeconfig?: string;
  timeoutMs?: number;
  /** Environment for the process, e.g. `{ ...process.env, KUBE_FEATURE_WatchListClient: 'false' }` for simulators. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts kube-state-metrics. Unless the caller sets them, ports are random and both servers bind 127.0.0.1
 * (KSM's defaults are 8080/8081 on all interfaces). Remember `--resources=...`: the default list includes kinds a
 * 1.33 server does not serve. Ready when /healthz answers 200 and a first /metrics scrape succeeds.
 */
export async function startKsm(args: string[], opts: StartKsmOptions = {}): Promise<RealKsm> {
  const bin = peerBinary('kube-state-metrics');
  if (!bin) throw new Error(missingPeerMessage('kube-state-metrics'));
  const has = (flag: string): boolean => args.some((a) => a === flag || a.startsWith(`${flag}=`));
  const all = [...args];
  const port = has('--port') ? Number(flagValue(args, '--port')) : await freePort();
  const telemetryPort = has('--telemetry-port') ? Number(flagValue(args, '--telemetry-port')) : await freePort();
  if (!has('--port')) all.push(`--port=${port}`);
  if (!has('--telemetry-port')) all.push(`--telemetry-port=${telemetryPort}`);
  if (!has('--host')) all.push('--host=127.0.0.1');
  if (!has('--telemetry-host')) all.push('--telemetry-host=127.0.0.1');
  if (opts.kubeconfig && !has('--kubeconfig') && !has('--apiserver')) all.push(`--kubeconfig=${opts.kubeconfig}`);
  if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(telemetryPort) || telemetryPort <= 0) {
    throw new Error('startKsm: --port and --telemetry-port must be given as --flag=<number>');
  }

  const proc = spawnPeer('kube-state-metrics', bin, all, { env: opts.env });
  const base = `http://127.0.0.1:${port}`;
  const metricsUrl = `${base}/metrics`;
  try {
    await waitUntil('kube-state-metrics /healthz', async () => (await httpGet(`${base}/healthz`)).status === 200, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      peer: proc,
    });
    await waitUntil('kube-state-metrics first scrape', async () => (await httpGet(metricsUrl)).status === 200, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      peer: proc,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    metricsUrl,
    telemetryUrl: `http://127.0.0.1:${telemetryPort}/metrics`,
    async scrape() {
      const r = await httpGet(metricsUrl, { timeoutMs: 10_000 });
      if (r.status !== 200) throw new Error(`KSM scrape: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
      return r.body;
    },
    output: proc.output,
    stop: () => proc.stop(),
  };
}

function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    if (a === flag) return args[i + 1];
  }
  return undefined;
}
