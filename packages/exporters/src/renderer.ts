// Fast Prometheus rendering straight from the store, KSM's design: each object's text is rendered once from its
// points and kept only inside its segment's per-family blocks (one copy of the exposition, not two); a scrape
// only writes per-family headers and the block Buffers. The body is also cached while no resource's object
// list changed (checked by identity, O(objects)).
// Output equals serializePrometheus(StoreMetricProducer.collect()) byte for byte (tested against the SDK).

import type { FamilyDescriptor, MetricsSource, ObjectMetrics, ResourceName } from '@kso/metrics';
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

interface Member {
  res: ResourceName;
  idx: number;
}

/** A rebuilt segment's source: objects [from, to) of an old segment (copied) or one object rendered now. */
type Run = { seg: Segment; from: number; to: number } | { texts: string[]; lens: Uint32Array };

export class StoreRenderer {
  private readonly opts: ReturnType<typeof resolveOptions>;
  private readonly names = new WeakMap<FamilyDescriptor, string | undefined>();
  private lastObjects = new Map<ResourceName, ObjectMetrics[]>();
  private lastFamilies = new Map<ResourceName, readonly FamilyDescriptor[]>();
  private bodies = new Map<ExpositionFormat, Body>();
  /**
   * Scrapes answered from the whole-body cache / rendered; objects whose text was generated from points;
   * segments (re)built. For self-metrics and benchmarks.
   */
  readonly stats = { bodyHits: 0, bodyRenders: 0, objectRenders: 0, segmentBuilds: 0 };
  /** Header Buffers reused across renders so per-piece caches (gzip members) keep hitting. */
  private headerCache = new Map<string, Buffer>();
  /**
   * The segment each object's text currently lives in (weak: replaced and deleted objects drop out, and an
   * old segment is freed once no live object points to it).
   */
  private where = new WeakMap<ObjectMetrics, Segment>();

  constructor(opts: Omit<PromTextOptions, 'format'> = {}) {
    this.opts = resolveOptions(opts);
  }

  private nameOf(f: FamilyDescriptor): string | undefined {
    if (this.names.has(f)) return this.names.get(f);
    const n = prometheusName(f.name, f.type === 'counter', this.opts.prefix);
    this.names.set(f, n);
    return n;
  }

  /** One object's text per family ('' when it has none), generated from its points. */
  private render(obj: ObjectMetrics, fams: readonly FamilyDescriptor[]): Run {
    const fmt = this.opts.fmt;
    const texts: string[] = [];
    const lens = new Uint32Array(fams.length);
    for (let i = 0; i < fams.length; i++) {
      const name = this.nameOf(fams[i] as FamilyDescriptor);
      const points = obj.families[i];
      let s = '';
      if (name !== undefined && points !== undefined) {
        for (const p of points) {
          const labels = labelsText(p.attributes);
          s += `${name}${labels ? `{${labels}}` : ''} ${fmt(p.value)}\n`;
        }
      }
      texts.push(s);
      if (s) lens[i] = Buffer.byteLength(s);
    }
    this.stats.objectRenders++;
    return { texts, lens };
  }

  /** The store's exposition as one Buffer (convenience; the server writes the pieces without copying). */
  renderStore(source: MetricsSource, format: ExpositionFormat = 'text'): Buffer {
    const b = this.renderPieces(source, format);
    return b.pieces.length === 1 ? (b.pieces[0] as Buffer) : Buffer.concat(b.pieces, b.length);
  }

  /**
   * Renders the store's families (no trailer, no `# no registered metrics`) as a list of Buffers to be written
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

  /** Builds a segment's blocks, copying unchanged objects' text from the segments they were in. */
  private buildSegment(objs: ObjectMetrics[], fams: readonly FamilyDescriptor[], closed: boolean): Segment {
    const runs: Run[] = [];
    let last: { seg: Segment; from: number; to: number } | undefined;
    for (const o of objs) {
      const old = this.where.get(o);
      if (old !== undefined && old.fams === fams) {
        if (last !== undefined && last.seg === old && old.objs[last.to] === o) {
          last.to++;
          continue;
        }
        const k = old.objs.indexOf(o);
        if (k >= 0) {
          last = { seg: old, from: k, to: k + 1 };
          runs.push(last);
          continue;
        }
      }
      last = undefined;
      runs.push(this.render(o, fams));
    }
    const n = objs.length;
    const w = n + 1;
    const offsets = new Uint32Array(fams.length * w);
    const blocks: (Buffer | undefined)[] = [];
    for (let f = 0; f < fams.length; f++) {
      let len = 0;
      for (const r of runs) {
        if ('lens' in r) len += r.lens[f] as number;
        else {
          const ow = f * (r.seg.objs.length + 1);
          len += (r.seg.offsets[ow + r.to] as number) - (r.seg.offsets[ow + r.from] as number);
        }
      }
      // Own allocation, not the shared pool: blocks live as long as their segment, and a small block on a pool
      // slab would pin the whole slab after the neighbours it was allocated with are gone.
      const b = len === 0 ? undefined : Buffer.allocUnsafeSlow(len);
      let pos = 0;
      let j = f * w;
      for (const r of runs) {
        if ('lens' in r) {
          offsets[j++] = pos;
          const l = r.lens[f] as number;
          if (l > 0) pos += (b as Buffer).write(r.texts[f] as string, pos);
          continue;
        }
        const so = r.seg.offsets;
        const ow = f * (r.seg.objs.length + 1);
        const a = so[ow + r.from] as number;
        for (let k = r.from; k < r.to; k++) offsets[j++] = pos + (so[ow + k] as number) - a;
        const e = so[ow + r.to] as number;
        if (e > a) pos += (r.seg.blocks[f] as Buffer).copy(b as Buffer, pos, a, e);
      }
      offsets[j] = pos;
      blocks.push(b);
    }
    const seg: Segment = { objs, fams, blocks, offsets, closed };
    for (const o of objs) this.where.set(o, seg);
    this.stats.segmentBuilds++;
    return seg;
  }

  private build(
    objects: Map<ResourceName, ObjectMetrics[]>,
    resources: readonly ResourceName[],
    source: MetricsSource,
    format: ExpositionFormat,
  ): Body {
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
    const pieces: Buffer[] = [];
    let total = 0;
    for (const g of groupFamilies(items)) {
      const text = familyHeader(g.meta, format, this.opts.unitComments);
      let h = this.headerCache.get(text);
      if (h === undefined) {
        h = Buffer.from(text);
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
  readonly pieces: readonly Buffer[];
  readonly length: number;
}

interface Segment {
  objs: ObjectMetrics[];
  fams: readonly FamilyDescriptor[];
  /** Per family: the concatenated text of the segment's objects (undefined when empty). */
  blocks: (Buffer | undefined)[];
  /** offsets[f * (objs.length + 1) + k]: where object k's text starts in blocks[f] (last entry: its length). */
  offsets: Uint32Array;
  /** Its last object is a boundary (otherwise it was the resource's last segment when built). */
  closed: boolean;
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
  let h = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) {
    h ^= uid.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) & (SEGMENT_TARGET - 1)) === 0;
}
