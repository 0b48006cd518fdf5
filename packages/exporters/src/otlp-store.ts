// Store → OTLP protobuf, the push-side twin of the Prometheus bridge's per-object byte cache: each stored
// object's points are encoded once per object version (otlp-chunks.ts; ObjectMetrics are immutable, so a
// changed object is a new instance and re-encodes, and a deleted one is garbage), with its time_unix_nano
// fields left as placeholders patched in place at push time. A push then only encodes what changed, stamps,
// plans request boundaries and hands out slices of kept bytes: a request is a list of buffers, never
// concatenated here (the transport compresses or writes them in turn).
//
// Two shapes:
// - flat (ksm schema, or any family without `pointAttributes`): one ResourceMetrics (kso's own resource), one
//   Metric per family whose data points carry every attribute, as kube-state-metrics users expect; the
//   family-major bodies are kept between pushes (otlp-sections.ts), which is where unchanged objects' bytes live;
// - entity (semconv): one ResourceMetrics per entity (pod, container, job, cronjob) whose Resource holds the
//   identifying/descriptive attributes, points keep only the enum attributes (`pointAttributes`); each object's
//   chunk is kept by object identity and sent as it is.
import type { FamilyDescriptor, MetricsSource, ObjectMetrics, ResourceName } from '@kso/metrics';
import { KeptArena, Pieces, ScratchArena } from './otlp-arena.ts';
import {
  type Chunk,
  type EntityFrame,
  encodeEntityChunk,
  encodeFlatChunk,
  type FamilyMeta,
  familyMeta,
  stampMarks,
} from './otlp-chunks.ts';
import { gzipSegments, type Segment, uidKey } from './otlp-deflate.ts';
import { EntityPieces, type EntityUnitSeq } from './otlp-deflate-entity.ts';
import {
  ProtoWriter,
  type ScopeInfo,
  TAG,
  varintSize,
  writeAttributes,
  writeNanos,
  writeStringKeyValue,
} from './otlp-proto.ts';
import { FlatSections, type Section, sectionSegments, stampedSection } from './otlp-sections.ts';

/**
 * Mean piece size and dictionary of the entity shape's compressed pieces (an entity chunk is ~3.5 KiB). Measured
 * at 10k pods: 8 KiB / 2 KiB sends 1.65 MiB per push (whole-stream gzip 1.79); 4 KiB pieces 1.81 MiB for the
 * same compression work; 16 KiB pieces fail the time check far more often (sent live).
 */
const ENTITY_PIECE_BYTES = 8192;
const ENTITY_PIECE_DICT = 2048;
/**
 * Flat chunks encoded ahead of a push (preencode) are held until it; past this many bytes (a relist renders
 * every object) the rest is left to the push, so the pre-encoded bytes never approach a second copy of the
 * sections.
 */
const PREENCODE_MAX_BYTES = 16 << 20;
/**
 * Flat chunks a push encodes itself go to its scratch arena up to this many bytes; beyond that (the first
 * push, a relist: every object) each gets a buffer of its own, garbage once the sections hold its bytes. The
 * arena keeps its slabs until the next push, which a Collector down from the first push never lets come: it
 * held a second copy of every object's points (73 MiB at 10k pods) for good.
 */
const PUSH_ARENA_MAX_BYTES = 16 << 20;

export interface StoreEncoderOptions {
  scope: ScopeInfo;
  /** Schema URL of entity ResourceMetrics (semconv). */
  schemaUrl?: string;
}

/** A request's worth of encoded data: pieces of cached buffers, valid until the next plan(). */
export interface PlannedRequest {
  readonly points: number;
  /** Uncompressed size (exact). */
  readonly bytes: number;
  /** The serialized ExportMetricsServiceRequest as consecutive pieces. */
  parts(): Buffer[];
  /** The same bytes in one buffer (tests, benchmarks). */
  write(): Buffer;
  /** The same bytes as gzip segments: stretches whose compressed output may be kept between pushes. */
  segments(): Segment[];
  /** The body as one gzip member, reusing the kept compressed pieces (otlp-deflate.ts). */
  gzip(): Promise<Buffer[]>;
}

