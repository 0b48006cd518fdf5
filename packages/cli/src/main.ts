// `kso` dispatcher. Subcommands are imported lazily so `kso render` or `kso help` do not load the watch and
// export machinery.
import { EXIT_USAGE, UsageError } from './usage.ts';
import { KSO_VERSION } from './version.ts';

export const USAGE = `kso — kube-state-otel: kube-state-metrics-compatible metrics for Jobs, Pods and CronJobs, OTel-native

Usage: kso <command> [options]

Commands:
  run       watch the Kubernetes API and export metrics (Prometheus /metrics and/or OTLP push)
  render    render metrics of objects from files or stdin, offline
  demo      start a simulated cluster and kso run against it, print endpoints and a live summary
  sim       run the kube-sim API server simulator
  sidecar   CronJob sidecar: record its Job/Pod, relay metrics, push OTLP with a confirmed final flush
  version   print the version
  help      this text ("kso <command> --help" for a command's options)
`;

async function dispatch(cmd: string | undefined, rest: string[]): Promise<number> {
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
    case '--version':
      process.stdout.write(`kso ${KSO_VERSION}\n`);
      return 0;
    case 'run': {
      if (wantsHelp) {
        const { runUsage } = await import('./config.ts');
        process.stdout.write(`${runUsage()}\n`);
        return 0;
      }
      const { runCommand } = await import('./run.ts');
      return runCommand(rest);
    }
    case 'render': {
      const { RENDER_USAGE, runRender } = await import('./render.ts');
      if (wantsHelp) {
        process.stdout.write(`${RENDER_USAGE}\n`);
        return 0;
      }
      return runRender(rest);
    }
    case 'demo': {
      const { DEMO_USAGE, runDemo } = await import('./demo.ts');
      if (wantsHelp) {
        process.stdout.write(`${DEMO_USAGE}\n`);
        return 0;
      }
      return runDemo(rest);
    }
    case 'sim': {
      const { runSimCli } = await import('@kso/kube-sim');
      return runSimCli([...rest]);
    }
    case 'sidecar': {
      const { runSidecar } = await import('@kso/sidecar');
      return runSidecar(rest);
    }
    default:
      throw new UsageError(
        `unknown command ${JSON.stringify(cmd)} (commands: run, render, demo, sim, sidecar, version, help)`,
      );
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    return await dispatch(cmd, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kso: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
