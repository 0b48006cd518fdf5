import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kubeConfigClass } from '../src/client-node.ts';
import { loadKubeConfig } from '../src/kubeconfig.ts';
import { StaticKubeConfig } from '../src/static-kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kso-static-kc-'));
// Not real PEM: both loaders hand the bytes to the agent as they are.
writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
writeFileSync(join(dir, 'client.key'), 'KEY FROM FILE');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(name: string, cluster: string, user: string, extra = ''): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
${cluster}
users:
- name: u
  user:
${user}
contexts:
- name: ctx
  context:
    cluster: c
    user: u
    namespace: default
${extra}current-context: ctx
`,
  );
  return file;
}

/** What a loader puts into the request options (the agent as its class and its TLS options). */
async function applied(kc: {
  applyToHTTPSOptions(o: https.RequestOptions): Promise<void>;
  getCurrentCluster(): { server: string } | null;
}) {
  const o: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(o);
  const agent = o.agent as (http.Agent & { options: Record<string, unknown> }) | undefined;
  const { agent: _, ...rest } = o;
  const tls = Object.fromEntries(
    ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername']
      .map((k) => [k, agent?.options[k]] as const)
      .filter(([, v]) => v !== undefined),
  );
  return {
    server: kc.getCurrentCluster()?.server,
    options: rest,
    agent: agent instanceof https.Agent ? 'https' : agent instanceof http.Agent ? 'http' : String(agent),
    tls,
  };
}

function clientNode(file: string) {
  const kc = new (kubeConfigClass())();
  kc.loadFromFile(file);
  return kc;
}

describe('StaticKubeConfig', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  const same: [string, string, string][] = [
    [
      'http, skip verify, token',
      '    server: http://127.0.0.1:8080/\n    insecure-skip-tls-verify: true',
      '    token: t0k',
    ],
    [
      'https, CA data, token, server name',
      `    server: https://10.0.0.1:6443\n    certificate-authority-data: ${b64('CA DATA')}\n    tls-server-name: api.local`,
      '    token: abc.def',
    ],
    [
      'https, relative CA and client certificate files',
      '    server: https://k8s.example:443\n    certificate-authority: ca.crt',
      '    client-certificate: client.crt\n    client-key: client.key',
    ],
    [
      'https, client certificate data, skip verify',
      '    server: https://k8s.example\n    insecure-skip-tls-verify: true',
      `    client-certificate-data: ${b64('CERT DATA')}\n    client-key-data: ${b64('KEY DATA')}`,
    ],
  ];
  for (const [name, cluster, user] of same) {
    it(`applies what client-node applies: ${name}`, async () => {
      const file = kubeconfig(`${name.replace(/\W+/g, '-')}.yaml`, cluster, user);
      const light = StaticKubeConfig.load(file);
      assert.ok(light, 'read without client-node');
      assert.deepEqual(await applied(light), await applied(clientNode(file)));
    });
  }

  it('leaves to client-node what needs more than static credentials', () => {
    const server = '    server: https://k8s.example';
    const cases: [string, string, string][] = [
      ['exec', server, '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token'],
      ['auth provider', server, '    auth-provider:\n      name: oidc'],
      ['token file', server, `    token-file: ${join(dir, 'ca.crt')}`],
      ['basic auth', server, '    username: a\n    password: b'],
      ['impersonation', server, '    token: t\n    as: admin'],
      ['proxy', `${server}\n    proxy-url: socks5://127.0.0.1:1080`, '    token: t'],
      ['plain http without skip', '    server: http://127.0.0.1:8080', '    token: t'],
      ['invalid server', '    server: not a url', '    token: t'],
    ];
    for (const [name, cluster, user] of cases) {
      const file = kubeconfig(`fallback-${name.replace(/\W+/g, '-')}.yaml`, cluster, user);
      assert.equal(StaticKubeConfig.load(file), undefined, name);
    }
    const file = kubeconfig('ctx.yaml', server, '    token: t');
    assert.ok(StaticKubeConfig.load(file, 'ctx'));
    assert.equal(StaticKubeConfig.load(file, 'missing'), undefined, 'unknown context: client-node names it');
    assert.equal(StaticKubeConfig.load(join(dir, 'absent.yaml')), undefined);
  });

  it('loadKubeConfig takes it for a static file and a single KUBECONFIG entry, client-node for a list', () => {
    const file = kubeconfig('static.yaml', '    server: https://k8s.example', '    token: t');
    assert.ok(loadKubeConfig({ kubeconfig: file }) instanceof StaticKubeConfig);
    // client-node's loadFromDefault reads process.env itself.
    const saved = process.env.KUBECONFIG;
    try {
      process.env.KUBECONFIG = file;
      assert.ok(loadKubeConfig({}) instanceof StaticKubeConfig);
      const second = join(dir, 'second.yaml');
      writeFileSync(second, readFileSync(file, 'utf8').replace(/\b(c|u|ctx)\b/g, '$12'));
      process.env.KUBECONFIG = `${file}:${second}`;
      const list = loadKubeConfig({});
      assert.ok(!(list instanceof StaticKubeConfig));
      assert.equal(list.getCurrentCluster()?.server, 'https://k8s.example');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
    const exec = kubeconfig('exec.yaml', '    server: https://k8s.example', '    exec:\n      command: x');
    assert.ok(!(loadKubeConfig({ kubeconfig: exec }) instanceof StaticKubeConfig));
  });
});
