// Fast Prometheus rendering straight from the store, KSM's design: each object's text is rendered once from its
// points and kept only inside its segment's per-family blocks (one copy of the exposition, not two); a scrape
// only writes per-family headers and the block Buffers. The body is also cached while no resource's object
// list changed (checked by identity, O(objects)). A changed object rewrites only the blocks of its segment whose
// bytes changed, and the HTTP server renders changes every second in the background (http-server.ts), so the
// work left for a scrape is about one second of changes whatever the scrape interval.
// Output equals serializePrometheus(StoreMetricProducer.collect()) byte for byte (tested against the SDK).

import type { FamilyDescriptor, MetricsSource, ObjectMetrics, Point, ResourceName } from '@kso/metrics';
import { fnv1a32 } from './fnv.ts';
import { Piece } from './piece.ts';
import {
  type ExpositionFormat,
  type FamilyMeta,
  familyHeader,
  groupFamilies,
  labelsText,
  type PromTextOptions,
  prometheusName,
  resolveOptions,
} from './prom-text.ts';

// Objects are grouped into segments of ~SEGMENT_TARGET consecutive objects whose ends are chosen by a hash of
// the UID (content-defined), so an update, insert or delete only rebuilds its own segment: unchanged objects'
// text is copied from the segment(s) they were in, only the changed object is rendered from its points.
const SEGMENT_TARGET = 128;
/** Pending prerendered text beyond which prerender builds the segments (see prerender). */
const PRERENDER_MAX_BYTES = 16 << 20;

interface Member {
  res: ResourceName;
  idx: number;
}

/** One object's text for all families (family f is buf[starts[f], starts[f + 1])). */
interface Rendered {
  buf: Buffer;
  starts: Uint32Array;
}

/** A rebuilt segment's source: objects [from, to) of an old segment (copied) or one object rendered now. */
type Run = { seg: Segment; from: number; to: number } | Rendered;

export class StoreRenderer {
  private readonly opts: ReturnType<typeof resolveOptions>;
  private readonly names = new WeakMap<FamilyDescriptor, string | undefined>();
  private lastObjects = new Map<ResourceName, ObjectMetrics[]>();
  private lastFamilies = new Map<ResourceName, readonly FamilyDescriptor[]>();
  private bodies = new Map<ExpositionFormat, Body>();
  /**
   * Scrapes answered from the whole-body cache / rendered; objects whose text was generated from points;
   * segments (re)built; per-family blocks written (a rebuilt segment keeps the blocks whose bytes are unchanged).
   * For self-metrics and benchmarks.
   */
  readonly stats = { bodyHits: 0, bodyRenders: 0, objectRenders: 0, segmentBuilds: 0, blockBuilds: 0 };
  /** Header Buffers reused across renders so per-piece caches (gzip members) keep hitting. */
  private headerCache = new Map<string, Piece>();
  /**
   * The segment each object's text currently lives in (weak: replaced and deleted objects drop out, and an
   * old segment is freed once no live object points to it).
   */
  private where = new WeakMap<ObjectMetrics, Segment>();
  /**
   * Text of changed objects rendered ahead of the next body build (prerender), not yet in a segment. Weak: an
   * object replaced again before the next scrape drops out; the entry is taken when its segment is rebuilt.
   */
  private pending = new WeakMap<ObjectMetrics, { fams: readonly FamilyDescriptor[]; r: Rendered }>();
  /** Bytes put in `pending` since the last body build (an upper bound: superseded entries still count). */
  private pendingBytes = 0;

  constructor(opts: Omit<PromTextOptions, 'format'> = {}) {
    this.opts = resolveOptions(opts);
  }

  private nameOf(f: FamilyDescriptor): string | undefined {
    if (this.names.has(f)) return this.names.get(f);
    const n = prometheusName(f.name, f.type === 'counter', this.opts.prefix);
    this.names.set(f, n);
    return n;
  }

  /** One object's text, all families concatenated, generated from its points; starts[f] is where family f begins. */
  private render(obj: ObjectMetrics, fams: readonly FamilyDescriptor[]): Rendered {
    const fmt = this.opts.fmt;
    const starts = new Uint32Array(fams.length + 1);
    let all = '';
    let pos = 0;
    for (let i = 0; i < fams.length; i++) {
      starts[i] = pos;
      const name = this.nameOf(fams[i] as FamilyDescriptor);
      const points = obj.families[i];
      if (name === undefined || points === undefined || points.length === 0) continue;
      let s = '';
      for (const p of points) {
        const labels = labelsText(p.attributes);
        s += `${name}${labels ? `{${labels}}` : ''} ${fmt(p.value)}\n`;
      }
      all += s;
      pos += Buffer.byteLength(s);
    }
    starts[fams.length] = pos;
    this.stats.objectRenders++;
    return { buf: Buffer.from(all), starts };
  }

