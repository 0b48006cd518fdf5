// Spawns the real sidecar process (bin/kso-sidecar.js, or `kso sidecar` as the image runs it) and collects
// its JSON log lines (from stderr).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/kso-sidecar.js', import.meta.url));
export const KSO_BIN = fileURLToPath(new URL('../../cli/bin/kso.js', import.meta.url));

export interface SpawnOptions {
  /** Run `node ...nodeArgs packages/cli/bin/kso.js sidecar ...args`, the image's entry point. */
  readonly viaKso?: boolean;
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface SidecarProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  kill(): void;
}

export function spawnSidecar(args: string[], opts: SpawnOptions = {}): SidecarProcess {
  const entry = opts.viaKso ? [KSO_BIN, 'sidecar'] : [BIN];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: opts.env } : {}),
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  let buf = '';
  // kso logs JSON lines to stderr (stdout stays free for command output).
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      logs.push(rec);
      for (const w of [...waiters]) {
        if (w.pred(rec)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(rec);
        }
      }
    }
  });
  const p: SidecarProcess = {
    child,
    logs,
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    waitForLog(pred, timeoutMs) {
      const hit = logs.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching log line within ${timeoutMs}ms; stderr: ${p.stderr.slice(-2000)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  child.stderr!.on('data', (d: Buffer) => {
    p.stderr += d.toString();
  });
  return p;
}
