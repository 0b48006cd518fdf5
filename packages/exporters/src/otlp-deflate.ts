// Gzip whose cost follows what changed. Compressing a whole push again costs ~7.6 ms per MiB (73 MiB at 10k
// pods, ksm), however little changed, and zlib cannot go 5x faster; so the compressed bytes are kept between
// pushes like the uncompressed ones. A gzip member is a header, raw deflate blocks, CRC32 and length; raw
// deflate output that ends in a sync flush is byte-aligned and not final, so such outputs can be concatenated,
// and the member is closed with one final empty block. A request's body is cut into pieces (runs of objects'
// bytes, content-defined so that an insert or delete only moves the boundaries next to it); each piece is
// compressed once with the bytes just before it in the stream as its dictionary, and its output stays valid as
// long as the units it and its dictionary cover are unchanged. One changed object then costs one or two piece
// compressions instead of the whole body. What is not a cached piece (framing, the first piece of a stream,
// pieces whose dictionary is not in this request) is compressed at send time: it is small.
//
// Timestamps: every point's time_unix_nano changes at every push. Pieces are compressed with a fixed
// placeholder P at every mark (in the piece and in its dictionary); within a push every mark holds the same
// time, so deflate expresses marks as copies of earlier marks and the output does not depend on the value,
// unless a mark byte ended up a literal or a copy mixed mark and non-mark bytes. Each fresh piece is checked
// once: inflated with the dictionary stamped with Q (every byte differs from P's), it must give the piece
// stamped with Q. Every output byte is a literal or a copy; a literal at a mark would give P's byte, a copy
// between a mark and a non-mark byte (P's bytes are distinct, so also between marks at different positions)
// would differ under Q: equality proves the bytes right for any time. A piece that fails is sent live.
import { crc32 } from 'node:zlib';
import { fnv1a32 } from './fnv.ts';
import { crcCombine, markSum, multmodp, timeDelta, x8n } from './otlp-crc.ts';
import { NOT_YET, PieceTable } from './otlp-piece-table.ts';
import { checkPiece, deflateAfter, deflateOneShot, deflatePiece, keptHandles, windowFor } from './otlp-zlib.ts';
import { takeRun } from './output-runs.ts';

/** The placeholder time, 8 distinct bytes, and its complement. */
const P = Uint8Array.of(0x9d, 0x3b, 0xe7, 0x51, 0xc4, 0x28, 0xfa, 0x6e);
const Q = P.map((x) => ~x & 0xff);
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** A final, empty fixed-Huffman block: ends the deflate stream after the sync-flushed pieces. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
/** Dictionary of a live run: the stream bytes just before it (setting a 32 KiB dictionary costs ~60 µs). */
const LIVE_DICT = 4096;
/** Compression between yields to the event loop (a scrape of the Prometheus bridge may be waiting). */
const SLICE_MS = 10;
/** A live run is compressed in stretches of at most this much (~2 ms each), not in one long call. */
const LIVE_RUN = 256 * 1024;

/** Counters over the process (tests, benchmarks). */
export const deflateStats = {
  compressed: 0,
  failed: 0,
  reused: 0,
  liveBytes: 0,
  cachedBytes: 0,
  pieceMs: 0,
  layoutMs: 0,
};

/**
 * Units (one object's bytes of one family section, or one object's ResourceMetrics) in stream order. version(i)
 * identifies unit i's content: equal versions mean equal bytes outside the marks.
 */
export interface UnitSeq {
  readonly length: number;
  len(i: number): number;
  version(i: number): number;
  /** uint32 hash of unit i's identity (uid): content-defined piece boundaries. */
  key(i: number): number;
  /** Copies unit i's bytes to dst at pos and appends its mark offsets (in dst) to marks. */
  copy(i: number, dst: Buffer, pos: number, marks: number[]): void;
  /** The stamped bytes of units [a, b) as views, appended to out. */
  slices(a: number, b: number, out: Buffer[]): void;
}

/**
 * One stretch of a request body: stamped bytes, or piece k of a cache whose kept output may stand for them (its
 * bytes as views only when needed: a sent-live piece, the dictionary of a live run, the push time; a push has
 * ~36k pieces at 10k pods for ksm, and a view per piece and push was young-generation garbage for nothing).
 */
export interface Segment {
  raw?: Buffer[];
  cache?: DeflatePieces;
  k?: number;
  seq?: UnitSeq;
}

