// The flat (ksm) shape puts each family's points from every object into one Metric, so a request is
// family-major while the cached chunks are object-major. Gathering the points anew at each push costs one small
// copy per object and family (~500k at 10k pods), whatever changed. Instead each family keeps its assembled
// section (all objects' points, in store order) between pushes, like the Prometheus bridge's segment cache:
// a push rebuilds a section only when the object list changed, copying unchanged runs of objects in one piece
// and only the changed objects from their chunks; the push time is written at the marks of the bytes read.
// Requests send slices of the sections as they are (no copy).
//
// For gzip each section also keeps its compressed pieces (otlp-deflate.ts): every object's bytes in a family
// carry a version that changes only when those bytes change (a pod whose restart count changed keeps the
// version of its ~40 other families), so a piece is compressed again only when an object in it or in its
// dictionary really changed, was added or removed.
import type { ObjectMetrics } from '@kso/metrics';
import { type Chunk, stampMarks } from './otlp-chunks.ts';
import { DeflatePieces, type Segment, type UnitSeq, uidKey } from './otlp-deflate.ts';

/**
 * Mean piece size and dictionary of a family section's compressed pieces. Measured at 10k pods (~160 bytes
 * per object and family): 2 KiB / 1 KiB sends 10.1 MiB per push (whole-stream gzip 9.5) and compresses ~3.4k
 * pieces per push under the bench's churn; 1 KiB pieces 11.3 MiB for as much work (a piece's fixed cost,
 * ~30 µs, dominates), 512 bytes 13.1 MiB; capping piece size at twice the mean compressed more pieces.
 * Most of the work is deletions (random under the bench's churn, ~75% of the compressed pieces): each dirties
 * its piece in every family and, when it lay in the next piece's dictionary, that one too. With kept zlib
 * handles (in-process, 600 restarts + 75 deletions + 75 creations per push): dictionary 1 KiB 3.6k pieces,
 * 135 ms, 10.13 MiB sent; 512 bytes 3.0k, 110 ms, 10.18 MiB; 256 bytes 2.75k, 100 ms, 10.35 MiB.
 */
const PIECE_BYTES = 2048;
const PIECE_DICT = 512;

/** One family's points across the objects of one resource, in store order. */
export interface Section {
  buf: Buffer;
  /** Bytes used in buf. */
  len: number;
  /** time_unix_nano offsets in buf; one per point, so a range's point count is a difference of indexes. */
  marks: Uint32Array;
  nMarks: number;
  /** Byte offset of object i's points (length objects + 1). */
  starts: Uint32Array;
  /** Index in marks of object i's first point (length objects + 1). */
  markStarts: Uint32Array;
  /** The buffers of the previous build, reused by the next (a section is rebuilt into its spare). */
  spare: Buffer;
  spareMarks: Uint32Array;
  /**
   * The arrays behind starts, markStarts and vers (views of their exact length) and the previous build's, reused
   * the same way: ~45 sections x 12k objects x 16 bytes of zeroed memory per push at 10k pods otherwise.
   */
  index: IndexArrays;
  spareIndex: IndexArrays;
  /**
   * The push time for the marks and its milliseconds; stampedMs: the time every mark holds (else only the
   * ranges read since). Marks are written when bytes are read (sent uncompressed, sent live, read as a
   * dictionary), not at every push: a kept compressed piece stands for its bytes at any time, and most of a
   * gzip push is kept pieces (~2M marks per push at 10k pods).
   */
  time: Uint8Array;
  timeMs: number;
  stampedMs: number;
  /** Version of object i's bytes (length objects). */
  vers: Float64Array;
  /** uidKey of object i (shared by the sections of one resource). */
  keys: Uint32Array;
  /** Compressed pieces; laidOut is false after a rebuild until the next gzip asks for them. */
  pieces: DeflatePieces;
  laidOut: boolean;
}

interface IndexArrays {
  starts: Uint32Array;
  markStarts: Uint32Array;
  vers: Float64Array;
}

