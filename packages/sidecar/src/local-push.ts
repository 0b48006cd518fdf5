// The local push endpoint: jobs that can push do not have to depend on the sidecar's scrape timing. On
// localhost it accepts OTLP/HTTP metrics (POST /v1/metrics, protobuf or JSON) and Pushgateway-style text
// (PUT/POST/DELETE /metrics/job/<name>{/<label>/<value>}), keeps the latest value of every series and hands
// them to the sinks with the Pod identity attached, in the final flush too.
//
// A push is validated completely before anything is stored: a malformed one gets a 400 with the reason and
// leaves what was accepted before untouched.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { type PromFamily, type PromSample, type PromType, parsePrometheusText } from '@kso/exporters/prom-parse';
import type { CollectionResult, MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { decodeOtlpJson, decodeOtlpProtobuf, OtlpDecodeError, type OtlpMetric } from './otlp-decode.ts';
import { type Identity, scopeCollection, toMetricData, toPrometheusText } from './relay.ts';

export class PushRejected extends Error {
  override name = 'PushRejected';
}

interface Group {
  readonly labels: Record<string, string>;
  readonly families: Map<string, PromFamily>;
}

/** Series identity inside a family: labels without the per-bucket/per-quantile one. */
function seriesKey(s: PromSample): string {
  return JSON.stringify(
    Object.keys(s.labels)
      .filter((k) => k !== 'le' && k !== 'quantile')
      .sort()
      .map((k) => [k, s.labels[k]]),
  );
}

const promName = (n: string) => n.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^([0-9])/, '_$1');
const labelName = (n: string) => n.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1');

/** OTLP metric → the Prometheus-shaped family the relay already knows how to forward to both sinks. */
function familyOf(m: OtlpMetric): PromFamily {
  const type: PromType =
    m.kind === 'sum' ? (m.monotonic ? 'counter' : 'gauge') : m.kind === 'histogram' ? 'histogram' : m.kind;
  const samples: PromSample[] = [];
  for (const p of m.points) {
    const labels = p.attributes;
    if (m.kind === 'gauge' || m.kind === 'sum') samples.push({ name: m.name, labels, value: p.value! });
    else if (m.kind === 'histogram') {
      let cum = 0;
      p.counts!.forEach((c, i) => {
        cum += c;
        const le = i < p.bounds!.length ? String(p.bounds![i]) : '+Inf';
        samples.push({ name: `${m.name}_bucket`, labels: { ...labels, le }, value: cum });
      });
      samples.push({ name: `${m.name}_sum`, labels, value: p.sum ?? 0 });
      samples.push({ name: `${m.name}_count`, labels, value: p.count ?? cum });
    } else {
      for (const [q, v] of p.quantiles ?? [])
        samples.push({ name: m.name, labels: { ...labels, quantile: String(q) }, value: v });
      samples.push({ name: `${m.name}_sum`, labels, value: p.sum ?? 0 });
      samples.push({ name: `${m.name}_count`, labels, value: p.count ?? 0 });
    }
  }
  return { name: m.name, type, help: m.description, samples };
}

export interface LocalPushesOptions {
  readonly startMs: number;
  /** Identity attributes for OTLP (schema-dependent names). */
  readonly identity: () => Identity;
}

/** What was pushed locally, as a MetricProducer (OTLP) and as Prometheus text (Pushgateway). */
export class LocalPushes implements MetricProducer {
  readonly #groups = new Map<string, Group>();
  readonly #opts: LocalPushesOptions;
  #accepted = 0;

  constructor(opts: LocalPushesOptions) {
    this.#opts = opts;
  }

  get accepted(): number {
    return this.#accepted;
  }

