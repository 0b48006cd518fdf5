import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KSO_BIN = fileURLToPath(new URL('../bin/kso.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI to completion (bounded), feeding `input` on stdin. */
export function runKso(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KSO_BIN, ...args], {
      env: opts.env ?? cleanEnv(),
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kso ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** The environment without any KSO_* or OTEL_* variable of the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KSO_') && !k.startsWith('OTEL_')) env[k] = v;
  return { ...env, ...extra };
}

/** Resolves once `pred` matches the accumulated stderr of a running child, or rejects after timeoutMs. */
export function waitForStderr(child: ChildProcess, pred: (s: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      if (pred(buf)) done(() => resolve(buf));
    };
    const onExit = () => done(() => reject(new Error(`process exited; stderr: ${buf}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`timeout; stderr: ${buf}`))), timeoutMs);
    const done = (f: () => void) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      f();
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** A sample line with its labels sorted by name (value kept as the exact string). */
export function sortedLine(line: string): { name: string; text: string } {
  const m = LINE.exec(line);
  if (!m) throw new Error(`not a sample line: ${line}`);
  const labels = [...(m[2] ?? '').matchAll(LABEL)].map((l) => [l[1]!, l[2]!] as const);
  labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const ls = labels.map(([k, v]) => `${k}="${v}"`).join(',');
  return { name: m[1]!, text: `${m[1]}${ls ? `{${ls}}` : ''} ${m[3]}` };
}

/** Sample lines of a Prometheus text body, labels sorted. */
export function samples(body: string): { name: string; text: string }[] {
  return body
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(sortedLine);
}
