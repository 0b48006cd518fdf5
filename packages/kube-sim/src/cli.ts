// `kso sim`: runs kube-sim as a standalone API server until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startKubeSim } from './sim.ts';

export const SIM_USAGE = `Usage: kso sim [options]

Runs kube-sim, a simulated Kubernetes API server (pods, nodes, namespaces, jobs, cronjobs, statefulsets).

Options:
  --port P                 port to listen on (default 0 = random)
  --host H                 address to bind (default 127.0.0.1)
  --scenario S             empty | demo | scale (default demo)
  --pods N --jobs M        size of the scale scenario (default 1000 / 100)
  --churn R                scale scenario writes per second (default 0)
  --objects FILE           load objects from a JSON/YAML file (repeatable; List and multi-document ok)
  --write-kubeconfig FILE  write a kubeconfig pointing at the simulator
  --compaction-window N    watch events retained for resumption (default 10000)
  --bookmark-interval-ms N interval of watch BOOKMARK events (default 5000)
  --log-level L            pino level for stderr logs (default info)

Fault injection while running: POST /_sim/faults, POST /_sim/restart, GET /_sim/stats (see README).`;

function int(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** Returns the exit code once the simulator was stopped by a signal (or 2 on bad arguments). */
const SIM_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  scenario: { type: 'string' },
  pods: { type: 'string' },
  jobs: { type: 'string' },
  churn: { type: 'string' },
  objects: { type: 'string', multiple: true },
  'write-kubeconfig': { type: 'string' },
  'compaction-window': { type: 'string' },
  'bookmark-interval-ms': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type SimValues = Record<string, string | string[] | boolean | undefined>;

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function runSimCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  let values: SimValues;
  try {
    ({ values } = parseArgs({ args: argv, options: SIM_OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    process.stderr.write(`kso sim: ${(e as Error).message}\n${SIM_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(SIM_USAGE);
    return 0;
  }
  const logger = pino(
    { level: String(values['log-level'] ?? 'info'), base: { component: 'kube-sim' } },
    pino.destination(2),
  );
  let sim: Awaited<ReturnType<typeof startKubeSim>>;
  try {
    const scenario = String(values.scenario ?? 'demo');
    if (!['empty', 'demo', 'scale'].includes(scenario))
      throw new Error(`--scenario must be empty, demo or scale, got "${scenario}"`);
    sim = await startKubeSim({
      port: int('port', values.port as string | undefined, 0),
      host: (values.host as string | undefined) ?? '127.0.0.1',
      scenario: scenario as 'empty' | 'demo' | 'scale',
      scale: {
        pods: int('pods', values.pods as string | undefined, 1000),
        jobs: int('jobs', values.jobs as string | undefined, 100),
        churnPerSecond: int('churn', values.churn as string | undefined, 0),
      },
      objectFiles: (values.objects as string[] | undefined) ?? [],
      compactionWindow: int('compaction-window', values['compaction-window'] as string | undefined, 10_000),
      bookmarkIntervalMs: int('bookmark-interval-ms', values['bookmark-interval-ms'] as string | undefined, 5000),
      logger,
    });
  } catch (e) {
    process.stderr.write(`kso sim: ${(e as Error).message}\n`);
    return 2;
  }
  const kc = values['write-kubeconfig'] as string | undefined;
  if (kc) await sim.writeKubeconfig(kc);
  out(`kube-sim listening on ${sim.url}`);
  if (kc) out(`kubeconfig written to ${kc}`);
  await untilSignal();
  await sim.close();
  return 0;
}
