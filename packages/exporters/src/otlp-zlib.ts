// Kept zlib handles for compressing small pieces after a dictionary, shared by the ksm pieces
// (otlp-deflate.ts) and the entity pieces (otlp-deflate-entity.ts). deflateRawSync/inflateRawSync create,
// initialise and close a handle (stream object, zlib state, window, external-memory accounting) per call,
// which cost more than compressing a 2 KiB piece; here one deflate handle per window size and one inflate
// handle are written through the binding's synchronous write, as zlib's own *Sync functions drive it. That
// write is not a public API (Node >= 10 has it unchanged): where it is missing, keptHandles() is false and the
// callers pass kept = false, so deflatePiece and checkPiece use the one-shot functions.
//
// A handle's dictionary is fixed when it is made, so a piece's dictionary is written into the reset stream
// first and that output dropped: the sync flush after it leaves the stream byte-aligned with the dictionary in
// the window, and the piece's output (up to its own sync flush) is exactly the bytes that follow the
// dictionary in a stream. The dictionary is written stored (level 0) and the piece at level 1: at level 1,
// zlib's deflate_fast does not hash the strings inside a match longer than 4 bytes, and neighbouring objects
// are long matches of each other, so most dictionary positions were never indexed and ~20% of entity pieces
// failed the time check; a stored write copies the bytes into the window unhashed and level 1's next
// fill_window hashes all of them, as deflateSetDictionary does (0.1% fail, 25 µs per entity piece against 47
// with a level-1 dictionary and 110 through the one-shot functions under kso's malloc settings).
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  deflateRawSync,
  inflateRawSync,
  type ZlibOptions,
} from 'node:zlib';

const SYNC = constants.Z_SYNC_FLUSH;
const PIECE_LEVEL = constants.Z_BEST_SPEED;
/** Stored: the dictionary goes into the window unhashed, and level 1 hashes all of it (module comment). */
const DICT_LEVEL = 0;

interface ZlibHandle {
  writeSync(flush: number, i: Uint8Array, iOff: number, iLen: number, o: Uint8Array, oOff: number, oLen: number): void;
  reset(): void;
  /** deflateParams (what Zlib#params calls once the stream is flushed). */
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
 * One kept raw deflate or inflate stream written synchronously with sync flushes; a zlib error (an inflate
 * reading past its window) destroys the stream, and the next reset opens another.
 */
class SyncZlib {
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
    // A failed write destroys the stream and emits 'error' later: never an uncaught exception here.
    e.on('error', () => {});
    return e;
  }

  get #handle(): ZlibHandle | undefined {
    const e = this.#engine;
    return e.destroyed ? undefined : (e._handle ?? undefined);
  }

  /** Starts a new stream: no window, no pending bits (zlib's deflateReset / inflateReset). */
  reset(): void {
    if (!this.#handle) this.#engine = this.#open();
    (this.#handle as ZlibHandle).reset();
  }

  /**
   * Sets the deflate stream's level; false on a zlib error. Called only at a flushed point (after a reset or a
   * sync flush), where zlib changes level without emitting anything.
   */
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
      // Output space left over: zlib took all the input and flushed.
      if (outLeft !== 0) return pos;
    }
  }
}

/** The smallest window (9..15 bits) that holds dictionary and input: a smaller window resets faster. */
export function windowFor(bytes: number): number {
  return Math.min(15, Math.max(9, Math.ceil(Math.log2(bytes + 262))));
}

/** memLevel for a window: the hash table sized to it (every handle is reported to V8 as external memory). */
function memLevelFor(windowBits: number): number {
  return Math.max(1, windowBits - 7);
}

const deflaters = new Map<number, SyncZlib>();
let inflater: SyncZlib | undefined;
let kept: boolean | undefined;

/** Whether this Node's zlib binding has the synchronous write the kept handles use (else: the one-shot path). */
export function keptHandles(): boolean {
  if (kept === undefined) {
    const probe = createDeflateRaw() as unknown as ZlibEngine;
    kept = SyncZlib.supported(probe);
    probe.close();
  }
  return kept;
}

