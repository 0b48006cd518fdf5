// One stored object's OTLP bytes, encoded once per object version (ObjectMetrics are immutable) with every
// time_unix_nano left as an 8-byte placeholder whose offset is recorded, so a push writes the push time in
// place instead of re-encoding.
//
// flat chunk (ksm): the object's tagged data points, family after family (the request interleaves them
// family-major with the other objects' points, see otlp-sections.ts);
// entity chunk (semconv): whole tagged ResourceMetrics, one per entity the object's points describe, sent as is.
import type { FamilyDescriptor, ObjectMetrics, Point } from '@kso/metrics';
import type { KeptArena, ScratchArena, Slab } from './otlp-arena.ts';
import { ProtoWriter, TAG, varintSize, writeStringKeyValue } from './otlp-proto.ts';

/** What every chunk of one family needs, derived once per family list. */
export interface FamilyMeta {
  /** name/description/unit fields of the Metric. */
  header: Buffer;
  dataTag: number;
  /** Sum: temporality + monotonic fields after the points. */
  trailer: Buffer;
  isInt: boolean;
  pointKeys: ReadonlySet<string> | undefined;
}

/** One object's cached encoding. */
export interface Chunk {
  buf: Buffer;
  /** Offsets of the time_unix_nano placeholders, ascending: exactly one per point. */
  marks: Uint32Array;
  points: number;
  /** flat: end offset in buf of each family's points (family i starts at famEnds[i-1], or 0). */
  famEnds?: Uint32Array;
  /** flat: end index in marks of each family's points (= the family's points, since one mark per point). */
  famMarkEnds?: Uint32Array;
  /** entity: the push time last written into the marks (flat chunks are stamped in their sections). */
  stampedMs: number;
  /** entity: content identity and uid hash of the chunk as a gzip unit (otlp-deflate.ts). */
  deflateId?: number;
  deflateKey?: number;
  /** The arena slab holding buf (otlp-arena.ts), when it is cut from one. */
  slab?: Slab | undefined;
}

/** The fixed parts of an entity ResourceMetrics: kso's scope, the schema URL, the cluster attributes. */
export interface EntityFrame {
  scope: Buffer;
  /** ScopeMetrics.schema_url field (empty when no schema URL). */
  scopeSchemaUrl: Buffer;
  /** ResourceMetrics.schema_url field (empty when no schema URL). */
  resourceSchemaUrl: Buffer;
  /** Tagged attributes added to every entity Resource (k8s.cluster.name). */
  extraAttributes: Buffer;
}

export function familyMeta(f: FamilyDescriptor): FamilyMeta {
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

/** Per-attribute sizes of the point being written: key, value, AnyValue and KeyValue lengths, 4 per attribute. */
let sizes = new Uint32Array(64);

/** UTF-8 length; ASCII strings (nearly all Kubernetes names and label values) without a native call. */
function stringSize(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}

function putVarint(b: Buffer, p: number, n: number): number {
  while (n > 0x7f) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  return p;
}

/** A length-prefixed string of UTF-8 length n; ASCII is copied by code unit (cheaper than a write call for names). */
function putString(b: Buffer, p: number, s: string, n: number): number {
  p = putVarint(b, p, n);
  if (n === s.length) for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  else b.write(s, p, n, 'utf8');
  return p + n;
}

/** Sizes of every attribute of `attrs` into `sizes`; returns the tagged attributes' total length. */
function measureAttributes(attrs: Readonly<Record<string, string>>): number {
  let total = 0;
  let n = 0;
  for (const k in attrs) {
    if (n + 4 > sizes.length) {
      const bigger = new Uint32Array(sizes.length * 2);
      bigger.set(sizes);
      sizes = bigger;
    }
    const kl = stringSize(k);
    const vl = stringSize(attrs[k] as string);
    const any = 1 + varintSize(vl) + vl;
    const kv = 1 + varintSize(kl) + kl + 1 + varintSize(any) + any;
    sizes[n++] = kl;
    sizes[n++] = vl;
    sizes[n++] = any;
    sizes[n++] = kv;
    total += 1 + varintSize(kv) + kv;
  }
  return total;
}

/**
 * One NumberDataPoint with string attributes, tagged for Gauge/Sum.data_points. Every length is computed
 * first and each byte written once, in place: the changed objects' points are re-encoded at every push (~35k
 * at 10k pods with churn), where nested() framing costs a closure per field, a move per long point and a
 * native call per string. The bytes are the canonical encoding nested() writes.
 */
function writePoint(
  w: ProtoWriter,
  attrs: Readonly<Record<string, string>>,
  startMs: number,
  value: number,
  m: FamilyMeta,
): void {
  const body = measureAttributes(attrs) + 27; // + start, time, value: 3 × (tag + 8 bytes)
  w.ensure(1 + varintSize(body) + body);
  const b = w.buf;
  let p = w.pos;
  b[p++] = TAG.dataPoints;
  p = putVarint(b, p, body);
  let i = 0;
  for (const k in attrs) {
    const kl = sizes[i++] as number;
    const vl = sizes[i++] as number;
    const any = sizes[i++] as number;
    const kv = sizes[i++] as number;
    b[p++] = TAG.ndpAttributes;
    p = putVarint(b, p, kv);
    b[p++] = TAG.kvKey;
    p = putString(b, p, k, kl);
    b[p++] = TAG.kvValue;
    p = putVarint(b, p, any);
    b[p++] = TAG.anyString;
    p = putString(b, p, attrs[k] as string, vl);
  }
  w.pos = p;
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
}

/**
 * The flat chunk: every family's points with all their attributes, family by family. Its bytes go to `scratch`
 * when given (valid until its next reset), else to a buffer of their own.
 */
export function encodeFlatChunk(
  w: ProtoWriter,
  obj: ObjectMetrics,
  metas: readonly FamilyMeta[],
  scratch?: ScratchArena,
): Chunk {
  const families = obj.families;
  const n = metas.length;
  w.reset();
  const famEnds = new Uint32Array(n);
  const famMarkEnds = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const m = metas[i] as FamilyMeta;
    for (const p of (families[i] ?? []) as readonly Point[]) writePoint(w, p.attributes, obj.startTimeMs, p.value, m);
    famEnds[i] = w.pos;
    famMarkEnds[i] = w.marks.length;
  }
  const marks = Uint32Array.from(w.marks);
  const buf = scratch ? scratch.copy(w.buf.subarray(0, w.pos)) : w.finish();
  return { buf, marks, points: marks.length, famEnds, famMarkEnds, stampedMs: -1 };
}

