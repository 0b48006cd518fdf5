// Store → OTLP protobuf, the push-side twin of the Prometheus bridge's per-object byte cache: each stored
// object's points are encoded once (keyed by the immutable ObjectMetrics, so a changed object re-encodes and a
// deleted one is garbage), with its time_unix_nano fields left as placeholders patched in place at push time.
// A push then only stamps, plans request boundaries and copies bytes.
//
// Two shapes:
// - flat (ksm schema, or any family without `pointAttributes`): one ResourceMetrics (kso's own resource), one
//   Metric per family whose data points carry every attribute, as kube-state-metrics users expect;
// - entity (semconv): one ResourceMetrics per entity (pod, container, job, cronjob) whose Resource holds the
//   identifying/descriptive attributes, points keep only the enum attributes (`pointAttributes`).
import type { FamilyDescriptor, MetricsSource, ObjectMetrics, Point } from '@kso/metrics';
import {
  ProtoWriter,
  type ScopeInfo,
  TAG,
  varintSize,
  writeAttributes,
  writeNanos,
  writeStringKeyValue,
} from './otlp-proto.ts';

export interface StoreEncoderOptions {
  scope: ScopeInfo;
  /** Schema URL of entity ResourceMetrics (semconv). */
  schemaUrl?: string;
}

/** One object's cached encoding. */
interface Chunk {
  buf: Buffer;
  /** Offsets of time_unix_nano placeholders. */
  marks: Uint32Array;
  points: number;
  /** flat shape: end offset of each family's tagged points in buf (start of family i = famEnds[i-1] or 0). */
  famEnds?: Uint32Array;
  famPoints?: Uint32Array;
  /** Push time last written into the marks. */
  stampedMs: number;
}

/** A request's worth of encoded data, written on demand (one request in memory at a time). */
export interface PlannedRequest {
  readonly points: number;
  /** Uncompressed size estimate (exact for store data). */
  readonly bytes: number;
  write(): Buffer;
}

interface FamilyMeta {
  /** name/description/unit fields of the Metric. */
  header: Buffer;
  dataTag: number;
  /** Sum: temporality + monotonic fields after the points. */
  trailer: Buffer;
  isInt: boolean;
  pointKeys: ReadonlySet<string> | undefined;
}

function familyMeta(f: FamilyDescriptor): FamilyMeta {
  const w = new ProtoWriter(256);
  w.byte(TAG.metricName);
  w.string(f.name);
  if (f.help) {
    w.byte(TAG.metricDescription);
    w.string(f.help);
  }
  if (f.unit) {
    w.byte(TAG.metricUnit);
    w.string(f.unit);
  }
  const gauge = f.type === 'gauge';
  const trailer = gauge
    ? Buffer.alloc(0)
    : Buffer.from([TAG.sumTemporality, 2, TAG.sumMonotonic, f.type === 'counter' ? 1 : 0]);
  return {
    header: w.finish(),
    dataTag: gauge ? TAG.metricGauge : TAG.metricSum,
    trailer,
    isInt: f.valueType === 'int',
    pointKeys: f.pointAttributes ? new Set(f.pointAttributes) : undefined,
  };
}

function writePoint(
  w: ProtoWriter,
  attrs: Readonly<Record<string, string>>,
  startMs: number,
  value: number,
  m: FamilyMeta,
) {
  w.nested(TAG.dataPoints, (w) => {
    for (const k in attrs) writeStringKeyValue(w, TAG.ndpAttributes, k, attrs[k] as string);
    w.byte(TAG.ndpStart);
    w.fixed64Nanos(startMs);
    w.timeMark(TAG.ndpTime);
    if (m.isInt) {
      w.byte(TAG.ndpInt);
      w.sfixed64(value);
    } else {
      w.byte(TAG.ndpDouble);
      w.double(value);
    }
  });
}

