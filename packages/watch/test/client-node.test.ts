// kso loads client-node's KubeConfig without the generated API clients (src/client-node.ts); KubeConfig must
// still behave as the package's own, including makeApiClient for a caller that imports the full package.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: secret-token } }]
contexts: [{ name: ctx, context: { cluster: c, user: u } }]
current-context: ctx
`;

// Records every module URL the child loads, then checks what loading KubeConfig pulled in (through
// kubeConfigClass: loadKubeConfig reads a file with static credentials like this one without client-node).
const CHILD = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, ctx, next) { loaded.push(url); return next(url, ctx); } });
const { kubeConfigClass } = await import(process.env.CLIENT_NODE_TS);
const kc = new (kubeConfigClass())();
kc.loadFromFile(process.env.KC_FILE);
const opts = {};
await kc.applyToHTTPSOptions(opts);
const generatedBefore = loaded.filter((u) => u.includes('/client-node/dist/gen/apis/')).length;
const { CoreV1Api } = await import('@kubernetes/client-node');
const api = kc.makeApiClient(CoreV1Api);
process.stdout.write(JSON.stringify({
  server: kc.getCurrentCluster().server,
  auth: opts.headers?.Authorization ?? opts.headers?.authorization,
  generatedBefore,
  generatedAfter: loaded.filter((u) => u.includes('/client-node/dist/gen/apis/')).length,
  api: typeof api.listNamespacedPod,
}));
`;

test('KubeConfig loads without the generated API clients, and makeApiClient still works', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kso-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kcFile = join(dir, 'config');
  writeFileSync(kcFile, KUBECONFIG);
  const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: new URL('..', import.meta.url),
    env: {
      ...process.env,
      KC_FILE: kcFile,
      CLIENT_NODE_TS: new URL('../src/client-node.ts', import.meta.url).href,
    },
  });
  const r = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(r.server, 'https://127.0.0.1:6443');
  assert.equal(r.auth, 'Bearer secret-token', 'credentials are applied to raw requests');
  assert.equal(r.generatedBefore, 0, 'no generated API module loaded with KubeConfig');
  assert.ok((r.generatedAfter as number) > 10, 'importing the full package still loads them');
  assert.equal(r.api, 'function', 'makeApiClient builds a typed client');
});
