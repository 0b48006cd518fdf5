// Hand-written protobuf encoding of the OTLP metrics messages kso sends (opentelemetry/proto/metrics/v1,
// collector/metrics/v1). protobufjs and the SDK's otlp-transformer cost ~6 µs per point and a large import
// graph; the handful of messages below is all the push path needs, and the store encoder caches their bytes
// per object. Field numbers are the proto's; every writer emits canonical (minimal) varints.
import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';

// Wire types: 0 varint, 1 fixed64, 2 length-delimited. tag = field << 3 | type.
export const TAG = {
  requestResourceMetrics: 0x0a, // ExportMetricsServiceRequest.resource_metrics = 1
  rmResource: 0x0a, // ResourceMetrics.resource = 1
  rmScopeMetrics: 0x12, // ResourceMetrics.scope_metrics = 2
  rmSchemaUrl: 0x1a, // ResourceMetrics.schema_url = 3
  resourceAttributes: 0x0a, // Resource.attributes = 1
  smScope: 0x0a, // ScopeMetrics.scope = 1
  smMetrics: 0x12, // ScopeMetrics.metrics = 2
  smSchemaUrl: 0x1a, // ScopeMetrics.schema_url = 3
  scopeName: 0x0a,
  scopeVersion: 0x12,
  metricName: 0x0a,
  metricDescription: 0x12,
  metricUnit: 0x1a,
  metricGauge: 0x2a, // = 5
  metricSum: 0x3a, // = 7
  metricHistogram: 0x4a, // = 9
  dataPoints: 0x0a, // Gauge/Sum/Histogram.data_points = 1
  sumTemporality: 0x10, // Sum.aggregation_temporality = 2 (varint)
  sumMonotonic: 0x18, // Sum.is_monotonic = 3 (varint)
  histTemporality: 0x10, // Histogram.aggregation_temporality = 2
  ndpStart: 0x11, // NumberDataPoint.start_time_unix_nano = 2 (fixed64)
  ndpTime: 0x19, // = 3 (fixed64)
  ndpDouble: 0x21, // as_double = 4 (fixed64)
  ndpInt: 0x31, // as_int = 6 (sfixed64)
  ndpAttributes: 0x3a, // attributes = 7
  kvKey: 0x0a,
  kvValue: 0x12,
  anyString: 0x0a,
  anyBool: 0x10,
  anyInt: 0x18,
  anyDouble: 0x21,
  anyArray: 0x2a,
  arrayValues: 0x0a,
} as const;

