// Spawns the real sidecar process (bin/kso-sidecar.js, or `kso sidecar` as the image runs it) and collects
// its JSON log lines (from stderr).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSidecar } from '../scripts/bundle.ts';
import { SIDECAR_NODE_FLAGS } from '../src/launch.ts';

export const BIN = fileURLToPath(new URL('../bin/kso-sidecar.js', import.meta.url));
export const KSO_BIN = fileURLToPath(new URL('../../cli/bin/kso.js', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * The command a CronJob pod runs (src/launch.ts): Node with SIDECAR_NODE_FLAGS on the bundled entry, built once
 * per test process into a temporary directory (parallel test files never read a half-written bundle).
 */
export async function podCommand(): Promise<{ nodeArgs: readonly string[]; entry: readonly string[] }> {
  bundled ??= (() => {
    const dir = mkdtempSync(join(tmpdir(), 'kso-sidecar-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return bundleSidecar(join(dir, 'kso-sidecar.cjs'));
  })();
  return { nodeArgs: SIDECAR_NODE_FLAGS, entry: [await bundled, 'sidecar'] };
}

/**
 * Fills a Node compile cache for the pod command the way deploy/Dockerfile does at image build time (one
 * `--help` run compiles the whole bundle with the same V8 flags, which the cache is keyed by).
 */
export async function warmPodCompileCache(dir: string): Promise<void> {
  const { nodeArgs, entry } = await podCommand();
  execFileSync(process.execPath, [...nodeArgs, ...entry, '--help'], {
    env: { ...process.env, NODE_COMPILE_CACHE: dir },
    stdio: 'ignore',
  });
}

export interface SpawnOptions {
  /** Run `node ...nodeArgs packages/cli/bin/kso.js sidecar ...args`, the image's entry point. */
  readonly viaKso?: boolean;
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Script (and leading arguments) to run instead of the bin or `kso sidecar`, e.g. the bundled entry. */
  readonly entry?: readonly string[];
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
  const entry = opts.entry ?? (opts.viaKso ? [KSO_BIN, 'sidecar'] : [BIN]);
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
