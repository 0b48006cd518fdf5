// The kept pieces of one unit sequence (otlp-deflate.ts) as a struct of arrays. A ksm push at 10k pods keeps
// ~36k pieces; as objects (a piece, its entry, the entry's unit versions as a Float64Array, its output as a
// Buffer, 32-bit CRC terms boxed as heap numbers) they were ~6 heap objects and ~500 bytes each, ~19 MB of the
// JS heap that V8's concurrent marking walks at every mark-compact, and two ArrayBuffers to track per piece.
// Here a piece is an index into typed arrays, its entry a slot, and the versions and outputs of all entries
// live in two arenas that are compacted when they fill up (the outputs in place, #compactZ).
import { grown } from './typed-arrays.ts';

/** zLen of an entry not compressed yet, and of one that failed the time check (its piece is sent live). */
export const NOT_YET = -1;
export const FAILED = -2;

const MIN_Z_ARENA = 64 * 1024;
const MIN_DEPS_ARENA = 1024;
/** Slots are below this (4M pieces would be ~8 GiB of sections), so an Int32 zAt times it is an exact double. */
const SLOT_SPAN = 2 ** 22;

export class PieceTable {
  /** Pieces of the last layout: units [from, to) after the dictionary units [dictFrom, from), their entry. */
  count = 0;
  from = new Uint32Array(16);
  to = new Uint32Array(16);
  bytes = new Uint32Array(16);
  dictFrom = new Uint32Array(16);
  slot = new Int32Array(16);

  /**
   * Entries by slot: the versions of the non-empty units of dictionary and piece (depsLen -1: a free slot), the
   * output (zLen NOT_YET, FAILED, or its bytes in the arena), the CRC terms at the placeholder time
   * (otlp-crc.ts: CRC, mark sum, x^(8 len), first mark or -1) and the layout that last kept it.
   */
  depsAt = new Int32Array(16);
  depsLen = new Int32Array(16);
  zAt = new Int32Array(16);
  zLen = new Int32Array(16);
  crcP = new Uint32Array(16);
  markS = new Uint32Array(16);
  shift = new Uint32Array(16);
  firstMark = new Int32Array(16);
  gen = new Uint32Array(16);
  #slots = 0;
  readonly #free: number[] = [];

  deps = new Float64Array(MIN_DEPS_ARENA);
  #depsEnd = 0;
  #depsLive = 0;
  #z = Buffer.allocUnsafeSlow(MIN_Z_ARENA);
  #zEnd = 0;
  /** Compactions of the output arena, and output arenas made (tests). */
  readonly zStats = { compactions: 0, arenas: 1 };

  /** Room for n pieces. */
  reserve(n: number): void {
    if (this.from.length >= n) return;
    this.from = grown(this.from, n);
    this.to = grown(this.to, n);
    this.bytes = grown(this.bytes, n);
    this.dictFrom = grown(this.dictFrom, n);
    this.slot = grown(this.slot, n);
  }