export interface BatchLimits {
  maxBytes: number;
  maxPoints: number;
}

/** A slice of one family's section going into a request: bytes a..b, objects oa..ob. */
interface Part {
  meta: FamilyMeta;
  s: Section;
  a: number;
  b: number;
  oa: number;
  ob: number;
  points: number;
}

function request(
  points: number,
  bytes: number,
  parts: () => Buffer[],
  segments: () => Segment[] = () => [{ raw: parts() }],
): PlannedRequest {
  return {
    points,
    bytes,
    parts,
    write: () => Buffer.concat(parts(), bytes),
    segments,
    gzip: () => gzipSegments(segments()),
  };
}

/** Whether two chunks of one object are byte-identical outside their time marks (b is stamped here, unsent). */
function sameChunk(a: Chunk, b: Chunk): boolean {
  if (a.buf.length !== b.buf.length || a.marks.length !== b.marks.length) return false;
  for (let i = 0; i < a.marks.length; i++) if (a.marks[i] !== b.marks[i]) return false;
  if (a.marks.length > 0) {
    const m = a.marks[0] as number;
    stampMarks(b.buf, b.marks, 0, b.marks.length, a.buf.subarray(m, m + 8));
  }
  return a.buf.equals(b.buf);
}

/**
 * One push's entity chunks as deflate units: chunk i's ResourceMetrics bytes. The push time is written into a
 * chunk's marks when its bytes are first read as they are sent (stamp): with gzip nearly every chunk goes out
 * as its piece's kept output, which does not depend on the time, and stamping every mark of every chunk per
 * push was ~7 ms at 10k pods for bytes nobody read.
 */
class ChunkUnits implements EntityUnitSeq {
  readonly chunks: readonly Chunk[];
  readonly ids: { n: number };
  readonly nowMs: number;
  readonly now: Uint8Array;
  constructor(chunks: readonly Chunk[], ids: { n: number }, nowMs: number, now: Uint8Array) {
    this.chunks = chunks;
    this.ids = ids;
    this.nowMs = nowMs;
    this.now = now;
  }
  /** Writes the push time into the marks of chunks [a, b) not stamped with it yet. */
  stamp(a: number, b: number): void {
    for (let i = a; i < b; i++) {
      const c = this.chunks[i] as Chunk;
      if (c.stampedMs === this.nowMs) continue;
      stampMarks(c.buf, c.marks, 0, c.marks.length, this.now);
      c.stampedMs = this.nowMs;
    }
  }
  get length(): number {
    return this.chunks.length;
  }
  len(i: number): number {
    return (this.chunks[i] as Chunk).buf.length;
  }
  version(i: number): number {
    const c = this.chunks[i] as Chunk;
    c.deflateId ??= ++this.ids.n;
    return c.deflateId;
  }
  key(i: number): number {
    return (this.chunks[i] as Chunk).deflateKey ?? 0;
  }
  copy(i: number, dst: Buffer, pos: number, marks: number[]): void {
    const c = this.chunks[i] as Chunk;
    c.buf.copy(dst, pos);
    for (const m of c.marks) marks.push(m + pos);
  }
  slices(a: number, b: number, out: Buffer[]): void {
    this.stamp(a, b);
    for (let i = a; i < b; i++) out.push((this.chunks[i] as Chunk).buf);
  }
  /** Chunk i's bytes, whatever time its marks hold (the coder stamps its copy with its own). */
  bytesOf(i: number): Buffer {
    return (this.chunks[i] as Chunk).buf;
  }
  marksOf(i: number): Uint32Array {
    return (this.chunks[i] as Chunk).marks;
  }
}

