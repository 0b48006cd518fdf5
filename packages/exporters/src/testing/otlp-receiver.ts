// In-process OTLP metrics receiver for tests: a real @grpc/grpc-js server (raw Buffer (de)serializers) and an
// OTLP/HTTP endpoint (POST /v1/metrics, protobuf or JSON), decoding the real wire format with protobufjs.
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package opentelemetry.proto;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message Metric { string name = 1; string description = 2; string unit = 3; oneof data { Gauge gauge = 5; Sum sum = 7; } }
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; oneof value { double as_double = 4; sfixed64 as_int = 6; } uint32 flags = 8; }
`;

const root = protobuf.parse(PROTO, { keepCase: false }).root;
const RequestType = root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest');

export interface ReceivedPoint {
  attributes: Record<string, string | number | boolean>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value: number;
  /** as_int (true) or as_double. */
  isInt: boolean;
}
export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'other';
  isMonotonic: boolean;
  /** 1 delta, 2 cumulative (sum only). */
  temporality: number;
  points: ReceivedPoint[];
}
export interface ReceivedRequest {
  transport: 'grpc' | 'http';
  /** gRPC metadata or HTTP headers, lower-case keys. */
  headers: Record<string, string>;
  bytes: number;
  resourceAttributes: Record<string, string | number | boolean>[];
  metrics: ReceivedMetric[];
  /** The same metrics grouped as sent: per ResourceMetrics, per scope. */
  resources: ReceivedResource[];
  points: number;
}
export interface ReceivedScope {
  name: string;
  version: string;
  schemaUrl: string;
  metrics: ReceivedMetric[];
}
export interface ReceivedResource {
  attributes: Record<string, string | number | boolean>;
  schemaUrl: string;
  scopes: ReceivedScope[];
}

type Obj = Record<string, unknown>;
function anyValue(v: Obj | undefined): string | number | boolean {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue as string;
  if (v.boolValue !== undefined) return v.boolValue as boolean;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue as number;
  return JSON.stringify(v);
}
function kv(list: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const e of (list as Obj[] | undefined) ?? []) out[e.key as string] = anyValue(e.value as Obj | undefined);
  return out;
}

/** Decodes an ExportMetricsServiceRequest (protobuf bytes or an OTLP/JSON object) into a flat, test-friendly shape. */
export function decodeExportRequest(
  input: Uint8Array | Obj,
  transport: 'grpc' | 'http',
  headers: Record<string, string> = {},
): ReceivedRequest {
  const msg = input instanceof Uint8Array ? RequestType.decode(input) : RequestType.fromObject(input);
  const o = RequestType.toObject(msg, { longs: String, defaults: false, oneofs: false }) as Obj;
  const resourceAttributes: Record<string, string | number | boolean>[] = [];
  const metrics: ReceivedMetric[] = [];
  const resources: ReceivedResource[] = [];
  let points = 0;
  for (const rm of (o.resourceMetrics as Obj[] | undefined) ?? []) {
    const attributes = kv((rm.resource as Obj | undefined)?.attributes);
    resourceAttributes.push(attributes);
    const res: ReceivedResource = { attributes, schemaUrl: (rm.schemaUrl as string | undefined) ?? '', scopes: [] };
    resources.push(res);
    for (const sm of (rm.scopeMetrics as Obj[] | undefined) ?? []) {
      const scope = (sm.scope as Obj | undefined) ?? {};
      const rs: ReceivedScope = {
        name: (scope.name as string | undefined) ?? '',
        version: (scope.version as string | undefined) ?? '',
        schemaUrl: (sm.schemaUrl as string | undefined) ?? '',
        metrics: [],
      };
      res.scopes.push(rs);
      for (const m of (sm.metrics as Obj[] | undefined) ?? []) {
        const data = (m.gauge ?? m.sum) as Obj | undefined;
        const pts = ((data?.dataPoints as Obj[] | undefined) ?? []).map((p) => ({
          attributes: kv(p.attributes),
          startTimeUnixNano: BigInt((p.startTimeUnixNano as string | undefined) ?? '0'),
          timeUnixNano: BigInt((p.timeUnixNano as string | undefined) ?? '0'),
          value: p.asDouble !== undefined ? Number(p.asDouble) : Number(p.asInt ?? 0),
          isInt: p.asDouble === undefined,
        }));
        points += pts.length;
        const metric: ReceivedMetric = {
          name: m.name as string,
          description: (m.description as string | undefined) ?? '',
          unit: (m.unit as string | undefined) ?? '',
          kind: m.gauge ? 'gauge' : m.sum ? 'sum' : 'other',
          isMonotonic: Boolean((m.sum as Obj | undefined)?.isMonotonic),
          temporality: Number((m.sum as Obj | undefined)?.aggregationTemporality ?? 0),
          points: pts,
        };
        metrics.push(metric);
        rs.metrics.push(metric);
      }
    }
  }
  return {
    transport,
    headers,
    bytes: input instanceof Uint8Array ? input.length : 0,
    resourceAttributes,
    metrics,
    resources,
    points,
  };
}

export interface OtlpReceiver {
  /** host:port for gRPC (use `http://${grpcAddress}` as exporter url). */
  grpcAddress: string;
  /** Base URL of the HTTP endpoint, e.g. http://127.0.0.1:1234 (POST /v1/metrics). */
  httpUrl: string;
  received: ReceivedRequest[];
  /** Every request (failed ones too). */
  attempts: number;
  /** Fails the next n requests with the gRPC status (HTTP: 503 for UNAVAILABLE, 429 RESOURCE_EXHAUSTED, else 500). */
  failNext(n: number, status?: grpc.status): void;
  /** true: stop listening (connections refused); false: listen again on the same ports. */
  setDown(down: boolean): Promise<void>;
  /** Delay answers by ms (0 to stop). */
  hang(ms: number): void;
  waitFor(predicate: (r: ReceivedRequest[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** What the receiver has seen and the faults a test asked for, shared by the gRPC and HTTP endpoints. */
class ReceiverState {
  readonly received: ReceivedRequest[] = [];
  attempts = 0;
  failures: { n: number; status: grpc.status } = { n: 0, status: grpc.status.UNAVAILABLE };
  hangMs = 0;
  readonly #waiters = new Set<() => void>();

  notify(): void {
    for (const w of this.#waiters) w();
  }

  delay(): Promise<unknown> {
    return this.hangMs > 0 ? new Promise((r) => setTimeout(r, this.hangMs)) : Promise.resolve();
  }

  /** The injected status for this request, if failures are pending. */
  takeFailure(): grpc.status | undefined {
    if (this.failures.n <= 0) return undefined;
    this.failures.n--;
    return this.failures.status;
  }

  waitFor(predicate: (r: ReceivedRequest[]) => boolean, timeoutMs: number): Promise<void> {
    const received = this.received;
    if (predicate(received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(received)) {
          clearTimeout(t);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const t = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`waitFor timed out after ${timeoutMs} ms (${received.length} requests received)`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}

/** MetricsService/Export with raw Buffer (de)serializers: the request is decoded by decodeExportRequest. */
function exportHandler(state: ReceiverState) {
  return (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
    state.attempts++;
    void state.delay().then(() => {
      const fail = state.takeFailure();
      if (fail !== undefined) {
        cb({ code: fail, details: 'injected failure' });
        return;
      }
      try {
        const md: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v);
        state.received.push(decodeExportRequest(call.request, 'grpc', md));
        cb(null, Buffer.alloc(0));
        state.notify();
      } catch (err) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
      }
    });
  };
}

async function startGrpcServer(
  port: number,
  maxReceiveMessageBytes: number,
  state: ReceiverState,
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxReceiveMessageBytes });
  const ident = (b: Buffer) => b;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: ident,
        requestDeserialize: ident,
        responseSerialize: ident,
        responseDeserialize: ident,
      },
    },
    { Export: exportHandler(state) },
  );
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port: bound };
}