  /**
   * Renders the text of objects that changed since the last body build, without building segments or a body:
   * the expensive part of a later renderPieces (points → text) done ahead, while the blocks are still rewritten
   * once per scrape. Past PRERENDER_MAX_BYTES of pending text (an initial sync, a relist, no scrapes for long)
   * it folds them into the segments instead, so pending text never becomes a second copy of the exposition.
   * Returns how many objects it rendered.
   */
  prerender(source: MetricsSource): number {
    let n = 0;
    for (const res of source.resources()) {
      if (source.size(res) === 0) continue;
      const fams = source.families(res);
      for (const o of source.entries(res)) {
        const seg = this.where.get(o);
        if ((seg !== undefined && seg.fams === fams) || this.pending.get(o)?.fams === fams) continue;
        const r = this.render(o, fams);
        this.pending.set(o, { fams, r });
        this.pendingBytes += r.buf.length;
        n++;
      }
    }
    if (this.pendingBytes > PRERENDER_MAX_BYTES) this.renderPieces(source, 'text');
    return n;
  }

  /** The store's exposition as one Buffer (convenience; the server writes the pieces without copying). */
  renderStore(source: MetricsSource, format: ExpositionFormat = 'text'): Buffer {
    return bodyText(this.renderPieces(source, format));
  }

  /**
   * Renders the store's families (no trailer, no `# no registered metrics`) as a list of pieces to be written
   * in order: concatenating 70 MB per scrape would cost more than everything else. No pieces when no resource
   * has objects. Returns the same Body instance while nothing changed.
   */
  renderPieces(source: MetricsSource, format: ExpositionFormat = 'text'): Body {
    const resources = source.resources().filter((r) => source.size(r) > 0);
    let changed = resources.length !== this.lastObjects.size;
    const objects = new Map<ResourceName, ObjectMetrics[]>();
    for (const res of resources) {
      const prev = this.lastObjects.get(res);
      const fams = source.families(res);
      if (this.lastFamilies.get(res) !== fams) changed = true;
      this.lastFamilies.set(res, fams);
      const list: ObjectMetrics[] = [];
      let i = 0;
      for (const o of source.entries(res)) {
        if (!changed && (prev === undefined || prev[i] !== o)) changed = true;
        list.push(o);
        i++;
      }
      if (prev === undefined || prev.length !== list.length) changed = true;
      objects.set(res, list);
    }
    if (changed) {
      this.bodies.clear();
      this.lastObjects = objects;
    }
    const cached = this.bodies.get(format);
    if (cached !== undefined) {
      this.stats.bodyHits++;
      return cached;
    }
    this.stats.bodyRenders++;
    const body = this.build(objects, resources, source, format);
    this.bodies.set(format, body);
    return body;
  }

  /** Splits a resource's objects into content-defined segments and returns them, reusing unchanged ones. */
  private segmentsOf(objs: ObjectMetrics[], fams: readonly FamilyDescriptor[]): Segment[] {
    const out: Segment[] = [];
    let i = 0;
    while (i < objs.length) {
      // An unchanged segment still ends where it did (its objects' UIDs are the same): no hashing needed.
      const prev = this.where.get(objs[i] as ObjectMetrics);
      if (
        prev !== undefined &&
        prev.fams === fams &&
        prev.objs[0] === objs[i] &&
        (prev.closed || i + prev.objs.length === objs.length) &&
        sameRange(prev.objs, objs, i)
      ) {
        out.push(prev);
        i += prev.objs.length;
        continue;
      }
      let j = i;
      while (j < objs.length && !isBoundary((objs[j] as ObjectMetrics).uid)) j++;
      const closed = j < objs.length;
      const end = closed ? j + 1 : j;
      out.push(this.buildSegment(objs.slice(i, end), fams, closed));
      i = end;
    }
    return out;
  }

  /**
   * Builds a segment's blocks, copying unchanged objects' text from the segments they were in. When the segment
   * holds the same UIDs in the same order as an old one (objects replaced in place: the common status update),
   * a family whose bytes did not change keeps the old block Buffer, so an update costs what it changed (a
   * restart-count bump rewrites one family's block, not the segment's 40) and gzip members stay cached.
   */
  private buildSegment(objs: ObjectMetrics[], fams: readonly FamilyDescriptor[], closed: boolean): Segment {
    const { runs, fresh, base: candidate } = this.runsOf(objs, fams);
    const w = objs.length + 1;
    const base = candidate !== undefined && alignedWith(candidate, objs) ? candidate : undefined;
    const offsets = new Uint32Array(fams.length * w);
    const blocks: (Piece | undefined)[] = [];
    const changes = base === undefined ? [] : changesIn(base, objs, fresh);
    for (let f = 0; f < fams.length; f++) {
      if (base !== undefined && sameFamilyText(base, f, changes)) {
        offsets.set(base.offsets.subarray(f * w, f * w + w), f * w);
        blocks.push(base.blocks[f]);
        continue;
      }
      blocks.push(writeBlock(runs, f, offsets, f * w));
      this.stats.blockBuilds++;
    }
    const seg: Segment = { objs, fams, blocks, offsets, closed };
    for (const o of objs) this.where.set(o, seg);
    this.stats.segmentBuilds++;
    return seg;
  }

