// --web-config-file: the exporter-toolkit format parsed strictly, TLS with client certificates, basic auth with
// bcrypt, and certificates/users picked up from disk without a restart.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import {
  loadWebConfig,
  type PrometheusServer,
  startPrometheusServer,
  WebConfigError,
  WebConfigSource,
} from '../src/index.ts';
import { type CertFiles, makeLeaf, makeTestPki } from '../src/testing/index.ts';
import { realisticSource } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'kso-webcfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const problemsOf = (yaml: string): string[] => {
  const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(f, yaml);
  try {
    loadWebConfig(f);
  } catch (err) {
    assert.ok(err instanceof WebConfigError);
    return err.problems;
  }
  return [];
};

describe('web config parsing (exporter-toolkit format)', () => {
  test('rejects what exporter-toolkit rejects, naming each problem and never the secret', () => {
    writeFileSync(join(dir, 'c.crt'), 'x');
    const p = problemsOf(
      [
        'tls_server_config:',
        '  cert_file: c.crt',
        '  client_ca_file: c.crt',
        '  client_auth_type: RequireCert',
        '  min_version: TLS14',
        '  cipher_suites: [TLS_FOO]',
        'basic_auth_users:',
        '  alice: s3cr3t-not-a-hash',
        'http_server_config:',
        '  headers:',
        '    X-Frame-Options: allow',
        '    X-Powered-By: kso',
        'unknown_top: 1',
      ].join('\n'),
    );
    const text = p.join('\n');
    assert.match(text, /unknown key "unknown_top"/);
    assert.match(text, /missing one of key or key_file/);
    assert.match(text, /client_auth_type: invalid "RequireCert"/);
    assert.match(text, /min_version: unknown TLS version "TLS14"/);
    assert.match(text, /cipher_suites: unknown "TLS_FOO"/);
    assert.match(text, /basic_auth_users.alice: not a bcrypt hash/);
    assert.match(text, /X-Frame-Options: expected one of \["deny","sameorigin"\]/);
    assert.match(text, /"X-Powered-By" can not be configured/);
    assert.ok(!text.includes('s3cr3t'), 'the configured secret is not echoed');
  });

  test('client CA without a client auth policy is an error, as in the toolkit', () => {
    const pki = makeTestPki(mkdtempSync(join(dir, 'pki-')));
    const p = problemsOf(
      `tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\n  client_ca_file: ${pki.ca.cert}\n`,
    );
    assert.deepEqual(p, ["tls_server_config: client CA's have been configured without a client_auth_type"]);
  });

  test('paths are relative to the file; defaults follow the toolkit', () => {
    const d = mkdtempSync(join(dir, 'rel-'));
    const pki = makeTestPki(d);
    writeFileSync(
      join(d, 'web.yml'),
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: kso-test-ca.crt\n',
    );
    const c = loadWebConfig(join(d, 'web.yml'));
    assert.equal(c.tls?.clientAuth, 'RequireAndVerifyClientCert');
    assert.equal(c.tls?.context.minVersion, 'TLSv1.2');
    assert.equal(c.tls?.context.maxVersion, 'TLSv1.3');
    assert.deepEqual(c.files, [join(d, 'web.yml'), pki.server.cert, pki.server.key, pki.ca.cert]);
    assert.equal(c.users.size, 0);
    // An empty file is valid and means plain HTTP without auth.
    writeFileSync(join(d, 'empty.yml'), '');
    assert.equal(loadWebConfig(join(d, 'empty.yml')).tls, undefined);
  });
});

test('a Secret volume update (atomic symlink swap, as the kubelet does it) is picked up', () => {
  const d = mkdtempSync(join(dir, 'secret-'));
  const version = (name: string, hash: string) => {
    mkdirSync(join(d, name));
    writeFileSync(join(d, name, 'web-config.yml'), `basic_auth_users:\n  prometheus: ${JSON.stringify(hash)}\n`);
  };
  const first = bcrypt.hashSync('one', 4);
  const second = bcrypt.hashSync('two', 4);
  version('..2026_12_01_10_00_00.1', first);
  symlinkSync('..2026_12_01_10_00_00.1', join(d, '..data'));
  symlinkSync('..data/web-config.yml', join(d, 'web-config.yml'));
  const source = new WebConfigSource(join(d, 'web-config.yml'));
  assert.equal(source.current().users.get('prometheus'), first);
  version('..2026_12_01_11_00_00.2', second);
  symlinkSync('..2026_12_01_11_00_00.2', join(d, '..data_tmp'));
  renameSync(join(d, '..data_tmp'), join(d, '..data'));
  assert.equal(source.current().users.get('prometheus'), second);
  assert.equal(source.generation, 1);
});

