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
import { checkPiece, deflateAfter, deflateOneShot, deflatePiece, keptHandles, windowFor } from './otlp-zlib.ts';

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

export interface Entry {
  /** Versions of the non-empty units of the dictionary and the piece. */
  deps: Float64Array;
  /** undefined: not compressed yet; null: failed the check (sent live). */
  z: Buffer | null | undefined;
  /** With z: the piece's CRC-32 at P, S of its marks, x^(8 len) and its first mark (-1: none), see otlp-crc.ts. */
  crcP: number;
  markS: number;
  shift: number;
  firstMark: number;
}

interface Piece {
  from: number;
  to: number;
  /** Bytes of units [from, to). */
  bytes: number;
  /** First unit of the dictionary (= from: none). */
  dictFrom: number;
  entry: Entry;
}

/**
 * One stretch of a request body: stamped bytes, or the piece whose cached output may stand for them (its bytes
 * as views only when needed: a sent-live piece, the dictionary of a live run, the push time; a push has ~36k
 * pieces at 10k pods for ksm, and a view per piece and push was young-generation garbage for nothing).
 */
export interface Segment {
  raw?: Buffer[];
  piece?: { cache: DeflatePieces; seq: UnitSeq; p: Piece };
}

/** The stamped bytes of a segment as views. */
function rawOf(s: Segment): Buffer[] {
  if (s.raw) return s.raw;
  const raw: Buffer[] = [];
  if (s.piece) s.piece.seq.slices(s.piece.p.from, s.piece.p.to, raw);
  s.raw = raw;
  return raw;
}

let scratch = Buffer.allocUnsafeSlow(64 * 1024);
const scratchMarks: number[] = [];

function stamp(b: Buffer, marks: readonly number[], t: Uint8Array): void {
  for (const o of marks) for (let k = 0; k < 8; k++) b[o + k] = t[k] as number;
}

/**
 * Compresses piece p with its dictionary at P and checks it at Q; null when the output depends on the time.
 * Sets the entry's CRC terms from the stamped-at-P bytes it has at hand.
 */
function compressPiece(seq: UnitSeq, p: Piece, reuse: boolean): Buffer | null {
  let total = 0;
  for (let i = p.dictFrom; i < p.to; i++) total += seq.len(i);
  if (scratch.length < total) scratch = Buffer.allocUnsafeSlow(Math.max(total, scratch.length * 2));
  scratchMarks.length = 0;
  let pos = 0;
  let dictLen = 0;
  for (let i = p.dictFrom; i < p.to; i++) {
    if (i === p.from) dictLen = pos;
    seq.copy(i, scratch, pos, scratchMarks);
    pos += seq.len(i);
  }
  stamp(scratch, scratchMarks, P);
  const windowBits = windowFor(total);
  const d = Math.min(dictLen, 1 << windowBits);
  const dict = scratch.subarray(dictLen - d, dictLen);
  const piece = scratch.subarray(dictLen, total);
  pieceTerms(p.entry, piece, scratchMarks, scratchMarks.length, dictLen);
  const kept = reuse && deflateConfig.reuseHandles && keptHandles();
  const z = deflatePiece(dict, piece, windowBits, kept);
  deflateStats.compressed++;
  stamp(scratch, scratchMarks, Q);
  const ok = z !== null && checkPiece(dict, z, piece, windowBits, kept);
  if (!ok) {
    deflateStats.failed++;
    return null;
  }
  // Both paths' output is a view of a larger buffer: a kept piece must not pin that (or be overwritten).
  const out = Buffer.allocUnsafeSlow(z.length);
  z.copy(out);
  return out;
}

/**
 * Sets e's CRC terms (otlp-crc.ts) for a piece stamped at P that follows its dictionary of dictLen bytes in a
 * gathered buffer, marks[0..n) the buffer's mark offsets in ascending order.
 */
