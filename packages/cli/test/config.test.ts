import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRunConfig, options, parseDuration } from '../src/config.ts';
import { cleanEnv, KSO_BIN, runKso, waitForStderr } from './helpers.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kso-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('config precedence: flags > env > file > defaults', () => {
  test('each layer overrides the one below, per key', () => {
    const file = join(dir, 'kso.yaml');
    writeFileSync(
      file,
      'schema: semconv\nnamespaces: [a, b]\nprometheus:\n  port: 1111\n  host: 127.0.0.1\notlp:\n  interval: 5s\n  protocol: http\n',
    );
    const env = { KSO_PROMETHEUS_PORT: '2222', KSO_OTLP_INTERVAL: '1m', KSO_SCHEMA: 'semconv' };
    const { config, problems } = loadRunConfig(['--config', file, '--otlp-interval=250ms', '--schema', 'ksm'], env);
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.schema, 'ksm'); // flag beats env and file
    assert.equal(config.prometheus.port, 2222); // env beats file
    assert.equal(config.otlp.interval, 250); // flag beats env
    assert.equal(config.otlp.protocol, 'http'); // file beats default
    assert.equal(config.prometheus.host, '127.0.0.1');
    assert.deepEqual(config.namespaces, ['a', 'b']);
    assert.deepEqual(config.resources, ['jobs', 'pods', 'cronjobs']); // default
    assert.equal(config.maxStaleness, 300_000);
  });

  test('JSON config file and env lists', () => {
    const file = join(dir, 'kso.json');
    writeFileSync(file, JSON.stringify({ resources: 'pods', maxStaleness: '30s', otlp: { insecure: true } }));
    const { config } = loadRunConfig(
      ['--config', file, '--no-prometheus-enabled', '--otlp-endpoint', 'http://c:4317'],
      {
        KSO_NAMESPACES: 'x, y',
      },
    );
    assert.ok(config);
    assert.deepEqual(config.resources, ['pods']);
    assert.equal(config.maxStaleness, 30_000);
    assert.equal(config.otlp.insecure, true);
    assert.equal(config.prometheus.enabled, false);
    assert.deepEqual(config.namespaces, ['x', 'y']);
  });

  test('every option has a flag and a KSO_ environment variable', () => {
    for (const o of options()) {
      assert.match(o.flag, /^--[a-z-]+$/);
      assert.match(o.env, /^KSO_[A-Z_]+$/);
    }
  });

  test('durations', () => {
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('10'), undefined, 'bare numbers are refused (ms here once, seconds in the sidecar)');
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('10x'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});