test("basic auth without TLS, with an htpasswd-style $2y$ hash (exporter-toolkit's own test vector)", async (t) => {
  const d = mkdtempSync(join(dir, 'plain-'));
  // bcrypt of "fakepassword", from exporter-toolkit's web/handler.go.
  const hash = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
  writeFileSync(join(d, 'web.yml'), `basic_auth_users:\n  legacy: ${JSON.stringify(hash)}\n`);
  const srv = await startPrometheusServer({
    source: realisticSource(),
    host: '127.0.0.1',
    port: 0,
    webConfig: new WebConfigSource(join(d, 'web.yml')),
  });
  t.after(() => srv.close());
  assert.match(srv.url, /^http:\/\//);
  const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  assert.equal((await fetch(`${srv.url}/metrics`, { headers: auth('legacy', 'fakepassword') })).status, 200);
  assert.equal((await fetch(`${srv.url}/metrics`, { headers: auth('legacy', 'fakepassworD') })).status, 401);
  assert.equal((await fetch(`${srv.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${srv.url}/readyz`)).status, 200);
});

interface Reply {
  status?: number;
  body?: string;
  wwwAuthenticate?: string | undefined;
  peer?: PeerCertificate;
  error?: NodeJS.ErrnoException;
}

function get(
  url: string,
  o: { ca: string; client?: CertFiles; user?: string; pass?: string; path?: string } = { ca: '' },
): Promise<Reply> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    if (o.user !== undefined) headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.pass}`).toString('base64')}`;
    const req = request(
      `${url}${o.path ?? '/metrics'}`,
      {
        ca: readFileSync(o.ca),
        ...(o.client ? { cert: readFileSync(o.client.cert), key: readFileSync(o.client.key) } : {}),
        headers,
        agent: false,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode, body, wwwAuthenticate: res.headers['www-authenticate'], peer }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    req.end();
  });
}

