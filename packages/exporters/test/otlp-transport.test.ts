// OTLP/HTTP target URLs (the specification's endpoint rules) and request bodies sent as pieces, compressed or
// not, against a plain HTTP server that records what arrives; the gzip bodies' runs reused from request to request.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { MetricsStore } from '@kso/metrics';
import { type Compression, createTransport, StoreEncoder, scopeFor } from '../src/index.ts';
import { coalesce, httpMetricsUrl } from '../src/otlp-transport.ts';
import { idleRuns } from '../src/output-runs.ts';

interface Hit {
  path: string;
  encoding: string | undefined;
  body: Buffer;
}
const hits: Hit[] = [];
let base = '';
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const enc = req.headers['content-encoding'];
    hits.push({
      path: req.url ?? '',
      encoding: typeof enc === 'string' ? enc : undefined,
      body: Buffer.concat(chunks),
    });
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

async function post(endpoint: string, body: Buffer | Buffer[], compression: Compression = 'none'): Promise<Hit> {
  hits.length = 0;
  const t = createTransport({ protocol: 'http', endpoint, compression });
  try {
    const r = await t.send(body, 3_000);
    assert.equal(r.ok, true, r.error);
  } finally {
    t.close();
  }
  assert.equal(hits.length, 1);
  return hits[0] as Hit;
}

describe('OTLP/HTTP endpoint URL', () => {
  test('a URL without a path gets /v1/metrics; a URL with a path is used as is', () => {
    assert.equal(httpMetricsUrl('http://c:4318'), 'http://c:4318/v1/metrics');
    assert.equal(httpMetricsUrl('http://c:4318/'), 'http://c:4318/v1/metrics');
    assert.equal(httpMetricsUrl('https://c/v1/metrics'), 'https://c/v1/metrics');
    assert.equal(httpMetricsUrl('https://vendor.example/otlp/metrics'), 'https://vendor.example/otlp/metrics');
    assert.equal(httpMetricsUrl('http://c:4318/prefix/v1/metrics'), 'http://c:4318/prefix/v1/metrics');
  });

  // The config layer passes OTEL_EXPORTER_OTLP_METRICS_ENDPOINT through unchanged (packages/config tests);
  // the spec says the per-signal URL is used "as-is, without any modifications".
  test('a per-signal URL with a custom path is posted to as is', async () => {
    const hit = await post(`${base}/ingest/otlp-metrics`, Buffer.from([0x0a, 0x00]));
    assert.equal(hit.path, '/ingest/otlp-metrics');
  });

  test('the generic endpoint and a bare host reach /…/v1/metrics', async () => {
    assert.equal((await post(base, Buffer.alloc(0))).path, '/v1/metrics');
    assert.equal((await post(`${base}/prefix/v1/metrics`, Buffer.alloc(0))).path, '/prefix/v1/metrics');
  });
});

describe('request bodies in pieces', () => {
  // Large pieces pass through, runs of small ones are joined in batches: both must arrive in order.
  const small = Array.from({ length: 3000 }, (_, i) => Buffer.from(`piece ${i};`));
  const pieces = [
    Buffer.from('a'.repeat(70_000)),
    Buffer.alloc(0),
    ...small,
    Buffer.from('b'.repeat(20_000)),
    Buffer.from('zz'),
  ];
  const whole = Buffer.concat(pieces);
  for (const c of ['none', 'gzip', 'zstd'] as const)
    test(`${c}: the receiver gets the pieces' bytes in order`, async () => {
      const hit = await post(base, pieces, c);
      assert.equal(hit.encoding, c === 'none' ? undefined : c);
      const got = c === 'gzip' ? gunzipSync(hit.body) : c === 'zstd' ? zstdDecompressSync(hit.body) : hit.body;
      assert.ok(got.equals(whole));
    });
});