/** A growable output buffer with the protobuf primitives. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;
  /** Offsets of time_unix_nano values to patch at push time (kept valid when nested() moves bytes). */
  readonly marks: number[] = [];

  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** A fixed64 placeholder for the push time: tag + 8 bytes recorded in `marks`. */
  timeMark(tag: number): void {
    this.byte(tag);
    this.ensure(8);
    this.marks.push(this.pos);
    // Byte stores: a fill() per point is a native call for 8 bytes.
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < 8; i++) b[p + i] = 0;
    this.pos = p + 8;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  varint(n: number): void {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, n);
  }

  /** Raw little-endian 64-bit value given as milliseconds → nanoseconds (fixed64 timestamps). */
  fixed64Nanos(ms: number): void {
    this.ensure(8);
    writeNanos(this.buf, this.pos, ms);
    this.pos += 8;
  }

  fixed64HrTime(t: HrTime): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]), this.pos);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** sfixed64 of an integer-valued number (non-integers are truncated toward zero). */
  sfixed64(v: number): void {
    this.ensure(8);
    writeInt64(this.buf, this.pos, Math.trunc(Number.isFinite(v) ? v : 0));
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  /** tag + length + the bytes `fn` writes: the body is written in place, then moved if the length needs more than one byte. */
  nested(tag: number, fn: (w: ProtoWriter) => void): void {
    this.byte(tag);
    this.ensure(1);
    const lenPos = this.pos++;
    fn(this);
    const len = this.pos - lenPos - 1;
    const lenBytes = varintSize(len);
    if (lenBytes > 1) {
      this.ensure(lenBytes - 1);
      this.buf.copy(this.buf, lenPos + lenBytes, lenPos + 1, this.pos);
      this.pos += lenBytes - 1;
      const m = this.marks;
      for (let i = m.length - 1; i >= 0 && (m[i] as number) > lenPos; i--) m[i] = (m[i] as number) + lenBytes - 1;
    }
    let p = lenPos;
    let n = len;
    while (n > 0x7f) {
      this.buf[p++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[p] = n;
  }

  /** A copy of the written bytes in its own (unpooled) memory: cached chunks must not pin shared pool slabs. */
  finish(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  /** Empties the writer, keeping its buffer (one scratch writer encodes every object). */
  reset(): void {
    this.pos = 0;
    this.marks.length = 0;
  }
}

/** Writes n as a varint at b[p..] (room for it is the caller's); returns the end. */
export function putVarint(b: Buffer, p: number, n: number): number {
  // Numbers above 2^31 cannot use bit operators; lengths and enums never get there, but stay correct.
  while (n > 0x7f) {
    b[p++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  b[p++] = n;
  return p;
}

export function varintSize(n: number): number {
  let s = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Writes ms since the epoch as little-endian uint64 nanoseconds (exact for integer ms and sub-ms fractions to 1 ns). */
export function writeNanos(buf: Buffer, off: number, ms: number): void {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  // ms × 1e6 exceeds 2^53, so it is computed in 2^32 words, each partial product below 2^53 (exact): every
  // encoded point writes its start time, where a BigInt per point was a measurable part of encoding.
  if (whole < 0 || whole >= 2 ** 44) {
    buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(whole) * 1_000_000n + BigInt(frac)), off);
    return;
  }
  const lo = (whole % 4294967296) * 1e6 + frac;
  const hi = Math.floor(whole / 4294967296) * 1e6 + Math.floor(lo / 4294967296);
  put32(buf, off, lo % 4294967296);
  put32(buf, off + 4, hi);
}

/** Little-endian uint32 of 0 ≤ v < 2^32 as byte stores. */
function put32(b: Buffer, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = v >>> 24;
}

/** Little-endian two's-complement int64 of an integer; safe integers without a BigInt (int values per point). */
export function writeInt64(buf: Buffer, off: number, v: number): void {
  if (!Number.isSafeInteger(v)) {
    buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)), off);
    return;
  }
  // v = hi × 2^32 + lo with 0 ≤ lo < 2^32; hi is negative for negative v and fits int32 (|v| < 2^53).
  const hi = Math.floor(v / 4294967296);
  const lo = v - hi * 4294967296;
  put32(buf, off, lo);
  put32(buf, off + 4, hi >>> 0);
}

export function writeStringKeyValue(w: ProtoWriter, tag: number, key: string, value: string): void {
  w.nested(tag, (w) => {
    w.byte(TAG.kvKey);
    w.string(key);
    w.nested(TAG.kvValue, (w) => {
      w.byte(TAG.anyString);
      w.string(value);
    });
  });
}

function writeAnyValue(w: ProtoWriter, v: unknown): void {
  if (typeof v === 'string') {
    w.byte(TAG.anyString);
    w.string(v);
  } else if (typeof v === 'boolean') {
    w.byte(TAG.anyBool);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) {
      w.byte(TAG.anyInt);
      // int64 varint: negatives are 10-byte two's complement.
      writeInt64Varint(w, v);
    } else {
      w.byte(TAG.anyDouble);
      w.double(v);
    }
  } else if (Array.isArray(v)) {
    w.nested(TAG.anyArray, (w) => {
      for (const x of v) w.nested(TAG.arrayValues, (w) => writeAnyValue(w, x));
    });
  } else if (v !== undefined && v !== null) {
    w.byte(TAG.anyString);
    w.string(String(v));
  }
}

