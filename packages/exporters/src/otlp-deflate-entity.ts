// Kept compressed pieces of the entity shape (semconv): what otlp-deflate.ts does for a request body, with
// the entity pieces' own coder. A semconv push compresses ~1k of its ~5.5k pieces (8 KiB of entity chunks
// after ~4.5 KiB of dictionary: the whole chunks before them) at 10k pods; through zlib's one-shot functions
// each was two fresh zlib handles (deflate, and the inflate of the time check): their stream objects,
// initialisation and tables (mmapped and unmapped under kso's MALLOC_MMAP_THRESHOLD_) cost more than the
// compression, and their JS objects outlived young-generation collections (~2 MiB promoted per push).
//
// Here they go through the kept handles of otlp-zlib.ts: one deflate handle per window size and one inflate
// handle, each piece's dictionary written stored into the reset stream and the piece at level 1 (that
// module's comment says why). Measured on the 5.4k pieces of 10k pods: 0.1% fail the time check (as with the
// one-shot functions' set dictionary; 20% with the dictionary written at level 1) at the same compressed
// size, 25 µs per piece instead of 110 µs through the one-shot functions under kso's malloc settings. The
// check (inflate at the complement of the placeholder, otlp-deflate.ts) proves each output whatever
// produced it.
//
// The pieces' outputs are handed to gzipSegments (otlp-deflate.ts) as compressed entries, so framing, live
// runs, the CRC and the member are built there as for the ksm shape.
import { DeflatePieces, deflateStats, keepChecked, pieceTerms, type Segment, type UnitSeq } from './otlp-deflate.ts';
import { NOT_YET, type PieceTable } from './otlp-piece-table.ts';
import { keptHandles, windowFor } from './otlp-zlib.ts';

/**
 * The placeholder time of otlp-deflate.ts: kept entries' CRCs are at it (gzipSegments turns them into the
 * push time's). Not exported there; a test compares entries made here and there.
 */
export const PLACEHOLDER = Uint8Array.of(0x9d, 0x3b, 0xe7, 0x51, 0xc4, 0x28, 0xfa, 0x6e);
const CHECK_TIME = PLACEHOLDER.map((x) => ~x & 0xff);

/** Compression of entity pieces (tests): kept handles, or zlib's one-shot functions (no binding write). */
export const entityDeflateConfig = { reuseHandles: true };

/**
 * Units whose bytes and marks the coder reads directly (an entity chunk's buffer and mark offsets): copying
 * marks through UnitSeq.copy into a plain array grown from empty per piece was ~2.5 MiB of garbage per push.
 */
export interface EntityUnitSeq extends UnitSeq {
  bytesOf(i: number): Buffer;
  marksOf(i: number): Uint32Array;
}

let scratch = Buffer.allocUnsafeSlow(64 * 1024);
let scratchMarks = new Uint32Array(4096);
let nMarks = 0;

function stamp(b: Buffer, from: number, to: number, t: Uint8Array): void {
  for (let i = from; i < to; i++) {
    const o = scratchMarks[i] as number;
    for (let k = 0; k < 8; k++) b[o + k] = t[k] as number;
  }
}

/**
 * Compresses piece k (its dictionary: the units from its dictFrom) at the placeholder time, checks it at the
 * complement and sets its entry: the output (failed: sent live) and CRC terms (see otlp-crc.ts).
 */
function compressEntityPiece(seq: EntityUnitSeq, t: PieceTable, k: number): void {
  const dictFrom = t.dictFrom[k] as number;
  const from = t.from[k] as number;
  const to = t.to[k] as number;
  let total = 0;
  let marks = 0;
  for (let i = dictFrom; i < to; i++) {
    total += seq.len(i);
    marks += seq.marksOf(i).length;
  }
  if (scratch.length < total) scratch = Buffer.allocUnsafeSlow(Math.max(total, scratch.length * 2));
  if (scratchMarks.length < marks) scratchMarks = new Uint32Array(Math.max(marks, scratchMarks.length * 2));
  nMarks = 0;
  let pos = 0;
  let dictLen = 0;
  for (let i = dictFrom; i < to; i++) {
    if (i === from) dictLen = pos;
    const b = seq.bytesOf(i);
    b.copy(scratch, pos);
    for (const o of seq.marksOf(i)) scratchMarks[nMarks++] = o + pos;
    pos += b.length;
  }
  stamp(scratch, 0, nMarks, PLACEHOLDER);
  const windowBits = windowFor(total);
  const d = Math.min(dictLen, 1 << windowBits);
  const dict = scratch.subarray(dictLen - d, dictLen);
  const piece = scratch.subarray(dictLen, total);
  const e = t.slot[k] as number;
  pieceTerms(t, e, piece, scratchMarks, nMarks, dictLen);
  const reuse = entityDeflateConfig.reuseHandles && keptHandles();
  keepChecked(t, e, dict, piece, windowBits, reuse, () => stamp(scratch, 0, nMarks, CHECK_TIME));
}

/**
 * The entity shape's pieces and their compressed bytes, kept across pushes: content-defined pieces of `target`
 * bytes on average after whole units of at least `dictBytes` (as DeflatePieces lays them out), compressed by
 * this module's coder when a request's segments are asked for.
 */
export class EntityPieces {
  readonly target: number;
  readonly dictBytes: number;
  /** What segments name as their cache; never laid out (an uncompressed entry would go through it). */
  readonly #fallback: DeflatePieces;

  constructor(target: number, dictBytes: number) {
    this.target = target;
    this.dictBytes = dictBytes;
    this.#fallback = new DeflatePieces(target, dictBytes);
  }

  /** Recomputes the pieces of `seq` (the content-defined cut of DeflatePieces), keeping unchanged entries. */
  layout(seq: UnitSeq): void {
    this.#fallback.layout(seq);
  }

  /** The pieces of the last layout and their entries. */
  get table(): PieceTable {
    return this.#fallback.table;
  }

  /**
   * The segments of units [a, b), sent as one contiguous stretch of a request: a piece inside it whose
   * dictionary is inside it too is compressed here when new and goes out as its kept output; the rest is raw
   * bytes compressed at send time.
   */
  segments(seq: EntityUnitSeq, a: number, b: number, out: Segment[]): void {
    const t = this.#fallback.table;
    this.#fallback.segments(seq, a, b, out, (k) => {
      if (t.zLen[t.slot[k] as number] !== NOT_YET) return;
      const t0 = performance.now();
      compressEntityPiece(seq, t, k);
      deflateStats.pieceMs += performance.now() - t0;
    });
  }
}
