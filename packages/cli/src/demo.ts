// `kso demo`: everything in one process so a newcomer sees it work with one command: kube-sim's demo
// cluster, `kso run` against it (Prometheus bridge on 9464 or a free port), an in-process OTLP receiver to
// show pushes, and a short live summary every few seconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OtlpReceiver } from '@kso/exporters/testing';
import type { MetricsStore } from '@kso/metrics';
import { type Agent, startAgent } from './agent.ts';
import { loadRunConfig, parseDuration } from './config.ts';
import { makeLogger } from './run.ts';
import { UsageError } from './usage.ts';

export const DEMO_USAGE = `Usage: kso demo [--duration 20s] [--port 9464] [--summary-interval 5s] [--log-level warn]

Starts a simulated Kubernetes API server with demo workloads (pods, jobs, cronjobs), runs kso against it with
the Prometheus bridge and an OTLP push to an in-process receiver, prints the endpoints and a live summary.
Runs until Ctrl-C, or for --duration.`;

interface DemoOptions {
  durationMs?: number;
  port: number;
  summaryMs: number;
  logLevel: string;
}

function parseDemoArgs(argv: readonly string[]): DemoOptions {
  const o: DemoOptions = { port: 9464, summaryMs: 5_000, logLevel: 'warn' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq === -1 ? a : a.slice(0, eq);
    const v = eq === -1 ? argv[++i] : a.slice(eq + 1);
    if (v === undefined) throw new UsageError(`option ${name} needs a value`);
    if (name === '--duration' || name === '--summary-interval') {
      const ms = parseDuration(v);
      if (!ms) throw new UsageError(`${name} must be a duration like 20s, got ${v}`);
      if (name === '--duration') o.durationMs = ms;
      else o.summaryMs = ms;
    } else if (name === '--port') {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port must be a port number, got ${v}`);
      o.port = Number(v);
    } else if (name === '--log-level') o.logLevel = v;
    else throw new UsageError(`unknown option ${name} for kso demo`);
  }
  return o;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function seriesCount(store: MetricsStore): number {
  let n = 0;
  for (const r of store.resources()) for (const e of store.entries(r)) for (const f of e.families) n += f.length;
  return n;
}

function summary(agent: Agent, receivedRequests: number): string {
  const counts = agent.store.counts();
  const objects = Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const st = agent.push?.stats();
  const last = st?.lastSuccessMs ? `${Math.round((Date.now() - st.lastSuccessMs) / 1000)}s ago` : 'none yet';
  return `[kso demo] ready=${agent.ready()} objects: ${objects} | series=${seriesCount(agent.store)} | OTLP pushes received=${receivedRequests}, last export ${last}`;
}

/**
 * The in-process OTLP receiver is @kso/exporters' test harness (protobufjs, grpc-js: devDependencies). The
 * production image installs no devDependencies, so there the demo runs without OTLP push.
 */
async function otlpReceiver(): Promise<OtlpReceiver | undefined> {
  try {
    const { startOtlpReceiver } = await import('@kso/exporters/testing');
    return await startOtlpReceiver();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** What to open or curl while the demo runs. */
function printEndpoints(
  out: (s: string) => void,
  agent: Agent,
  clusterUrl: string,
  kubeconfig: string,
  receiver: OtlpReceiver | undefined,
): void {
  const metricsUrl = `${agent.prometheus!.url}/metrics`;
  out('kube-state-otel demo');
  out(`  metrics:     ${metricsUrl}   (curl ${metricsUrl})`);
  out(`  health:      ${agent.prometheus!.url}/healthz  ready: ${agent.prometheus!.url}/readyz`);
  out(`  kube-sim:    ${clusterUrl}`);
  out(`  kubeconfig:  ${kubeconfig}   (kubectl --kubeconfig ${kubeconfig} get pods -A)`);
  out(
    receiver
      ? `  OTLP push:   grpc://${receiver.grpcAddress} (in-process receiver)`
      : '  OTLP push:   off (the test receiver is not installed: production image)',
  );
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  const o = parseDemoArgs(argv);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  // Loaded here, not at the top: `kso run` in production never needs the simulator.
  const { startKubeSim } = await import('@kso/kube-sim');
  const dir = mkdtempSync(join(tmpdir(), 'kso-demo-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const cluster = await startKubeSim({ port: 0, scenario: 'demo' });
  await cluster.writeKubeconfig(kubeconfig);
  const receiver = await otlpReceiver();
  const port = o.port === 0 || (await portFree(o.port)) ? o.port : 0;
  const { config, problems } = loadRunConfig(
    [
      `--kubeconfig=${kubeconfig}`,
      '--prometheus-host=127.0.0.1',
      `--prometheus-port=${port}`,
      ...(receiver
        ? [
            `--otlp-endpoint=http://${receiver.grpcAddress}`,
            '--otlp-protocol=grpc',
            `--otlp-interval=${Math.max(1000, Math.min(o.summaryMs, 5000))}ms`,
          ]
        : []),
      `--log-level=${o.logLevel}`,
    ],
    {},
  );
  if (!config) throw new Error(`demo config invalid: ${problems.join('; ')}`);
  const logger = makeLogger(config.logLevel);
  const agent = await startAgent(config, logger);
  printEndpoints(out, agent, cluster.url, kubeconfig, receiver);
  out(o.durationMs ? `running for ${o.durationMs / 1000}s` : 'press Ctrl-C to stop');

  await Promise.race([agent.synced, new Promise((r) => setTimeout(r, 10_000))]);
  out(summary(agent, receiver?.received.length ?? 0));
  const timer = setInterval(() => out(summary(agent, receiver?.received.length ?? 0)), o.summaryMs);
  await new Promise<void>((resolve) => {
    const t = o.durationMs ? setTimeout(resolve, o.durationMs) : undefined;
    const onSig = () => {
      if (t) clearTimeout(t);
      resolve();
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
  });
  clearInterval(timer);
  const { otlp } = await agent.stop({ timeoutMs: 5_000 });
  out(
    `[kso demo] stopped; ${!otlp ? 'no OTLP push' : `final OTLP export ${otlp.delivered ? `delivered (${otlp.points} points)` : 'NOT delivered'}`}; pushes received=${receiver?.received.length ?? 0}`,
  );
  await Promise.allSettled([receiver?.close(), cluster.close()]);
  rmSync(dir, { recursive: true, force: true });
  return otlp && !otlp.delivered ? 1 : 0;
}
