// The flat (ksm) shape puts each family's points from every object into one Metric, so a request is
// family-major while the cached chunks are object-major. Gathering the points anew at each push costs one small
// copy per object and family (~500k at 10k pods), whatever changed. Instead each family keeps its section (all
// objects' points, in store order) between pushes, like the Prometheus bridge's segment cache.
//
// A section's bytes are stored as its compressed pieces' bytes (otlp-deflate.ts: content-defined runs of
// objects, ~2 KiB): each piece holds its objects' points in a buffer of its own, so when objects change only
// the pieces they fall in are written again (from the old pieces and the changed objects' chunks) and every
// other piece is kept as it is. A contiguous section rebuilt at each push had copied every family's bytes once
// per push (73 MiB at 10k pods) into a spare of the same size, though deletions spread over all pods leave
// no run of a section untouched. Requests send the pieces' bytes as they are (no copy), joined into one view
// where neighbouring pieces lie next to each other in memory.
//
// Rewritten pieces of one rebuild are cut from one slab per section; a slab whose kept pieces fell below
// MIN_LIVE of its bytes has them moved into the new slab, so garbage stays under the kept bytes (less on average)
// and the copying is proportional to what changed.
//
// For gzip each piece also keeps its compressed bytes: every object's bytes in a family carry a version that
// changes only when those bytes change (a pod whose restart count changed keeps the version of its ~40 other
// families), so a piece is compressed again only when an object in it or in its dictionary really changed,
// was added or removed. The push time is written into a piece's marks when its bytes are first read at a push
// (sent uncompressed, sent live, or read as a dictionary), not into every mark at every push: a kept
// compressed piece stands for its bytes at any time.
import type { ObjectMetrics } from '@kso/metrics';
import { type Chunk, stampMarks } from './otlp-chunks.ts';
import {
  DeflatePieces,
  deflateStats,
  type Entry,
  newEntry,
  type Piece,
  type Segment,
  type UnitSeq,
  uidKey,
} from './otlp-deflate.ts';

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
/** A slab whose kept pieces hold less than this fraction of its bytes has them moved at the next rebuild. */
const MIN_LIVE = 0.5;

/** Counters over the process (tests, benchmarks): pieces written from objects, and kept pieces moved. */
export const sectionStats = { written: 0, writtenBytes: 0, moved: 0, movedBytes: 0 };

/** Where the bytes of some pieces of one section live: one rebuild's rewritten (or moved) pieces. */
interface Slab {
  readonly bytes: number;
  /** Bytes of the pieces kept in it, counted in rebuild `round`. */
  live: number;
  round: number;
}

/** The bytes of one piece of a section: objects [p.from, p.to) of the piece at the same index. */
interface Stored {
  /** The objects' points, a view in the slab. */
  buf: Buffer;
  /** time_unix_nano offsets in buf, a view of the slab's marks. */
  marks: Uint32Array;
  slab: Slab;
  /** The push time last written into the marks (-1: none). */
  stampedMs: number;
}

/** One family's points across the objects of one resource, in store order. */
export interface Section {
  /** Bytes and points of the whole section. */
  len: number;
  nMarks: number;
  /** Byte offset of object i's points in the section (length objects + 1). */
  starts: Uint32Array;
  /** Index of object i's first point in the section (length objects + 1). */
  markStarts: Uint32Array;
  /** Version of object i's bytes (length objects). */
  vers: Float64Array;
  /** Index in pieces.pieces (and stored) of the piece holding object i (objects without bytes: any). */
  pieceOf: Uint32Array;
  /**
   * The arrays behind starts, markStarts, vers and pieceOf (views of their exact length) and the previous
   * build's, reused: ~45 sections x 12k objects x 20 bytes of zeroed memory per push at 10k pods otherwise.
   */
  index: IndexArrays;
  spareIndex: IndexArrays;
  /** uidKey of object i (shared by the sections of one resource). */
  keys: Uint32Array;
  /** The pieces (boundaries, dictionaries, compressed bytes) and, at the same indexes, their bytes. */
  pieces: DeflatePieces;
  stored: Stored[];
  /** The push time to write into the marks, and its milliseconds. */
  time: Uint8Array;
  timeMs: number;
  /** Rebuilds so far (the slabs' live counts). */
  round: number;
}