interface EntityGroup {
  /** The entity's attributes (every non-enum attribute), in the points' order. */
  res: [string, string][];
  /** (family index, its points' enum attributes and values), in family order. */
  fams: [number, [Record<string, string>, number][]][];
}

/** Whether a group's entity attributes are exactly keys[0..n) = values[0..n), in order. */
function sameEntity(g: EntityGroup, keys: string[], values: string[], n: number): boolean {
  if (g.res.length !== n) return false;
  for (let j = 0; j < n; j++) {
    const kv = g.res[j] as [string, string];
    if (kv[0] !== keys[j] || kv[1] !== values[j]) return false;
  }
  return true;
}

/**
 * Groups an object's points by entity (their non-enum attributes, in order), keeping first-seen order. An
 * object has a handful of entities (the pod, its containers) and consecutive points mostly share one, so the
 * previous group is tried first, then the others in turn: no signature strings or maps per point.
 */
function groupByEntity(obj: ObjectMetrics, metas: readonly FamilyMeta[]): EntityGroup[] {
  const families = obj.families;
  const groups: EntityGroup[] = [];
  const keys: string[] = [];
  const values: string[] = [];
  let last: EntityGroup | undefined;
  for (let i = 0; i < metas.length; i++) {
    const pointKeys = (metas[i] as FamilyMeta).pointKeys;
    for (const p of (families[i] ?? []) as readonly Point[]) {
      const own: Record<string, string> = {};
      let n = 0;
      for (const k in p.attributes) {
        const v = p.attributes[k] as string;
        if (pointKeys?.has(k)) own[k] = v;
        else {
          keys[n] = k;
          values[n++] = v;
        }
      }
      let g = last && sameEntity(last, keys, values, n) ? last : groups.find((x) => sameEntity(x, keys, values, n));
      if (!g) {
        g = { res: keys.slice(0, n).map((k, j) => [k, values[j] as string]), fams: [] };
        groups.push(g);
      }
      last = g;
      const lf = g.fams[g.fams.length - 1];
      if (lf && lf[0] === i) lf[1].push([own, p.value]);
      else g.fams.push([i, [[own, p.value]]]);
    }
  }
  return groups;
}

/**
 * The entity chunk: one tagged ResourceMetrics per entity, its identity on the Resource, enum attributes on
 * points. Its bytes are cut from `arena` when given (see otlp-arena.ts), else a buffer of their own.
 */
export function encodeEntityChunk(
  w: ProtoWriter,
  obj: ObjectMetrics,
  metas: readonly FamilyMeta[],
  frame: EntityFrame,
  arena?: KeptArena,
): Chunk {
  w.reset();
  for (const g of groupByEntity(obj, metas)) {
    w.nested(TAG.requestResourceMetrics, (w) => {
      w.nested(TAG.rmResource, (w) => {
        for (const [k, v] of g.res) writeStringKeyValue(w, TAG.resourceAttributes, k, v);
        w.raw(frame.extraAttributes);
      });
      w.nested(TAG.rmScopeMetrics, (w) => {
        w.raw(frame.scope);
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
        w.raw(frame.scopeSchemaUrl);
      });
      w.raw(frame.resourceSchemaUrl);
    });
  }
  const marks = Uint32Array.from(w.marks);
  if (!arena) return { buf: w.finish(), marks, points: marks.length, stampedMs: -1 };
  const { buf, slab } = arena.copy(w.buf.subarray(0, w.pos));
  return { buf, marks, points: marks.length, stampedMs: -1, slab };
}

/**
 * Writes the 8 push-time bytes `t` at marks[from..to) of `b`. Plain byte stores: hundreds of thousands of
 * marks per push, where a Buffer method call per mark costs more than the copy.
 */
export function stampMarks(b: Buffer, marks: Uint32Array, from: number, to: number, t: Uint8Array): void {
  const t0 = t[0] as number;
  const t1 = t[1] as number;
  const t2 = t[2] as number;
  const t3 = t[3] as number;
  const t4 = t[4] as number;
  const t5 = t[5] as number;
  const t6 = t[6] as number;
  const t7 = t[7] as number;
  for (let i = from; i < to; i++) {
    const o = marks[i] as number;
    b[o] = t0;
    b[o + 1] = t1;
    b[o + 2] = t2;
    b[o + 3] = t3;
    b[o + 4] = t4;
    b[o + 5] = t5;
    b[o + 6] = t6;
    b[o + 7] = t7;
  }
}