describe('invalid config: exit 2, one line per problem', () => {
  test('every kind of invalid value is reported, each on its own line naming the option', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'logLevel: loud\nnoSuchKey: 1\n');
    const r = await runKso(
      [
        'run',
        '--config',
        file,
        '--prometheus-port',
        '70000',
        '--schema',
        'otel',
        '--resources',
        'pods,nodes',
        '--otlp-interval',
        '10x',
        '--otlp-endpoint',
        'ftp://collector',
        '--otlp-protocol',
        'udp',
        '--otlp-insecure=maybe',
        '--metric-labels-allowlist',
        'pods=[app',
        '--kubeconfig',
        join(dir, 'nope'),
        '--bogus',
      ],
      { env: cleanEnv({ KSO_SHARD: 'two' }) },
    );
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    const expectMentioned = [
      '--bogus',
      'prometheus.port',
      'schema',
      'resources',
      'otlp.interval',
      'otlp.endpoint',
      'otlp.protocol',
      'otlp.insecure',
      'metricLabelsAllowlist',
      'kubeconfig',
      'shard (--shard, KSO_SHARD)',
      'logLevel',
      'noSuchKey',
    ];
    assert.equal(lines.length, expectMentioned.length, r.stderr);
    for (const m of expectMentioned)
      assert.equal(lines.filter((l) => l.includes(m)).length >= 1, true, `a line mentions ${m}: ${r.stderr}`);
    for (const l of lines) assert.match(l, /^kso run: invalid config: /);
  });

  test('cross-field problems: shard >= total, pod without namespace, nothing to export', async () => {
    const r = await runKso(['run', '--shard', '3', '--total-shards', '2', '--pod', 'kso-0', '--no-prometheus-enabled']);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    assert.match(r.stderr, /shard \(--shard\): 3 must be below total-shards 2/);
    assert.match(r.stderr, /autosharding needs both/);
    assert.match(r.stderr, /nothing to export/);
  });

  test('unreadable or unparsable config file', async () => {
    const bad = join(dir, 'broken.yaml');
    writeFileSync(bad, 'schema: [unclosed\n');
    const r = await runKso(['run', '--config', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config file .*broken\.yaml: invalid YAML\/JSON/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

describe('secrets', () => {
  test('malformed OTLP headers are reported without echoing the value', async () => {
    const r = await runKso(['run', '--otlp-headers', 'authorization:Bearer-s3cr3t-token']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /otlp\.headers/);
    assert.doesNotMatch(r.stderr, /s3cr3t/);
  });

  test('the start-up log shows header names, never their values', async () => {
    const child = spawn(
      process.execPath,
      [
        KSO_BIN,
        'run',
        '--prometheus-port',
        '0',
        '--prometheus-host',
        '127.0.0.1',
        '--kubeconfig',
        KSO_BIN, // any existing file: start-up may fail later, the config line comes first
        '--otlp-endpoint',
        'http://127.0.0.1:1',
      ],
      { env: cleanEnv({ KSO_OTLP_HEADERS: 'authorization=Bearer s3cr3t-token,x-tenant=t1' }), stdio: 'pipe' },
    );
    try {
      const out = await waitForStderr(child, (s) => s.includes('starting kso run'));
      const line = out.split('\n').find((l) => l.includes('starting kso run'))!;
      const cfg = JSON.parse(line).config;
      assert.deepEqual(cfg.otlp.headers, { authorization: '[REDACTED]', 'x-tenant': '[REDACTED]' });
      assert.doesNotMatch(out, /s3cr3t/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('KSM-compatible names', () => {
  test('--port/--host are the Prometheus bridge; the default listen address is dual-stack ::', () => {
    const d = loadRunConfig([], {});
    assert.equal(d.config?.prometheus.host, '::');
    assert.equal(d.config?.telemetry.port, '', 'self-metrics stay on /metrics unless --telemetry-port');
    const k = loadRunConfig(['--port', '8080', '--host=127.0.0.1', '--telemetry-port', '8081'], {});
    assert.deepEqual(k.problems, []);
    assert.equal(k.config?.prometheus.port, 8080);
    assert.equal(k.config?.prometheus.host, '127.0.0.1');
    assert.equal(k.config?.telemetry.port, 8081);
  });

  test('namespaces denylist: listed minus denied; denying every listed namespace is an error', () => {
    const r = loadRunConfig(['--namespaces=a,b', '--namespaces-denylist=b'], {});
    assert.deepEqual(r.config?.namespacesDenylist, ['b']);
    const all = loadRunConfig(['--namespaces=a', '--namespaces-denylist=a'], {});
    assert.match(all.problems.join(), /every listed namespace is denied/);
  });

  test('an invalid metric regex names the option', () => {
    const r = loadRunConfig(['--metric-denylist=kube_(pod'], {});
    assert.equal(r.problems.length, 1);
    assert.match(
      r.problems[0]!,
      /^metricDenylist \(--metric-denylist, KSO_METRIC_DENYLIST\): invalid regular expression "kube_\(pod"/,
    );
  });

  test('--metric-opt-in-list: KSM flag, env and file; regexes; syntax only JavaScript has is refused', () => {
    const flag = loadRunConfig(['--metric-opt-in-list=kube_pod_nodeselectors, kube_pod_node.*'], {});
    assert.deepEqual(flag.problems, []);
    assert.deepEqual(flag.config?.metricOptInList, ['kube_pod_nodeselectors', 'kube_pod_node.*']);
    assert.deepEqual(flag.warnings, []);
    const env = loadRunConfig([], { KSO_METRIC_OPT_IN_LIST: 'nodeselectors' });
    assert.deepEqual(env.config?.metricOptInList, ['nodeselectors']);
    const file = join(dir, 'optin.yaml');
    writeFileSync(file, 'metricOptInList: [kube_pod_nodeselectors]\n');
    assert.deepEqual(loadRunConfig(['--config', file], {}).config?.metricOptInList, ['kube_pod_nodeselectors']);
    assert.deepEqual(loadRunConfig([], {}).config?.metricOptInList, [], 'off by default');

    const bad = loadRunConfig(['--metric-opt-in-list=kube_(pod'], {});
    assert.match(bad.problems.join('\n'), /^metricOptInList \(--metric-opt-in-list, KSO_METRIC_OPT_IN_LIST\): invalid/);
    const lookahead = loadRunConfig(['--metric-opt-in-list=kube_pod_(?!x)nodeselectors'], {});
    assert.match(lookahead.problems.join('\n'), /metricOptInList .*not RE2 syntax/);
    assert.equal(lookahead.config, undefined);
  });

  test('--metric-opt-in-list warns about entries that turn nothing on, and about an allowlist that removes them', () => {
    const unknown = loadRunConfig(['--metric-opt-in-list=kube_persistentvolume_csi_attributes'], {});
    assert.deepEqual(unknown.problems, [], 'KSM accepts opt-in names it has no family for; so does kso');
    assert.match(
      unknown.warnings.join('\n'),
      /"kube_persistentvolume_csi_attributes" names no opt-in family of schema ksm \(kube_pod_nodeselectors\)/,
    );
    const semconv = loadRunConfig(['--schema=semconv', '--metric-opt-in-list=kube_pod_nodeselectors'], {});
    assert.match(semconv.warnings.join('\n'), /names no opt-in family of schema semconv \(none\)/);
    const allow = loadRunConfig(
      ['--metric-opt-in-list=kube_pod_nodeselectors', '--metric-allowlist=kube_pod_info'],
      {},
    );
    assert.deepEqual(allow.problems, []);
    assert.match(
      allow.warnings.join('\n'),
      /kube_pod_nodeselectors is opted in but --metric-allowlist\/--metric-denylist/,
    );
    const both = loadRunConfig(['--metric-opt-in-list=kube_pod_nodeselectors', '--metric-allowlist=kube_pod_'], {});
    assert.deepEqual(both.warnings, [], 'the allowlist keeps it');
  });

  test('the dual-stack default falls back to 0.0.0.0 where IPv6 is unavailable, and only then', async () => {
    const { listenWithFallback } = await import('../src/telemetry.ts');
    const tried: string[] = [];
    const listen = async (host: string) => {
      tried.push(host);
      if (host === '::') throw Object.assign(new Error('no IPv6'), { code: 'EAFNOSUPPORT' });
      return host;
    };
    assert.equal(await listenWithFallback('::', listen), '0.0.0.0');
    assert.deepEqual(tried, ['::', '0.0.0.0']);
    const inUse = async () => {
      throw Object.assign(new Error('in use'), { code: 'EADDRINUSE' });
    };
    await assert.rejects(listenWithFallback('::', inUse), /in use/);
  });
});