describe('TLS, client certificates and basic auth on /metrics', () => {
  const d = mkdtempSync(join(dir, 'srv-'));
  let pki: ReturnType<typeof makeTestPki>;
  let srv: PrometheusServer;
  const web = join(d, 'web-config.yml');
  const writeConfig = (users: Record<string, string>, auth = 'RequireAndVerifyClientCert', extra: string[] = []) =>
    writeFileSync(
      web,
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        `  client_auth_type: ${auth}`,
        // The toolkit refuses a client CA without a policy that uses it.
        ...(auth === 'NoClientCert' ? [] : ['  client_ca_file: kso-test-ca.crt']),
        ...extra,
        'http_server_config:',
        '  headers:',
        '    X-Content-Type-Options: nosniff',
        'basic_auth_users:',
        ...Object.entries(users).map(([u, h]) => `  ${u}: ${JSON.stringify(h)}`),
        '',
      ].join('\n'),
    );

  before(async () => {
    pki = makeTestPki(d);
    writeConfig({ prometheus: bcrypt.hashSync('scrape-me', 4) });
    srv = await startPrometheusServer({
      source: realisticSource(),
      host: '127.0.0.1',
      port: 0,
      webConfig: new WebConfigSource(web),
    });
  });
  after(() => srv.close());

  test('right client certificate and password: 200 over https', async () => {
    assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await get(srv.url, { ca: pki.ca.cert, client: pki.client, user: 'prometheus', pass: 'scrape-me' });
    assert.equal(r.status, 200, r.error?.message);
    assert.match(r.body ?? '', /^# HELP kube_pod_/m);
  });

  test('wrong or missing credentials: 401 with a Basic challenge; probes need none', async () => {
    for (const creds of [{ user: 'prometheus', pass: 'nope' }, { user: 'mallory', pass: 'scrape-me' }, {}]) {
      const r = await get(srv.url, { ca: pki.ca.cert, client: pki.client, ...creds });
      assert.equal(r.status, 401, JSON.stringify(creds));
      assert.equal(r.wwwAuthenticate, 'Basic');
      assert.ok(!(r.body ?? '').includes('kube_pod'), 'no metrics leak with a 401');
    }
    const probe = await get(srv.url, { ca: pki.ca.cert, client: pki.client, path: '/healthz' });
    assert.equal(probe.status, 200);
  });

  test('no client certificate, or one from another CA: the handshake is refused', async () => {
    for (const client of [undefined, pki.rogueClient]) {
      const r = await get(srv.url, {
        ca: pki.ca.cert,
        ...(client ? { client } : {}),
        user: 'prometheus',
        pass: 'scrape-me',
      });
      assert.equal(r.status, undefined, 'no HTTP response');
      assert.ok(r.error, 'TLS error');
      assert.match(`${r.error.code} ${r.error.message}`, /alert|ECONNRESET|certificate|handshake/i);
    }
  });

  test('a renewed certificate and changed users apply to the next connection, without restart', async () => {
    const before = await get(srv.url, { ca: pki.ca.cert, client: pki.client, user: 'prometheus', pass: 'scrape-me' });
    const oldSerial = before.peer?.serialNumber;
    // Renew as cert-manager does: new files moved into place.
    const next = makeLeaf(d, 'server-next', pki.ca, 'server');
    renameSync(next.cert, join(d, 'server.crt'));
    renameSync(next.key, join(d, 'server.key'));
    const newSerial = new X509Certificate(readFileSync(join(d, 'server.crt'))).serialNumber;
    writeConfig({ prometheus: bcrypt.hashSync('rotated', 4) });
    const after = await get(srv.url, { ca: pki.ca.cert, client: pki.client, user: 'prometheus', pass: 'rotated' });
    assert.equal(after.status, 200, after.error?.message);
    assert.notEqual(after.peer?.serialNumber, oldSerial);
    assert.equal(after.peer?.serialNumber?.toUpperCase(), newSerial.toUpperCase());
    const old = await get(srv.url, { ca: pki.ca.cert, client: pki.client, user: 'prometheus', pass: 'scrape-me' });
    assert.equal(old.status, 401);
  });

  test('a broken rewrite keeps the last good configuration; client policy changes apply live', async () => {
    writeFileSync(web, 'tls_server_config: [oops\n');
    const r = await get(srv.url, { ca: pki.ca.cert, client: pki.client, user: 'prometheus', pass: 'rotated' });
    assert.equal(r.status, 200, r.error?.message);
    writeConfig({}, 'NoClientCert');
    const open = await get(srv.url, { ca: pki.ca.cert });
    assert.equal(open.status, 200, open.error?.message);
    writeConfig({}, 'RequireAnyClientCert');
    const refused = await get(srv.url, { ca: pki.ca.cert });
    assert.equal(refused.status, undefined);
    const any = await get(srv.url, { ca: pki.ca.cert, client: pki.rogueClient });
    assert.equal(any.status, 200, 'RequireAnyClientCert accepts an unverified certificate, as in Go');
  });

  test('client_allowed_sans: a verified certificate without an allowed SAN is refused', async () => {
    const other = makeLeaf(d, 'other-team', pki.ca, 'client');
    writeConfig({}, 'RequireAndVerifyClientCert', ['  client_allowed_sans: [prometheus]']);
    const ok = await get(srv.url, { ca: pki.ca.cert, client: pki.client });
    assert.equal(ok.status, 200, ok.error?.message);
    const refused = await get(srv.url, { ca: pki.ca.cert, client: other });
    assert.equal(refused.status, undefined, 'connection closed before any response');
    assert.ok(refused.error);
  });

  test('rate_limit: requests past the burst get 429', async () => {
    writeFileSync(
      web,
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nrate_limit:\n  interval: 10s\n  burst: 2\n',
    );
    const codes: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) codes.push((await get(srv.url, { ca: pki.ca.cert, path: '/healthz' })).status);
    assert.deepEqual(codes, [200, 200, 429, 429]);
  });
});
