// OTLP metrics requests (ExportMetricsServiceRequest) decoded by hand, protobuf and JSON, for the local push
// endpoint. Only what the sidecar forwards: gauge, sum, histogram and summary points with their attributes.
// Exponential histograms are counted and skipped. A hand-written decoder instead of protobufjs: the whole
// protobufjs runtime plus the OTLP descriptors cost several MB of RSS in a process with a 96Mi limit.
//
// Field numbers: opentelemetry-proto v1 (collector/metrics/v1/metrics_service.proto, metrics/v1/metrics.proto,
// common/v1/common.proto).

export type OtlpKind = 'gauge' | 'sum' | 'histogram' | 'summary';

export interface OtlpPoint {
  readonly attributes: Record<string, string>;
  /** gauge / sum */
  value?: number;
  /** histogram: explicit bounds, per-bucket (not cumulative) counts, one more than bounds. */
  bounds?: number[];
  counts?: number[];
  /** histogram / summary */
  sum?: number;
  count?: number;
  quantiles?: [number, number][];
}

export interface OtlpMetric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: OtlpKind;
  readonly monotonic: boolean;
  readonly delta: boolean;
  readonly points: OtlpPoint[];
}

export interface DecodedRequest {
  readonly metrics: OtlpMetric[];
  /** Points of kinds the sidecar does not forward (exponential histograms). */
  readonly skippedPoints: number;
}

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

// Protobuf ------------------------------------------------------------------------------------------------

class Reader {
  pos: number;
  readonly end: number;
  readonly buf: Buffer;
  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  more(): boolean {
    return this.pos < this.end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }
  fixed64(): Buffer {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
    const b = this.buf.subarray(this.pos, this.pos + 8);
    this.pos += 8;
    return b;
  }
  double(): number {
    return this.fixed64().readDoubleLE(0);
  }
  bytes(): Reader {
    const len = this.varint();
    if (this.pos + len > this.end) throw new OtlpDecodeError('length-delimited field runs past its message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }
  string(): string {
    const r = this.bytes();
    return r.buf.toString('utf8', r.pos, r.end);
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.fixed64();
    else if (wire === 2) this.bytes();
    else if (wire === 5) {
      if (this.pos + 4 > this.end) throw new OtlpDecodeError('truncated fixed32');
      this.pos += 4;
    } else throw new OtlpDecodeError(`unsupported wire type ${wire}`);
  }
  /** Iterates the fields of the current message: calls `on(field, wire)`, which must consume or return false. */
  fields(on: (field: number, wire: number) => boolean): void {
    while (this.more()) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) throw new OtlpDecodeError('field number 0');
      if (!on(field, wire)) this.skip(wire);
    }
  }
}

function expectWire(wire: number, want: number, what: string): void {
  if (wire !== want) throw new OtlpDecodeError(`${what}: wire type ${wire}, expected ${want}`);
}

function anyValue(r: Reader): string {
  let out = '';
  r.fields((f, w) => {
    if (f === 1 && w === 2) out = r.string();
    else if (f === 2 && w === 0) out = r.varint() ? 'true' : 'false';
    else if (f === 3 && w === 0) out = String(r.varint());
    else if (f === 4 && w === 1) out = String(r.double());
    else return false;
    return true;
  });
  return out;
}

