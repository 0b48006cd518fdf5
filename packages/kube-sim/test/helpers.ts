// Shared helpers: raw watch streams over fetch, so protocol tests see exactly what the server sends.
import { type KubeSim, type KubeSimOptions, startKubeSim } from '../src/index.ts';
import type { KObj } from '../src/resources.ts';

export async function sim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  return startKubeSim({ port: 0, ...opts });
}

export const pod = (name: string, namespace = 'default', labels: Record<string, string> = {}, phase = 'Running') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox' }] },
  status: { phase },
});

export const job = (name: string, namespace = 'default') => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace },
  spec: {
    completions: 1,
    template: { spec: { containers: [{ name: 'main', image: 'busybox' }], restartPolicy: 'Never' } },
  },
  status: { active: 1 },
});

export interface Stream {
  status: number;
  contentType: string | null;
  /** Next parsed line, or undefined when the stream ended. Rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<KObj | undefined>;
  /** Resolves true if the stream ended (cleanly or by reset) within timeoutMs. */
  ended(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export async function openWatch(url: string, init: RequestInit = {}): Promise<Stream> {
  const ac = new AbortController();
  const res = await fetch(url, { ...init, signal: ac.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const lines: string[] = [];
  let done = false;
  // A read that lost a race against a timeout is kept for the next pull, so no chunk is lost.
  let pending: Promise<Awaited<ReturnType<typeof reader.read>> | { done: true; value: undefined }> | undefined;
  const pull = async (timeoutMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    try {
      pending ??= reader.read().catch(() => ({ done: true as const, value: undefined }));
      const r = await Promise.race([pending, t]);
      if (r === 'timeout') return false;
      pending = undefined;
      if (r.done) done = true;
      else {
        buf += decoder.decode(r.value, { stream: true });
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    async next(timeoutMs = 3000) {
      const end = Date.now() + timeoutMs;
      while (lines.length === 0 && !done) {
        const left = end - Date.now();
        if (left <= 0 || !(await pull(left))) throw new Error(`no watch event within ${timeoutMs} ms`);
      }
      const l = lines.shift();
      return l === undefined ? undefined : JSON.parse(l);
    },
    async ended(timeoutMs = 3000) {
      const end = Date.now() + timeoutMs;
      while (!done) {
        const left = end - Date.now();
        if (left <= 0 || !(await pull(left))) return false;
        lines.length = 0;
      }
      return true;
    },
    close() {
      ac.abort();
    },
  };
}

export async function until<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** fetch that retries once on a connection error: after a simulated restart, pooled sockets are dead. */
export async function fetchRetry(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    await new Promise((r) => setTimeout(r, 50));
    return fetch(url, init);
  }
}
