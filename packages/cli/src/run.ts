// `kso run`: config → agent → wait for SIGTERM/SIGINT → stop watches, final OTLP flush, exit code.
import { makeLogger as sharedLogger } from '@kso/config';
import type { Logger } from 'pino';
import { startAgent } from './agent.ts';
import { loadRunConfig, redacted } from './config.ts';
import { EXIT_USAGE } from './usage.ts';

/** The shared kso logger (JSON on stderr, sync, secrets censored) for `kso run`. */
export function makeLogger(level: string): Logger {
  return sharedLogger(level, 'run');
}

export async function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { config, problems, warnings } = loadRunConfig(argv, env);
  if (!config) {
    for (const p of problems) process.stderr.write(`kso run: invalid config: ${p}\n`);
    return EXIT_USAGE;
  }
  const logger = makeLogger(config.logLevel);
  for (const w of warnings) logger.warn(w);
  logger.info({ config: redacted(config) }, 'starting kso run');
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'start-up failed');
    return 1;
  }
  if (agent.prometheus) logger.info({ url: `${agent.prometheus.url}/metrics` }, 'serving metrics');
  if (agent.telemetry) logger.info({ url: `${agent.telemetry.url}/metrics` }, 'serving self-metrics');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down: stopping watches, flushing OTLP');
  // A second signal while flushing means "now".
  const hard = () => {
    logger.warn('second signal: exiting without waiting for the final export');
    process.exit(1);
  };
  process.once('SIGTERM', hard);
  process.once('SIGINT', hard);
  const { otlp } = await agent.stop();
  if (otlp && !otlp.delivered) {
    logger.error({ lostPoints: otlp.lostPoints, err: otlp.lastError }, 'final OTLP export NOT delivered');
    return 1;
  }
  if (otlp) logger.info({ points: otlp.points, delivered: true }, 'final OTLP export delivered');
  logger.info('stopped');
  return 0;
}