export function pieceTerms(e: Entry, piece: Buffer, marks: ArrayLike<number>, n: number, dictLen: number): void {
  e.crcP = crc32(piece);
  e.shift = x8n(piece.length);
  let m = 0;
  while (m < n && (marks[m] as number) < dictLen) m++;
  e.firstMark = m < n ? (marks[m] as number) - dictLen : -1;
  e.markS = markSum(marks, m, n, dictLen, piece.length);
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

/** The versions of the non-empty units [a, b). */
function depsOf(seq: UnitSeq, a: number, b: number): Float64Array {
  let n = 0;
  for (let i = a; i < b; i++) if (seq.len(i) > 0) n++;
  const d = new Float64Array(n);
  n = 0;
  for (let i = a; i < b; i++) if (seq.len(i) > 0) d[n++] = seq.version(i);
  return d;
}

/** Whether deps are the versions of the non-empty units [a, b). */
function sameDeps(deps: Float64Array, seq: UnitSeq, a: number, b: number): boolean {
  let n = 0;
  for (let i = a; i < b; i++) {
    if (seq.len(i) === 0) continue;
    if (n >= deps.length || deps[n++] !== seq.version(i)) return false;
  }
  return n === deps.length;
}

/**
 * The pieces of one unit sequence and their compressed bytes, kept across pushes. `target` is the mean piece
 * size: a boundary falls after unit i when its key is below len(i)/target of the key space, so it depends on
 * the unit alone (stable under inserts and deletes elsewhere). `dictBytes`: how much of the preceding stream a
 * piece is compressed against (more compresses better, but makes a piece depend on more neighbours).
 */
export class DeflatePieces {
  pieces: Piece[] = [];
  #entries = new Map<number, Entry>();

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
    const t = performance.now();
    const pieces: Piece[] = [];
    const entries = new Map<number, Entry>();
    const n = seq.length;
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const len = seq.len(i);
      bytes += len;
      if (i < n - 1 && !(len > 0 && seq.key(i) < (len / this.target) * 4294967296)) continue;
      if (bytes > 0) pieces.push(this.#piece(seq, from, i + 1, bytes, entries));
      from = i + 1;
      bytes = 0;
    }
    this.pieces = pieces;
    this.#entries = entries;
    deflateStats.layoutMs += performance.now() - t;
  }

  #piece(seq: UnitSeq, from: number, to: number, bytes: number, entries: Map<number, Entry>): Piece {
    let dictFrom = from;
    for (let d = 0; dictFrom > 0 && d < this.dictBytes; ) d += seq.len(--dictFrom);
    let first = -1;
    for (let i = from; i < to && first < 0; i++) if (seq.len(i) > 0) first = seq.version(i);
    // Most pieces are unchanged: compare with the kept entry in place, allocating only for a changed one.
    const old = this.#entries.get(first);
    let entry = old && sameDeps(old.deps, seq, dictFrom, to) ? old : undefined;
    if (entry) deflateStats.reused++;
    else entry = { deps: depsOf(seq, dictFrom, to), z: undefined, crcP: 0, markS: 0, shift: 0, firstMark: -1 };
    entries.set(first, entry);
    return { from, to, bytes, dictFrom, entry };
  }

  /**
   * The segments of units [a, b) sent as one contiguous stretch of a request: a piece inside it whose
   * dictionary is inside it too may use its cached output; the rest is raw bytes compressed at send time.
   * `prepare` sees each such piece first (the entity shape compresses new pieces there with its own coder).
   */
  segments(seq: UnitSeq, a: number, b: number, out: Segment[], prepare?: (p: Piece) => void): void {
    const ps = this.pieces;
    let lo = 0;
    let hi = ps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ps[mid] as Piece).to <= a) lo = mid + 1;
      else hi = mid;
    }
    let covered = a;
    for (let k = lo; k < ps.length; k++) {
      const p = ps[k] as Piece;
      if (p.from >= b) break;
      if (p.from >= a && p.to <= b && p.dictFrom >= a && p.dictFrom < p.from) {
        if (covered < p.from) out.push(rawSegment(seq, covered, p.from));
        prepare?.(p);
        out.push({ piece: { cache: this, seq, p } });
        covered = p.to;
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

/** The cached output of a piece segment, compressing it first when its units changed; null: send it live. */
function pieceOutput(s: Segment): Buffer | null {
  const p = s.piece?.p;
  if (!p || !s.piece) return null;
  if (p.entry.z === undefined) {
    const t = performance.now();
    p.entry.z = compressPiece(s.piece.seq, p, s.piece.cache.reuseHandles);
    deflateStats.pieceMs += performance.now() - t;
  }
  return p.entry.z;
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

/** Output below this is copied into shared runs of OUTPUT_RUN bytes; larger output goes out as it is. */
const OUTPUT_SMALL = 16 * 1024;
const OUTPUT_RUN = 256 * 1024;

/**
 * A gzip member's output as a few long buffers. A ksm request is ~12k kept pieces of ~300 compressed bytes, and
 * handed to the transport one Buffer each they were as many stream writes (a buffered write request per
 * piece in the HTTP/2 stream, ~36k per push at 10k pods), which cost more than copying the 10 MiB once.
 */
class OutputRuns {
  readonly #out: Buffer[] = [];
  #run: Buffer | undefined;
  #at = 0;

  push(b: Buffer): void {
    if (b.length >= OUTPUT_SMALL) {
      this.#flush();
      this.#out.push(b);
      return;
    }
    if (this.#run !== undefined && this.#at + b.length > this.#run.length) this.#flush();
    this.#run ??= Buffer.allocUnsafeSlow(OUTPUT_RUN);
    this.#run.set(b, this.#at);
    this.#at += b.length;
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

/**
 * One gzip member for the segments (one request body): cached piece outputs where valid, the rest compressed
 * here against the bytes before it, CRC32 over the stamped bytes. Yields to the event loop every ~10 ms.
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
  // The push time at the marks, as read from the first kept piece with marks (every mark of a push holds it).
  const time = Buffer.alloc(8);
  let delta = -1;
  for (const s of segments) {
    let n = 0;
    if (s.raw) for (const r of s.raw) n += r.length;
    else n = s.piece?.p.bytes ?? 0;
    size += n;
    const z = pieceOutput(s);
    const e = s.piece?.p.entry;
    if (z && e) {
      if (e.firstMark >= 0 && delta < 0) {
        readAt(rawOf(s), e.firstMark, time);
        delta = timeDelta(time, P);
      }
      crc = crcCombine(crc, e.firstMark < 0 ? e.crcP : (e.crcP ^ multmodp(e.markS, delta)) >>> 0, e.shift);
    } else for (const r of rawOf(s)) crc = crc32(r, crc);
    if (z) {
      flush();
      out.push(z);
      history.push(s);
      deflateStats.cachedBytes += n;
    } else {
      pending.push(...rawOf(s));
      pendingBytes += n;
      if (pendingBytes >= LIVE_RUN) flush();
    }
    if (history.length > 64) history.splice(0, history.length - 16);
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
