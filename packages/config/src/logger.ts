// The one logger setup of every long-running kso command: JSON lines on stderr (stdout stays free for command
// output), written synchronously so the last lines survive process.exit, errors under `err`, and any header or
// authorization field censored whichever component logs it.
import { type Logger, pino } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function makeLogger(level: string, command: string): Logger {
  return pino(
    {
      level,
      base: { name: 'kso', command },
      redact: { paths: ['headers', '*.headers', 'authorization', '*.authorization'], censor: '[REDACTED]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