function deflater(windowBits: number): SyncZlib {
  let d = deflaters.get(windowBits);
  if (!d) {
    const level = PIECE_LEVEL;
    const memLevel = memLevelFor(windowBits);
    d = new SyncZlib(() => createDeflateRaw({ level, windowBits, memLevel }) as unknown as ZlibEngine);
    deflaters.set(windowBits, d);
  }
  return d;
}

/**
 * Raw deflate of piece with dict as the stream before it, ending in a sync flush: a view of the kept handle's
 * buffer (valid until its next use), or null on a zlib error. Needs keptHandles().
 */
export function deflateAfter(dict: Uint8Array, piece: Uint8Array, windowBits: number): Buffer | null {
  const d = deflater(windowBits);
  d.reset();
  // A reset keeps the level: set it in every case (a failed call may have left the dictionary's).
  if (dict.length > 0 && (!d.params(DICT_LEVEL) || d.write(dict, 0) < 0)) return null;
  if (!d.params(PIECE_LEVEL)) return null;
  const end = d.write(piece, 0);
  return end < 0 ? null : d.out.subarray(0, end);
}

/** Stored-block header (non-final) that hands the check's inflater the dictionary as its window. */
const storedHead = Buffer.alloc(5);

/**
 * Whether z, after dict, inflates to exactly piece. A fresh inflate stream is given dict as one stored block
 * (a valid raw deflate prefix whose output is dict), then z: a reference reaching before dict is an error.
 * Needs keptHandles().
 */
function inflatesTo(dict: Uint8Array, z: Uint8Array, piece: Uint8Array): boolean {
  // One handle at the largest window accepts any of the deflaters' distances.
  inflater ??= new SyncZlib(() => createInflateRaw({ windowBits: 15 }) as unknown as ZlibEngine);
  const inf = inflater;
  inf.reset();
  if (dict.length > 0) {
    storedHead[0] = 0;
    storedHead.writeUInt16LE(dict.length, 1);
    storedHead.writeUInt16LE(~dict.length & 0xffff, 3);
    if (inf.write(storedHead, 0) !== 0) return false;
    if (inf.write(dict, 0) !== dict.length) return false;
  }
  const end = inf.write(z, 0);
  return end === piece.length && inf.out.subarray(0, end).equals(piece);
}

/**
 * Raw deflate of piece after dict, ending in a sync flush: through the kept handles (a view of their buffer,
 * valid until their next use; null on a zlib error) or zlib's one-shot function with a set dictionary.
 */
export function deflatePiece(dict: Buffer, piece: Buffer, windowBits: number, kept: boolean): Buffer | null {
  return kept ? deflateAfter(dict, piece, windowBits) : deflateOneShot(dict, piece, windowBits);
}

/** The one-shot path of deflatePiece: a buffer of its own. */
export function deflateOneShot(dict: Buffer, piece: Buffer, windowBits: number): Buffer {
  return deflateRawSync(piece, oneShotOptions(dict, piece.length, windowBits, true));
}

/** Whether z after dict inflates to exactly piece, through the kept inflater or the one-shot function. */
export function checkPiece(dict: Buffer, z: Buffer, piece: Buffer, windowBits: number, kept: boolean): boolean {
  return kept
    ? inflatesTo(dict, z, piece)
    : inflateRawSync(z, oneShotOptions(dict, piece.length, windowBits, false)).equals(piece);
}

/**
 * zlib options for one piece of `len` bytes after dict (the one-shot path). The window is only as large as
 * dictionary + piece need: every zlib handle is allocated and reported to V8 as external memory, and at the
 * defaults (~400 KiB per handle) thousands of pieces per push cost more in allocation and the garbage
 * collections it triggers than in compression. Output chunks are sized to the piece for the same reason.
 */
function oneShotOptions(dict: Buffer, len: number, windowBits: number, deflate: boolean): ZlibOptions {
  const o: ZlibOptions = {
    windowBits,
    finishFlush: SYNC,
    chunkSize: Math.max(1024, deflate ? (len >> 2) + 64 : len),
    ...(dict.length > 0 ? { dictionary: dict } : {}),
  };
  if (deflate) {
    o.level = PIECE_LEVEL;
    o.memLevel = memLevelFor(windowBits);
  }
  return o;
}