/** The stamped bytes of a segment as views. */
function rawOf(s: Segment): Buffer[] {
  if (s.raw) return s.raw;
  const raw: Buffer[] = [];
  if (s.cache && s.seq) {
    const t = s.cache.table;
    s.seq.slices(t.from[s.k as number] as number, t.to[s.k as number] as number, raw);
  }
  s.raw = raw;
  return raw;
}

let scratch = Buffer.allocUnsafeSlow(64 * 1024);
const scratchMarks: number[] = [];

function stamp(b: Buffer, marks: readonly number[], t: Uint8Array): void {
  for (const o of marks) for (let k = 0; k < 8; k++) b[o + k] = t[k] as number;
}

/**
 * Compresses piece k with its dictionary at P and checks it at Q, keeping the output (failed: the output
 * depends on the time) and the CRC terms of the stamped-at-P bytes it has at hand in the piece's entry.
 */
function compressPiece(seq: UnitSeq, t: PieceTable, k: number, reuse: boolean): void {
  const dictFrom = t.dictFrom[k] as number;
  const from = t.from[k] as number;
  const to = t.to[k] as number;
  const e = t.slot[k] as number;
  let total = 0;
  for (let i = dictFrom; i < to; i++) total += seq.len(i);
  if (scratch.length < total) scratch = Buffer.allocUnsafeSlow(Math.max(total, scratch.length * 2));
  scratchMarks.length = 0;
  let pos = 0;
  let dictLen = 0;
  for (let i = dictFrom; i < to; i++) {
    if (i === from) dictLen = pos;
    seq.copy(i, scratch, pos, scratchMarks);
    pos += seq.len(i);
  }
  stamp(scratch, scratchMarks, P);
  const windowBits = windowFor(total);
  const d = Math.min(dictLen, 1 << windowBits);
  const dict = scratch.subarray(dictLen - d, dictLen);
  const piece = scratch.subarray(dictLen, total);
  pieceTerms(t, e, piece, scratchMarks, scratchMarks.length, dictLen);
  const kept = reuse && deflateConfig.reuseHandles && keptHandles();
  keepChecked(t, e, dict, piece, windowBits, kept, () => stamp(scratch, scratchMarks, Q));
}

/**
 * Deflates a piece stamped at P after its dictionary, checks the output once `toQ` has stamped both at Q, and
 * keeps it in entry e (or the failure: the output depends on the time, the piece is sent live).
 */
export function keepChecked(
  t: PieceTable,
  e: number,
  dict: Buffer,
  piece: Buffer,
  windowBits: number,
  kept: boolean,
  toQ: () => void,
): void {
  const z = deflatePiece(dict, piece, windowBits, kept);
  deflateStats.compressed++;
  toQ();
  const ok = z !== null && checkPiece(dict, z, piece, windowBits, kept);
  if (!ok) deflateStats.failed++;
  t.setOutput(e, ok ? z : null);
}

/**
 * Sets entry e's CRC terms (otlp-crc.ts) for a piece stamped at P that follows its dictionary of dictLen bytes
 * in a gathered buffer, marks[0..n) the buffer's mark offsets in ascending order.
 */
export function pieceTerms(
  t: PieceTable,
  e: number,
  piece: Buffer,
  marks: ArrayLike<number>,
  n: number,
  dictLen: number,
): void {
  t.crcP[e] = crc32(piece);
  t.shift[e] = x8n(piece.length);
  let m = 0;
  while (m < n && (marks[m] as number) < dictLen) m++;
  t.firstMark[e] = m < n ? (marks[m] as number) - dictLen : -1;
  t.markS[e] = markSum(marks, m, n, dictLen, piece.length);
}

/** reuseHandles false: every piece through deflateRawSync / inflateRawSync (tests of that path). */
export const deflateConfig = { reuseHandles: true };

/** Raw deflate of a live run after dict (no time check: its bytes are stamped), a buffer of its own. */
function deflateLive(dict: Buffer, run: Buffer): Buffer {
  const windowBits = windowFor(dict.length + run.length);
  const z = deflateConfig.reuseHandles && keptHandles() ? deflateAfter(dict, run, windowBits) : null;
  // A zlib error on the kept handle (none expected): the one-shot path, as without one.
  return z ? Buffer.from(z) : deflateOneShot(dict, run, windowBits);
}

