// Where encoded OTLP bytes live between and during pushes. A Buffer per encoded object made every push of the
// semconv shape allocate anew what it sends: a request is ~2k entity chunks of ~4 KiB, which the transport had
// to join (Buffer.concat) into fresh 256 KiB pieces, ~45 MiB of new ArrayBuffers per push at 10k pods, and V8
// answers that much external memory with a full (mark-compact) collection nearly every push (`--trace-gc`:
// 19 against the ksm shape's 9 in 10 pushes). Instead chunks are cut from shared slabs in the order they are
// encoded (the store's order), so the chunks of unchanged neighbours are adjacent in memory and a request is a
// few long views of the slabs (Pieces), sent without a copy.
//
// - KeptArena: chunks kept across pushes (semconv). A replaced object's old bytes become a hole in their slab;
//   each push walks every live chunk anyway (stamping), counts the live bytes per slab, and moves the chunks of
//   a slab that was less than MIN_LIVE full at the previous walk into the current slab, so the garbage stays
//   under (1 − MIN_LIVE) / MIN_LIVE of the kept bytes and the copying is proportional to what changed.
// - ScratchArena: chunks used within one push and dropped (ksm: copied into the family sections), in slabs
//   reused from push to push.
import type { Chunk } from './otlp-chunks.ts';

/** Slab size: a request (3.5 MiB) spans a few slabs; a chunk is a few KiB. */
export const SLAB_BYTES = 1 << 20;
/** Chunks above this get a buffer of their own (never moved). */
const OWN_BUFFER_BYTES = SLAB_BYTES / 4;
/** A slab whose live bytes fell below this fraction of its used bytes is emptied at the next walk. */
const MIN_LIVE = 0.75;

export interface Slab {
  readonly buf: Buffer;
  /** Bytes handed out. */
  used: number;
  /** Live bytes counted in the walk `round`. */
  live: number;
  /** Live bytes at the last complete walk before `round` (-1: none yet). */
  lastLive: number;
  round: number;
  /** The walk during (or after) which it was started: that walk may have counted only part of it. */
  born: number;
}

function newSlab(bytes: number, round: number): Slab {
  return { buf: Buffer.allocUnsafeSlow(bytes), used: 0, live: 0, lastLive: -1, round, born: round };
}

/** Cuts `n` bytes from `slab` (undefined or full: the caller starts another). */
function cut(slab: Slab | undefined, n: number): Buffer | undefined {
  if (!slab || slab.used + n > slab.buf.length) return undefined;
  const b = slab.buf.subarray(slab.used, slab.used + n);
  slab.used += n;
  return b;
}

/** Kept chunks' bytes (see the module comment). One per StoreEncoder. */
export class KeptArena {
  #slab: Slab | undefined;
  #round = 1;
  /** Slabs started, chunks moved out of emptied slabs and their bytes (tests, benchmarks). */
  readonly stats = { slabs: 0, moved: 0, movedBytes: 0 };

  /** A copy of `src` in the current slab (or a buffer of its own when large); `slab` is where it went. */
  copy(src: Uint8Array): { buf: Buffer; slab: Slab | undefined } {
    const n = src.length;
    if (n > OWN_BUFFER_BYTES) {
      const own = Buffer.allocUnsafeSlow(n);
      own.set(src);
      return { buf: own, slab: undefined };
    }
    let b = cut(this.#slab, n);
    if (!b) {
      this.#slab = newSlab(SLAB_BYTES, this.#round);
      this.stats.slabs++;
      b = cut(this.#slab, n) as Buffer;
    }
    b.set(src);
    return { buf: b, slab: this.#slab };
  }

  /** Starts a walk over every live chunk (one push). */
  beginWalk(): void {
    this.#round++;
  }

  /**
   * Counts `c` as live in this walk; first moves it to the current slab when its slab was mostly garbage at the
   * previous walk. The bytes are copied as they are (marks are offsets in the chunk, so they stay valid).
   */
  keep(c: Chunk): void {
    let s = c.slab;
    if (s === undefined) return;
    if (s.round !== this.#round) {
      s.lastLive = s.round === this.#round - 1 && s.born < s.round ? s.live : -1;
      s.live = 0;
      s.round = this.#round;
    }
    if (s !== this.#slab && s.lastLive >= 0 && s.lastLive < MIN_LIVE * s.used) {
      const moved = this.copy(c.buf);
      this.stats.moved++;
      this.stats.movedBytes += c.buf.length;
      c.buf = moved.buf;
      c.slab = moved.slab;
      s = moved.slab as Slab;
      if (s.round !== this.#round) {
        s.live = 0;
        s.round = this.#round;
      }
    }
    s.live += c.buf.length;
  }
}

/** Transient chunks' bytes, valid until the next reset() (see the module comment). */
export class ScratchArena {
  #slabs: Slab[] = [];
  #at = 0;
  /** Slabs in use since the last reset, and at the reset before (what the next push is likely to need). */
  #usedNow = 0;
  #usedBefore = 0;

  copy(src: Uint8Array): Buffer {
    const n = src.length;
    if (n > OWN_BUFFER_BYTES) {
      const own = Buffer.allocUnsafeSlow(n);
      own.set(src);
      return own;
    }
    let b = cut(this.#slabs[this.#at], n);
    while (!b) {
      if (this.#slabs[this.#at] !== undefined) this.#at++;
      if (this.#at >= this.#slabs.length) this.#slabs.push(newSlab(SLAB_BYTES, 0));
      b = cut(this.#slabs[this.#at], n);
    }
    this.#usedNow = Math.max(this.#usedNow, this.#at + 1);
    b.set(src);
    return b;
  }

  /**
   * Everything handed out since the last reset may be overwritten. Slabs beyond what the last two pushes used
   * are let go: a relist re-encodes every object once, and its slabs must not stay for good, while pushes that
   * need one slab more or less in turn (or a push between two that needed none) keep theirs.
   */
  reset(): void {
    this.#slabs.length = Math.min(this.#slabs.length, Math.max(this.#usedNow, this.#usedBefore));
    for (const s of this.#slabs) s.used = 0;
    this.#at = 0;
    this.#usedBefore = this.#usedNow;
    this.#usedNow = 0;
  }

  /** Slabs held (tests). */
  get slabs(): number {
    return this.#slabs.length;
  }
}

/**
 * A request's pieces, joining a piece to the previous one when it directly follows it in the same memory, so
 * unchanged neighbours' chunks go out as one view. The view of a joined run is made once, when the run ends
 * (a Buffer per joined chunk was ~12k short-lived objects per push at 10k pods).
 */
export class Pieces {
  readonly #list: Buffer[] = [];
  /** The run being extended: its first piece and its length so far. */
  #first: Buffer | undefined;
  #len = 0;

  push(b: Buffer): void {
    const f = this.#first;
    if (f !== undefined && f.buffer === b.buffer && f.byteOffset + this.#len === b.byteOffset) {
      this.#len += b.length;
      return;
    }
    this.#end();
    this.#first = b;
    this.#len = b.length;
  }

  get empty(): boolean {
    return this.#first === undefined && this.#list.length === 0;
  }

  /** The pieces (ends the current run: pieces pushed later start a new one). */
  get list(): Buffer[] {
    this.#end();
    return this.#list;
  }

  #end(): void {
    const f = this.#first;
    if (f === undefined) return;
    this.#list.push(this.#len === f.length ? f : Buffer.from(f.buffer, f.byteOffset, this.#len));
    this.#first = undefined;
  }
}