function writeInt64Varint(w: ProtoWriter, v: number): void {
  if (v >= 0) {
    w.varint(v);
    return;
  }
  let x = BigInt.asUintN(64, BigInt(v));
  w.ensure(10);
  while (x > 0x7fn) {
    w.buf[w.pos++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  w.buf[w.pos++] = Number(x);
}

export function writeAttributes(
  w: ProtoWriter,
  tag: number,
  attrs: Attributes | Readonly<Record<string, unknown>>,
): void {
  for (const k in attrs) {
    const v = (attrs as Record<string, unknown>)[k];
    if (v === undefined) continue;
    w.nested(tag, (w) => {
      w.byte(TAG.kvKey);
      w.string(k);
      w.nested(TAG.kvValue, (w) => writeAnyValue(w, v));
    });
  }
}

export interface ScopeInfo {
  name: string;
  version?: string;
  schemaUrl?: string;
}

export function writeScope(w: ProtoWriter, scope: ScopeInfo): void {
  w.nested(TAG.smScope, (w) => {
    w.byte(TAG.scopeName);
    w.string(scope.name);
    if (scope.version) {
      w.byte(TAG.scopeVersion);
      w.string(scope.version);
    }
  });
}

// ---------------------------------------------------------------------------- generic SDK ResourceMetrics

// SDK enums, inlined so this module needs no runtime import of @opentelemetry/sdk-metrics.
const DPT_HISTOGRAM = 0;
const DPT_EXPONENTIAL_HISTOGRAM = 1;
const DPT_GAUGE = 2;
const DPT_SUM = 3;
const VALUE_TYPE_INT = 0;

function writeNumberPoint(w: ProtoWriter, p: DataPoint<number>, isInt: boolean): void {
  w.nested(TAG.dataPoints, (w) => {
    writeAttributes(w, TAG.ndpAttributes, p.attributes);
    w.byte(TAG.ndpStart);
    w.fixed64HrTime(p.startTime);
    w.byte(TAG.ndpTime);
    w.fixed64HrTime(p.endTime);
    if (isInt) {
      w.byte(TAG.ndpInt);
      w.sfixed64(p.value);
    } else {
      w.byte(TAG.ndpDouble);
      w.double(p.value);
    }
  });
}

function writeHistogramPoint(w: ProtoWriter, p: DataPoint<Histogram>): void {
  // HistogramDataPoint: start 2, time 3, count 4 (fixed64), sum 5 (double), bucket_counts 6 (packed fixed64),
  // explicit_bounds 7 (packed double), attributes 9, min 11, max 12.
  w.nested(TAG.dataPoints, (w) => {
    writeAttributes(w, 0x4a, p.attributes);
    w.byte(0x11);
    w.fixed64HrTime(p.startTime);
    w.byte(0x19);
    w.fixed64HrTime(p.endTime);
    const h = p.value;
    w.byte(0x21);
    w.ensure(8);
    w.buf.writeBigUInt64LE(BigInt(h.count), w.pos);
    w.pos += 8;
    if (h.sum !== undefined) {
      w.byte(0x29);
      w.double(h.sum);
    }
    const counts = h.buckets.counts;
    w.byte(0x32);
    w.varint(counts.length * 8);
    for (const c of counts) {
      w.ensure(8);
      w.buf.writeBigUInt64LE(BigInt(c), w.pos);
      w.pos += 8;
    }
    const bounds = h.buckets.boundaries;
    w.byte(0x3a);
    w.varint(bounds.length * 8);
    for (const b of bounds) w.double(b);
    if (h.min !== undefined) {
      w.byte(0x59);
      w.double(h.min);
    }
    if (h.max !== undefined) {
      w.byte(0x61);
      w.double(h.max);
    }
  });
}

/** One SDK MetricData as an OTLP Metric (tagged for ScopeMetrics.metrics); exponential histograms are skipped. */
export function writeSdkMetric(w: ProtoWriter, m: MetricData): boolean {
  if (m.dataPointType === DPT_EXPONENTIAL_HISTOGRAM || m.dataPoints.length === 0) return false;
  w.nested(TAG.smMetrics, (w) => {
    w.byte(TAG.metricName);
    w.string(m.descriptor.name);
    if (m.descriptor.description) {
      w.byte(TAG.metricDescription);
      w.string(m.descriptor.description);
    }
    if (m.descriptor.unit) {
      w.byte(TAG.metricUnit);
      w.string(m.descriptor.unit);
    }
    const isInt = m.descriptor.valueType === VALUE_TYPE_INT;
    if (m.dataPointType === DPT_GAUGE) {
      w.nested(TAG.metricGauge, (w) => {
        for (const p of m.dataPoints) writeNumberPoint(w, p as DataPoint<number>, isInt);
      });
    } else if (m.dataPointType === DPT_SUM) {
      w.nested(TAG.metricSum, (w) => {
        for (const p of m.dataPoints) writeNumberPoint(w, p as DataPoint<number>, isInt);
        w.byte(TAG.sumTemporality);
        w.varint(m.aggregationTemporality === 0 ? 1 : 2);
        w.byte(TAG.sumMonotonic);
        w.varint(m.isMonotonic ? 1 : 0);
      });
    } else if (m.dataPointType === DPT_HISTOGRAM) {
      w.nested(TAG.metricHistogram, (w) => {
        for (const p of m.dataPoints) writeHistogramPoint(w, p as DataPoint<Histogram>);
        w.byte(TAG.histTemporality);
        w.varint(m.aggregationTemporality === 0 ? 1 : 2);
      });
    }
  });
  return true;
}

export function writeSdkScopeMetrics(w: ProtoWriter, sm: ScopeMetrics): number {
  let points = 0;
  if (sm.metrics.every((m) => m.dataPoints.length === 0)) return 0;
  w.nested(TAG.rmScopeMetrics, (w) => {
    writeScope(w, { name: sm.scope.name, ...(sm.scope.version ? { version: sm.scope.version } : {}) });
    for (const m of sm.metrics) if (writeSdkMetric(w, m)) points += m.dataPoints.length;
    if (sm.scope.schemaUrl) {
      w.byte(TAG.smSchemaUrl);
      w.string(sm.scope.schemaUrl);
    }
  });
  return points;
}

/**
 * An SDK ResourceMetrics (self-metrics, relayed metrics) as one tagged request.resource_metrics entry.
 * Returns the number of points written (0 writes nothing).
 */
export function writeSdkResourceMetrics(w: ProtoWriter, rm: ResourceMetrics): number {
  const start = w.pos;
  let points = 0;
  w.nested(TAG.requestResourceMetrics, (w) => {
    w.nested(TAG.rmResource, (w) => writeAttributes(w, TAG.resourceAttributes, rm.resource.attributes));
    for (const sm of rm.scopeMetrics) points += writeSdkScopeMetrics(w, sm);
    const url = rm.resource.schemaUrl;
    if (url) {
      w.byte(TAG.rmSchemaUrl);
      w.string(url);
    }
  });
  if (points === 0) w.pos = start;
  return points;
}

/** Encodes a whole SDK ResourceMetrics as an ExportMetricsServiceRequest. */
export function encodeSdkRequest(rm: ResourceMetrics): { body: Buffer; points: number } {
  const w = new ProtoWriter(4096);
  const points = writeSdkResourceMetrics(w, rm);
  return { body: w.finish(), points };
}
