// TLS for both OTLP transports against real TLS servers (node:http2 for gRPC, node:https for OTLP/HTTP) with a
// throw-away CA made by openssl: the CA option verifies the server, `insecure` skips verification, and a client
// certificate passes a server that requires one (mTLS).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTransport, type TransportOptions } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'kso-otlp-tls-'));
const f = (n: string) => join(dir, n);
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=kso-test-ca', '-days', '2');
  for (const [name, usage, san] of [
    ['server', 'serverAuth', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'clientAuth', 'subjectAltName=DNS:kso-client'],
  ] as const) {
    run(
      'req',
      '-x509',
      ...ec,
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.crt`),
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-addext',
      san,
      '-addext',
      `extendedKeyUsage=${usage}`,
    );
  }
}

let grpcUrl = '';
let httpUrl = '';
const closers: (() => void)[] = [];
let certs: { ca: Buffer; cert: Buffer; key: Buffer };

before(async () => {
  makeCerts();
  certs = { ca: readFileSync(f('ca.crt')), cert: readFileSync(f('client.crt')), key: readFileSync(f('client.key')) };
  const serverTls = {
    key: readFileSync(f('server.key')),
    cert: readFileSync(f('server.crt')),
    ca: certs.ca,
    requestCert: true,
    rejectUnauthorized: true,
  };
  const h2 = createSecureServer(serverTls, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({ 'grpc-status': '0' });
      res.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', () => r()));
  grpcUrl = `https://127.0.0.1:${(h2.address() as AddressInfo).port}`;
  closers.push(() => h2.close());
  const https = createHttpsServer(serverTls, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
  httpUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  closers.push(() => {
    https.closeAllConnections();
    https.close();
  });
});
after(() => {
  for (const c of closers) c();
  rmSync(dir, { recursive: true, force: true });
});

async function send(o: Omit<TransportOptions, 'endpoint'>, endpoint: string) {
  const t = createTransport({ ...o, endpoint });
  try {
    return await t.send(Buffer.alloc(0), 3_000);
  } finally {
    t.close();
  }
}

for (const protocol of ['grpc', 'http'] as const) {
  describe(`OTLP ${protocol} over TLS`, () => {
    const url = () => (protocol === 'grpc' ? grpcUrl : httpUrl);
    test('CA + client certificate (mTLS): delivered', async () => {
      const r = await send({ protocol, tls: certs, compression: 'gzip' }, url());
      assert.equal(r.ok, true, r.error);
    });
    test('without the CA the server certificate is rejected, with a clear error', async () => {
      const r = await send({ protocol, tls: { cert: certs.cert, key: certs.key } }, url());
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /certificate|self.signed|UNABLE_TO_GET_ISSUER|unable to get/i);
    });
    test('insecure skips verification (the client certificate is still sent)', async () => {
      const r = await send({ protocol, tls: { insecure: true, cert: certs.cert, key: certs.key } }, url());
      assert.equal(r.ok, true, r.error);
    });
    test('no client certificate: the mTLS server refuses', async () => {
      const r = await send({ protocol, tls: { ca: certs.ca } }, url());
      assert.equal(r.ok, false);
    });
  });
}