function indexArrays(objects: number): IndexArrays {
  return {
    starts: new Uint32Array(objects + 1),
    markStarts: new Uint32Array(objects + 1),
    vers: new Float64Array(objects),
  };
}

/**
 * A maximal stretch of the new object list: `from >= 0` = objects from..from+count of the previous list, in
 * order and unchanged (copied from the old section); `from < 0` = one new or changed object (from its chunk).
 */
interface Run {
  from: number;
  count: number;
  chunk: Chunk | undefined;
  /** A changed object: its index in the previous list (-1 when new). */
  prev: number;
}

function emptySection(): Section {
  const none = Buffer.alloc(0);
  return {
    buf: none,
    len: 0,
    marks: new Uint32Array(0),
    nMarks: 0,
    starts: new Uint32Array(1),
    markStarts: new Uint32Array(1),
    spare: none,
    spareMarks: new Uint32Array(0),
    index: indexArrays(0),
    spareIndex: indexArrays(0),
    time: new Uint8Array(8),
    timeMs: -1,
    stampedMs: -1,
    vers: new Float64Array(0),
    keys: new Uint32Array(0),
    pieces: new DeflatePieces(PIECE_BYTES, PIECE_DICT, true),
    laidOut: false,
  };
}

/** The sections of one resource and the object list they were built from. */
export class FlatSections {
  readonly sections: Section[];
  #objs: readonly ObjectMetrics[] = [];
  /** uid → index in #objs. */
  readonly #index = new Map<string, number>();
  #version = { n: 0 };

  constructor(families: number) {
    this.sections = Array.from({ length: families }, emptySection);
  }

  /**
   * Brings every section in line with `objs` and stamps the push time `t`. `encode` is called for the objects
   * the sections do not hold yet (new or changed: ObjectMetrics are immutable), whose chunk is copied in and
   * then dropped: unchanged objects are copied from the old sections, so no per-object bytes are kept.
   */
  update(objs: ObjectMetrics[], encode: (o: ObjectMetrics) => Chunk, nowMs: number, t: Uint8Array): void {
    if (!sameList(objs, this.#objs)) {
      const runs = this.#runs(objs, encode);
      const keys = Uint32Array.from(objs, (o) => uidKey(o.uid));
      for (let f = 0; f < this.sections.length; f++) {
        const s = this.sections[f] as Section;
        rebuild(s, f, runs, objs.length, this.#version);
        s.keys = keys;
      }
      this.#reindex(objs);
      this.#objs = objs;
    }
    for (const s of this.sections) {
      s.time = t;
      s.timeMs = nowMs;
    }
  }

  /**
   * The uid index updated in place for the new list: a new Map per push (12k entries at 10k pods) lived until
   * the next push, old-generation garbage; set() of a present key allocates nothing.
   */
  #reindex(objs: readonly ObjectMetrics[]): void {
    const index = this.#index;
    for (let i = 0; i < objs.length; i++) index.set((objs[i] as ObjectMetrics).uid, i);
    if (index.size === objs.length) return;
    // Uids are unique in a list: one no longer at the index it was just given is gone.
    for (const o of this.#objs) {
      const j = index.get(o.uid);
      if (j !== undefined && objs[j]?.uid !== o.uid) index.delete(o.uid);
    }
  }

  #runs(objs: readonly ObjectMetrics[], encode: (o: ObjectMetrics) => Chunk): Run[] {
    const runs: Run[] = [];
    let cur: Run | undefined;
    for (const obj of objs) {
      const j = this.#index.get(obj.uid);
      if (j === undefined || this.#objs[j] !== obj) {
        cur = undefined;
        runs.push({ from: -1, count: 1, chunk: encode(obj), prev: j ?? -1 });
      } else if (cur && cur.from + cur.count === j) cur.count++;
      else {
        cur = { from: j, count: 1, chunk: undefined, prev: -1 };
        runs.push(cur);
      }
    }
    return runs;
  }
}

