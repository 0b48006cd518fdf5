// One stored object's OTLP bytes, encoded once per object version (ObjectMetrics are immutable) with every
// time_unix_nano left as an 8-byte placeholder whose offset is recorded, so a push writes the push time in
// place instead of re-encoding.
//
// flat chunk (ksm): the object's tagged data points, family after family (the request interleaves them
// family-major with the other objects' points, see otlp-sections.ts);
// entity chunk (semconv): whole tagged ResourceMetrics, one per entity the object's points describe, sent as is.
import type { FamilyDescriptor, ObjectMetrics, Point } from '@kso/metrics';
import type { KeptArena, ScratchArena, Slab } from './otlp-arena.ts';
import { ProtoWriter, putVarint, TAG, varintSize, writeInt64, writeNanos } from './otlp-proto.ts';
import { grown } from './typed-arrays.ts';

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
  /** entity: the last push whose walk met it (deleted objects' chunks are the ones a walk missed). */
  walk?: number;
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

/**
 * Per-attribute sizes of the points being written: key, value, AnyValue and KeyValue lengths, 4 per attribute,
 * for one point (flat) or every point of an object (entity: measured in one pass, written in the next).
 */
let sizes = new Uint32Array(256);
/** Where the last measureAttributes call stopped writing `sizes`. */
let sizesEnd = 0;

/** UTF-8 length; ASCII strings (nearly all Kubernetes names and label values) without a native call. */
function stringSize(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}

/** A length-prefixed string of UTF-8 length n; ASCII is copied by code unit (cheaper than a write call for names). */
function putString(b: Buffer, p: number, s: string, n: number): number {
  p = putVarint(b, p, n);
  if (n === s.length) for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  else b.write(s, p, n, 'utf8');
  return p + n;
}

function putRaw(b: Buffer, p: number, src: Uint8Array): number {
  if (src.length > 16) b.set(src, p);
  else for (let i = 0; i < src.length; i++) b[p + i] = src[i] as number;
  return p + src.length;
}

/**
 * Sizes of the attributes of `attrs` (only the keys in `keep`, when given) into sizes[at..] (sizesEnd: where
 * they end); returns the tagged attributes' total length.
 */