function stamp(c: Chunk, nowMs: number, t: Uint8Array): void {
  if (c.stampedMs === nowMs) return;
  const b = c.buf;
  const m = c.marks;
  // Plain byte stores: hundreds of thousands of marks per push, where a Buffer method call per mark costs more
  // than the copy.
  const t0 = t[0] as number;
  const t1 = t[1] as number;
  const t2 = t[2] as number;
  const t3 = t[3] as number;
  const t4 = t[4] as number;
  const t5 = t[5] as number;
  const t6 = t[6] as number;
  const t7 = t[7] as number;
  for (let i = 0; i < m.length; i++) {
    const o = m[i] as number;
    b[o] = t0;
    b[o + 1] = t1;
    b[o + 2] = t2;
    b[o + 3] = t3;
    b[o + 4] = t4;
    b[o + 5] = t5;
    b[o + 6] = t6;
    b[o + 7] = t7;
  }
  c.stampedMs = nowMs;
}

interface PerResource {
  chunks: Chunk[];
  metas: FamilyMeta[];
  famBytes: Float64Array;
  famPts: Float64Array;
}

interface Part {
  /** Index into the plan's resource list. */
  r: number;
  f: number;
  a: number;
  b: number;
  bytes: number;
  points: number;
}

export class StoreEncoder {
  readonly opts: StoreEncoderOptions;
  #cache = new WeakMap<ObjectMetrics, Chunk>();
  #meta = new WeakMap<readonly FamilyDescriptor[], FamilyMeta[]>();
  #scope: Buffer;
  #resource: Buffer = Buffer.alloc(0);
  #resourceOf: Readonly<Record<string, unknown>> | undefined;
  #entityExtra: Buffer = Buffer.alloc(0);
  #entityExtraKey = '';
  #schemaUrlField: Buffer;
  /** Scratch writer for per-object encoding. */
  #scratch = new ProtoWriter(64 * 1024);
  /** Reused request buffer: a request's bytes are valid until the next write() (the push sends one at a time). */
  #out = Buffer.allocUnsafeSlow(0);

  constructor(opts: StoreEncoderOptions) {
    this.opts = opts;
    const w = new ProtoWriter(256);
    w.nested(TAG.smScope, (w) => {
      w.byte(TAG.scopeName);
      w.string(opts.scope.name);
      if (opts.scope.version) {
        w.byte(TAG.scopeVersion);
        w.string(opts.scope.version);
      }
    });
    this.#scope = w.finish();
    const s = new ProtoWriter(128);
    if (opts.schemaUrl) {
      s.byte(TAG.smSchemaUrl);
      s.string(opts.schemaUrl);
    }
    this.#schemaUrlField = s.finish();
  }

  /** The flat shape's Resource (kso's own), re-encoded only when the attributes object changes. */
  #setResource(attrs: Readonly<Record<string, unknown>>): void {
    if (this.#resourceOf === attrs) return;
    const r = new ProtoWriter(256);
    r.nested(TAG.rmResource, (r) => writeAttributes(r, TAG.resourceAttributes, attrs));
    this.#resource = r.finish();
    this.#resourceOf = attrs;
  }

  /** Attributes added to every entity Resource (k8s.cluster.name); a change re-encodes every object. */
  #setEntityAttributes(attrs: Readonly<Record<string, string>>): void {
    const key = JSON.stringify(attrs);
    if (key === this.#entityExtraKey) return;
    const e = new ProtoWriter(128);
    for (const [k, v] of Object.entries(attrs)) writeStringKeyValue(e, TAG.resourceAttributes, k, v);
    this.#entityExtra = e.finish();
    this.#entityExtraKey = key;
    this.#cache = new WeakMap();
  }