  /**
   * Where each object's text comes from: consecutive objects still in one old segment become one copied run,
   * others are rendered (or taken from the prerendered pending text). `base` is the first old segment met, the
   * candidate for keeping unchanged family blocks; `fresh` lists the rendered objects by position.
   */
  private runsOf(
    objs: readonly ObjectMetrics[],
    fams: readonly FamilyDescriptor[],
  ): { runs: Run[]; fresh: { k: number; r: Rendered }[]; base: Segment | undefined } {
    const runs: Run[] = [];
    const fresh: { k: number; r: Rendered }[] = [];
    let last: { seg: Segment; from: number; to: number } | undefined;
    let base: Segment | undefined;
    for (let k = 0; k < objs.length; k++) {
      const o = objs[k] as ObjectMetrics;
      const old = this.where.get(o);
      if (old !== undefined && old.fams === fams) {
        base ??= old;
        if (last !== undefined && last.seg === old && old.objs[last.to] === o) {
          last.to++;
          continue;
        }
        const idx = old.objs.indexOf(o);
        if (idx >= 0) {
          last = { seg: old, from: idx, to: idx + 1 };
          runs.push(last);
          continue;
        }
      }
      last = undefined;
      const pre = this.pending.get(o);
      if (pre !== undefined) this.pending.delete(o);
      const r = pre !== undefined && pre.fams === fams ? pre.r : this.render(o, fams);
      fresh.push({ k, r });
      runs.push(r);
    }
    return { runs, fresh, base };
  }

  private build(
    objects: Map<ResourceName, ObjectMetrics[]>,
    resources: readonly ResourceName[],
    source: MetricsSource,
    format: ExpositionFormat,
  ): Body {
    this.pendingBytes = 0;
    const segs = new Map<ResourceName, Segment[]>();
    const items: { item: Member; name: string | undefined; type: FamilyMeta['type']; help: string; unit: string }[] =
      [];
    for (const res of resources) {
      const fams = source.families(res);
      segs.set(res, this.segmentsOf(objects.get(res) ?? [], fams));
      fams.forEach((f, idx) => {
        items.push({
          item: { res, idx },
          name: this.nameOf(f),
          type: f.type === 'counter' ? 'counter' : 'gauge',
          help: f.help,
          unit: f.unit,
        });
      });
    }
    const pieces: Piece[] = [];
    let total = 0;
    for (const g of groupFamilies(items)) {
      const text = familyHeader(g.meta, format, this.opts.unitComments);
      let h = this.headerCache.get(text);
      if (h === undefined) {
        h = new Piece(Buffer.from(text));
        this.headerCache.set(text, h);
      }
      pieces.push(h);
      total += h.length;
      for (const m of g.items) {
        for (const seg of segs.get(m.res) as Segment[]) {
          const b = seg.blocks[m.idx];
          if (b !== undefined) {
            pieces.push(b);
            total += b.length;
          }
        }
      }
    }
    return { pieces, length: total };
  }
}

/** An exposition as ordered byte pieces. */
export interface Body {
  readonly pieces: readonly Piece[];
  readonly length: number;
}

/** A body's text as one Buffer (inflating pieces held only as gzip; `kso render`, tests, the Pushgateway sink). */
export function bodyText(b: Body): Buffer {
  if (b.pieces.length === 1) return (b.pieces[0] as Piece).text();
  return Buffer.concat(
    b.pieces.map((p) => p.text()),
    b.length,
  );
}

interface Segment {
  objs: ObjectMetrics[];
  fams: readonly FamilyDescriptor[];
  /** Per family: the concatenated text of the segment's objects (undefined when empty). */
  blocks: (Piece | undefined)[];
  /** offsets[f * (objs.length + 1) + k]: where object k's text starts in blocks[f] (last entry: its length). */
  offsets: Uint32Array;
  /** Its last object is a boundary (otherwise it was the resource's last segment when built). */
  closed: boolean;
}

