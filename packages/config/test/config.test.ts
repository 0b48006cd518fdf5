import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type CommandSpec,
  identityOptions,
  loadConfig,
  type OtlpConfig,
  otlpOptions,
  otlpProblems,
  parseDuration,
  parseKeyValues,
  readOtelEnv,
  resolveIdentity,
} from '../src/index.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kso-config-pkg-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SPEC: CommandSpec = {
  command: 'kso test',
  schema: {
    otlp: otlpOptions(),
    ...identityOptions('svc'),
    pod: {
      doc: 'own pod',
      format: String,
      default: '',
      env: 'KSO_POD',
      arg: 'pod',
      deprecatedFlags: ['pod-name'],
      deprecatedEnv: ['KSO_POD_NAME'],
    },
  },
  rejected: { node: 'no DaemonSet sharding' },
};
interface C {
  otlp: OtlpConfig;
  pod: string;
  resourceAttributes: string;
  serviceName: string;
  serviceInstanceId: string;
  clusterName: string;
}
const load = (argv: string[], env: Record<string, string> = {}) => loadConfig<C>(SPEC, argv, env);

describe('one duration grammar', () => {
  test('units, compound, zero; a bare number is refused', () => {
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('10'), undefined);
    assert.equal(parseDuration('10x'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});

describe('one key=value parser (headers, resource attributes)', () => {
  test('spec format: trimmed, percent-decoded values, last duplicate wins', () => {
    assert.deepEqual(parseKeyValues(' a = 1 ,b=x%2Cy%3Dz, ,a=2'), { values: { a: '2', b: 'x,y=z' } });
    assert.deepEqual(parseKeyValues('Authorization=Basic%20abc', { lowerCaseKeys: true }), {
      values: { authorization: 'Basic abc' },
    });
  });
  test('malformed entries are reported by position, never by value', () => {
    const r = parseKeyValues('ok=1,Bearer-s3cret');
    assert.ok('error' in r);
    assert.match(r.error, /entry 2/);
    assert.doesNotMatch(r.error, /s3cret/);
    const bad = parseKeyValues('k=%E0%A4%A');
    assert.ok('error' in bad && /percent-encoding/.test(bad.error));
  });
});

describe('OTEL_* environment with the specification meaning', () => {
  test('generic endpoint: http/protobuf by default, /v1/metrics appended to its path', () => {
    const r = load([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/prefix/' });
    assert.deepEqual(r.problems, []);
    assert.equal(r.config?.otlp.protocol, 'http');
    assert.equal(r.config?.otlp.endpoint, 'http://collector:4318/prefix/v1/metrics');
  });
  test('generic endpoint with grpc is used as is; the metrics endpoint always as is and wins', () => {
    const g = load([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    assert.equal(g.config?.otlp.endpoint, 'http://c:4317');
    const s = load([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://signal:4318/custom',
    });
    assert.equal(s.config?.otlp.endpoint, 'http://signal:4318/custom');
  });
  test('a KSO_* protocol decides whether the generic OTEL endpoint gets the path', () => {
    const r = load([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', KSO_OTLP_PROTOCOL: 'grpc' });
    assert.equal(r.config?.otlp.protocol, 'grpc');
    assert.equal(r.config?.otlp.endpoint, 'http://c:4317');
  });
  test('_METRICS_ variants win over the generic ones; headers merge per key', () => {
    const r = load([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '1500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=3',
      OTEL_EXPORTER_OTLP_INSECURE: 'true',
    });
    assert.deepEqual(r.problems, []);
    const o = r.config!.otlp;
    assert.equal(o.protocol, 'grpc');
    assert.equal(o.timeout, 1500, 'OTEL timeouts are milliseconds');
    assert.equal(o.compression, 'none');
    assert.equal(o.insecure, true);
    assert.deepEqual(parseKeyValues(o.headers, { lowerCaseKeys: true }), { values: { a: '1', b: '3' } });
  });
  test('http/json and unknown protocols are refused with the reason, one line each', () => {
    const r = load([], { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '5s' });
    assert.equal(r.config, undefined);
    assert.deepEqual(r.problems, [
      'OTEL_EXPORTER_OTLP_PROTOCOL: http/json is not supported: use http/protobuf or grpc',
      'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: must be a positive integer number of milliseconds',
    ]);
    const f = load(['--otlp-protocol', 'udp']);
    assert.equal(f.problems.length, 1);
    assert.match(f.problems[0]!, /^otlp\.protocol \(--otlp-protocol, KSO_OTLP_PROTOCOL\): unknown protocol "udp"/);
  });
  test('certificate files: unreadable or not PEM stops start-up naming the OTEL variable', () => {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    const r = load([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318',
      OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'missing.pem'),
      OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: notPem,
    });
    assert.equal(r.problems.length, 2, r.problems.join('\n'));
    assert.match(
      r.problems[0]!,
      /^otlp\.ca \(.*OTEL_EXPORTER_OTLP_CERTIFICATE\): ".*missing\.pem": cannot read: ENOENT/,
    );
    assert.match(r.problems[1]!, /^otlp\.clientKey \(.*OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY\): .*not a PEM file/);
  });
  test('malformed OTEL headers: one line, value never shown', () => {
    const r = load([], { OTEL_EXPORTER_OTLP_HEADERS: 'authorization:Bearer-s3cret' });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!, /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value/);
    assert.doesNotMatch(r.problems.join(), /s3cret/);
  });
  test('a control character in a header value stops start-up, from any source; a tab is allowed', () => {
    const env = load([], { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%0Ds3cret' });
    assert.equal(env.problems.length, 1);
    assert.match(env.problems[0]!, /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 has a control character in its value/);
    const flag = load(['--otlp-headers', 'a=1,x-token=s3cret%0A']);
    assert.equal(flag.problems.length, 1, flag.problems.join('\n'));
    assert.match(flag.problems[0]!, /entry 2 has a control character in its value \(value not shown\)/);
    assert.doesNotMatch([...env.problems, ...flag.problems].join(), /s3cret/);
    assert.equal(load(['--otlp-headers', 'x-a=a%09b']).problems.length, 0);
  });
  // Node's http2 refuses these headers on every request: push would fail forever, so start-up refuses them.
  test('gRPC refuses connection-specific headers at start-up; OTLP/HTTP keeps them', () => {
    const problems = (argv: string[]) => otlpProblems(load(argv).config!.otlp);
    const grpc = ['--otlp-endpoint', 'http://c:4317', '--otlp-protocol', 'grpc'];
    assert.deepEqual(problems([...grpc, '--otlp-headers', 'Connection=close,x-a=1,keep-alive=5,te=gzip']), [
      'otlp.headers (--otlp-headers, OTEL_EXPORTER_OTLP_HEADERS): connection, keep-alive, te: connection-specific, HTTP/2 (gRPC) forbids it',
    ]);
    assert.deepEqual(problems([...grpc, '--otlp-headers', 'te=trailers,x-a=1']), []);
    assert.deepEqual(
      problems([
        '--otlp-endpoint',
        'http://c:4318',
        '--otlp-protocol',
        'http/protobuf',
        '--otlp-headers',
        'connection=close',
      ]),
      [],
    );
  });
  test('OTEL_METRICS_EXPORTER=none turns push off; =otlp alone means the default endpoint', () => {
    assert.equal(
      load([], { OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config?.otlp.endpoint,
      '',
    );
    const d = load([], { OTEL_METRICS_EXPORTER: 'otlp' }).config!.otlp;
    assert.equal(d.endpoint, 'http://localhost:4318/v1/metrics');
    assert.equal(d.protocol, 'http');
  });
  test('resource attributes and service name', () => {
    const l = readOtelEnv({ OTEL_RESOURCE_ATTRIBUTES: 'k8s.cluster.name=prod%20eu,team=a', OTEL_SERVICE_NAME: 'ksm' });
    assert.deepEqual(l.values, { resourceAttributes: 'k8s.cluster.name=prod%20eu,team=a', serviceName: 'ksm' });
  });
});

describe('precedence: flags > KSO_* > OTEL_* > file > defaults', () => {
  test('each layer overrides the one below, per key', () => {
    const file = join(dir, 'layers.yaml');
    writeFileSync(
      file,
      [
        'otlp:',
        '  endpoint: http://file:4317', // beaten by OTEL
        '  timeout: 4s', // beaten by OTEL
        '  compression: none', // file beats default
        '  headers: x-file=1', // beaten by KSO
        '  insecure: true', // beaten by flag
        'serviceName: from-file', // beaten by OTEL_SERVICE_NAME
        'clusterName: file-cluster', // nothing above: file wins
      ].join('\n'),
    );
    const env = {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://otel:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', // beaten by KSO_OTLP_PROTOCOL
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-otel=1', // beaten by KSO
      OTEL_EXPORTER_OTLP_INSECURE: 'false',
      OTEL_SERVICE_NAME: 'otel-name',
      OTEL_RESOURCE_ATTRIBUTES: 'team=otel', // beaten by the flag
      KSO_OTLP_PROTOCOL: 'http',
      KSO_OTLP_HEADERS: 'x-kso=1',
      KSO_SERVICE_NAME: 'kso-name', // beaten by the flag
    };
    const r = load(
      ['--config', file, '--otlp-insecure=false', '--service-name', 'flag-name', '--resource-attributes', 'team=flag'],
      env,
    );
    assert.deepEqual(r.problems, []);
    const c = r.config!;
    assert.equal(c.otlp.endpoint, 'http://otel:4317', 'OTEL beats file');
    assert.equal(c.otlp.timeout, 2500, 'OTEL beats file');
    assert.equal(c.otlp.protocol, 'http', 'KSO beats OTEL');
    assert.equal(c.otlp.headers, 'x-kso=1', 'KSO beats OTEL and file');
    assert.equal(c.otlp.insecure, false, 'flag beats file');
    assert.equal(c.otlp.compression, 'none', 'file beats default');
    assert.equal(c.serviceName, 'flag-name', 'flag beats KSO and OTEL');
    assert.equal(c.resourceAttributes, 'team=flag', 'flag beats OTEL');
    assert.equal(c.clusterName, 'file-cluster');
    assert.equal(c.otlp.ca, '', 'default');
    assert.equal(r.sourceOf('otlp.endpoint'), 'otel');
    assert.equal(r.sourceOf('otlp.protocol'), 'env');
    assert.equal(r.sourceOf('otlp.compression'), 'file');
    assert.equal(r.sourceOf('serviceName'), 'flag');
    assert.equal(r.sourceOf('otlp.ca'), 'default');
  });
});

describe('names: deprecated aliases, repeatable headers, refused flags', () => {
  test('old names still work, with a warning; the new name wins when both are set', () => {
    const r = load(['--pod-name', 'old'], {});
    assert.equal(r.config?.pod, 'old');
    assert.deepEqual(r.warnings, ['--pod-name is deprecated: use --pod']);
    const e = load([], { KSO_POD_NAME: 'old', KSO_POD: 'new' });
    assert.equal(e.config?.pod, 'new');
    assert.deepEqual(e.warnings, ['environment variable KSO_POD_NAME is deprecated: use KSO_POD']);
  });
  test('--otlp-headers and repeated --otlp-header add up', () => {
    const r = load(['--otlp-header', 'a=1', '--otlp-headers', 'b=2,c=3', '--otlp-header=d=4']);
    assert.deepEqual(parseKeyValues(r.config!.otlp.headers), { values: { a: '1', b: '2', c: '3', d: '4' } });
  });
  test('refused flags name the reason and swallow their value', () => {
    const r = load(['--node', 'n1', '--bogus']);
    assert.deepEqual(r.problems, [
      '--node is not supported: no DaemonSet sharding',
      'unknown option --bogus (see kso test --help)',
    ]);
  });
});

describe('identity (Resource)', () => {
  const base = { resourceAttributes: '', serviceName: '', serviceInstanceId: '', clusterName: '' };
  test('defaults: service name/version, instance id from the pod, else the host name', () => {
    const d = { serviceName: 'kube-state-otel', serviceVersion: '1.2.3' };
    assert.deepEqual(resolveIdentity(base, { ...d, pod: { name: 'p-0', namespace: 'mon' } }).resource, {
      'service.name': 'kube-state-otel',
      'service.version': '1.2.3',
      'service.instance.id': 'mon.p-0',
    });
    assert.equal(resolveIdentity(base, { ...d, hostname: () => 'h1' }).resource['service.instance.id'], 'h1');
  });
  test('resource attributes, then service name over their service.name; cluster name reaches entities', () => {
    const id = resolveIdentity(
      {
        ...base,
        resourceAttributes: 'service.name=a,k8s.cluster.name=prod,service.instance.id=i%2F1',
        serviceName: 'b',
      },
      { serviceName: 'kube-state-otel', serviceVersion: '1' },
    );
    assert.equal(id.resource['service.name'], 'b');
    assert.equal(id.resource['service.instance.id'], 'i/1');
    assert.deepEqual(id.entityAttributes, { 'k8s.cluster.name': 'prod' });
    const flag = resolveIdentity({ ...base, clusterName: 'c2' }, { serviceName: 's', serviceVersion: '1' });
    assert.deepEqual(flag.entityAttributes, { 'k8s.cluster.name': 'c2' });
  });
});

describe('spec defaults apply only when the endpoint itself came from OTEL_*', () => {
  test('a KSO_* endpoint keeps kso defaults even with an OTEL_* endpoint in the environment', () => {
    const r = load([], { KSO_OTLP_ENDPOINT: 'http://kso:4317', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' });
    assert.equal(r.config?.otlp.endpoint, 'http://kso:4317');
    assert.equal(r.config?.otlp.protocol, 'grpc');
  });
  test('OTEL_METRICS_EXPORTER=otlp with a grpc protocol means localhost:4317', () => {
    const r = load([], { OTEL_METRICS_EXPORTER: 'otlp', KSO_OTLP_PROTOCOL: 'grpc' });
    assert.equal(r.config?.otlp.endpoint, 'http://localhost:4317');
  });
});

test('flag values are taken verbatim (no number guessing), a later flag wins', () => {
  const r = load(['--service-instance-id=0123', '--cluster-name', '1e3', '--service-name=a', '--service-name=b']);
  assert.equal(r.config?.serviceInstanceId, '0123');
  assert.equal(r.config?.clusterName, '1e3');
  assert.equal(r.config?.serviceName, 'b');
});