function keyValue(r: Reader, into: Record<string, string>): void {
  let key = '';
  let value = '';
  r.fields((f, w) => {
    if (f === 1 && w === 2) key = r.string();
    else if (f === 2 && w === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  if (key === '') throw new OtlpDecodeError('attribute with an empty key');
  into[key] = value;
}

function packedOrSingle(r: Reader, wire: number, read: (x: Reader) => number, out: number[]): void {
  if (wire === 2) {
    const p = r.bytes();
    while (p.more()) out.push(read(p));
  } else {
    expectWire(wire, 1, 'repeated fixed64/double');
    out.push(read(r));
  }
}

const u64 = (x: Reader) => Number(x.fixed64().readBigUInt64LE(0));
const f64 = (x: Reader) => x.double();

function numberPoint(r: Reader): OtlpPoint {
  const p: OtlpPoint = { attributes: {} };
  r.fields((f, w) => {
    if (f === 7 && w === 2) keyValue(r.bytes(), p.attributes);
    else if (f === 4 && w === 1) p.value = r.double();
    else if (f === 6 && w === 1) p.value = Number(r.fixed64().readBigInt64LE(0));
    else return false;
    return true;
  });
  return p;
}

function histogramPoint(r: Reader): OtlpPoint {
  const p: OtlpPoint = { attributes: {}, bounds: [], counts: [], sum: 0, count: 0 };
  r.fields((f, w) => {
    if (f === 9 && w === 2) keyValue(r.bytes(), p.attributes);
    else if (f === 4 && w === 1) p.count = u64(r);
    else if (f === 5 && w === 1) p.sum = r.double();
    else if (f === 6) packedOrSingle(r, w, u64, p.counts!);
    else if (f === 7) packedOrSingle(r, w, f64, p.bounds!);
    else return false;
    return true;
  });
  return p;
}

function summaryPoint(r: Reader): OtlpPoint {
  const p: OtlpPoint = { attributes: {}, sum: 0, count: 0, quantiles: [] };
  r.fields((f, w) => {
    if (f === 7 && w === 2) keyValue(r.bytes(), p.attributes);
    else if (f === 4 && w === 1) p.count = u64(r);
    else if (f === 5 && w === 1) p.sum = r.double();
    else if (f === 6 && w === 2) {
      const q = r.bytes();
      let quantile = 0;
      let value = 0;
      q.fields((qf, qw) => {
        if (qf === 1 && qw === 1) quantile = q.double();
        else if (qf === 2 && qw === 1) value = q.double();
        else return false;
        return true;
      });
      p.quantiles!.push([quantile, value]);
    } else return false;
    return true;
  });
  return p;
}

interface Shape {
  points: OtlpPoint[];
  delta: boolean;
  monotonic: boolean;
}

function dataOf(r: Reader, point: (x: Reader) => OtlpPoint): Shape {
  const s: Shape = { points: [], delta: false, monotonic: false };
  r.fields((f, w) => {
    if (f === 1 && w === 2) s.points.push(point(r.bytes()));
    else if (f === 2 && w === 0) s.delta = r.varint() === 1;
    else if (f === 3 && w === 0) s.monotonic = r.varint() !== 0;
    else return false;
    return true;
  });
  return s;
}

function metric(r: Reader, out: OtlpMetric[], skipped: { n: number }): void {
  let name = '';
  let description = '';
  let unit = '';
  let kind: OtlpKind | undefined;
  let shape: Shape | undefined;
  r.fields((f, w) => {
    if (f === 1 && w === 2) name = r.string();
    else if (f === 2 && w === 2) description = r.string();
    else if (f === 3 && w === 2) unit = r.string();
    else if (f === 5 && w === 2) [kind, shape] = ['gauge', dataOf(r.bytes(), numberPoint)];
    else if (f === 7 && w === 2) [kind, shape] = ['sum', dataOf(r.bytes(), numberPoint)];
    else if (f === 9 && w === 2) [kind, shape] = ['histogram', dataOf(r.bytes(), histogramPoint)];
    else if (f === 11 && w === 2) [kind, shape] = ['summary', dataOf(r.bytes(), summaryPoint)];
    else if (f === 10 && w === 2) {
      const e = r.bytes();
      e.fields((ef, ew) => {
        if (ef === 1 && ew === 2) {
          e.bytes();
          skipped.n++;
          return true;
        }
        return false;
      });
    } else return false;
    return true;
  });
  if (!kind || !shape) return;
  out.push(validate({ name, description, unit, kind, ...shape }));
}

/** ExportMetricsServiceRequest (application/x-protobuf). */
export function decodeOtlpProtobuf(body: Buffer): DecodedRequest {
  const metrics: OtlpMetric[] = [];
  const skipped = { n: 0 };
  const r = new Reader(body);
  r.fields((f, w) => {
    if (f !== 1) return false;
    expectWire(w, 2, 'resource_metrics');
    const rm = r.bytes();
    rm.fields((rf, rw) => {
      if (rf !== 2) return false;
      expectWire(rw, 2, 'scope_metrics');
      const sm = rm.bytes();
      sm.fields((sf, sw) => {
        if (sf !== 2) return false;
        expectWire(sw, 2, 'metrics');
        metric(sm.bytes(), metrics, skipped);
        return true;
      });
      return true;
    });
    return true;
  });
  return { metrics, skippedPoints: skipped.n };
}

// JSON (OTLP/HTTP JSON encoding: camelCase fields, 64-bit integers as strings or numbers) -----------------

type J = Record<string, unknown>;
const jobj = (v: unknown): J => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const jarr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function jnum(v: unknown, what: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || Number.isNaN(n)) {
    if (v === 'NaN') return Number.NaN;
    throw new OtlpDecodeError(`${what}: not a number (${JSON.stringify(v)})`);
  }
  return n;
}

function jattrs(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of jarr(v)) {
    const { key, value } = jobj(kv);
    if (typeof key !== 'string' || key === '') throw new OtlpDecodeError('attribute with an empty key');
    const a = jobj(value);
    const s = a['stringValue'] ?? a['intValue'] ?? a['doubleValue'] ?? a['boolValue'];
    out[key] = s === undefined ? '' : String(s);
  }
  return out;
}

function jpoint(kind: OtlpKind, raw: unknown): OtlpPoint {
  const d = jobj(raw);
  const p: OtlpPoint = { attributes: jattrs(d['attributes']) };
  if (kind === 'gauge' || kind === 'sum') {
    if (d['asDouble'] !== undefined) p.value = jnum(d['asDouble'], 'asDouble');
    else if (d['asInt'] !== undefined) p.value = jnum(d['asInt'], 'asInt');
  } else {
    p.count = d['count'] === undefined ? 0 : jnum(d['count'], 'count');
    p.sum = d['sum'] === undefined ? 0 : jnum(d['sum'], 'sum');
    if (kind === 'histogram') {
      p.counts = jarr(d['bucketCounts']).map((c) => jnum(c, 'bucketCounts'));
      p.bounds = jarr(d['explicitBounds']).map((c) => jnum(c, 'explicitBounds'));
    } else {
      p.quantiles = jarr(d['quantileValues']).map((q) => {
        const o = jobj(q);
        return [jnum(o['quantile'] ?? 0, 'quantile'), jnum(o['value'] ?? 0, 'value')];
      });
    }
  }
  return p;
}

/** ExportMetricsServiceRequest as OTLP JSON (application/json). */
export function decodeOtlpJson(text: string): DecodedRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`not JSON: ${(err as Error).message}`);
  }
  const metrics: OtlpMetric[] = [];
  let skippedPoints = 0;
  for (const rm of jarr(jobj(doc)['resourceMetrics'])) {
    for (const sm of jarr(jobj(rm)['scopeMetrics'])) {
      for (const m of jarr(jobj(sm)['metrics'])) {
        const o = jobj(m);
        const kind = (['gauge', 'sum', 'histogram', 'summary'] as const).find((k) => o[k] !== undefined);
        if (!kind) {
          skippedPoints += jarr(jobj(o['exponentialHistogram'])['dataPoints']).length;
          continue;
        }
        const data = jobj(o[kind]);
        const t = data['aggregationTemporality'];
        metrics.push(
          validate({
            name: typeof o['name'] === 'string' ? o['name'] : '',
            description: typeof o['description'] === 'string' ? o['description'] : '',
            unit: typeof o['unit'] === 'string' ? o['unit'] : '',
            kind,
            monotonic: data['isMonotonic'] === true,
            delta: t === 1 || t === 'AGGREGATION_TEMPORALITY_DELTA',
            points: jarr(data['dataPoints']).map((p) => jpoint(kind, p)),
          }),
        );
      }
    }
  }
  return { metrics, skippedPoints };
}

function validate(m: OtlpMetric): OtlpMetric {
  if (m.name === '') throw new OtlpDecodeError('a metric has no name');
  for (const p of m.points) {
    if ((m.kind === 'gauge' || m.kind === 'sum') && p.value === undefined)
      throw new OtlpDecodeError(`metric ${m.name}: a data point has neither asDouble nor asInt`);
    if (m.kind === 'histogram' && p.counts!.length > 0 && p.counts!.length !== p.bounds!.length + 1)
      throw new OtlpDecodeError(
        `metric ${m.name}: ${p.counts!.length} bucket counts for ${p.bounds!.length} explicit bounds (want bounds + 1)`,
      );
  }
  return m;
}