  #metaOf(fams: readonly FamilyDescriptor[]): FamilyMeta[] {
    let m = this.#meta.get(fams);
    if (!m) {
      m = fams.map(familyMeta);
      this.#meta.set(fams, m);
    }
    return m;
  }

  /** True when the source's families are entity-shaped (every family declares its point attributes). */
  static entityShaped(src: MetricsSource): boolean {
    const rs = src.resources();
    return rs.length > 0 && rs.every((r) => src.families(r).every((f) => f.pointAttributes !== undefined));
  }

  #flatChunk(obj: ObjectMetrics, metas: FamilyMeta[]): Chunk {
    const families = obj.families;
    const n = metas.length;
    const w = this.#scratch;
    w.reset();
    const famEnds = new Uint32Array(n);
    const famPoints = new Uint32Array(n);
    let points = 0;
    for (let i = 0; i < n; i++) {
      const pts = (families[i] ?? []) as readonly Point[];
      const m = metas[i] as FamilyMeta;
      for (const p of pts) writePoint(w, p.attributes, obj.startTimeMs, p.value, m);
      famEnds[i] = w.pos;
      famPoints[i] = pts.length;
      points += pts.length;
    }
    return { buf: w.finish(), marks: Uint32Array.from(w.marks), points, famEnds, famPoints, stampedMs: -1 };
  }

  #entityChunk(obj: ObjectMetrics, metas: FamilyMeta[]): Chunk {
    const families = obj.families;
    // Group the object's points by their entity (the non-enum attributes), keeping first-seen order.
    const groups = new Map<
      string,
      { res: [string, string][]; fams: Map<number, [Record<string, string>, number][]> }
    >();
    let points = 0;
    for (let i = 0; i < metas.length; i++) {
      const keys = (metas[i] as FamilyMeta).pointKeys;
      for (const p of (families[i] ?? []) as readonly Point[]) {
        const res: [string, string][] = [];
        const own: Record<string, string> = {};
        let sig = '';
        for (const k in p.attributes) {
          const v = p.attributes[k] as string;
          if (keys?.has(k)) own[k] = v;
          else {
            res.push([k, v]);
            sig += `${k}\u0000${v}\u0000`;
          }
        }
        let g = groups.get(sig);
        if (!g) {
          g = { res, fams: new Map() };
          groups.set(sig, g);
        }
        let list = g.fams.get(i);
        if (!list) {
          list = [];
          g.fams.set(i, list);
        }
        list.push([own, p.value]);
        points++;
      }
    }
    const w = this.#scratch;
    w.reset();
    for (const g of groups.values()) {
      w.nested(TAG.requestResourceMetrics, (w) => {
        w.nested(TAG.rmResource, (w) => {
          for (const [k, v] of g.res) writeStringKeyValue(w, TAG.resourceAttributes, k, v);
          w.raw(this.#entityExtra);
        });
        w.nested(TAG.rmScopeMetrics, (w) => {
          w.raw(this.#scope);
          for (const [i, list] of g.fams) {
            const m = metas[i] as FamilyMeta;
            w.nested(TAG.smMetrics, (w) => {
              w.raw(m.header);
              w.nested(m.dataTag, (w) => {
                for (const [attrs, value] of list) writePoint(w, attrs, obj.startTimeMs, value, m);
                w.raw(m.trailer);
              });
            });
          }
          w.raw(this.#schemaUrlField);
        });
        if (this.opts.schemaUrl) {
          w.byte(TAG.rmSchemaUrl);
          w.string(this.opts.schemaUrl);
        }
      });
    }
    return { buf: w.finish(), marks: Uint32Array.from(w.marks), points, stampedMs: -1 };
  }

  /**
   * Plans the requests for one push at `nowMs`: stamps every cached chunk (encoding new/changed objects) and
   * cuts request boundaries at maxBytes / maxPoints. `selfRm` (tagged ResourceMetrics bytes: self-metrics,
   * relayed metrics) rides in the first request.
   */
  plan(
    src: MetricsSource,
    nowMs: number,
    limits: { maxBytes: number; maxPoints: number },
    selfRm?: { bytes: Buffer; points: number },
    resourceAttributes: Readonly<Record<string, unknown>> = {},
    entityAttributes: Readonly<Record<string, string>> = {},
  ): PlannedRequest[] {
    this.#setResource(resourceAttributes);
    this.#setEntityAttributes(entityAttributes);
    const nowBuf = Buffer.allocUnsafe(8);
    writeNanos(nowBuf, 0, nowMs);
    const entity = StoreEncoder.entityShaped(src);
    const perResource: PerResource[] = [];
    for (const r of src.resources()) {
      if (src.size(r) === 0) continue;
      const metas = this.#metaOf(src.families(r));
      const chunks: Chunk[] = [];
      // Per-family totals in the same object-major pass: the planner then scans a family's objects only when
      // the family must be split between requests.
      const famBytes = new Float64Array(metas.length);
      const famPts = new Float64Array(metas.length);
      for (const obj of src.entries(r)) {
        let c = this.#cache.get(obj);
        if (c === undefined) {
          c = entity ? this.#entityChunk(obj, metas) : this.#flatChunk(obj, metas);
          this.#cache.set(obj, c);
        }
        if (c.points === 0) continue;
        stamp(c, nowMs, nowBuf);
        chunks.push(c);
        const ends = c.famEnds;
        const pts = c.famPoints;
        if (ends && pts) {
          let prev = 0;
          for (let f = 0; f < metas.length; f++) {
            const e = ends[f] as number;
            famBytes[f] = (famBytes[f] as number) + e - prev;
            famPts[f] = (famPts[f] as number) + (pts[f] as number);
            prev = e;
          }
        }
      }
      perResource.push({ chunks, metas, famBytes, famPts });
    }
    const out = entity ? this.#planEntity(perResource, limits) : this.#planFlat(perResource, limits);
    if (selfRm && selfRm.points > 0) {
      const first = out[0];
      if (!first) out.push({ points: selfRm.points, bytes: selfRm.bytes.length, write: () => selfRm.bytes });
      else
        out[0] = {
          points: first.points + selfRm.points,
          bytes: first.bytes + selfRm.bytes.length,
          write: () => Buffer.concat([first.write(), selfRm.bytes]),
        };
    }
    return out;
  }

  /** The shared request buffer, grown when needed, as a view of exactly `size` bytes. */
  #output(size: number): Buffer {
    if (this.#out.length < size) this.#out = Buffer.allocUnsafeSlow(Math.max(size, 4 * 1024 * 1024));
    return this.#out.subarray(0, size);
  }

  #planEntity(per: PerResource[], limits: { maxBytes: number; maxPoints: number }): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    let cur: Chunk[] = [];
    let bytes = 0;
    let points = 0;
    const close = () => {
      if (cur.length === 0) return;
      const list = cur;
      const total = bytes;
      out.push({
        points,
        bytes,
        write: () =>
          Buffer.concat(
            list.map((c) => c.buf),
            total,
          ),
      });
      cur = [];
      bytes = 0;
      points = 0;
    };
    for (const { chunks } of per) {
      for (const c of chunks) {
        if (cur.length > 0 && (bytes + c.buf.length > limits.maxBytes || points + c.points > limits.maxPoints)) close();
        cur.push(c);
        bytes += c.buf.length;
        points += c.points;
      }
    }
    close();
    return out;
  }

  #planFlat(per: PerResource[], limits: { maxBytes: number; maxPoints: number }): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    let parts: Part[] = [];
    let reqBytes = 0;
    let reqPoints = 0;
    const fixed = this.#resource.length + this.#scope.length + 16;
    const close = () => {
      if (parts.length === 0) return;
      const list = parts;
      out.push({ points: reqPoints, bytes: reqBytes + fixed, write: () => this.#writeFlat(list, per) });
      parts = [];
      reqBytes = 0;
      reqPoints = 0;
    };
    for (let r = 0; r < per.length; r++) {
      const { chunks, metas, famBytes, famPts } = per[r] as PerResource;
      for (let f = 0; f < metas.length; f++) {
        const overhead = (metas[f] as FamilyMeta).header.length + 16;
        const totalBytes = famBytes[f] as number;
        const totalPts = famPts[f] as number;
        if (totalPts === 0) continue;
        if (reqBytes + totalBytes + overhead <= limits.maxBytes - fixed && reqPoints + totalPts <= limits.maxPoints) {
          parts.push({ r, f, a: 0, b: chunks.length, bytes: totalBytes, points: totalPts });
          reqBytes += totalBytes + overhead;
          reqPoints += totalPts;
          continue;
        }
        let a = 0;
        let pb = 0;
        let pp = 0;
        for (let o = 0; o < chunks.length; o++) {
          const c = chunks[o] as Chunk;
          const np = (c.famPoints as Uint32Array)[f] as number;
          if (np === 0) continue;
          const len = famLen(c, f);
          if (reqBytes + pb + overhead + len > limits.maxBytes - fixed || reqPoints + pp + np > limits.maxPoints) {
            if (pp > 0) {
              parts.push({ r, f, a, b: o, bytes: pb, points: pp });
              reqBytes += pb + overhead;
              reqPoints += pp;
            }
            if (reqPoints > 0) close();
            a = o;
            pb = 0;
            pp = 0;
          }
          pb += len;
          pp += np;
        }
        if (pp > 0) {
          parts.push({ r, f, a, b: chunks.length, bytes: pb, points: pp });
          reqBytes += pb + overhead;
          reqPoints += pp;
        }
      }
    }
    close();
    return out;
  }

  #writeFlat(parts: Part[], per: PerResource[]): Buffer {
    // Exact sizes bottom-up, then one pass writing tags, lengths and copied point bytes.
    const metricLens: number[] = [];
    const dataLens: number[] = [];
    let smBody = this.#scope.length;
    for (const p of parts) {
      const m = (per[p.r] as { metas: FamilyMeta[] }).metas[p.f] as FamilyMeta;
      const dataLen = p.bytes + m.trailer.length;
      const metricLen = m.header.length + 1 + varintSize(dataLen) + dataLen;
      dataLens.push(dataLen);
      metricLens.push(metricLen);
      smBody += 1 + varintSize(metricLen) + metricLen;
    }
    const rmBody = this.#resource.length + 1 + varintSize(smBody) + smBody;
    const total = 1 + varintSize(rmBody) + rmBody;
    const w = new ProtoWriter(0);
    w.buf = this.#output(total);
    w.byte(TAG.requestResourceMetrics);
    w.varint(rmBody);
    w.raw(this.#resource);
    w.byte(TAG.rmScopeMetrics);
    w.varint(smBody);
    w.raw(this.#scope);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as Part;
      const { chunks, metas } = per[p.r] as { chunks: Chunk[]; metas: FamilyMeta[] };
      const m = metas[p.f] as FamilyMeta;
      w.byte(TAG.smMetrics);
      w.varint(metricLens[i] as number);
      w.raw(m.header);
      w.byte(m.dataTag);
      w.varint(dataLens[i] as number);
      for (let o = p.a; o < p.b; o++) {
        const c = chunks[o] as Chunk;
        const end = (c.famEnds as Uint32Array)[p.f] as number;
        const start = p.f === 0 ? 0 : ((c.famEnds as Uint32Array)[p.f - 1] as number);
        if (end > start) {
          c.buf.copy(w.buf, w.pos, start, end);
          w.pos += end - start;
        }
      }
      w.raw(m.trailer);
    }
    return w.pos === w.buf.length ? w.buf : w.buf.subarray(0, w.pos);
  }
}

function famLen(c: Chunk, f: number): number {
  const ends = c.famEnds as Uint32Array;
  return (ends[f] as number) - (f === 0 ? 0 : (ends[f - 1] as number));
}
