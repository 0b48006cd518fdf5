// gzip of exposition bodies, per piece: a gzip stream may consist of several members (RFC 1952 §2.2; Go's
// gzip.Reader, which Prometheus uses, and zlib read them as one stream). Segment blocks are reused across
// renders, so only the pieces that changed are compressed again (each Piece keeps its member).
import { availableParallelism } from 'node:os';
import type { Piece } from './piece.ts';
import type { Body } from './renderer.ts';

const GZIP_CONCURRENCY = Math.max(2, availableParallelism());

export class GzipCache {
  readonly #level: number;
  readonly #bodies = new WeakMap<Body, Promise<Buffer[]>>();
  /** Text bytes dropped since takeDropped() was last called. */
  #dropped = 0;

  constructor(level: number) {
    this.#level = level;
  }

  /** One piece's gzip member (cached in the piece). */
  member(p: Piece): Promise<Buffer> {
    return p.compress(this.#level);
  }

  /**
   * All members of a body, in order (cached per Body: an unchanged store returns the same instance). zlib runs on
   * the libuv thread pool, off the event loop. Bounded: each zlib call allocates its deflate state up front, so
   * starting thousands of pieces at once (a 50k-pod body) multiplied peak RSS and thrashed; the thread pool runs
   * only a few at a time anyway. With `dropText` the pieces forget their text (no client reads it), each as
   * soon as its member exists, so a first compression of a whole body does not hold both copies to the end.
   */
  async body(body: Body, dropText: boolean | (() => boolean) = false): Promise<Buffer[]> {
    // A predicate is asked again for each piece: a compaction running while a client starts reading the text.
    const drop = typeof dropText === 'function' ? dropText : () => dropText;
    let all = this.#bodies.get(body);
    if (all === undefined) {
      all = this.#compress(body, drop);
      this.#bodies.set(body, all);
    }
    const members = await all;
    if (drop()) for (const p of body.pieces) this.#dropped += p.dropText();
    return members;
  }

  /** Text bytes dropped since the last call (a large amount is worth a collection: see BackgroundRender). */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }

  #compress(body: Body, drop: () => boolean): Promise<Buffer[]> {
    const out: Buffer[] = new Array(body.pieces.length);
    const missing: number[] = [];
    for (let i = 0; i < body.pieces.length; i++) {
      const done = (body.pieces[i] as Piece).member;
      if (done === undefined) missing.push(i);
      else out[i] = done;
    }
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const i = missing[next++] as number;
        const p = body.pieces[i] as Piece;
        out[i] = await this.member(p);
        if (drop()) this.#dropped += p.dropText();
      }
    };
    return Promise.all(Array.from({ length: Math.min(GZIP_CONCURRENCY, missing.length) }, worker)).then(() => out);
  }
}