test('coalesce joins small pieces into batches and keeps large ones as they are', () => {
  const big = Buffer.alloc(100_000, 1);
  const out = coalesce([
    Buffer.alloc(10, 2),
    Buffer.alloc(10, 3),
    big,
    ...Array.from({ length: 40 }, () => Buffer.alloc(10_000, 4)),
  ]);
  assert.equal(out[1], big, 'a large piece is not copied');
  assert.deepEqual(
    out.map((b) => b.length),
    [20, 100_000, 270_000, 130_000],
  );
});

test('a gzip body from kept pieces gives its runs back once its request is closed, and the next bodies reuse them', async () => {
  const store = new MetricsStore({ schema: 'ksm', resources: ['pods'], now: () => 1_700_000_000_000 });
  const pod = (i: number, restarts: number) => ({
    metadata: { name: `p-${i}`, namespace: `ns-${i % 5}`, uid: `pod-${i}` },
    spec: { nodeName: `node-${i % 7}`, containers: [{ name: 'main' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'main', restartCount: restarts, ready: true }] },
  });
  for (let i = 0; i < 2000; i++) store.upsertObject('pods', pod(i, 0));
  const enc = new StoreEncoder({ scope: scopeFor('ksm') });
  const t = createTransport({ protocol: 'http', endpoint: base, compression: 'gzip' });
  try {
    for (let push = 1; push <= 4; push++) {
      store.upsertObject('pods', pod(push * 10, push));
      const limits = { maxBytes: 64 * 1024, maxPoints: 50_000 };
      const reqs = enc.plan(store, 1_700_000_000_000 + push * 15_000, limits, undefined, {}, {});
      assert.ok(reqs.length > 3, 'several requests per push');
      for (const r of reqs) {
        hits.length = 0;
        const res = await t.send(r, 3_000);
        assert.equal(res.ok, true, res.error);
        assert.ok(gunzipSync((hits[0] as Hit).body).equals(r.write()), `push ${push}: the body the Collector reads`);
        // The request's 'close' follows the response's end.
        for (let k = 0; k < 100 && idleRuns() === 0; k++) await new Promise((ok) => setTimeout(ok, 5));
        assert.ok(idleRuns() > 0, 'the body went back to the pool');
      }
    }
    assert.ok(idleRuns() <= 2, `one request at a time needs a run or two: ${idleRuns()} idle`);
  } finally {
    t.close();
  }
});

// Config rejects such headers at start-up (packages/config tests); the transport must still answer with a failed
// send, not a rejected promise: before, a refused gRPC header threw inside the send before its deadline existed.
describe('a header Node refuses to send', () => {
  test('fails the send without retry on both protocols, and leaves nothing hanging', async () => {
    const h2server = grpcServer();
    await new Promise<void>((r) => h2server.listen(0, '127.0.0.1', () => r()));
    const grpcEndpoint = `http://127.0.0.1:${(h2server.address() as AddressInfo).port}`;
    try {
      for (const [protocol, endpoint, headers] of [
        ['grpc', grpcEndpoint, { connection: 'close' }],
        ['grpc', grpcEndpoint, { 'bad name': 'v' }],
        ['http', base, { 'bad name': 'v' }],
        ['http', base, { 'x-token': 'a\nb' }],
      ] as const) {
        const t = createTransport({ protocol, endpoint, headers, compression: 'gzip' });
        try {
          const r = await t.send([Buffer.from([0x0a, 0x00])], 2_000);
          assert.equal(r.ok, false, `${protocol} ${JSON.stringify(headers)}`);
          assert.equal(r.retryable, false);
          assert.equal(r.unreachable, false);
          assert.match(r.error ?? '', /^request refused: .*\(ERR_[A-Z0-9_]+\)$/);
        } finally {
          t.close();
        }
      }
    } finally {
      h2server.close();
    }
  });
});

function grpcServer() {
  // A plaintext HTTP/2 server that answers every call with grpc-status 0; no call should reach it here.
  return createH2Server((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({ 'grpc-status': '0' });
      res.end();
    });
  });
}
