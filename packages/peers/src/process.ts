import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A spawned peer process whose output is kept (bounded) so startup failures can be explained. */
export interface PeerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** Last lines of combined stdout/stderr, for error messages. */
  output(): string;
  /** Resolves when a line matching `pattern` has been printed (checks past output too). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// If the test runner dies (failed assertion before stop(), Ctrl-C) the peers must not outlive it:
// an orphaned etcd or apiserver keeps its ports and data dir and slows the whole shared machine.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Combined stdout/stderr, bounded to the last MAX_OUTPUT characters, with waiters for a pattern to appear. */
class PeerOutput {
  #buffer = '';
  readonly #watchers = new Set<{ pattern: RegExp; resolve: () => void }>();

  append(text: string): void {
    this.#buffer += text;
    if (this.#buffer.length > MAX_OUTPUT) this.#buffer = this.#buffer.slice(this.#buffer.length - MAX_OUTPUT);
    for (const w of this.#watchers) {
      if (w.pattern.test(this.#buffer)) {
        this.#watchers.delete(w);
        w.resolve();
      }
    }
  }

  tail(): string {
    return this.#buffer.split('\n').slice(-40).join('\n');
  }

  /** Resolves once `pattern` has matched; rejects on timeout or when `exited` settles first. */
  waitFor(name: string, pattern: RegExp, timeoutMs: number, exited: Promise<number | string>): Promise<void> {
    if (pattern.test(this.#buffer)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = {
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(w);
        reject(
          new Error(`${name}: no output matching ${pattern} within ${timeoutMs} ms; last output:\n${this.tail()}`),
        );
      }, timeoutMs);
      this.#watchers.add(w);
      void exited.then((code) => {
        if (!this.#watchers.delete(w)) return;
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before printing ${pattern}; last output:\n${this.tail()}`));
      });
    });
  }
}

/** Resolves with the exit code (or signal name, or 'spawn-error') and forgets the child for the exit hook. */
function trackExit(child: ChildProcess, output: PeerOutput, onExit: () => void): Promise<number | string> {
  return new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      output.append(`\n[spawn error] ${err.message}`);
      onExit();
      live.delete(child);
      resolve('spawn-error');
    });
    child.once('exit', (code, signal) => {
      onExit();
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
}

export function spawnPeer(
  name: string,
  binary: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): PeerProcess {
  installExitHook();
  const child = spawn(binary, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const output = new PeerOutput();
  const onData = (chunk: Buffer): void => output.append(chunk.toString('utf8'));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitedFlag = false;
  const exited = trackExit(child, output, () => {
    exitedFlag = true;
  });

  return {
    name,
    child,
    exited,
    hasExited: () => exitedFlag,
    output: () => output.tail(),
    waitForOutput: (pattern, timeoutMs) => output.waitFor(name, pattern, timeoutMs, exited),
    async stop(graceMs = 10_000) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port on 127.0.0.1. Racy by nature (the peer binds it later), but the window is tiny. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface HttpResult {
  status: number;
  body: string;
}

/** Minimal GET for readiness probes: no dependency, bounded by a per-request timeout. */
export function httpGet(
  url: string,
  opts: { ca?: string | Buffer; token?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', headers, ca: opts.ca, timeout: opts.timeoutMs ?? 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls `probe` until it returns true. Fails early when `peer` dies, so a crashing binary reports its own
 * output instead of a generic timeout.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; peer?: PeerProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    if (opts.peer?.hasExited()) {
      throw new Error(`${opts.peer.name} exited while waiting for ${what}; last output:\n${opts.peer.output()}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const out = opts.peer ? `; last output of ${opts.peer.name}:\n${opts.peer.output()}` : '';
      throw new Error(
        `timed out after ${opts.timeoutMs} ms waiting for ${what} (last error: ${lastError || 'none'})${out}`,
      );
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

/**
 * Starts several peers concurrently. If any fails, the ones that did start are stopped before the error is
 * rethrown: a leaked child would keep the test process alive long after the test has failed.
 */
export async function startAll<T extends readonly { stop(): Promise<void> }[]>(
  starters: {
    [K in keyof T]: () => Promise<T[K]>;
  },
): Promise<T> {
  const results = await Promise.allSettled(starters.map((s) => s()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<T[number]>).value) as unknown as T;
}

/** A JSON request to an API server (create, patch, delete); rejects on HTTP >= 400 with the Status message. */
export function apiRequest(
  url: string,
  opts: { method: string; body?: unknown; contentType?: string; ca?: string | Buffer; token?: string },
): Promise<unknown> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: opts.method, headers, ca: opts.ca, timeout: 15_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {}
          if (status >= 400) {
            const msg = (parsed as { message?: string })?.message ?? body.slice(0, 300);
            reject(new Error(`${opts.method} ${u.pathname}: HTTP ${status}: ${msg}`));
          } else resolve(parsed);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