export class StoreEncoder {
  readonly opts: StoreEncoderOptions;
  /** entity shape: each object's chunk (the flat shape keeps its bytes in its sections instead). */
  #cache = new WeakMap<ObjectMetrics, Chunk>();
  /** entity shape: each uid's chunk at the last push, to keep it when a changed object encodes the same bytes. */
  #byUid = new Map<string, Chunk>();
  /** Pushes planned (the entity walks' round). */
  #walk = 0;
  /** The shape of the last plan (preencode does nothing before the first). */
  #shape: 'entity' | 'flat' | undefined;
  /** flat shape: chunks encoded ahead of the next plan (preencode), their bytes and family metadata. */
  #pre = new WeakMap<ObjectMetrics, { chunk: Chunk; metas: FamilyMeta[] }>();
  #preChunks = new ScratchArena();
  #preBytes = 0;
  /** flat shape: objects whose bytes the sections hold (or held), which preencode need not encode. */
  #inSections = new WeakSet<ObjectMetrics>();
  #entityPieces = new EntityPieces(ENTITY_PIECE_BYTES, ENTITY_PIECE_DICT);
  #chunkIds = { n: 0 };
  #meta = new WeakMap<readonly FamilyDescriptor[], FamilyMeta[]>();
  #sections = new Map<ResourceName, { metas: FamilyMeta[]; sections: FlatSections }>();
  #frame: EntityFrame;
  #resource: Buffer = Buffer.alloc(0);
  #resourceOf: Readonly<Record<string, unknown>> | undefined;
  #entityExtraKey = '';
  /** Scratch writer for per-object encoding. */
  #scratch = new ProtoWriter(64 * 1024);
  /** Bytes of the kept entity chunks, and of the flat chunks of one push (otlp-arena.ts). */
  #kept = new KeptArena();
  #pushChunks = new ScratchArena();
  /** Bytes of the flat chunks encoded by the current plan. */
  #pushBytes = 0;

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
    const s = new ProtoWriter(128);
    if (opts.schemaUrl) {
      // ScopeMetrics.schema_url and ResourceMetrics.schema_url are both field 3.
      s.byte(TAG.smSchemaUrl);
      s.string(opts.schemaUrl);
    }
    const url = s.finish();
    this.#frame = { scope: w.finish(), scopeSchemaUrl: url, resourceSchemaUrl: url, extraAttributes: Buffer.alloc(0) };
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
    this.#frame = { ...this.#frame, extraAttributes: e.finish() };
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

  /** Scratch slabs the flat shape holds between pushes (tests). */
  get scratchSlabs(): number {
    return this.#pushChunks.slabs;
  }

  /** True when the source's families are entity-shaped (every family declares its point attributes). */
  static entityShaped(src: MetricsSource): boolean {
    const rs = src.resources();
    return rs.length > 0 && rs.every((r) => src.families(r).every((f) => f.pointAttributes !== undefined));
  }

