// The programs under test, each as its own OS process so /proc charges it alone: `kso run` and kube-state-metrics.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Compile cache directories warmed by this bench process, per checkout entry and node flags. */
const compileCaches = new Map<string, string | undefined>();

/**
 * A Node compile cache warmed for `bin` started with `nodeArgs`, as deploy/Dockerfile warms the image's
 * (packages/cli/scripts/warm-compile-cache.ts with the same V8 flags: the cache is keyed by them): a process
 * that hits it does not load the TypeScript stripper (~17 MB RSS) nor compile the sources again. Undefined when
 * the checkout has no warm script or KSO_BENCH_COMPILE_CACHE=0 (to measure without it); =own warms it for this
 * checkout only (a --kso-baseline older than the Dockerfile's fix ran without it as deployed).
 */
export function warmCompileCache(bin: string, nodeArgs: readonly string[]): string | undefined {
  const mode = process.env.KSO_BENCH_COMPILE_CACHE;
  if (mode === '0' || (mode === 'own' && bin !== KSO_BIN)) return undefined;
  const key = JSON.stringify([bin, nodeArgs]);
  if (compileCaches.has(key)) return compileCaches.get(key);
  const script = join(dirname(bin), '../scripts/warm-compile-cache.ts');
  let dir: string | undefined;
  if (existsSync(script)) {
    dir = mkdtempSync(join(tmpdir(), 'kso-bench-cc-'));
    // Flags that write files (profiles, reports) are node options, not V8 flags: they do not key the cache.
    const flags = nodeArgs.filter((a) => !/^--(cpu-prof|heap-prof|report|heapsnapshot|diagnostic-dir)/.test(a));
    const r = spawnSync(process.execPath, [...flags, script], {
      env: { ...process.env, NODE_COMPILE_CACHE: dir },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`warming the compile cache for ${bin} failed: ${r.stderr}`);
  }
  compileCaches.set(key, dir);
  return dir;
}

/**
 * `kso run` as deployed (node flags and glibc malloc settings of packages/config/src/node-flags.ts, the
 * image's warm compile cache: warmCompileCache) on the
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
  const nodeArgs = o.nodeArgs ?? KSO_NODE_FLAGS;
  const bin = o.bin ?? KSO_BIN;
  const cache = warmCompileCache(bin, nodeArgs);
  return spawnPeer(
    name,
    process.execPath,
    [
      ...nodeArgs,
      bin,
      'run',
      `--kubeconfig=${o.kubeconfig}`,
      '--prometheus-host=127.0.0.1',
      `--prometheus-port=${o.port}`,
      '--resources=jobs,pods,cronjobs',
      ...(o.args ?? []),
    ],
    {
      env: {
        ...process.env,
        ...(o.mallocEnv ?? KSO_MALLOC_ENV),
        ...(cache === undefined ? {} : { NODE_COMPILE_CACHE: cache }),
      },
    },
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