/** Whether entry e's versions are those of the non-empty units [a, b). */
function sameDeps(t: PieceTable, e: number, seq: UnitSeq, a: number, b: number): boolean {
  const deps = t.deps;
  const at = t.depsAt[e] as number;
  const len = t.depsLen[e] as number;
  let n = 0;
  for (let i = a; i < b; i++) {
    if (seq.len(i) === 0) continue;
    if (n >= len || deps[at + n++] !== seq.version(i)) return false;
  }
  return n === len;
}

/**
 * The pieces of one unit sequence and their compressed bytes, kept across pushes. `target` is the mean piece
 * size: a boundary falls after unit i when its key is below len(i)/target of the key space, so it depends on
 * the unit alone (stable under inserts and deletes elsewhere). `dictBytes`: how much of the preceding stream a
 * piece is compressed against (more compresses better, but makes a piece depend on more neighbours).
 */
export class DeflatePieces {
  /**
   * The pieces of the last layout and their entries. A request's segments name pieces by index: a
   * PlannedRequest is valid only until the next plan, which lays out again.
   */
  readonly table = new PieceTable();
  /** Entry slots by the version of their piece's first unit; stale ones are released after each layout. */
  readonly #entries = new Map<number, number>();
  #gen = 0;

  readonly target: number;
  readonly dictBytes: number;

  /**
   * Whether pieces go through the kept zlib handles (their dictionary written as a stored block, see
   * otlp-zlib.ts) or zlib's one-shot functions with a set dictionary. The entity shape compresses its pieces
   * itself (otlp-deflate-entity.ts); this flag is for the ksm sections and tests.
   */
  readonly reuseHandles: boolean;

  constructor(target: number, dictBytes: number, reuseHandles = false) {
    this.reuseHandles = reuseHandles;
    this.target = target;
    this.dictBytes = dictBytes;
  }

  /** Recomputes the pieces of `seq`, keeping the entries (and their output) whose units are unchanged. */
  layout(seq: UnitSeq): void {
    const t0 = performance.now();
    this.#gen = (this.#gen + 1) >>> 0;
    const gen = this.#gen;
    const n = seq.length;
    let count = 0;
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const len = seq.len(i);
      bytes += len;
      if (i < n - 1 && !(len > 0 && seq.key(i) < (len / this.target) * 4294967296)) continue;
      if (bytes > 0) this.#piece(seq, count++, from, i + 1, bytes, gen);
      from = i + 1;
      bytes = 0;
    }
    this.table.count = count;
    const t = this.table;
    if (this.#entries.size > count)
      this.#entries.forEach((e, first, entries) => {
        if (t.gen[e] === gen) return;
        t.release(e);
        entries.delete(first);
      });
    deflateStats.layoutMs += performance.now() - t0;
  }

  /** Writes piece k: units [from, to), its dictionary and its entry (the kept one when its units are unchanged). */
  #piece(seq: UnitSeq, k: number, from: number, to: number, bytes: number, gen: number): void {
    const t = this.table;
    let dictFrom = from;
    for (let d = 0; dictFrom > 0 && d < this.dictBytes; ) d += seq.len(--dictFrom);
    let first = -1;
    for (let i = from; i < to && first < 0; i++) if (seq.len(i) > 0) first = seq.version(i);
    // Most pieces are unchanged: compare with the kept entry in place.
    const old = this.#entries.get(first);
    let e: number;
    if (old !== undefined && sameDeps(t, old, seq, dictFrom, to)) {
      deflateStats.reused++;
      e = old;
      t.gen[e] = gen;
    } else {
      // No other piece of this layout has this first unit, so nothing else holds the old entry.
      if (old !== undefined) t.release(old);
      let units = 0;
      for (let i = dictFrom; i < to; i++) if (seq.len(i) > 0) units++;
      e = t.alloc(units, gen);
      let at = t.depsAt[e] as number;
      for (let i = dictFrom; i < to; i++) if (seq.len(i) > 0) t.deps[at++] = seq.version(i);
      this.#entries.set(first, e);
    }
    t.reserve(k + 1);
    t.from[k] = from;
    t.to[k] = to;
    t.bytes[k] = bytes;
    t.dictFrom[k] = dictFrom;
    t.slot[k] = e;
  }

  /**
   * The segments of units [a, b) sent as one contiguous stretch of a request: a piece inside it whose
   * dictionary is inside it too may use its cached output; the rest is raw bytes compressed at send time.
   * `prepare` sees each such piece first (the entity shape compresses new pieces there with its own coder).
   */
  segments(seq: UnitSeq, a: number, b: number, out: Segment[], prepare?: (k: number) => void): void {
    const t = this.table;
    let lo = 0;
    let hi = t.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((t.to[mid] as number) <= a) lo = mid + 1;
      else hi = mid;
    }
    let covered = a;
    for (let k = lo; k < t.count; k++) {
      const from = t.from[k] as number;
      if (from >= b) break;
      const to = t.to[k] as number;
      const dictFrom = t.dictFrom[k] as number;
      if (from >= a && to <= b && dictFrom >= a && dictFrom < from) {
        if (covered < from) out.push(rawSegment(seq, covered, from));
        prepare?.(k);
        out.push({ cache: this, k, seq });
        covered = to;
      }
    }
    if (covered < b) out.push(rawSegment(seq, covered, b));
  }
}