  /**
   * Encodes `obj` now, for the next plan: called by the Prometheus bridge right after it generated the object's
   * points for its text (StoreRenderer.onRender), while the store still holds them, so a changed object's
   * points are generated once for both exporters instead of once each. Entity chunks go where the plan keeps
   * them; flat chunks are held until the next plan takes them. Nothing before the first plan (the shape is not
   * known, and the first plan encodes every object anyway).
   */
  preencode(obj: ObjectMetrics, fams: readonly FamilyDescriptor[]): void {
    if (this.#shape === 'entity') {
      if (!this.#cache.has(obj)) this.#cache.set(obj, this.#encodeEntity(obj, this.#metaOf(fams)));
    } else if (this.#shape === 'flat') {
      if (this.#preBytes > PREENCODE_MAX_BYTES || this.#inSections.has(obj) || this.#pre.has(obj)) return;
      const metas = this.#metaOf(fams);
      const chunk = encodeFlatChunk(this.#scratch, obj, metas, this.#preChunks);
      this.#pre.set(obj, { chunk, metas });
      this.#preBytes += chunk.buf.length;
    }
  }

  /** A new or changed object's entity chunk: the last push's one when the bytes are the same. */
  #encodeEntity(obj: ObjectMetrics, metas: FamilyMeta[]): Chunk {
    const c = encodeEntityChunk(this.#scratch, obj, metas, this.#frame, this.#kept);
    const prev = this.#byUid.get(obj.uid);
    // The fresh copy's slab space is left unkept, so the arena counts it as garbage.
    if (prev && sameChunk(prev, c)) return prev;
    c.deflateKey = uidKey(obj.uid);
    return c;
  }

  /**
   * The object's entity chunk for this push's walk, encoding it when new or changed (kept by object identity).
   * A plain call per object, not a generator: a generator's result objects were ~2 MiB per push at 10k pods.
   */
  #entityChunk(obj: ObjectMetrics, metas: FamilyMeta[], walk: number): Chunk {
    let c = this.#cache.get(obj);
    if (c === undefined) {
      c = this.#encodeEntity(obj, metas);
      this.#cache.set(obj, c);
    }
    // A chunk the previous walk met is its uid's entry already: only new and changed chunks are written
    // (refilling a map of every object per push was garbage of its own).
    if (c.walk !== walk - 1) this.#byUid.set(obj.uid, c);
    c.walk = walk;
    this.#kept.keep(c);
    return c;
  }

  /** Uids whose entity chunk the encoder holds for the next push (tests). */
  get entityUids(): number {
    return this.#byUid.size;
  }

  /** Deleted objects' chunks must not stay reachable: drops the uids the last walk (`walked` objects) missed. */
  #pruneByUid(walked: number): void {
    if (this.#byUid.size <= walked) return;
    // forEach, not for-of: an [uid, chunk] entry per object and push was ~1.3 MiB of garbage at 10k pods (a
    // push with a deletion walks them all). Deleting the visited entry is allowed while iterating.
    const walk = this.#walk;
    const byUid = this.#byUid;
    byUid.forEach((c, uid) => {
      if (c.walk !== walk) byUid.delete(uid);
    });
  }

  /**
   * Plans the requests for one push at `nowMs`: encodes new/changed objects, stamps the push time and cuts
   * request boundaries at maxBytes / maxPoints. `selfRm` (tagged ResourceMetrics bytes: self-metrics, relayed
   * metrics) rides in the first request.
   */
  plan(
    src: MetricsSource,
    nowMs: number,
    limits: BatchLimits,
    selfRm?: { bytes: Buffer; points: number },
    resourceAttributes: Readonly<Record<string, unknown>> = {},
    entityAttributes: Readonly<Record<string, string>> = {},
  ): PlannedRequest[] {
    this.#setResource(resourceAttributes);
    this.#setEntityAttributes(entityAttributes);
    const now = Buffer.allocUnsafe(8);
    writeNanos(now, 0, nowMs);
    this.#walk++;
    this.#shape = StoreEncoder.entityShaped(src) ? 'entity' : 'flat';
    const out =
      this.#shape === 'entity' ? this.#planEntity(src, nowMs, now, limits) : this.#planFlat(src, nowMs, now, limits);
    if (selfRm && selfRm.points > 0) {
      const first = out[0];
      out[0] = first
        ? request(
            first.points + selfRm.points,
            first.bytes + selfRm.bytes.length,
            () => [...first.parts(), selfRm.bytes],
            () => [...first.segments(), { raw: [selfRm.bytes] }],
          )
        : request(selfRm.points, selfRm.bytes.length, () => [selfRm.bytes]);
    }
    return out;
  }

  #planEntity(src: MetricsSource, nowMs: number, now: Uint8Array, limits: BatchLimits): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    const all: Chunk[] = [];
    const units = new ChunkUnits(all, this.#chunkIds, nowMs, now);
    const pieces = this.#entityPieces;
    let laidOut = false;
    let cur = new Pieces();
    /** Index in `all` of the current request's first chunk (its list joins neighbouring chunks). */
    let first = 0;
    let bytes = 0;
    let points = 0;
    const close = () => {
      if (cur.empty) return;
      const list = cur.list;
      const a = first;
      const b = all.length;
      first = b;
      const segments = () => {
        // The pieces of the whole push, laid out at its first gzip request (none for zstd or no compression).
        if (!laidOut) {
          pieces.layout(units);
          laidOut = true;
        }
        const segs: Segment[] = [];
        pieces.segments(units, a, b, segs);
        return segs;
      };
      const parts = () => {
        units.stamp(a, b);
        return list;
      };
      out.push(request(points, bytes, parts, segments));
      cur = new Pieces();
      bytes = 0;
      points = 0;
    };
    this.#kept.beginWalk();
    let walked = 0;
    for (const r of src.resources()) {
      if (src.size(r) === 0) continue;
      walked += src.size(r);
      const metas = this.#metaOf(src.families(r));
      for (const obj of src.entries(r)) {
        const c = this.#entityChunk(obj, metas, this.#walk);
        if (c.points === 0) continue;
        if (!cur.empty && (bytes + c.buf.length > limits.maxBytes || points + c.points > limits.maxPoints)) close();
        cur.push(c.buf);
        all.push(c);
        bytes += c.buf.length;
        points += c.points;
      }
    }
    close();
    this.#pruneByUid(walked);
    return out;
  }

  /** Every served resource's sections, up to date and stamped, with their family metadata. */
  #flatSections(src: MetricsSource, nowMs: number, now: Uint8Array) {
    const per: { metas: FamilyMeta[]; sections: Section[] }[] = [];
    this.#pushChunks.reset();
    this.#pushBytes = 0;
    for (const r of src.resources()) {
      const metas = this.#metaOf(src.families(r));
      let entry = this.#sections.get(r);
      if (!entry || entry.metas !== metas) {
        entry = { metas, sections: new FlatSections(metas.length) };
        this.#sections.set(r, entry);
      }
      const objs = [...src.entries(r)];
      entry.sections.update(objs, (obj) => this.#flatChunk(obj, metas), nowMs, now);
      per.push({ metas, sections: entry.sections.sections });
    }
    // What was encoded ahead is in the sections now (or belonged to objects replaced since).
    this.#pre = new WeakMap();
    this.#preChunks.reset();
    this.#preBytes = 0;
    // A resource no longer served (resharding, --resources) must not keep its sections alive.
    for (const r of this.#sections.keys()) if (!src.resources().includes(r)) this.#sections.delete(r);
    return per;
  }

  /** A new or changed object's flat chunk for the sections: the one encoded ahead (preencode), else now. */
  #flatChunk(obj: ObjectMetrics, metas: FamilyMeta[]): Chunk {
    this.#inSections.add(obj);
    const pre = this.#pre.get(obj);
    if (pre !== undefined && pre.metas === metas) return pre.chunk;
    const arena = this.#pushBytes < PUSH_ARENA_MAX_BYTES ? this.#pushChunks : undefined;
    const c = encodeFlatChunk(this.#scratch, obj, metas, arena);
    this.#pushBytes += c.buf.length;
    return c;
  }

  #planFlat(src: MetricsSource, nowMs: number, now: Uint8Array, limits: BatchLimits): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    let parts: Part[] = [];
    /** The open request's size so far (read by splitSection for every object of a family it cuts). */
    const req = { bytes: 0, points: 0 };
    const fixed = this.#resource.length + this.#frame.scope.length + 16;
    const budget = { maxBytes: limits.maxBytes - fixed, maxPoints: limits.maxPoints };
    const add = (p: Part) => {
      parts.push(p);
      req.bytes += p.b - p.a + p.meta.header.length + 16;
      req.points += p.points;
    };
    const close = () => {
      if (parts.length === 0) return;
      out.push(this.#flatRequest(parts, req.points));
      parts = [];
      req.bytes = 0;
      req.points = 0;
    };
    for (const { metas, sections } of this.#flatSections(src, nowMs, now)) {
      for (let f = 0; f < metas.length; f++) {
        const s = sections[f] as Section;
        const meta = metas[f] as FamilyMeta;
        if (s.nMarks === 0) continue;
        const overhead = meta.header.length + 16;
        if (req.bytes + s.len + overhead <= budget.maxBytes && req.points + s.nMarks <= budget.maxPoints) {
          add({ meta, s, a: 0, b: s.len, oa: 0, ob: s.starts.length - 1, points: s.nMarks });
          continue;
        }
        splitSection(s, meta, budget, req, add, close);
      }
    }
    close();
    return out;
  }

  /** One flat request: exact lengths bottom-up, then the framing in one small buffer around the section slices. */
  #flatRequest(parts: readonly Part[], points: number): PlannedRequest {
    const resource = this.#resource;
    const scope = this.#frame.scope;
    const metricLens: number[] = [];
    const dataLens: number[] = [];
    let smBody = scope.length;
    for (const p of parts) {
      const dataLen = p.b - p.a + p.meta.trailer.length;
      const metricLen = p.meta.header.length + 1 + varintSize(dataLen) + dataLen;
      dataLens.push(dataLen);
      metricLens.push(metricLen);
      smBody += 1 + varintSize(metricLen) + metricLen;
    }
    const rmBody = resource.length + 1 + varintSize(smBody) + smBody;
    const total = 1 + varintSize(rmBody) + rmBody;
    const framing = (): { head: Buffer; cuts: number[] } => {
      const w = new ProtoWriter(64 + resource.length + scope.length + parts.length * 96);
      w.byte(TAG.requestResourceMetrics);
      w.varint(rmBody);
      w.raw(resource);
      w.byte(TAG.rmScopeMetrics);
      w.varint(smBody);
      w.raw(scope);
      // Framing offsets first: the writer's buffer may move while it grows.
      const cuts: number[] = [w.pos];
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i] as Part;
        w.byte(TAG.smMetrics);
        w.varint(metricLens[i] as number);
        w.raw(p.meta.header);
        w.byte(p.meta.dataTag);
        w.varint(dataLens[i] as number);
        cuts.push(w.pos);
      }
      return { head: w.buf, cuts };
    };
    const build = (): Buffer[] => {
      const { head, cuts } = framing();
      const out: Buffer[] = [head.subarray(0, cuts[0])];
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i] as Part;
        out.push(head.subarray(cuts[i], cuts[i + 1]), stampedSection(p.s).subarray(p.a, p.b));
        if (p.meta.trailer.length > 0) out.push(p.meta.trailer);
      }
      return out;
    };
    const segments = (): Segment[] => {
      const { head, cuts } = framing();
      const out: Segment[] = [{ raw: [head.subarray(0, cuts[0])] }];
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i] as Part;
        out.push({ raw: [head.subarray(cuts[i], cuts[i + 1])] });
        sectionSegments(p.s, p.oa, p.ob, out);
        if (p.meta.trailer.length > 0) out.push({ raw: [p.meta.trailer] });
      }
      return out;
    };
    return request(points, total, build, segments);
  }
}