interface IndexArrays {
  starts: Uint32Array;
  markStarts: Uint32Array;
  vers: Float64Array;
  pieceOf: Uint32Array;
  /** Per object: the index in the previous build holding the same bytes, or -(k + 1) for changed object k. */
  src: Int32Array;
}

function indexArrays(objects: number): IndexArrays {
  return {
    starts: new Uint32Array(objects + 1),
    markStarts: new Uint32Array(objects + 1),
    vers: new Float64Array(objects),
    pieceOf: new Uint32Array(objects),
    src: new Int32Array(objects),
  };
}

/**
 * A maximal stretch of the new object list: `from >= 0` = objects from..from+count of the previous list, in
 * order and unchanged; `from < 0` = one new or changed object (its chunk is chunks[k]).
 */
interface Run {
  from: number;
  count: number;
  /** A changed object: its chunk's index in the update's list of chunks, and its index in the previous list (-1 when new). */
  k: number;
  prev: number;
}

function emptySection(): Section {
  const index = indexArrays(0);
  return {
    len: 0,
    nMarks: 0,
    starts: index.starts,
    markStarts: index.markStarts,
    vers: index.vers,
    pieceOf: index.pieceOf,
    index,
    spareIndex: indexArrays(0),
    keys: new Uint32Array(0),
    pieces: new DeflatePieces(PIECE_BYTES, PIECE_DICT, true),
    stored: [],
    time: new Uint8Array(8),
    timeMs: -1,
    round: 0,
  };
}

/** The sections of one resource and the object list they were built from. */
export class FlatSections {
  readonly sections: Section[];
  #objs: readonly ObjectMetrics[] = [];
  /** uid → index in #objs. */
  #index = new Map<string, number>();
  #version = { n: 0 };

  constructor(families: number) {
    this.sections = Array.from({ length: families }, emptySection);
  }

