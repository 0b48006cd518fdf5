// Fast Prometheus rendering straight from the store, KSM's design: every immutable ObjectMetrics is rendered
// once into one Buffer with per-family offsets (cached in a WeakMap keyed by object identity, so updates and
// deletes invalidate for free); a scrape only writes per-family headers and copies byte ranges. The body is
// also cached while no resource's object list changed (checked by identity, O(objects)).
// Output equals serializePrometheus(StoreMetricProducer.collect()) byte for byte (tested against the SDK).
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
import type { FamilyDescriptor, MetricsSource, ObjectMetrics, ResourceName } from './source-types.ts';

// Objects are grouped into segments of ~SEGMENT_TARGET consecutive objects whose ends are chosen by a hash of
// the UID (content-defined), so an update, insert or delete only re-concatenates its own segment: a scrape
// after a small change copies ~1 segment's bytes plus the final body, not one range per object and family.
const SEGMENT_TARGET = 128;

interface Rendered {
  buf: Buffer;
  boundary: boolean;
  /** offsets[i]..offsets[i+1] is family i's text. */
  offsets: Uint32Array;
  /** families array it was rendered for (a catalog change re-renders). */
  fams: readonly FamilyDescriptor[];
}

interface Member {
  res: ResourceName;
  idx: number;
}

export class StoreRenderer {
  private readonly opts: ReturnType<typeof resolveOptions>;
  private readonly cache = new WeakMap<ObjectMetrics, Rendered>();
  private readonly names = new WeakMap<FamilyDescriptor, string | undefined>();
  private lastObjects = new Map<ResourceName, ObjectMetrics[]>();
  private lastFamilies = new Map<ResourceName, readonly FamilyDescriptor[]>();
  private bodies = new Map<ExpositionFormat, Body>();
  /** Scrapes answered from the whole-body cache / rendered; objects (re)rendered. For self-metrics and benchmarks. */
  readonly stats = { bodyHits: 0, bodyRenders: 0, objectRenders: 0, segmentBuilds: 0 };
  /** Header Buffers reused across renders so per-piece caches (gzip members) keep hitting. */
  private headerCache = new Map<string, Buffer>();
  /** Segments keyed by their first object. */
  private segments = new WeakMap<ObjectMetrics, Segment>();

  constructor(opts: Omit<PromTextOptions, 'format'> = {}) {
    this.opts = resolveOptions(opts);
  }

  private nameOf(f: FamilyDescriptor): string | undefined {
    if (this.names.has(f)) return this.names.get(f);
    const n = prometheusName(f.name, f.type === 'counter', this.opts.prefix);
    this.names.set(f, n);
    return n;
  }

  private render(obj: ObjectMetrics, fams: readonly FamilyDescriptor[]): Rendered {
    const hit = this.cache.get(obj);
    if (hit !== undefined && hit.fams === fams) return hit;
    const fmt = this.opts.fmt;
    const offsets = new Uint32Array(fams.length + 1);
    const parts: string[] = [];
    let len = 0;
    for (let i = 0; i < fams.length; i++) {
      offsets[i] = len;
      const name = this.nameOf(fams[i] as FamilyDescriptor);
      const points = obj.families[i];
      if (name === undefined || points === undefined) continue;
      let s = '';
      for (const p of points) {
        const labels = labelsText(p.attributes);
        s += `${name}${labels ? `{${labels}}` : ''} ${fmt(p.value)}\n`;
      }
      if (s) {
        parts.push(s);
        len += Buffer.byteLength(s);
      }
    }
    offsets[fams.length] = len;
    const r: Rendered = { buf: Buffer.from(parts.join('')), offsets, fams, boundary: isBoundary(obj.uid) };
    this.cache.set(obj, r);
    this.stats.objectRenders++;
    return r;
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

  /** Splits a resource's objects into content-defined segments and returns them, reusing cached ones. */
  private segmentsOf(objs: ObjectMetrics[], fams: readonly FamilyDescriptor[]): Segment[] {
    const out: Segment[] = [];
    let begin = 0;
    for (let i = 0; i < objs.length; i++) {
      const r = this.render(objs[i] as ObjectMetrics, fams);
      if (!r.boundary && i !== objs.length - 1) continue;
      const slice = objs.slice(begin, i + 1);
      begin = i + 1;
      const prev = this.segments.get(slice[0] as ObjectMetrics);
      if (prev !== undefined && prev.fams === fams && sameList(prev.objs, slice)) {
        out.push(prev);
        continue;
      }
      const seg = this.buildSegment(slice, fams);
      this.segments.set(slice[0] as ObjectMetrics, seg);
      out.push(seg);
    }
    return out;
  }

  private buildSegment(objs: ObjectMetrics[], fams: readonly FamilyDescriptor[]): Segment {
    const rs = objs.map((o) => this.render(o, fams));
    const blocks: (Buffer | undefined)[] = [];
    for (let f = 0; f < fams.length; f++) {
      let len = 0;
      for (const r of rs) len += (r.offsets[f + 1] as number) - (r.offsets[f] as number);
      if (len === 0) {
        blocks.push(undefined);
        continue;
      }
      const b = Buffer.allocUnsafe(len);
      let pos = 0;
      for (const r of rs) {
        const a = r.offsets[f] as number;
        const e = r.offsets[f + 1] as number;
        if (e > a) pos += r.buf.copy(b, pos, a, e);
      }
      blocks.push(b);
    }
    this.stats.segmentBuilds++;
    return { objs, fams, blocks };
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
}

function sameList(a: readonly ObjectMetrics[], b: readonly ObjectMetrics[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** FNV-1a of the UID; about one object in SEGMENT_TARGET ends a segment, independent of position. */
function isBoundary(uid: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) {
    h ^= uid.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) & (SEGMENT_TARGET - 1)) === 0;
}