/**
 * Cuts a family too big for the current request at object boundaries (an object's points of one family stay
 * in one request): fills the current request, closes it, continues in the next.
 */
function splitSection(
  s: Section,
  meta: FamilyMeta,
  budget: BatchLimits,
  /** The open request's bytes and points, kept up to date by add and close. */
  cur: { readonly bytes: number; readonly points: number },
  add: (p: Part) => void,
  close: () => void,
): void {
  const overhead = meta.header.length + 16;
  const objects = s.starts.length - 1;
  let a = 0;
  let oa = 0;
  let pb = 0;
  let pp = 0;
  let ob = 0;
  for (let o = 0; o < objects; o++) {
    const np = (s.markStarts[o + 1] as number) - (s.markStarts[o] as number);
    if (np === 0) continue;
    const start = s.starts[o] as number;
    const len = (s.starts[o + 1] as number) - start;
    if (cur.bytes + pb + overhead + len > budget.maxBytes || cur.points + pp + np > budget.maxPoints) {
      if (pp > 0) add({ meta, s, a, b: a + pb, oa, ob, points: pp });
      if (cur.points > 0) close();
      pb = 0;
      pp = 0;
    }
    if (pp === 0) {
      a = start;
      oa = o;
    }
    pb += len;
    pp += np;
    ob = o + 1;
  }
  if (pp > 0) add({ meta, s, a, b: a + pb, oa, ob, points: pp });
}
