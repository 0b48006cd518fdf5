// Real peers for the sidecar tests: a Debian prometheus-pushgateway process, a tiny "main container"
// metrics endpoint, and small polling helpers. Everything listens on 127.0.0.1 with random ports.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';

export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function waitUntil(
  pred: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function pushgatewayAvailable(): boolean {
  try {
    execFileSync(PUSHGATEWAY_BIN, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export interface Pushgateway {
  url: string;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export async function startPushgateway(): Promise<Pushgateway> {
  const port = await freePort();
  // Debian's build defaults to persisting in /var/lib/prometheus/pushgateway.data: groups would leak between tests.
  const child: ChildProcess = spawn(
    PUSHGATEWAY_BIN,
    [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`pushgateway exited: ${stderr}`);
        return fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      10_000,
      'pushgateway ready',
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Stand-in for the main container's own Prometheus endpoint; `body` can be changed between scrapes. */
export interface MetricsEndpoint {
  url: string;
  body: string;
  scrapes: number;
  close(): Promise<void>;
}

export async function startMetricsEndpoint(body: string): Promise<MetricsEndpoint> {
  const ep = { url: '', body, scrapes: 0, close: async () => {} } as MetricsEndpoint;
  const server: Server = createServer((req, res) => {
    ep.scrapes++;
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(ep.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ep.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  ep.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return ep;
}
