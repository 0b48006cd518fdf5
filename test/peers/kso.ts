// `kso run` as a child process next to the real peers, with a fixed loopback port so tests can scrape it.
import { fileURLToPath } from 'node:url';
import { freePort, httpGet, type PeerProcess, spawnPeer, waitUntil } from '@kso/peers';

export const KSO_BIN = fileURLToPath(new URL('../../packages/cli/bin/kso.js', import.meta.url));

export interface KsoRun {
  metricsUrl: string;
  scrape(): Promise<string>;
  proc: PeerProcess;
  stop(): Promise<void>;
}

/** Environment without KSO_* / KUBECONFIG from the developer's shell, so only the given flags count. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KSO_') && k !== 'KUBECONFIG') e[k] = v;
  return e;
}

/** Spawns `kso run --kubeconfig F --prometheus-host 127.0.0.1 --prometheus-port P ...args` on a free port P. */
export async function spawnKsoRun(
  kubeconfig: string,
  args: string[] = [],
): Promise<{ proc: PeerProcess; port: number }> {
  const port = await freePort();
  const proc = spawnPeer(
    'kso run',
    process.execPath,
    [
      KSO_BIN,
      'run',
      '--kubeconfig',
      kubeconfig,
      '--prometheus-host',
      '127.0.0.1',
      '--prometheus-port',
      `${port}`,
      ...args,
    ],
    { env: cleanEnv() },
  );
  return { proc, port };
}

/** Starts `kso run` (see spawnKsoRun); ready on /readyz 200. */
export async function startKsoRun(kubeconfig: string, args: string[] = [], timeoutMs = 60_000): Promise<KsoRun> {
  const { proc, port } = await spawnKsoRun(kubeconfig, args);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntil('kso run /readyz', async () => (await httpGet(`${base}/readyz`)).status === 200, {
      timeoutMs,
      peer: proc,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const metricsUrl = `${base}/metrics`;
  return {
    metricsUrl,
    proc,
    async scrape() {
      const r = await httpGet(metricsUrl, { timeoutMs: 10_000 });
      if (r.status !== 200) throw new Error(`kso scrape: HTTP ${r.status}`);
      return r.body;
    },
    stop: () => proc.stop(),
  };
}