function sameList(a: readonly ObjectMetrics[], b: readonly ObjectMetrics[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Start of family f's bytes in a flat chunk (it ends at famEnds[f]). */
function famStart(c: Chunk, f: number): number {
  return f === 0 ? 0 : ((c.famEnds as Uint32Array)[f - 1] as number);
}

/** Index of family f's first mark in a flat chunk (its marks end at famMarkEnds[f]). */
function famMarkStart(c: Chunk, f: number): number {
  return f === 0 ? 0 : ((c.famMarkEnds as Uint32Array)[f - 1] as number);
}

/** Section size and point count after `runs`, so the spare is sized once. */
function measure(s: Section, f: number, runs: readonly Run[]): { bytes: number; marks: number } {
  let bytes = 0;
  let marks = 0;
  for (let k = 0; k < runs.length; k++) {
    const r = runs[k] as Run;
    if (r.chunk) {
      bytes += ((r.chunk.famEnds as Uint32Array)[f] as number) - famStart(r.chunk, f);
      marks += ((r.chunk.famMarkEnds as Uint32Array)[f] as number) - famMarkStart(r.chunk, f);
    } else {
      bytes += (s.starts[r.from + r.count] as number) - (s.starts[r.from] as number);
      marks += (s.markStarts[r.from + r.count] as number) - (s.markStarts[r.from] as number);
    }
  }
  return { bytes, marks };
}

/** The spare index arrays, grown (with headroom) to hold `objects`. */
function spareIndex(s: Section, objects: number): IndexArrays {
  if (s.spareIndex.vers.length < objects) s.spareIndex = indexArrays(Math.ceil(objects * 1.125) + 8);
  return s.spareIndex;
}

/**
 * Rebuilds family f's section into its spare buffers from the old section and the changed objects' chunks.
 * A changed object keeps its version when its bytes in this family did not change.
 */
function rebuild(s: Section, f: number, runs: readonly Run[], objects: number, version: { n: number }): void {
  const need = measure(s, f, runs);
  // Headroom so that a few added objects do not reallocate at every push.
  if (s.spare.length < need.bytes) s.spare = Buffer.allocUnsafeSlow(Math.ceil(need.bytes * 1.125) + 64);
  if (s.spareMarks.length < need.marks) s.spareMarks = new Uint32Array(Math.ceil(need.marks * 1.125) + 8);
  const buf = s.spare;
  const marks = s.spareMarks;
  const ix = spareIndex(s, objects);
  const starts = ix.starts.subarray(0, objects + 1);
  const markStarts = ix.markStarts.subarray(0, objects + 1);
  const vers = ix.vers.subarray(0, objects);
  let pos = 0;
  let m = 0;
  let i = 0;
  for (let ri = 0; ri < runs.length; ri++) {
    const r = runs[ri] as Run;
    const c = r.chunk;
    if (c) {
      const a = famStart(c, f);
      const b = (c.famEnds as Uint32Array)[f] as number;
      const mb = (c.famMarkEnds as Uint32Array)[f] as number;
      starts[i] = pos;
      markStarts[i] = m;
      const ma = famMarkStart(c, f);
      vers[i] = r.prev >= 0 && sameBytes(s, r.prev, c, a, b, ma, mb) ? (s.vers[r.prev] as number) : ++version.n;
      copyBytes(c.buf, a, b, buf, pos);
      for (let k = ma; k < mb; k++) marks[m++] = (c.marks[k] as number) - a + pos;
      pos += b - a;
      i++;
      continue;
    }
    const a = s.starts[r.from] as number;
    const b = s.starts[r.from + r.count] as number;
    const ma = s.markStarts[r.from] as number;
    const delta = pos - a;
    for (let k = 0; k < r.count; k++, i++) {
      starts[i] = (s.starts[r.from + k] as number) + delta;
      markStarts[i] = (s.markStarts[r.from + k] as number) - ma + m;
      vers[i] = s.vers[r.from + k] as number;
    }
    copyBytes(s.buf, a, b, buf, pos);
    const mb = s.markStarts[r.from + r.count] as number;
    for (let k = ma; k < mb; k++) marks[m++] = (s.marks[k] as number) + delta;
    pos = b + delta;
  }
  starts[i] = pos;
  markStarts[i] = m;
  [s.spare, s.spareMarks, s.spareIndex, s.index] = [s.buf, s.marks, s.index, ix];
  s.buf = buf;
  s.marks = marks;
  s.len = pos;
  s.nMarks = m;
  s.starts = starts;
  s.markStarts = markStarts;
  s.vers = vers;
  s.stampedMs = -1;
  s.laidOut = false;
}

/**
 * Whether object `prev`'s bytes in the old section equal the chunk's c.buf[a..b) outside the time marks (the
 * section's hold the last push time, a fresh chunk's are zero): same length, same mark offsets, same bytes.
 */
function sameBytes(s: Section, prev: number, c: Chunk, a: number, b: number, ma: number, mb: number): boolean {
  const oa = s.starts[prev] as number;
  if ((s.starts[prev + 1] as number) - oa !== b - a) return false;
  const om = s.markStarts[prev] as number;
  if ((s.markStarts[prev + 1] as number) - om !== mb - ma) return false;
  let from = 0;
  for (let k = 0; k <= mb - ma; k++) {
    const to = k < mb - ma ? (c.marks[ma + k] as number) - a : b - a;
    if (k < mb - ma && (s.marks[om + k] as number) - oa !== to) return false;
    for (let x = from; x < to; x++) if (s.buf[oa + x] !== c.buf[a + x]) return false;
    from = to + 8;
  }
  return true;
}

/** Family section s as deflate units: object i's bytes. */
class SectionUnits implements UnitSeq {
  readonly s: Section;
  constructor(s: Section) {
    this.s = s;
  }
  get length(): number {
    return this.s.starts.length - 1;
  }
  len(i: number): number {
    return (this.s.starts[i + 1] as number) - (this.s.starts[i] as number);
  }
  version(i: number): number {
    return this.s.vers[i] as number;
  }
  key(i: number): number {
    return this.s.keys[i] as number;
  }
  copy(i: number, dst: Buffer, pos: number, marks: number[]): void {
    const s = this.s;
    const a = s.starts[i] as number;
    s.buf.copy(dst, pos, a, s.starts[i + 1] as number);
    const mb = s.markStarts[i + 1] as number;
    for (let k = s.markStarts[i] as number; k < mb; k++) marks.push((s.marks[k] as number) - a + pos);
  }
  slices(a: number, b: number, out: Buffer[]): void {
    const s = this.s;
    if (s.stampedMs !== s.timeMs)
      stampMarks(s.buf, s.marks, s.markStarts[a] as number, s.markStarts[b] as number, s.time);
    out.push(s.buf.subarray(s.starts[a] as number, s.starts[b] as number));
  }
}

/** Section s's bytes with the push time in every mark (what is sent uncompressed). */
export function stampedSection(s: Section): Buffer {
  if (s.stampedMs !== s.timeMs) {
    stampMarks(s.buf, s.marks, 0, s.nMarks, s.time);
    s.stampedMs = s.timeMs;
  }
  return s.buf;
}

/** The gzip segments of objects [a, b) of section s (laying its pieces out after a rebuild). */
export function sectionSegments(s: Section, a: number, b: number, out: Segment[]): void {
  const units = new SectionUnits(s);
  if (!s.laidOut) {
    s.pieces.layout(units);
    s.laidOut = true;
  }
  s.pieces.segments(units, a, b, out);
}

/**
 * src[a..b) → dst at pos. Buffer#copy makes a view per call (~0.3 µs), as much as copying a few hundred bytes
 * by hand; a rebuild copies ~70k ranges of ~160 bytes (one changed object's points of one family) per push.
 */
function copyBytes(src: Buffer, a: number, b: number, dst: Buffer, pos: number): void {
  if (b - a > 256) {
    src.copy(dst, pos, a, b);
    return;
  }
  for (let i = a; i < b; i++) dst[pos++] = src[i] as number;
}