function measureAttributes(attrs: Readonly<Record<string, string>>, keep: ReadonlySet<string> | undefined, at: number) {
  let total = 0;
  let n = at;
  for (const k in attrs) {
    if (keep !== undefined && !keep.has(k)) continue;
    sizes = grown(sizes, n + 4);
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
  sizesEnd = n;
  return total;
}

/** A point's body: its attributes (measured) + start, time, value: 3 × (tag + 8 bytes). */
const POINT_FIXED = 27;

/**
 * One NumberDataPoint with string attributes (those in `keep`, when given), tagged for Gauge/Sum.data_points,
 * at b[p..] with room for it: `body` and the attribute sizes at sizes[at..] come from measureAttributes.
 * `start` is the 8 bytes of start_time_unix_nano; the time is an 8-byte placeholder whose offset goes to `marks`.
 * Every byte is written once, in place: the changed objects' points are re-encoded at every push (~35k at 10k
 * pods with churn), where nested() framing costs a closure per field, a move per long message and a native call
 * per string. The bytes are the canonical encoding nested() writes. Returns the end.
 */
function putPoint(
  b: Buffer,
  p: number,
  attrs: Readonly<Record<string, string>>,
  keep: ReadonlySet<string> | undefined,
  at: number,
  body: number,
  start: Uint8Array,
  value: number,
  m: FamilyMeta,
  marks: number[],
): number {
  b[p++] = TAG.dataPoints;
  p = putVarint(b, p, body);
  let i = at;
  for (const k in attrs) {
    if (keep !== undefined && !keep.has(k)) continue;
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
  b[p++] = TAG.ndpStart;
  for (let j = 0; j < 8; j++) b[p + j] = start[j] as number;
  p += 8;
  b[p++] = TAG.ndpTime;
  marks.push(p);
  for (let j = 0; j < 8; j++) b[p + j] = 0;
  p += 8;
  if (m.isInt) {
    b[p++] = TAG.ndpInt;
    writeInt64(b, p, Math.trunc(Number.isFinite(value) ? value : 0));
  } else {
    b[p++] = TAG.ndpDouble;
    b.writeDoubleLE(value, p);
  }
  return p + 8;
}

/** The object's start time as the 8 bytes of every point's start_time_unix_nano (one conversion per object). */
const startBytes = Buffer.alloc(8);
function startOf(obj: ObjectMetrics): Uint8Array {
  writeNanos(startBytes, 0, obj.startTimeMs);
  return startBytes;
}

/** One point with all its attributes (the flat shape). */
function writePoint(
  w: ProtoWriter,
  attrs: Readonly<Record<string, string>>,
  start: Uint8Array,
  value: number,
  m: FamilyMeta,
): void {
  const body = measureAttributes(attrs, undefined, 0) + POINT_FIXED;
  w.ensure(1 + varintSize(body) + body);
  w.pos = putPoint(w.buf, w.pos, attrs, undefined, 0, body, start, value, m, w.marks);
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
  const start = startOf(obj);
  for (let i = 0; i < n; i++) {
    const m = metas[i] as FamilyMeta;
    for (const p of (families[i] ?? []) as readonly Point[]) writePoint(w, p.attributes, start, p.value, m);
    famEnds[i] = w.pos;
    famMarkEnds[i] = w.marks.length;
  }
  const marks = Uint32Array.from(w.marks);
  const buf = scratch ? scratch.copy(w.buf.subarray(0, w.pos)) : w.finish();
  return { buf, marks, points: marks.length, famEnds, famMarkEnds, stampedMs: -1 };
}

/**
 * One object's points laid out for its entity ResourceMetrics: each point's entity (group), body size and
 * attribute sizes, measured in one pass so the next writes every length before its bytes (no nested() moves).
 * Module scratch, grown as needed: one object is encoded at a time.
 */
let pointGroup = new Uint32Array(256);
let pointBody = new Uint32Array(256);
let pointAt = new Uint32Array(256);
/** Per (group, family): the data points' bytes and their count. */
let dataLen = new Uint32Array(256);
let dataCount = new Uint32Array(256);
/** Entity attributes of the point being classified (keys[0..n), values[0..n)). */
const entityKeys: string[] = [];
const entityValues: string[] = [];

/** Whether a group's entity attributes are exactly entityKeys[0..n) = entityValues[0..n), in order. */
function sameEntity(g: readonly string[], n: number): boolean {
  if (g.length !== 2 * n) return false;
  for (let j = 0; j < n; j++) if (g[2 * j] !== entityKeys[j] || g[2 * j + 1] !== entityValues[j]) return false;
  return true;
}

/** Tagged Resource.attributes entry of a string attribute: its size. */
function kvSize(k: string, v: string): number {
  const kl = stringSize(k);
  const vl = stringSize(v);
  const any = 1 + varintSize(vl) + vl;
  const kv = 1 + varintSize(kl) + kl + 1 + varintSize(any) + any;
  return 1 + varintSize(kv) + kv;
}

function putKv(b: Buffer, p: number, tag: number, k: string, v: string): number {
  const kl = stringSize(k);
  const vl = stringSize(v);
  const any = 1 + varintSize(vl) + vl;
  b[p++] = tag;
  p = putVarint(b, p, 1 + varintSize(kl) + kl + 1 + varintSize(any) + any);
  b[p++] = TAG.kvKey;
  p = putString(b, p, k, kl);
  b[p++] = TAG.kvValue;
  p = putVarint(b, p, any);
  b[p++] = TAG.anyString;
  return putString(b, p, v, vl);
}

/**
 * Classifies and measures every point of an object: its entity is its non-enum attributes in order (groups in
 * first-seen order, as flat [k0, v0, k1, v1, ...] lists; consecutive points mostly share one, so the previous
 * group is tried first), its body what putPoint writes with the enum attributes only. Returns the groups.
 */
function measureEntities(families: readonly (readonly Point[])[], metas: readonly FamilyMeta[]): string[][] {
  const nf = metas.length;
  const groups: string[][] = [];
  let last = -1;
  let np = 0;
  let at = 0;
  for (let i = 0; i < nf; i++) {
    const keep = (metas[i] as FamilyMeta).pointKeys;
    for (const p of (families[i] ?? []) as readonly Point[]) {
      let n = 0;
      for (const k in p.attributes) {
        if (keep?.has(k)) continue;
        entityKeys[n] = k;
        entityValues[n++] = p.attributes[k] as string;
      }
      let g = last >= 0 && sameEntity(groups[last] as string[], n) ? last : -1;
      for (let j = 0; g < 0 && j < groups.length; j++) if (sameEntity(groups[j] as string[], n)) g = j;
      if (g < 0) {
        const res: string[] = new Array(2 * n);
        for (let j = 0; j < n; j++) {
          res[2 * j] = entityKeys[j] as string;
          res[2 * j + 1] = entityValues[j] as string;
        }
        g = groups.push(res) - 1;
        dataLen = grown(dataLen, groups.length * nf);
        dataCount = grown(dataCount, groups.length * nf);
        dataLen.fill(0, g * nf, (g + 1) * nf);
        dataCount.fill(0, g * nf, (g + 1) * nf);
      }
      last = g;
      if (np >= pointGroup.length) {
        pointGroup = grown(pointGroup, np + 1);
        pointBody = grown(pointBody, np + 1);
        pointAt = grown(pointAt, np + 1);
      }
      const body = measureAttributes(p.attributes, keep ?? EMPTY_KEYS, at) + POINT_FIXED;
      pointGroup[np] = g;
      pointBody[np] = body;
      pointAt[np] = at;
      at = sizesEnd;
      np++;
      dataLen[g * nf + i] = (dataLen[g * nf + i] as number) + 1 + varintSize(body) + body;
      dataCount[g * nf + i] = (dataCount[g * nf + i] as number) + 1;
    }
  }
  return groups;
}
const EMPTY_KEYS: ReadonlySet<string> = new Set();

/** Metric bytes (header, data field, trailer) of family i in group g, from measureEntities' data lengths. */
function metricLen(m: FamilyMeta, data: number): number {
  const body = data + m.trailer.length;
  return m.header.length + 1 + varintSize(body) + body;
}

/**
 * The entity chunk: one tagged ResourceMetrics per entity, its identity on the Resource, enum attributes on
 * points. Its bytes are cut from `arena` when given (see otlp-arena.ts), else a buffer of their own. Every
 * length is known before its bytes are written (measureEntities), so each byte is written once.
 */
// long: one pass per group over the framing the proto nests (Resource, ScopeMetrics, Metric, data, points); split
// into functions, each level would recompute or pass on the same five lengths.
export function encodeEntityChunk(
  w: ProtoWriter,
  obj: ObjectMetrics,
  metas: readonly FamilyMeta[],
  frame: EntityFrame,
  arena?: KeptArena,
): Chunk {
  w.reset();
  const families = obj.families;
  const nf = metas.length;
  const groups = measureEntities(families, metas);
  const start = startOf(obj);
  for (let g = 0; g < groups.length; g++) {
    const res = groups[g] as string[];
    let resBody = frame.extraAttributes.length;
    for (let j = 0; j < res.length; j += 2) resBody += kvSize(res[j] as string, res[j + 1] as string);
    let smBody = frame.scope.length + frame.scopeSchemaUrl.length;
    for (let i = 0; i < nf; i++) {
      if (dataCount[g * nf + i] === 0) continue;
      const ml = metricLen(metas[i] as FamilyMeta, dataLen[g * nf + i] as number);
      smBody += 1 + varintSize(ml) + ml;
    }
    const rmBody = 1 + varintSize(resBody) + resBody + 1 + varintSize(smBody) + smBody + frame.resourceSchemaUrl.length;
    w.ensure(1 + varintSize(rmBody) + rmBody);
    const b = w.buf;
    let p = w.pos;
    b[p++] = TAG.requestResourceMetrics;
    p = putVarint(b, p, rmBody);
    b[p++] = TAG.rmResource;
    p = putVarint(b, p, resBody);
    for (let j = 0; j < res.length; j += 2)
      p = putKv(b, p, TAG.resourceAttributes, res[j] as string, res[j + 1] as string);
    p = putRaw(b, p, frame.extraAttributes);
    b[p++] = TAG.rmScopeMetrics;
    p = putVarint(b, p, smBody);
    p = putRaw(b, p, frame.scope);
    let np = 0;
    for (let i = 0; i < nf; i++) {
      const list = (families[i] ?? []) as readonly Point[];
      if (dataCount[g * nf + i] === 0) {
        np += list.length;
        continue;
      }
      const m = metas[i] as FamilyMeta;
      const data = (dataLen[g * nf + i] as number) + m.trailer.length;
      b[p++] = TAG.smMetrics;
      p = putVarint(b, p, metricLen(m, dataLen[g * nf + i] as number));
      p = putRaw(b, p, m.header);
      b[p++] = m.dataTag;
      p = putVarint(b, p, data);
      const keep = m.pointKeys ?? EMPTY_KEYS;
      for (const pt of list) {
        if (pointGroup[np] === g)
          p = putPoint(
            b,
            p,
            pt.attributes,
            keep,
            pointAt[np] as number,
            pointBody[np] as number,
            start,
            pt.value,
            m,
            w.marks,
          );
        np++;
      }
      p = putRaw(b, p, m.trailer);
    }
    p = putRaw(b, p, frame.scopeSchemaUrl);
    p = putRaw(b, p, frame.resourceSchemaUrl);
    w.pos = p;
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
