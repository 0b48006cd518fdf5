// Throw-away certificates for TLS tests, made with the system's openssl (EC P-256, valid two days): a CA, a
// server certificate for 127.0.0.1/localhost and client certificates signed by a given CA.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `openssl req` with a new unencrypted P-256 key written to `key`; `out` is a certificate or a CSR per `extra`. */
function newKey(name: string, key: string, out: string, extra: string[]): void {
  openssl([
    'req',
    ...extra,
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    out,
    '-subj',
    `/CN=${name}`,
  ]);
}

/** Creates `<name>.crt`/`<name>.key`, a self-signed CA. */
export function makeCa(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  newKey(name, key, cert, ['-x509', '-days', '2']);
  return { cert, key };
}

/** Creates `<name>.crt`/`<name>.key` signed by `ca`, for a server (SAN 127.0.0.1, ::1, localhost) or a client. */
export function makeLeaf(
  dir: string,
  name: string,
  ca: CertFiles,
  usage: 'server' | 'client',
  sans = usage === 'server' ? 'IP:127.0.0.1,IP:::1,DNS:localhost' : `DNS:${name}`,
): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    `subjectAltName=${sans}\nextendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}\nbasicConstraints=CA:FALSE\n`,
  );
  newKey(name, key, csr, []);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

/** A CA with a server and a client certificate, and an unrelated CA with its own client (must be refused). */
export function makeTestPki(dir: string) {
  const ca = makeCa(dir, 'kso-test-ca');
  const rogueCa = makeCa(dir, 'rogue-ca');
  return {
    ca,
    server: makeLeaf(dir, 'server', ca, 'server'),
    client: makeLeaf(dir, 'prometheus', ca, 'client'),
    rogueClient: makeLeaf(dir, 'intruder', rogueCa, 'client'),
  };
}