function rawSegment(seq: UnitSeq, a: number, b: number): Segment {
  const raw: Buffer[] = [];
  seq.slices(a, b, raw);
  return { raw };
}

/**
 * The entry of a piece segment whose cached output stands for it, compressing it first when its units changed;
 * -1: send it live. Its output is copied from the arena into the body (OutputRuns.pushOutput): a view per piece
 * and push was ~36k young-generation objects at 10k pods for ksm.
 */
function pieceEntry(s: Segment): number {
  const c = s.cache;
  if (!c || !s.seq) return -1;
  const t = c.table;
  const e = t.slot[s.k as number] as number;
  if (t.zLen[e] === NOT_YET) {
    const t0 = performance.now();
    compressPiece(s.seq, t, s.k as number, c.reuseHandles);
    deflateStats.pieceMs += performance.now() - t0;
  }
  return (t.zLen[e] as number) >= 0 ? e : -1;
}

/** The 8 bytes at offset `at` of the concatenated views into out. */
function readAt(raw: readonly Buffer[], at: number, out: Buffer): void {
  let k = 0;
  for (const r of raw) {
    for (let i = Math.max(0, at - k); i < r.length && i + k < at + 8; i++) out[i + k - at] = r[i] as number;
    k += r.length;
    if (k >= at + 8) return;
  }
}

/** Last `n` bytes of the stream before the pending run (or fewer at the start); history: views or pieces. */
function tailOf(history: readonly (Buffer | Segment)[], n: number): Buffer {
  const parts: Buffer[] = [];
  let have = 0;
  for (let i = history.length - 1; i >= 0 && have < n; i--) {
    const x = history[i] as Buffer | Segment;
    const bufs = Buffer.isBuffer(x) ? [x] : rawOf(x);
    for (let j = bufs.length - 1; j >= 0 && have < n; j--) {
      const h = bufs[j] as Buffer;
      const take = Math.min(h.length, n - have);
      parts.push(h.subarray(h.length - take));
      have += take;
    }
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts.reverse(), have);
}

/** Output below this is copied into runs (output-runs.ts); larger output of its own goes out as it is. */
const OUTPUT_SMALL = 16 * 1024;

/**
 * A gzip member's output as a few long buffers. A ksm request is ~12k kept pieces of ~300 compressed bytes, and
 * handed to the transport one Buffer each they were as many stream writes (a buffered write request per
 * piece in the HTTP/2 stream, ~36k per push at 10k pods), which cost more than copying the 10 MiB once.
 */
class OutputRuns {
  readonly #out: Buffer[] = [];
  #run: Buffer | undefined;
  #at = 0;