  /** A new entry with room for n versions (written by the caller at deps[depsAt[s]..]), not compressed. */
  alloc(n: number, gen: number): number {
    if (this.#depsEnd + n > this.deps.length) this.#compactDeps(n);
    let s = this.#free.pop();
    if (s === undefined) {
      s = this.#slots++;
      if (s >= this.depsAt.length) this.#growSlots(s + 1);
    }
    this.depsAt[s] = this.#depsEnd;
    this.depsLen[s] = n;
    this.#depsEnd += n;
    this.#depsLive += n;
    this.zLen[s] = NOT_YET;
    this.firstMark[s] = -1;
    this.gen[s] = gen;
    return s;
  }

  release(s: number): void {
    this.#depsLive -= this.depsLen[s] as number;
    this.depsLen[s] = -1;
    this.zLen[s] = NOT_YET;
    this.#free.push(s);
  }

  /** Entry s's output: a view of the arena (valid until the next setOutput), null when it failed, undefined when none. */
  output(s: number): Buffer | null | undefined {
    const n = this.zLen[s] as number;
    if (n < 0) return n === FAILED ? null : undefined;
    const at = this.zAt[s] as number;
    return this.#z.subarray(at, at + n);
  }

  /** Copies entry s's output (it has one) to dst at pos; its length. */
  copyOutput(s: number, dst: Buffer, pos: number): number {
    const at = this.zAt[s] as number;
    return this.#z.copy(dst, pos, at, at + (this.zLen[s] as number));
  }

  /** Keeps z (a view of a zlib handle's buffer: copied) as entry s's output; null: failed, sent live. */
  setOutput(s: number, z: Buffer | null): void {
    if (z === null) {
      this.zLen[s] = FAILED;
      return;
    }
    if (this.#zEnd + z.length > this.#z.length) this.#compactZ(z.length);
    z.copy(this.#z, this.#zEnd);
    this.zAt[s] = this.#zEnd;
    this.zLen[s] = z.length;
    this.#zEnd += z.length;
  }

  #growSlots(n: number): void {
    this.depsAt = grown(this.depsAt, n);
    this.depsLen = grown(this.depsLen, n);
    this.zAt = grown(this.zAt, n);
    this.zLen = grown(this.zLen, n);
    this.crcP = grown(this.crcP, n);
    this.markS = grown(this.markS, n);
    this.shift = grown(this.shift, n);
    this.firstMark = grown(this.firstMark, n);
    this.gen = grown(this.gen, n);
  }

  /** Copies the live versions into a new arena with half as much room again (and `need`). */
  #compactDeps(need: number): void {
    const next = new Float64Array(Math.max(MIN_DEPS_ARENA, Math.ceil((this.#depsLive + need) * 1.5)));
    let end = 0;
    for (let s = 0; s < this.#slots; s++) {
      const n = this.depsLen[s] as number;
      if (n < 0) continue;
      const at = this.depsAt[s] as number;
      next.set(this.deps.subarray(at, at + n), end);
      this.depsAt[s] = end;
      end += n;
    }
    this.deps = next;
    this.#depsEnd = end;
  }

  /**
   * The same for outputs, in place: no view of the arena outlives the call that made it (gzipSegments copies
   * every output it takes), so the live outputs are moved down in the order they lie, and a new arena is made
   * only when less than a quarter of this one would be free after that; it is made with a third free. (A fresh
   * ~15 MiB arena every few pushes at 10k pods was external memory that V8 answers with mark-compacts.)
   */
  #compactZ(need: number): void {
    this.zStats.compactions++;
    const order = this.#liveByOffset();
    let end = 0;
    for (let i = 0; i < order.length; i++) {
      const s = (order[i] as number) % SLOT_SPAN;
      const at = this.zAt[s] as number;
      const n = this.zLen[s] as number;
      if (at !== end) this.#z.copyWithin(end, at, at + n);
      this.zAt[s] = end;
      end += n;
    }
    this.#zEnd = end;
    if (this.#z.length - end - need >= this.#z.length / 4) return;
    const next = Buffer.allocUnsafeSlow(Math.max(MIN_Z_ARENA, Math.ceil((end + need) * 1.5)));
    this.#z.copy(next, 0, 0, end);
    this.#z = next;
    this.zStats.arenas++;
  }

  /** Slots with output, as zAt * SLOT_SPAN + slot in ascending order (a numeric sort of doubles, no comparator). */
  #liveByOffset(): Float64Array {
    const keys = new Float64Array(this.#slots);
    let n = 0;
    for (let s = 0; s < this.#slots; s++) {
      // A released slot's zLen is NOT_YET (release).
      if ((this.zLen[s] as number) > 0) keys[n++] = (this.zAt[s] as number) * SLOT_SPAN + s;
    }
    return keys.subarray(0, n).sort();
  }
}