  /** Throws PushRejected (nothing stored) when a family's type contradicts an accepted one. */
  #checkTypes(families: readonly PromFamily[], exceptGroup: string | undefined): void {
    for (const f of families) {
      for (const [key, g] of this.#groups) {
        if (key === exceptGroup) continue;
        const other = g.families.get(f.name);
        if (other && other.type !== f.type)
          throw new PushRejected(`metric ${f.name} is a ${f.type} here but was pushed as a ${other.type} before`);
      }
    }
  }

  /**
   * Pushgateway semantics: PUT replaces the group, POST replaces the same-named metrics in it.
   * Labels of the grouping key are added to every series; `job` becomes `exported_job`, since the sidecar's
   * own identity and the upstream Pushgateway's grouping key are what `job` means downstream.
   */
  pushGroup(key: Record<string, string>, families: readonly PromFamily[], replace: boolean): void {
    const id = JSON.stringify(Object.entries(key).sort());
    const existing = this.#groups.get(id);
    for (const f of families) {
      const same = existing?.families.get(f.name);
      if (!replace && same && same.type !== f.type)
        throw new PushRejected(`metric ${f.name} is a ${f.type} here but was pushed as a ${same.type} before`);
    }
    this.#checkTypes(families, id);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(key)) labels[k === 'job' ? 'exported_job' : k] = v;
    const next = new Map(replace ? [] : (existing?.families ?? []));
    for (const f of families) next.set(f.name, f);
    this.#groups.set(id, { labels, families: next });
    this.#accepted++;
  }

  deleteGroup(key: Record<string, string>): boolean {
    return this.#groups.delete(JSON.stringify(Object.entries(key).sort()));
  }

  /** OTLP semantics: every pushed series replaces its previous value (delta sums/histograms accumulate). */
  pushOtlp(metrics: readonly OtlpMetric[]): void {
    const families = metrics.map(familyOf);
    const id = 'otlp';
    const existing = this.#groups.get(id)?.families;
    for (const f of families) {
      const same = existing?.get(f.name);
      if (same && same.type !== f.type)
        throw new PushRejected(`metric ${f.name} is a ${f.type} here but was pushed as a ${same.type} before`);
    }
    this.#checkTypes(families, id);
    const next = new Map(existing ?? []);
    metrics.forEach((m, i) => {
      const f = families[i]!;
      const before = next.get(f.name);
      if (!before) {
        next.set(f.name, f);
        return;
      }
      const incoming = new Set(f.samples.map(seriesKey));
      let samples = f.samples;
      if (m.delta && (m.kind === 'sum' || m.kind === 'histogram')) {
        const prev = new Map(before.samples.map((s) => [`${s.name}\u0000${JSON.stringify(s.labels)}`, s.value]));
        samples = samples.map((s) => ({
          ...s,
          value: s.value + (prev.get(`${s.name}\u0000${JSON.stringify(s.labels)}`) ?? 0),
        }));
      }
      const kept = before.samples.filter((s) => !incoming.has(seriesKey(s)));
      next.set(f.name, { ...f, help: f.help || before.help, samples: [...kept, ...samples] });
    });
    this.#groups.set(id, { labels: {}, families: next });
    this.#accepted++;
  }

  /** All groups merged by metric name, grouping labels attached. */
  families(): PromFamily[] {
    const byName = new Map<string, PromFamily>();
    for (const g of this.#groups.values()) {
      for (const f of g.families.values()) {
        const samples = Object.keys(g.labels).length
          ? f.samples.map((s) => ({ ...s, labels: { ...s.labels, ...g.labels } }))
          : f.samples;
        const have = byName.get(f.name);
        if (have) have.samples.push(...samples);
        else byName.set(f.name, { ...f, samples: [...samples] });
      }
    }
    return [...byName.values()];
  }

  metricData(nowMs = Date.now()): MetricData[] {
    return this.#groups.size === 0
      ? []
      : toMetricData(this.families(), this.#opts.identity(), this.#opts.startMs, nowMs);
  }

  async collect(): Promise<CollectionResult> {
    return scopeCollection('@kso/sidecar/push', this.metricData());
  }

  /** Prometheus text for the Pushgateway body; OTLP names and attribute keys are sanitised. */
  prometheusText(identity: Identity): string {
    if (this.#groups.size === 0) return '';
    const fams = this.families().map((f) => ({
      ...f,
      name: promName(f.name),
      samples: f.samples.map((s) => {
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.labels)) labels[labelName(k)] = v;
        return { ...s, name: promName(s.name), labels };
      }),
    }));
    return toPrometheusText(fams, identity);
  }
}

// HTTP ----------------------------------------------------------------------------------------------------

