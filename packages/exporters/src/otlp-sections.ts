// The flat (ksm) shape puts each family's points from every object into one Metric, so a request is
// family-major while the cached chunks are object-major. Gathering the points anew at each push costs one small
// copy per object and family (~500k at 10k pods), whatever changed. Instead each family keeps its assembled
// section (all objects' points, in store order) between pushes, like the Prometheus bridge's segment cache:
// a push rebuilds a section only when the object list changed, copying unchanged runs of objects in one piece
// and only the changed objects from their chunks, then writes the push time at the section's marks. Requests
// send slices of the sections as they are (no copy).
import type { ObjectMetrics } from '@kso/metrics';
import { type Chunk, stampMarks } from './otlp-chunks.ts';

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
  stampedMs: number;
}

/**
 * A maximal stretch of the new object list: `from >= 0` = objects from..from+count of the previous list, in
 * order and unchanged (copied from the old section); `from < 0` = one new or changed object (from its chunk).
 */
interface Run {
  from: number;
  count: number;
  chunk: Chunk | undefined;
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
    stampedMs: -1,
  };
}

/** The sections of one resource and the object list they were built from. */
export class FlatSections {
  readonly sections: Section[];
  #objs: readonly ObjectMetrics[] = [];
  #index = new Map<ObjectMetrics, number>();

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
      for (let f = 0; f < this.sections.length; f++) rebuild(this.sections[f] as Section, f, runs, objs.length);
      this.#objs = objs;
      this.#index = new Map(objs.map((o, i) => [o, i]));
    }
    for (const s of this.sections) {
      if (s.stampedMs === nowMs) continue;
      stampMarks(s.buf, s.marks, 0, s.nMarks, t);
      s.stampedMs = nowMs;
    }
  }

  #runs(objs: readonly ObjectMetrics[], encode: (o: ObjectMetrics) => Chunk): Run[] {
    const runs: Run[] = [];
    let cur: Run | undefined;
    for (const obj of objs) {
      const j = this.#index.get(obj);
      if (j === undefined) {
        cur = undefined;
        runs.push({ from: -1, count: 1, chunk: encode(obj) });
      } else if (cur && cur.from + cur.count === j) cur.count++;
      else {
        cur = { from: j, count: 1, chunk: undefined };
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
  for (const r of runs) {
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

/** Rebuilds family f's section into its spare buffers from the old section and the changed objects' chunks. */
function rebuild(s: Section, f: number, runs: readonly Run[], objects: number): void {
  const need = measure(s, f, runs);
  // Headroom so that a few added objects do not reallocate at every push.
  if (s.spare.length < need.bytes) s.spare = Buffer.allocUnsafeSlow(Math.ceil(need.bytes * 1.125) + 64);
  if (s.spareMarks.length < need.marks) s.spareMarks = new Uint32Array(Math.ceil(need.marks * 1.125) + 8);
  const buf = s.spare;
  const marks = s.spareMarks;
  const starts = new Uint32Array(objects + 1);
  const markStarts = new Uint32Array(objects + 1);
  let pos = 0;
  let m = 0;
  let i = 0;
  for (const r of runs) {
    const c = r.chunk;
    if (c) {
      const a = famStart(c, f);
      const b = (c.famEnds as Uint32Array)[f] as number;
      const mb = (c.famMarkEnds as Uint32Array)[f] as number;
      starts[i] = pos;
      markStarts[i] = m;
      copyBytes(c.buf, a, b, buf, pos);
      for (let k = famMarkStart(c, f); k < mb; k++) marks[m++] = (c.marks[k] as number) - a + pos;
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
    }
    copyBytes(s.buf, a, b, buf, pos);
    const mb = s.markStarts[r.from + r.count] as number;
    for (let k = ma; k < mb; k++) marks[m++] = (s.marks[k] as number) + delta;
    pos = b + delta;
  }
  starts[i] = pos;
  markStarts[i] = m;
  s.spare = s.buf;
  s.spareMarks = s.marks;
  s.buf = buf;
  s.marks = marks;
  s.len = pos;
  s.nMarks = m;
  s.starts = starts;
  s.markStarts = markStarts;
  s.stampedMs = -1;
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
