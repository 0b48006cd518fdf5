// otlpToFileConfig writes exactly the Collector configs the tests used to spell out one by one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { otlpToFileConfig } from '../src/index.ts';

test('gRPC + HTTP receivers, file exporter with flush_interval: the config four tests wrote by hand', () => {
  assert.equal(
    otlpToFileConfig({ grpcPort: 4317, httpPort: 4318, file: 'metrics.json', flushInterval: '100ms' }),
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318
exporters:
  file:
    path: {{DIR}}/metrics.json
    flush_interval: 100ms
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [file]
`,
  );
});

test('one protocol, default flush interval; none is refused', () => {
  const yaml = otlpToFileConfig({ httpPort: 9, file: 'received.jsonl' });
  assert.match(yaml, /protocols:\n {6}http:\n {8}endpoint: 127\.0\.0\.1:9\nexporters:/);
  assert.match(yaml, /path: \{\{DIR\}\}\/received\.jsonl\nservice:/);
  assert.doesNotMatch(yaml, /grpc|flush_interval/);
  assert.throws(() => otlpToFileConfig({ file: 'x' }), /grpcPort or httpPort/);
});
