// The programs under test, each as its own OS process so /proc charges it alone: `kso run` and kube-state-metrics.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KSO_MALLOC_ENV, KSO_NODE_FLAGS } from '@kso/cli';
import { freePort, type PeerProcess, peerBinary, spawnPeer } from '@kso/peers';
import { findPid } from './proc.ts';

export interface Target {
  name: 'kso' | 'ksm';
  pid: number;
  metricsUrl: string;
  /** kso only: /readyz turns 200 after the initial list of every resource. */
  readyUrl?: string;
  /** Wall clock (performance.now) just before the process was spawned. */
  spawnedAt: number;
  hasExited(): boolean;
  output(): string;
  stop(): Promise<void>;
}

export const KSO_BIN = fileURLToPath(new URL('../../packages/cli/bin/kso.js', import.meta.url));

/**
 * `kso run` as deployed (node flags and glibc malloc settings of packages/config/src/node-flags.ts) on the
 * bench's resources, serving on 127.0.0.1:port: every section starts it here, so that none measures a process
 * configured otherwise. `nodeArgs` go before the entry (profiling flags after KSO_NODE_FLAGS), `args` after `run`;
 * `mallocEnv` replaces KSO_MALLOC_ENV (another checkout's settings, a probe's variant).
 */
export function spawnKsoRun(
  name: string,
  o: {
    kubeconfig: string;
    port: number;
    nodeArgs?: readonly string[];
    bin?: string;
    args?: readonly string[];
    mallocEnv?: Readonly<Record<string, string>>;
  },
): PeerProcess {
  return spawnPeer(
    name,
    process.execPath,
    [
      ...(o.nodeArgs ?? KSO_NODE_FLAGS),
      o.bin ?? KSO_BIN,
      'run',
      `--kubeconfig=${o.kubeconfig}`,
      '--prometheus-host=127.0.0.1',
      `--prometheus-port=${o.port}`,
      '--resources=jobs,pods,cronjobs',
      ...(o.args ?? []),
    ],
    { env: { ...process.env, ...(o.mallocEnv ?? KSO_MALLOC_ENV) } },
  );
}

/**
 * `bin`: another checkout's packages/cli/bin/kso.js (the bench's --kso-baseline), default this one's; `mallocEnv`
 * that checkout's glibc settings (default this one's).
 */
export async function startKso(
  kubeconfig: string,
  nodeArgs: readonly string[] = KSO_NODE_FLAGS,
  bin: string = KSO_BIN,
  mallocEnv?: Readonly<Record<string, string>>,
): Promise<Target> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const proc = spawnKsoRun('kso', { kubeconfig, port, nodeArgs, bin, ...(mallocEnv ? { mallocEnv } : {}) });
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error(`kso did not start: ${proc.output()}`);
  const base = `http://127.0.0.1:${port}`;
  return {
    name: 'kso',
    pid,
    metricsUrl: `${base}/metrics`,
    readyUrl: `${base}/readyz`,
    spawnedAt,
    hasExited: proc.hasExited,
    output: proc.output,
    stop: () => proc.stop(),
  };
}

export function ksmAvailable(): boolean {
  return peerBinary('kube-state-metrics') !== undefined;
}

/** startKsm from test/peers (waits for /healthz and a first scrape), with the pid found by its unique port flag. */
export async function startKsmTarget(kubeconfig: string): Promise<Target> {
  const { startKsm } = await import('../peers/ksm.ts');
  const bin = peerBinary('kube-state-metrics');
  if (!bin) throw new Error('kube-state-metrics is not built');
  const port = await freePort();
  const portFlag = `--port=${port}`;
  const spawnedAt = performance.now();
  const ksm = await startKsm(
    [portFlag, `--telemetry-port=${await freePort()}`, '--resources=jobs,pods,cronjobs', '--enable-gzip-encoding'],
    {
      kubeconfig,
      timeoutMs: 300_000,
    },
  );
  const pid = findPid(bin, portFlag);
  if (pid === undefined) {
    await ksm.stop();
    throw new Error('kube-state-metrics started but its pid was not found in /proc');
  }
  return {
    name: 'ksm',
    pid,
    metricsUrl: ksm.metricsUrl,
    spawnedAt,
    hasExited: () => !existsSync(`/proc/${pid}`),
    output: ksm.output,
    stop: () => ksm.stop(),
  };
}