  /**
   * Brings every section in line with `objs` and sets the push time `t` (written into the marks when bytes
   * are read). `encode` is called for the objects the sections do not hold yet (new or changed: ObjectMetrics
   * are immutable), whose chunk is copied in and then dropped: unchanged objects' bytes stay where they are,
   * so no per-object bytes are kept.
   */
  update(objs: ObjectMetrics[], encode: (o: ObjectMetrics) => Chunk, nowMs: number, t: Uint8Array): void {
    if (!sameList(objs, this.#objs)) {
      const chunks: Chunk[] = [];
      const runs = this.#runs(objs, encode, chunks);
      const keys = Uint32Array.from(objs, (o) => uidKey(o.uid));
      for (let f = 0; f < this.sections.length; f++) {
        const s = this.sections[f] as Section;
        rebuild(s, f, runs, chunks, keys, objs.length, this.#version);
      }
      this.#objs = objs;
      this.#index = new Map(objs.map((o, i) => [o.uid, i]));
    }
    for (const s of this.sections) {
      s.time = t;
      s.timeMs = nowMs;
    }
  }

  #runs(objs: readonly ObjectMetrics[], encode: (o: ObjectMetrics) => Chunk, chunks: Chunk[]): Run[] {
    const runs: Run[] = [];
    let cur: Run | undefined;
    for (const obj of objs) {
      const j = this.#index.get(obj.uid);
      if (j === undefined || this.#objs[j] !== obj) {
        cur = undefined;
        runs.push({ from: -1, count: 1, k: chunks.length, prev: j ?? -1 });
        chunks.push(encode(obj));
      } else if (cur && cur.from + cur.count === j) cur.count++;
      else {
        cur = { from: j, count: 1, k: -1, prev: -1 };
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

/** The spare index arrays, grown (with headroom) to hold `objects`. */
function spareIndex(s: Section, objects: number): IndexArrays {
  if (s.spareIndex.vers.length < objects) s.spareIndex = indexArrays(Math.ceil(objects * 1.125) + 8);
  return s.spareIndex;
}

/**
 * Rebuilds family f's section for the new object list: the index first (sizes, versions, where each object's
 * bytes come from), then the pieces' boundaries (otlp-deflate.ts keeps the compressed bytes of unchanged
 * pieces), then the bytes of the pieces that are not an old piece's objects unchanged. A changed object keeps
 * its version when its bytes in this family did not change.
 */
function rebuild(
  s: Section,
  f: number,
  runs: readonly Run[],
  chunks: readonly Chunk[],
  keys: Uint32Array,
  objects: number,
  version: { n: number },
): void {
  const ix = spareIndex(s, objects);
  const starts = ix.starts.subarray(0, objects + 1);
  const markStarts = ix.markStarts.subarray(0, objects + 1);
  const vers = ix.vers.subarray(0, objects);
  const pieceOf = ix.pieceOf.subarray(0, objects);
  const src = ix.src;
  let pos = 0;
  let m = 0;
  let i = 0;
  for (const r of runs) {
    if (r.k >= 0) {
      const c = chunks[r.k] as Chunk;
      const a = famStart(c, f);
      const b = (c.famEnds as Uint32Array)[f] as number;
      const ma = famMarkStart(c, f);
      const mb = (c.famMarkEnds as Uint32Array)[f] as number;
      starts[i] = pos;
      markStarts[i] = m;
      if (r.prev >= 0 && sameBytes(s, r.prev, c, a, b, ma, mb)) {
        vers[i] = s.vers[r.prev] as number;
        src[i] = r.prev;
      } else {
        vers[i] = ++version.n;
        src[i] = -(r.k + 1);
      }
      pos += b - a;
      m += mb - ma;
      i++;
      continue;
    }
    const delta = pos - (s.starts[r.from] as number);
    const mdelta = m - (s.markStarts[r.from] as number);
    for (let k = 0; k < r.count; k++, i++) {
      starts[i] = (s.starts[r.from + k] as number) + delta;
      markStarts[i] = (s.markStarts[r.from + k] as number) + mdelta;
      vers[i] = s.vers[r.from + k] as number;
      src[i] = r.from + k;
    }
    pos = (s.starts[r.from + r.count] as number) + delta;
    m = (s.markStarts[r.from + r.count] as number) + mdelta;
  }
  starts[i] = pos;
  markStarts[i] = m;

  const old = { starts: s.starts, markStarts: s.markStarts, pieceOf: s.pieceOf, pieces: s.pieces.pieces };
  const oldStored = s.stored;
  const t0 = performance.now();
  const pieces: Piece[] = [];
  const stored: (Stored | null)[] = [];
  const round = ++s.round;
  // The pieces' boundaries (content-defined: after an object whose key falls below its size / PIECE_BYTES of
  // the key space), and which of them are an old piece's objects unchanged: those keep their bytes, and their
  // compressed bytes when their dictionary's objects are unchanged too.
  let from = 0;
  let bytes = 0;
  let nonEmpty = 0;
  for (let o = 0; o < objects; o++) {
    const len = (starts[o + 1] as number) - (starts[o] as number);
    bytes += len;
    if (len > 0) nonEmpty++;
    if (o < objects - 1 && !(len > 0 && (keys[o] as number) < (len / PIECE_BYTES) * 4294967296)) continue;
    if (bytes > 0) {
      const k = pieces.length;
      for (let x = from; x <= o; x++) pieceOf[x] = k;
      const kept = keptPiece(src, starts, old, from, o + 1);
      let dictFrom = from;
      for (let d = 0; dictFrom > 0 && d < PIECE_DICT; )
        d += (starts[dictFrom] as number) - (starts[--dictFrom] as number);
      let entry: Entry | undefined;
      if (kept >= 0) {
        const e = (old.pieces[kept] as Piece).entry;
        if (sameDict(e.deps, e.deps.length - nonEmpty, starts, vers, dictFrom, from)) {
          entry = e;
          deflateStats.reused++;
        }
        const st = oldStored[kept] as Stored;
        if (st.slab.round !== round) {
          st.slab.round = round;
          st.slab.live = 0;
        }
        st.slab.live += st.buf.length;
        stored.push(st);
      } else stored.push(null);
      entry ??= newEntry(versionsOf(starts, vers, dictFrom, o + 1));
      pieces.push({ from, to: o + 1, bytes, dictFrom, entry });
    }
    from = o + 1;
    bytes = 0;
    nonEmpty = 0;
  }
  s.pieces.pieces = pieces;
  deflateStats.layoutMs += performance.now() - t0;
  let write = 0;
  // Pass 2: what goes into the new slab (rewritten pieces, and kept ones whose slab is mostly garbage).
  let writeMarks = 0;
  for (let k = 0; k < pieces.length; k++) {
    const st = stored[k];
    if (st != null && st.slab.live >= MIN_LIVE * st.slab.bytes) continue;
    const p = pieces[k] as Piece;
    write += p.bytes;
    writeMarks += (markStarts[p.to] as number) - (markStarts[p.from] as number);
  }
  if (write > 0) {
    const slab: Slab = { bytes: write, live: 0, round };
    const buf = Buffer.allocUnsafeSlow(write);
    const marks = new Uint32Array(writeMarks);
    let at = 0;
    let mat = 0;
    for (let k = 0; k < pieces.length; k++) {
      const kept = stored[k];
      if (kept != null && kept.slab.live >= MIN_LIVE * kept.slab.bytes) continue;
      const p = pieces[k] as Piece;
      const pm = (markStarts[p.to] as number) - (markStarts[p.from] as number);
      const pb = buf.subarray(at, at + p.bytes);
      const pmarks = marks.subarray(mat, mat + pm);
      if (kept != null) {
        // Moved as it is: its marks are offsets in the piece, its compressed bytes stay valid.
        copyBytes(kept.buf, 0, kept.buf.length, pb, 0);
        pmarks.set(kept.marks);
        stored[k] = { buf: pb, marks: pmarks, slab, stampedMs: kept.stampedMs };
        sectionStats.moved++;
        sectionStats.movedBytes += p.bytes;
      } else {
        writePiece(p, f, src, chunks, old, oldStored, pb, pmarks);
        stored[k] = { buf: pb, marks: pmarks, slab, stampedMs: -1 };
        sectionStats.written++;
        sectionStats.writtenBytes += p.bytes;
      }
      at += p.bytes;
      mat += pm;
    }
  }
  [s.spareIndex, s.index] = [s.index, ix];
  s.starts = starts;
  s.markStarts = markStarts;
  s.vers = vers;
  s.pieceOf = pieceOf;
  s.keys = keys;
  s.stored = stored as Stored[];
  s.len = pos;
  s.nMarks = m;
}

/** The previous build's index and pieces (read while writing the new pieces). */
interface OldIndex {
  starts: Uint32Array;
  markStarts: Uint32Array;
  pieceOf: Uint32Array;
  pieces: readonly Piece[];
}

/**
 * The old piece holding exactly the bytes of new objects [from, to) (-1: none): their objects with bytes in
 * this family are, in order, the old piece's objects with bytes, unchanged. Objects without bytes here (a pod
 * without points in this family) may come and go around them: a deleted pod dirties only the families it
 * has points in.
 */
function keptPiece(src: Int32Array, starts: Uint32Array, old: OldIndex, from: number, to: number): number {
  let q = -1;
  let last = -1;
  let n = 0;
  for (let o = from; o < to; o++) {
    if (starts[o + 1] === starts[o]) continue;
    const j = src[o] as number;
    if (j <= last) return -1;
    if (q < 0) q = old.pieceOf[j] as number;
    else if (old.pieceOf[j] !== q) return -1;
    last = j;
    n++;
  }
  const op = old.pieces[q];
  if (op === undefined) return -1;
  for (let j = op.from; j < op.to; j++) if (old.starts[j + 1] !== old.starts[j]) n--;
  return n === 0 ? q : -1;
}

/** Whether deps[0..n) are the versions of the objects with bytes among [a, b) (a piece's dictionary). */
function sameDict(
  deps: Float64Array,
  n: number,
  starts: Uint32Array,
  vers: Float64Array,
  a: number,
  b: number,
): boolean {
  let k = 0;
  for (let o = a; o < b; o++) {
    if (starts[o + 1] === starts[o]) continue;
    if (k >= n || deps[k++] !== vers[o]) return false;
  }
  return k === n;
}

/** The versions of the objects with bytes among [a, b): a piece's dependencies. */
function versionsOf(starts: Uint32Array, vers: Float64Array, a: number, b: number): Float64Array {
  let n = 0;
  for (let o = a; o < b; o++) if (starts[o + 1] !== starts[o]) n++;
  const d = new Float64Array(n);
  n = 0;
  for (let o = a; o < b; o++) if (starts[o + 1] !== starts[o]) d[n++] = vers[o] as number;
  return d;
}

/** Writes piece p's objects' bytes into dst (its marks, as offsets in dst, into dmarks). */
function writePiece(
  p: Piece,
  f: number,
  src: Int32Array,
  chunks: readonly Chunk[],
  old: OldIndex,
  oldStored: readonly Stored[],
  dst: Buffer,
  dmarks: Uint32Array,
): void {
  let pos = 0;
  let m = 0;
  for (let o = p.from; o < p.to; o++) {
    const j = src[o] as number;
    if (j >= 0) {
      const a = old.starts[j] as number;
      const b = old.starts[j + 1] as number;
      if (b === a) continue;
      const q = old.pieceOf[j] as number;
      const op = old.pieces[q] as Piece;
      const st = oldStored[q] as Stored;
      const base = old.starts[op.from] as number;
      const mbase = old.markStarts[op.from] as number;
      copyBytes(st.buf, a - base, b - base, dst, pos);
      const mb = (old.markStarts[j + 1] as number) - mbase;
      for (let k = (old.markStarts[j] as number) - mbase; k < mb; k++)
        dmarks[m++] = (st.marks[k] as number) - (a - base) + pos;
      pos += b - a;
    } else {
      const c = chunks[-j - 1] as Chunk;
      const a = famStart(c, f);
      const b = (c.famEnds as Uint32Array)[f] as number;
      copyBytes(c.buf, a, b, dst, pos);
      const mb = (c.famMarkEnds as Uint32Array)[f] as number;
      for (let k = famMarkStart(c, f); k < mb; k++) dmarks[m++] = (c.marks[k] as number) - a + pos;
      pos += b - a;
    }
  }
}

/**
 * Whether object `prev`'s bytes in the old section equal the chunk's c.buf[a..b) outside the time marks (the
 * section's may hold some push time, a fresh chunk's are zero): same length, same mark offsets, same bytes.
 */
function sameBytes(s: Section, prev: number, c: Chunk, a: number, b: number, ma: number, mb: number): boolean {
  const oa = s.starts[prev] as number;
  if ((s.starts[prev + 1] as number) - oa !== b - a) return false;
  const om = s.markStarts[prev] as number;
  if ((s.markStarts[prev + 1] as number) - om !== mb - ma) return false;
  if (b === a) return true;
  const q = s.pieceOf[prev] as number;
  const p = s.pieces.pieces[q] as Piece;
  const st = s.stored[q] as Stored;
  const base = s.starts[p.from] as number;
  const mbase = s.markStarts[p.from] as number;
  const off = oa - base;
  const sb = st.buf;
  const sm = st.marks;
  const cb = c.buf;
  const cm = c.marks;
  const n = mb - ma;
  let from = 0;
  for (let k = 0; k <= n; k++) {
    const to = k < n ? (cm[ma + k] as number) - a : b - a;
    if (k < n && (sm[om - mbase + k] as number) - off !== to) return false;
    for (let x = from; x < to; x++) if (sb[off + x] !== cb[a + x]) return false;
    from = to + 8;
  }
  return true;
}

/** The stored bytes of piece k, with the push time written into its marks. */
function stampedPiece(s: Section, k: number): Stored {
  const st = s.stored[k] as Stored;
  if (st.stampedMs !== s.timeMs) {
    stampMarks(st.buf, st.marks, 0, st.marks.length, s.time);
    st.stampedMs = s.timeMs;
  }
  return st;
}

/** Bytes of the slabs section s holds (its own bytes and the garbage beside them). */
export function heldBytes(s: Section): number {
  const slabs = new Set<Slab>();
  for (const st of s.stored) slabs.add(st.slab);
  let n = 0;
  for (const slab of slabs) n += slab.bytes;
  return n;
}

/** Index of the first piece of s ending after object a. */
function firstPieceAfter(s: Section, a: number): number {
  const ps = s.pieces.pieces;
  let lo = 0;
  let hi = ps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ps[mid] as Piece).to <= a) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The stamped bytes of objects [a, b) of section s as views, pushed to out. */
export function sectionSlices(s: Section, a: number, b: number, out: { push(b: Buffer): unknown }): void {
  const ps = s.pieces.pieces;
  for (let k = firstPieceAfter(s, a); k < ps.length; k++) {
    const p = ps[k] as Piece;
    if (p.from >= b) break;
    const st = stampedPiece(s, k);
    const base = s.starts[p.from] as number;
    const from = p.from >= a ? 0 : (s.starts[a] as number) - base;
    const to = p.to <= b ? st.buf.length : (s.starts[b] as number) - base;
    if (to > from) out.push(from === 0 && to === st.buf.length ? st.buf : st.buf.subarray(from, to));
  }
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
    const b = s.starts[i + 1] as number;
    if (b === a) return;
    const k = s.pieceOf[i] as number;
    const p = s.pieces.pieces[k] as Piece;
    const st = s.stored[k] as Stored;
    const base = s.starts[p.from] as number;
    const mbase = s.markStarts[p.from] as number;
    copyBytes(st.buf, a - base, b - base, dst, pos);
    const mb = (s.markStarts[i + 1] as number) - mbase;
    for (let m = (s.markStarts[i] as number) - mbase; m < mb; m++)
      marks.push((st.marks[m] as number) - (a - base) + pos);
  }
  /** Objects [a, b) a piece at a time: a piece's objects are one run of bytes and marks in its slab. */
  copyRange(a: number, b: number, dst: Buffer, pos: number, marks: number[]): number {
    const s = this.s;
    const ps = s.pieces.pieces;
    const start = pos;
    for (let k = firstPieceAfter(s, a); k < ps.length; k++) {
      const p = ps[k] as Piece;
      if (p.from >= b) break;
      const st = s.stored[k] as Stored;
      const base = s.starts[p.from] as number;
      const x = Math.max(a, p.from);
      const y = Math.min(b, p.to);
      const from = (s.starts[x] as number) - base;
      const to = (s.starts[y] as number) - base;
      if (to === from) continue;
      dst.set(from === 0 && to === st.buf.length ? st.buf : st.buf.subarray(from, to), pos);
      const mbase = s.markStarts[p.from] as number;
      const me = (s.markStarts[y] as number) - mbase;
      for (let m = (s.markStarts[x] as number) - mbase; m < me; m++) marks.push((st.marks[m] as number) - from + pos);
      pos += to - from;
    }
    return pos - start;
  }
  slices(a: number, b: number, out: Buffer[]): void {
    sectionSlices(this.s, a, b, out);
  }
}

/** The gzip segments of objects [a, b) of section s. */
export function sectionSegments(s: Section, a: number, b: number, out: Segment[]): void {
  s.pieces.segments(new SectionUnits(s), a, b, out);
}

/**
 * src[a..b) → dst at pos. Buffer#copy makes a view per call (~0.3 µs), as much as copying a few hundred bytes
 * by hand; a rebuild copies tens of thousands of ranges of ~160 bytes (one object's points of one family).
 */
function copyBytes(src: Uint8Array, a: number, b: number, dst: Uint8Array, pos: number): void {
  if (b - a > 256) {
    dst.set(src.subarray(a, b), pos);
    return;
  }
  for (let i = a; i < b; i++) dst[pos++] = src[i] as number;
}