  /** Appends b (a buffer of its own when large: it goes out as it is). */
  push(b: Buffer): void {
    if (b.length >= OUTPUT_SMALL) {
      this.#flush();
      this.#out.push(b);
      return;
    }
    const run = this.#room(b.length);
    run.set(b, this.#at);
    this.#at += b.length;
  }

  /** Appends entry e's output, copied: the arena compacts in place (otlp-piece-table.ts). */
  pushOutput(t: PieceTable, e: number): void {
    const n = t.zLen[e] as number;
    if (n >= OUTPUT_SMALL) {
      this.push(Buffer.from(t.output(e) as Buffer));
      return;
    }
    const run = this.#room(n);
    this.#at += t.copyOutput(e, run, this.#at);
  }

  /** The current run, with room for n more bytes. */
  #room(n: number): Buffer {
    if (this.#run !== undefined && this.#at + n > this.#run.length) this.#flush();
    this.#run ??= takeRun();
    return this.#run;
  }

  #flush(): void {
    if (this.#run === undefined || this.#at === 0) return;
    this.#out.push(this.#run.subarray(0, this.#at));
    this.#run = undefined;
    this.#at = 0;
  }

  end(): Buffer[] {
    this.#flush();
    return this.#out;
  }
}

/** The push time of a member's marks, as read from its first kept piece with marks, and L(time ^ P). */
interface PushTime {
  bytes: Buffer;
  delta: number;
}

function segmentBytes(s: Segment): number {
  if (s.cache) return s.cache.table.bytes[s.k as number] as number;
  let n = 0;
  if (s.raw) for (let r = 0; r < s.raw.length; r++) n += (s.raw[r] as Buffer).length;
  return n;
}

/** crc extended over segment s: a kept piece's from its CRC terms at P (every mark of a push holds the time). */
function crcAfter(crc: number, s: Segment, kept: boolean, time: PushTime): number {
  if (kept && s.cache) {
    const t = s.cache.table;
    const e = t.slot[s.k as number] as number;
    const first = t.firstMark[e] as number;
    const crcP = t.crcP[e] as number;
    if (first >= 0 && time.delta < 0) {
      readAt(rawOf(s), first, time.bytes);
      time.delta = timeDelta(time.bytes, P);
    }
    const at = first < 0 ? crcP : (crcP ^ multmodp(t.markS[e] as number, time.delta)) >>> 0;
    return crcCombine(crc, at, t.shift[e] as number);
  }
  const raw = rawOf(s);
  for (let r = 0; r < raw.length; r++) crc = crc32(raw[r] as Buffer, crc);
  return crc;
}

/**
 * One gzip member for the segments (one request body): cached piece outputs where valid, the rest compressed
 * here against the bytes before it, CRC32 over the stamped bytes. Yields to the event loop every ~10 ms. The
 * body shares no memory with the piece tables; the caller gives it to releaseRuns (output-runs.ts) when done.
 */
export async function gzipSegments(segments: readonly Segment[]): Promise<Buffer[]> {
  const out = new OutputRuns();
  out.push(GZIP_HEADER);
  const history: (Buffer | Segment)[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let crc = 0;
  let size = 0;
  let last = performance.now();
  const flush = () => {
    if (pendingBytes === 0) return;
    const run = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    out.push(deflateLive(tailOf(history, LIVE_DICT), run));
    deflateStats.liveBytes += pendingBytes;
    history.push(...pending);
    pending = [];
    pendingBytes = 0;
  };
  const time: PushTime = { bytes: Buffer.alloc(8), delta: -1 };
  // Indexed loops: this async function resumes after every yield, often before it is optimised again, and an
  // unoptimised for-of allocates an iterator result per element (~1.4 MiB per push at 10k pods for ksm).
  for (let si = 0; si < segments.length; si++) {
    const s = segments[si] as Segment;
    const n = segmentBytes(s);
    size += n;
    const e = pieceEntry(s);
    crc = crcAfter(crc, s, e >= 0, time);
    if (e >= 0) {
      flush();
      out.pushOutput((s.cache as DeflatePieces).table, e);
      history.push(s);
      deflateStats.cachedBytes += n;
    } else {
      const raw = rawOf(s);
      for (let r = 0; r < raw.length; r++) pending.push(raw[r] as Buffer);
      pendingBytes += n;
      if (pendingBytes >= LIVE_RUN) flush();
    }
    if (history.length > 64) {
      history.copyWithin(0, history.length - 16);
      history.length = 16;
    }
    if (performance.now() - last > SLICE_MS) {
      await new Promise<void>((r) => setImmediate(r));
      last = performance.now();
    }
  }
  flush();
  out.push(FINAL_BLOCK);
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 4294967296, 4);
  out.push(trailer);
  return out.end();
}

/** FNV-1a of a uid, finalised so that its low and high bits are both well mixed (piece boundaries). */
export function uidKey(uid: string): number {
  let h = fnv1a32(uid);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