/** POST /v1/metrics (protobuf or JSON, optionally gzipped): the status code and body to answer. */
async function onHttpExport(state: ReceiverState, req: IncomingMessage, body: Buffer): Promise<[number, string]> {
  if (req.method !== 'POST' || req.url !== '/v1/metrics') return [404, 'not found'];
  state.attempts++;
  await state.delay();
  const fail = state.takeFailure();
  if (fail !== undefined)
    return [
      fail === grpc.status.UNAVAILABLE ? 503 : fail === grpc.status.RESOURCE_EXHAUSTED ? 429 : 500,
      'injected failure',
    ];
  const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = String(v);
  const isJson = (req.headers['content-type'] ?? '').includes('json');
  state.received.push(decodeExportRequest(isJson ? (JSON.parse(raw.toString('utf8')) as Obj) : raw, 'http', headers));
  state.notify();
  return [200, isJson ? '{}' : ''];
}

async function startHttpServer(port: number, state: ReceiverState): Promise<{ server: HttpServer; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      onHttpExport(state, req, Buffer.concat(chunks)).then(
        ([code, text]) =>
          res
            .writeHead(code, { 'content-type': text === '{}' ? 'application/json' : 'application/x-protobuf' })
            .end(text),
        (err: unknown) => res.writeHead(400).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function startOtlpReceiver(opts: { maxReceiveMessageBytes?: number } = {}): Promise<OtlpReceiver> {
  const state = new ReceiverState();
  const maxBytes = opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024;
  let grpcServer: grpc.Server | undefined;
  let grpcPort = 0;
  let httpServer: HttpServer | undefined;
  let httpPort = 0;
  // The ports of the first start are kept, so setDown(false) listens where the exporter already points.
  const start = async () => {
    const g = await startGrpcServer(grpcPort, maxBytes, state);
    grpcPort = g.port;
    grpcServer = g.server;
    const h = await startHttpServer(httpPort, state);
    httpPort = h.port;
    httpServer = h.server;
  };
  const stop = async () => {
    const g = grpcServer;
    const h = httpServer;
    grpcServer = undefined;
    httpServer = undefined;
    g?.forceShutdown();
    if (h) {
      h.closeAllConnections();
      await new Promise<void>((r) => h.close(() => r()));
    }
  };

  await start();
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    received: state.received,
    get attempts() {
      return state.attempts;
    },
    failNext(n, status = grpc.status.UNAVAILABLE) {
      state.failures = { n, status };
    },
    async setDown(down) {
      if (down) await stop();
      else if (!grpcServer) await start();
    },
    hang(ms) {
      state.hangMs = ms;
    },
    waitFor: (predicate, timeoutMs) => state.waitFor(predicate, timeoutMs),
    close: stop,
  };
}
