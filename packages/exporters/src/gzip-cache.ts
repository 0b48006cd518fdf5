// gzip of exposition bodies, per piece: a gzip stream may consist of several members (RFC 1952 §2.2; Go's
// gzip.Reader, which Prometheus uses, and zlib read them as one stream). Segment blocks are reused across
// renders, so only the pieces that changed are compressed again.
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Body } from './renderer.ts';

const gzip = promisify(gzipCb);
const GZIP_CONCURRENCY = Math.max(2, availableParallelism());

export class GzipCache {
  readonly #level: number;
  readonly #pieces = new WeakMap<Buffer, Promise<Buffer>>();
  /** Members already compressed: a scrape of an unchanged body then awaits nothing per piece. */
  readonly #done = new WeakMap<Buffer, Buffer>();
  readonly #bodies = new WeakMap<Body, Promise<Buffer[]>>();

  constructor(level: number) {
    this.#level = level;
  }

  /** One piece's gzip member (cached while the piece Buffer lives). */
  member(p: Buffer): Promise<Buffer> {
    let z = this.#pieces.get(p);
    if (z === undefined) {
      // Copied into its own exact-size allocation: zlib hands back a view of a larger output chunk (and
      // Buffer.from would use the shared pool), so a cached ~4 KiB member pinned a 64 KiB slab: ~95 MB
      // retained at 10k pods for 9 MB of gzip.
      z = gzip(p, { level: this.#level }).then((b) => {
        const own = Buffer.allocUnsafeSlow(b.length);
        b.copy(own);
        this.#done.set(p, own);
        return own;
      });
      this.#pieces.set(p, z);
    }
    return z;
  }

  /**
   * All members of a body, in order (cached per Body: an unchanged store returns the same instance). zlib runs on
   * the libuv thread pool, off the event loop. Bounded: each zlib call allocates its deflate state up front, so
   * starting thousands of pieces at once (a 50k-pod body) multiplied peak RSS and thrashed; the thread pool runs
   * only a few at a time anyway.
   */
  body(body: Body): Promise<Buffer[]> {
    let all = this.#bodies.get(body);
    if (all === undefined) {
      const out: Buffer[] = new Array(body.pieces.length);
      const missing: number[] = [];
      for (let i = 0; i < body.pieces.length; i++) {
        const done = this.#done.get(body.pieces[i] as Buffer);
        if (done === undefined) missing.push(i);
        else out[i] = done;
      }
      let next = 0;
      const worker = async () => {
        while (next < missing.length) {
          const i = missing[next++] as number;
          out[i] = await this.member(body.pieces[i] as Buffer);
        }
      };
      all = Promise.all(Array.from({ length: Math.min(GZIP_CONCURRENCY, missing.length) }, worker)).then(() => out);
      this.#bodies.set(body, all);
    }
    return all;
  }
}