const MAX_BODY = 8 << 20;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new PushRejected(`body larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** /metrics/job/<name>{/<label>/<value>}, `<label>@base64` values in URL-safe base64 (Pushgateway API). */
export function parseGroupPath(pathname: string): Record<string, string> {
  const parts = pathname.replace(/^\/metrics\//, '').split('/');
  if (parts.at(-1) === '') parts.pop();
  if (parts.length < 2 || parts.length % 2 !== 0)
    throw new PushRejected(`grouping key path must be /metrics/job/<name>{/<label>/<value>}, got ${pathname}`);
  const key: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) {
    let name = decodeURIComponent(parts[i]!);
    let value = decodeURIComponent(parts[i + 1]!);
    if (name.endsWith('@base64')) {
      name = name.slice(0, -'@base64'.length);
      value = value === '=' ? '' : Buffer.from(value, 'base64url').toString('utf8');
    }
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name))
      throw new PushRejected(`invalid grouping label name ${JSON.stringify(name)}`);
    key[name] = value;
  }
  if (parts[0] !== 'job' && parts[0] !== 'job@base64') throw new PushRejected('the grouping key must start with job');
  if (!key['job']) throw new PushRejected('job name must not be empty');
  return key;
}

function rpcStatus(message: string): Buffer {
  // google.rpc.Status { code = 3 (INVALID_ARGUMENT); message }
  const msg = Buffer.from(message, 'utf8');
  const len: number[] = [];
  let n = msg.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x08, 0x03, 0x12, ...len]), msg]);
}

export interface LocalPushServer {
  readonly address: string;
  close(): Promise<void>;
}

export interface LocalPushServerOptions {
  /** host:port; port 0 = any free port. */
  readonly listen: string;
  readonly pushes: LocalPushes;
  /** /readyz answers 200 once this is true (the sidecar has synced and pushed once). */
  readonly ready: () => boolean;
  readonly logger: Logger;
  /**
   * Serve /readyz and /healthz only: the kubelet probes the Pod IP, where the push API must not be exposed.
   */
  readonly probesOnly?: boolean;
}

/** Answers /readyz and /healthz; false when the request is not a probe. */
function answerProbe(path: string, method: string, ready: () => boolean, res: ServerResponse): boolean {
  if ((path !== '/readyz' && path !== '/healthz') || method !== 'GET') return false;
  const ok = path === '/healthz' || ready();
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not synced yet\n');
  return true;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const body = await readBody(req);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/** POST /v1/metrics: OTLP/HTTP, protobuf or JSON (as the content type says), answered in the same encoding. */
async function acceptOtlp(req: IncomingMessage, res: ServerResponse, json: boolean, o: LocalPushServerOptions) {
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
  const body = await bodyOf(req);
  const decoded = json ? decodeOtlpJson(body.toString('utf8')) : decodeOtlpProtobuf(body);
  o.pushes.pushOtlp(decoded.metrics);
  o.logger.debug({ metrics: decoded.metrics.length, skippedPoints: decoded.skippedPoints }, 'OTLP push accepted');
  if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
}

/** PUT/POST/DELETE /metrics/job/<name>{/<label>/<value>}: the Pushgateway API. */
async function acceptGroup(req: IncomingMessage, res: ServerResponse, path: string, o: LocalPushServerOptions) {
  const key = parseGroupPath(path);
  const method = req.method ?? 'GET';
  if (method === 'DELETE') {
    o.pushes.deleteGroup(key);
    return void res.writeHead(202).end();
  }
  if (method !== 'PUT' && method !== 'POST') return void res.writeHead(405, { allow: 'PUT, POST, DELETE' }).end();
  const parsed = parsePrometheusText((await bodyOf(req)).toString('utf8'));
  // The Pushgateway rejects a push with any bad line: so do we, so nothing half-parsed is forwarded.
  const first = parsed.errors[0];
  if (first) throw new PushRejected(`text format parsing error in line ${first.line}: ${first.message}`);
  o.pushes.pushGroup(key, parsed.families, method === 'PUT');
  o.logger.debug({ group: key, families: parsed.families.length }, 'Pushgateway-style push accepted');
  res.writeHead(200).end();
}

/** 400 with the reason for a bad push (500 for our own failure), in the encoding the client speaks. */
function rejectPush(res: ServerResponse, err: unknown, otlp: boolean, json: boolean): string {
  const known =
    err instanceof PushRejected || err instanceof OtlpDecodeError || (err as { code?: string }).code?.startsWith('Z_');
  const message = known ? (err as Error).message : `internal error: ${(err as Error).message}`;
  const status = known ? 400 : 500;
  if (otlp && !json) res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(rpcStatus(message));
  else if (otlp)
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message }));
  else res.writeHead(status, { 'content-type': 'text/plain' }).end(`${message}\n`);
  return message;
}

async function handle(req: IncomingMessage, res: ServerResponse, o: LocalPushServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  const method = req.method ?? 'GET';
  if (answerProbe(path, method, o.ready, res)) return;
  if (o.probesOnly)
    return void res.writeHead(404, { 'content-type': 'text/plain' }).end('probes only: /readyz /healthz\n');
  const otlp = path === '/v1/metrics';
  const json = (req.headers['content-type'] ?? '').includes('json');
  try {
    if (otlp) return await acceptOtlp(req, res, json, o);
    if (path.startsWith('/metrics/')) return await acceptGroup(req, res, path, o);
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: use POST /v1/metrics or /metrics/job/<name>\n');
  } catch (err) {
    o.logger.warn({ path, method, error: rejectPush(res, err, otlp, json) }, 'local push rejected');
  }
}

export async function startLocalPushServer(opts: LocalPushServerOptions): Promise<LocalPushServer> {
  const m = /^(.*):(\d+)$/.exec(opts.listen);
  if (!m) throw new Error(`push listen address must be host:port, got ${JSON.stringify(opts.listen)}`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: Error) => {
      opts.logger.error({ error: err.message }, 'local push handler failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