/** The old segment holds the same UIDs in the same order (its objects were replaced in place, none added or removed). */
function alignedWith(old: Segment, objs: readonly ObjectMetrics[]): boolean {
  if (old.objs.length !== objs.length) return false;
  for (let k = 0; k < objs.length; k++) {
    const a = old.objs[k] as ObjectMetrics;
    const b = objs[k] as ObjectMetrics;
    if (a !== b && a.uid !== b.uid) return false;
  }
  return true;
}

/** A rendered object of an aligned segment next to the one it replaces: position, new text, both objects' points. */
interface Change {
  k: number;
  r: Rendered;
  was: readonly (readonly Point[])[];
  now: readonly (readonly Point[])[];
}

/** Reads each replaced and replacing object's points once (a store may generate them on every read). */
function changesIn(
  old: Segment,
  objs: readonly ObjectMetrics[],
  fresh: readonly { k: number; r: Rendered }[],
): Change[] {
  return fresh.map(({ k, r }) => ({
    k,
    r,
    was: (old.objs[k] as ObjectMetrics).families,
    now: (objs[k] as ObjectMetrics).families,
  }));
}

/**
 * Every newly rendered object's family-f text equals what the aligned old segment holds at its position. Text
 * is a function of the family and the points (names, label order, values; Object.is tells -0 from 0 and
 * matches NaN), so equal lengths and equal points mean equal bytes, without inflating an old block that is held
 * only as gzip (Piece).
 */
function sameFamilyText(old: Segment, f: number, changes: readonly Change[]): boolean {
  const ow = f * (old.objs.length + 1);
  for (const { k, r, was, now } of changes) {
    const len = (old.offsets[ow + k + 1] as number) - (old.offsets[ow + k] as number);
    if (len !== (r.starts[f + 1] as number) - (r.starts[f] as number)) return false;
    if (len > 0 && !samePoints(was[f] ?? [], now[f] ?? [])) return false;
  }
  return true;
}

function samePoints(a: readonly Point[], b: readonly Point[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!samePoint(a[i] as Point, b[i] as Point)) return false;
  return true;
}

function samePoint(a: Point, b: Point): boolean {
  if (!Object.is(a.value, b.value)) return false;
  if (a.attributes === b.attributes) return true;
  const ka = Object.keys(a.attributes);
  const kb = Object.keys(b.attributes);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || a.attributes[k] !== b.attributes[k]) return false;
  }
  return true;
}

/**
 * Family f's block of a segment built from `runs`, with each object's start written to offsets[at ..] (and the
 * block's length after the last). Undefined when the family has no text in the segment.
 */
function writeBlock(runs: readonly Run[], f: number, offsets: Uint32Array, at: number): Piece | undefined {
  let len = 0;
  for (const r of runs) {
    if ('buf' in r) len += (r.starts[f + 1] as number) - (r.starts[f] as number);
    else {
      const ow = f * (r.seg.objs.length + 1);
      len += (r.seg.offsets[ow + r.to] as number) - (r.seg.offsets[ow + r.from] as number);
    }
  }
  // Own allocation, not the shared pool: blocks live as long as their segment, and a small block on a pool
  // slab would pin the whole slab after the neighbours it was allocated with are gone.
  const b = len === 0 ? undefined : Buffer.allocUnsafeSlow(len);
  let pos = 0;
  let j = at;
  // An old block held only as gzip is inflated once here, however many runs copy from it.
  let from: Piece | undefined;
  let fromText: Buffer | undefined;
  for (const r of runs) {
    if ('buf' in r) {
      offsets[j++] = pos;
      const a = r.starts[f] as number;
      const e = r.starts[f + 1] as number;
      if (e > a) pos += r.buf.copy(b as Buffer, pos, a, e);
      continue;
    }
    const so = r.seg.offsets;
    const ow = f * (r.seg.objs.length + 1);
    const a = so[ow + r.from] as number;
    for (let k = r.from; k < r.to; k++) offsets[j++] = pos + (so[ow + k] as number) - a;
    const e = so[ow + r.to] as number;
    if (e <= a) continue;
    const p = r.seg.blocks[f] as Piece;
    if (p !== from) {
      from = p;
      fromText = p.text();
    }
    pos += (fromText as Buffer).copy(b as Buffer, pos, a, e);
  }
  offsets[j] = pos;
  return b === undefined ? undefined : new Piece(b);
}

/** a equals b[at .. at + a.length). */
function sameRange(a: readonly ObjectMetrics[], b: readonly ObjectMetrics[], at: number): boolean {
  if (at + a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

/**
 * FNV-1a of the UID; about one object in SEGMENT_TARGET ends a segment, independent of position. Exported for
 * tests that need to hit segment ends.
 */
export function isBoundary(uid: string): boolean {
  return (fnv1a32(uid) & (SEGMENT_TARGET - 1)) === 0;
}
