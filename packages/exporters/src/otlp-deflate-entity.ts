// Kept compressed pieces of the entity shape (semconv): what otlp-deflate.ts does for a request body, with
// the entity pieces' own coder. A semconv push compresses ~1k of its ~5.5k pieces (8 KiB of entity chunks
// after ~4.5 KiB of dictionary: the whole chunks before them) at 10k pods; through zlib's one-shot functions
// each was two fresh zlib handles (deflate, and the inflate of the time check): their stream objects,
// initialisation and tables (mmapped and unmapped under kso's MALLOC_MMAP_THRESHOLD_) cost more than the
// compression, and their JS objects outlived young-generation collections (~2 MiB promoted per push).
//
// Here one deflate handle per window size and one inflate handle are kept. A handle's dictionary is fixed
// when it is made, so each piece's dictionary is written into the reset stream first and that output dropped.
// At level 1 that left ~20% of the pieces failing the time check (sent live): zlib's deflate_fast does not
// insert into its hash table the strings inside a match longer than max_lazy (4 bytes at level 1), and
// neighbouring entity chunks are long matches of each other, so most dictionary positions were never indexed
// (deflateSetDictionary indexes all); a match of the piece that ends inside a time mark then found no
// earlier mark to continue from at the same offset and wrote the rest of the mark as literals. So the
// dictionary is written at level 0 and the level set to 1 for the piece (deflateParams, which after a reset or
// a sync flush emits nothing): a stored write copies the bytes into the window and counts them as not yet
// hashed (zlib's s->insert), and level 1's next fill_window hashes every one of them, which is what
// deflateSetDictionary does. Measured on the 5.4k pieces of 10k pods: 0.1% fail (as with the one-shot
// functions' set dictionary; 20% at level 1, 0.1% at level 4 for twice the time) and the same compressed
// size, 25 µs per piece instead of 110 µs through the one-shot functions under kso's malloc settings. The
// check (inflate at the complement of the placeholder, otlp-deflate.ts) proves each output whatever
// produced it.
//
// The pieces' outputs are handed to gzipSegments (otlp-deflate.ts) as compressed entries, so framing, live
// runs, the CRC and the member are built there as for the ksm shape.
import { constants, crc32, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { x8n } from './otlp-crc.ts';
import { DeflatePieces, deflateStats, type Segment, type UnitSeq } from './otlp-deflate.ts';

type PieceRef = NonNullable<Segment['piece']>;
type Piece = PieceRef['p'];

/**
 * The placeholder time of otlp-deflate.ts: kept entries' CRCs are at it (gzipSegments turns them into the
 * push time's). Not exported there; a test compares entries made here and there.
 */
export const PLACEHOLDER = Uint8Array.of(0x9d, 0x3b, 0xe7, 0x51, 0xc4, 0x28, 0xfa, 0x6e);
const CHECK_TIME = PLACEHOLDER.map((x) => ~x & 0xff);
const SYNC = constants.Z_SYNC_FLUSH;
/** Stored: the dictionary goes into the window unhashed, and level 1 hashes all of it (module comment). */
const DICT_LEVEL = 0;
const PIECE_LEVEL = constants.Z_BEST_SPEED;

/** Compression of entity pieces (tests): kept handles, or zlib's one-shot functions (no binding write). */
export const entityDeflateConfig = { reuseHandles: true, dictLevel: DICT_LEVEL };

interface ZlibHandle {
  writeSync(flush: number, i: Uint8Array, iOff: number, iLen: number, o: Uint8Array, oOff: number, oLen: number): void;
  reset(): void;
  params(level: number, strategy: number): void;
}

interface ZlibEngine {
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
  destroyed: boolean;
  on(event: 'error', f: () => void): unknown;
  close(): void;
}

/**
 * One kept raw deflate or inflate stream written synchronously (the binding's writeSync, as zlib's own *Sync
 * functions drive it); a zlib error (an inflate reading past its window) destroys the stream, and the next
 * reset opens another.
 */
class Coder {
  readonly #make: () => ZlibEngine;
  #engine: ZlibEngine;
  out = Buffer.allocUnsafeSlow(32 * 1024);

  constructor(make: () => ZlibEngine) {
    this.#make = make;
    this.#engine = this.#open();
  }

  static supported(e: ZlibEngine): boolean {
    const h = e._handle;
    return (
      typeof h?.writeSync === 'function' &&
      typeof h.reset === 'function' &&
      typeof h.params === 'function' &&
      e._writeState instanceof Uint32Array
    );
  }

  #open(): ZlibEngine {
    const e = this.#make();
    e.on('error', () => {});
    return e;
  }

  get #handle(): ZlibHandle | undefined {
    const e = this.#engine;
    return e.destroyed ? undefined : (e._handle ?? undefined);
  }

  reset(): void {
    if (!this.#handle) this.#engine = this.#open();
    (this.#handle as ZlibHandle).reset();
  }

  /** Deflate only; false on a zlib error. */
  params(level: number): boolean {
    const h = this.#handle;
    if (!h) return false;
    h.params(level, constants.Z_DEFAULT_STRATEGY);
    return this.#handle !== undefined;
  }

  /** Writes input with a sync flush, output into this.out from pos; the new end, or -1 on a zlib error. */
  write(input: Uint8Array, pos: number): number {
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      const h = this.#handle;
      if (!h) return -1;
      if (this.out.length - pos < 512 + inLen + (inLen >> 1)) {
        const grown = Buffer.allocUnsafeSlow(Math.max(this.out.length * 2, pos + 1024 + inLen * 2));
        this.out.copy(grown, 0, 0, pos);
        this.out = grown;
      }
      const avail = this.out.length - pos;
      h.writeSync(SYNC, input, inOff, inLen, this.out, pos, avail);
      if (!this.#handle) return -1;
      const state = this.#engine._writeState as Uint32Array;
      const outLeft = state[0] as number;
      const inLeft = state[1] as number;
      pos += avail - outLeft;
      inOff += inLen - inLeft;
      inLen = inLeft;
      if (outLeft !== 0) return pos;
    }
  }
}

/** The smallest window (9..15 bits) that holds dictionary and piece, as otlp-deflate.ts sizes it. */
function windowFor(bytes: number): number {
  return Math.min(15, Math.max(9, Math.ceil(Math.log2(bytes + 262))));
}

const deflaters = new Map<number, Coder>();
let inflater: Coder | undefined;
let kept: boolean | undefined;

function keptHandles(): boolean {
  if (kept === undefined) {
    const probe = createDeflateRaw() as unknown as ZlibEngine;
    kept = Coder.supported(probe);
    probe.close();
  }
  return kept && entityDeflateConfig.reuseHandles;
}

function deflater(windowBits: number): Coder {
  let c = deflaters.get(windowBits);
  if (!c) {
    c = new Coder(
      () =>
        createDeflateRaw({
          level: PIECE_LEVEL,
          windowBits,
          memLevel: Math.max(1, windowBits - 7),
        }) as unknown as ZlibEngine,
    );
    deflaters.set(windowBits, c);
  }
  return c;
}

/** Stored-block header (non-final) that hands the check's inflater the dictionary as its window. */
const storedHead = Buffer.alloc(5);

/** Raw deflate of piece after dict, ending in a sync flush; a view of the coder's buffer, or null (exported for tests). */
export function deflateKept(dict: Buffer, piece: Buffer, windowBits: number): Buffer | null {
  const d = deflater(windowBits);
  d.reset();
  // A reset keeps the level: set it in every case (a failed call may have left the dictionary's).
  if (dict.length > 0 && (!d.params(entityDeflateConfig.dictLevel) || d.write(dict, 0) < 0)) return null;
  if (!d.params(PIECE_LEVEL)) return null;
  const end = d.write(piece, 0);
  return end < 0 ? null : d.out.subarray(0, end);
}

/** Whether z after dict inflates to exactly piece (a reference before dict is an error: false). */
function checkKept(dict: Buffer, z: Buffer, piece: Buffer): boolean {
  inflater ??= new Coder(() => createInflateRaw({ windowBits: 15 }) as unknown as ZlibEngine);
  const inf = inflater;
  inf.reset();
  let pos = 0;
  if (dict.length > 0) {
    storedHead[0] = 0;
    storedHead.writeUInt16LE(dict.length, 1);
    storedHead.writeUInt16LE(~dict.length & 0xffff, 3);
    if (inf.write(storedHead, 0) !== 0) return false;
    pos = inf.write(dict, 0);
    if (pos !== dict.length) return false;
  }
  const end = inf.write(z, 0);
  return end === piece.length && inf.out.subarray(0, end).equals(piece);
}

function oneShotOptions(dict: Buffer, windowBits: number) {
  return { windowBits, finishFlush: SYNC, ...(dict.length > 0 ? { dictionary: dict } : {}) };
}

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
 * Compresses piece p (its dictionary: the units from p.dictFrom) at the placeholder time, checks it at the
 * complement and sets the entry: its output (null: sent live) and CRC terms (see otlp-crc.ts).
 */
function compressEntityPiece(seq: EntityUnitSeq, p: Piece): void {
  let total = 0;
  let marks = 0;
  for (let i = p.dictFrom; i < p.to; i++) {
    total += seq.len(i);
    marks += seq.marksOf(i).length;
  }
  if (scratch.length < total) scratch = Buffer.allocUnsafeSlow(Math.max(total, scratch.length * 2));
  if (scratchMarks.length < marks) scratchMarks = new Uint32Array(Math.max(marks, scratchMarks.length * 2));
  nMarks = 0;
  let pos = 0;
  let dictLen = 0;
  for (let i = p.dictFrom; i < p.to; i++) {
    if (i === p.from) dictLen = pos;
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
  const e = p.entry;
  e.crcP = crc32(piece);
  e.shift = x8n(piece.length);
  let m = 0;
  while (m < nMarks && (scratchMarks[m] as number) < dictLen) m++;
  e.firstMark = m < nMarks ? (scratchMarks[m] as number) - dictLen : -1;
  e.markS = markSumOf(m, dictLen, piece.length);
  const reuse = keptHandles();
  const z = reuse
    ? deflateKept(dict, piece, windowBits)
    : deflateRawSync(piece, {
        ...oneShotOptions(dict, windowBits),
        level: PIECE_LEVEL,
        memLevel: Math.max(1, windowBits - 7),
      });
  deflateStats.compressed++;
  stamp(scratch, 0, nMarks, CHECK_TIME);
  const ok =
    z !== null &&
    (reuse ? checkKept(dict, z, piece) : inflateRawSync(z, oneShotOptions(dict, windowBits)).equals(piece));
  if (!ok) {
    deflateStats.failed++;
    e.z = null;
    return;
  }
  const out = Buffer.allocUnsafeSlow(z.length);
  z.copy(out);
  e.z = out;
}

/** otlp-crc.ts markSum over scratchMarks[from..nMarks) (it takes a plain array). */
function markSumOf(from: number, base: number, len: number): number {
  let s = 0;
  for (let i = from; i < nMarks; i++) s ^= x8n(len - ((scratchMarks[i] as number) - base) - 8);
  return s >>> 0;
}

/**
 * The entity shape's pieces and their compressed bytes, kept across pushes: content-defined pieces of `target`
 * bytes on average after whole units of at least `dictBytes` (as DeflatePieces lays them out), compressed by
 * this module's coder when a request's segments are asked for.
 */
export class EntityPieces {
  pieces: Piece[] = [];
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
    this.pieces = this.#fallback.pieces;
  }

  /**
   * The segments of units [a, b), sent as one contiguous stretch of a request: a piece inside it whose
   * dictionary is inside it too is compressed here when new and goes out as its kept output; the rest is raw
   * bytes compressed at send time.
   */
  segments(seq: EntityUnitSeq, a: number, b: number, out: Segment[]): void {
    this.#fallback.segments(seq, a, b, out, (p) => {
      if (p.entry.z !== undefined) return;
      const t = performance.now();
      compressEntityPiece(seq, p);
      deflateStats.pieceMs += performance.now() - t;
    });
  }
}
