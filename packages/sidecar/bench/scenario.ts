// One CronJob-pod run of the real sidecar process, started as deploy/sidecar-cronjob starts it (src/launch.ts:
// SIDECAR_NODE_FLAGS on the bundled entry; `command: 'kso'` runs the image's default `kso sidecar` on the
// TypeScript sources instead, for comparison), with in-cluster credentials only, a job pod with two containers
// (the sidecar and the main one), a relayed /metrics of `series` series and OTLP/gRPC to a real Collector when
// otelcol-kso is built (else the in-process OTLP test receiver). Used by bench/startup.ts and the manifest test.
import { readFileSync } from 'node:fs';
import { KSO_NODE_FLAGS } from '@kso/config';
import { startOtlpReceiver } from '@kso/exporters/testing';
import { startKubeSim } from '@kso/kube-sim';
import { peerBinary, startCollector } from '@kso/peers';
import { createRun, NS, terminateMain } from '../test/fixtures.ts';
import { freePort, startMetricsEndpoint } from '../test/helpers.ts';
import { podEnv, startInClusterFront } from '../test/in-cluster.ts';
import { podCommand, spawnSidecar } from '../test/process.ts';

export interface ScenarioResult {
  readonly collector: 'otelcol' | 'test-receiver';
  /** VmHWM of the sidecar process (MB), read until it exited. */
  readonly peakRssMb: number;
  /**
   * Highest RssAnon seen (MB): the part a memory limit really has to hold. The rest of VmHWM is file-backed
   * (mostly the node binary's pages, ~55 MB), which the kernel reclaims under cgroup pressure before it
   * OOM-kills.
   */
  readonly peakAnonMb: number;
  readonly spawnToFirstPushMs: number;
  readonly sigtermToExitMs: number;
  readonly exitCode: number | null;
  /** user+system CPU seconds of the sidecar, spawn to final flush. */
  readonly cpuSeconds: number;
  /** The sidecar's own memory log fields (RSS, VmHWM, heap, external MB) at each step of the run. */
  readonly steps: { readonly synced: unknown; readonly firstPush: unknown; readonly finalFlush: unknown };
}

/** `series` lines of one gauge family, like a busy job's own /metrics. */
export function mainMetrics(series: number): string {
  let out = '# HELP job_items_processed Items processed per shard\n# TYPE job_items_processed gauge\n';
  for (let i = 0; i < series; i++) out += `job_items_processed{shard="${i}",kind="k${i % 7}"} ${i * 3}\n`;
  return out;
}

/** user+system CPU seconds of a live process (clock ticks are 100 Hz on Linux). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

function statusMb(pid: number, field: 'VmHWM' | 'RssAnon'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface ScenarioOptions {
  readonly series?: number;
  readonly run?: number;
  readonly env?: Record<string, string>;
  /** OTLP transport; 'none' measures the sidecar without an OTLP sink (what the OTLP modules cost). */
  readonly otlp?: 'grpc' | 'http' | 'none';
  /** 'pod' (default): the manifest's command; 'kso': `node KSO_NODE_FLAGS kso.js sidecar` on the sources. */
  readonly command?: 'pod' | 'kso';
  /** Overrides the Node flags of either command (flag experiments). */
  readonly nodeArgs?: readonly string[];
}

export async function runSidecarScenario(opts: ScenarioOptions = {}): Promise<ScenarioResult> {
  const sim = await startKubeSim({});
  const front = await startInClusterFront(sim, NS);
  const ep = await startMetricsEndpoint(mainMetrics(opts.series ?? 1_000));
  const useCollector = peerBinary('otelcol-kso') !== undefined;
  const protocol = opts.otlp ?? 'grpc';
  const [otlpPort, otlpHttpPort] = [await freePort(), await freePort()];
  const rx = useCollector ? undefined : await startOtlpReceiver();
  const col = useCollector
    ? await startCollector(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${otlpPort}
      http:
        endpoint: 127.0.0.1:${otlpHttpPort}
exporters:
  debug:
    verbosity: basic
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [debug]
`)
    : undefined;
  const endpoint =
    protocol === 'http'
      ? (rx?.httpUrl ?? `http://127.0.0.1:${otlpHttpPort}`)
      : rx
        ? `http://${rx.grpcAddress}`
        : `http://127.0.0.1:${otlpPort}`;
  const job = `bench-${29_000_000 + (opts.run ?? 0)}`;
  const pod = `${job}-b3nch`;
  try {
    await createRun(sim, job, pod);
    const launch = opts.command === 'kso' ? undefined : await podCommand();
    const t0 = performance.now();
    const p = spawnSidecar(
      [
        ...(protocol === 'none' ? [] : [`--otlp-endpoint=${endpoint}`, `--otlp-protocol=${protocol}`]),
        `--scrape-url=${ep.url}`,
        '--interval=10s',
        '--push-listen=127.0.0.1:0',
        '--no-exit-on-main-done',
        '--final-state-wait=200ms',
      ],
      {
        viaKso: true,
        ...(launch ? { entry: launch.entry } : {}),
        nodeArgs: opts.nodeArgs ?? launch?.nodeArgs ?? KSO_NODE_FLAGS,
        env: podEnv(front, { KSO_POD: pod, KSO_POD_NAMESPACE: NS, ...opts.env }),
      },
    );
    let peak = 0;
    let anon = 0;
    let cpu = 0;
    const sample = () => {
      cpu = Math.max(cpu, cpuSeconds(p.child.pid!));
      peak = Math.max(peak, statusMb(p.child.pid!, 'VmHWM'));
      anon = Math.max(anon, statusMb(p.child.pid!, 'RssAnon'));
    };
    const poll = setInterval(sample, 25);
    try {
      const first = await p.waitForLog((l) => l['msg'] === 'first push done', 20_000);
      const spawnToFirstPushMs = performance.now() - t0;
      if (protocol !== 'none' && first['otlpDelivered'] !== true)
        throw new Error(`first push not delivered: ${p.stderr.slice(-500)}`);
      // A relay that silently fails would measure a lighter process than a real run.
      if (Number(first['relayedFamilies'] ?? 0) < 1) throw new Error(`nothing relayed: ${p.stderr.slice(-500)}`);
      // The pod is final before the signal: the flush needs no waiting for the kubelet's status update.
      await terminateMain(sim, pod, 'Completed', 0);
      await new Promise((r) => setTimeout(r, 300));
      sample();
      const t1 = performance.now();
      p.child.kill('SIGTERM');
      const flushed = await p.waitForLog((l) => /final flush (delivered|NOT)/.test(String(l['msg'])), 15_000);
      sample();
      const { code } = await p.exited;
      const sigtermToExitMs = performance.now() - t1;
      if (protocol !== 'none' && flushed['msg'] !== 'final flush delivered')
        throw new Error(`final flush failed: ${p.stderr.slice(-500)}`);
      return {
        collector: col ? 'otelcol' : 'test-receiver',
        peakRssMb: Number(peak.toFixed(1)),
        peakAnonMb: Number(anon.toFixed(1)),
        spawnToFirstPushMs: Math.round(spawnToFirstPushMs),
        sigtermToExitMs: Math.round(sigtermToExitMs),
        exitCode: code,
        cpuSeconds: cpu,
        steps: {
          synced: p.logs.find((l) => l['msg'] === 'own Pod synced')?.['memory'],
          firstPush: first['memory'],
          finalFlush: flushed['memory'],
        },
      };
    } finally {
      clearInterval(poll);
      p.kill();
    }
  } finally {
    await Promise.allSettled([ep.close(), rx?.close(), col?.stop(), front.close()]);
    await sim.close();
  }
}
