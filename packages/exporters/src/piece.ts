// One piece of an exposition body (a family header, one family's block of a segment, the self-metrics tail),
// kept as its text, its gzip member, or both. Prometheus always scrapes with gzip, so once a piece has been
// compressed for a gzip client its text is dropped (66 MiB at 10k pods, 332 MiB at 50k: the largest thing kso
// held); the rare uncompressed client and segment rebuilds inflate the member again (a few KiB to ~1 MiB each).
import { promisify } from 'node:util';
import { gunzipSync, gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

export class Piece {
  #text: Buffer | undefined;
  #gz: Buffer | undefined;
  #compressing: Promise<Buffer> | undefined;
  /** Bytes of text (the same whether the text is held or not). */
  readonly length: number;

  constructor(text: Buffer) {
    this.#text = text;
    this.length = text.length;
  }

  /** The gzip member when compressed. */
  get member(): Buffer | undefined {
    return this.#gz;
  }

  get hasText(): boolean {
    return this.#text !== undefined;
  }

  /** The text: held, or inflated from the member without keeping it (a transient copy). */
  text(): Buffer {
    return this.#text ?? this.#inflate();
  }

  /** The text, inflated and held again when it was dropped (a client that reads text keeps scraping). */
  keepText(): Buffer {
    if (this.#text === undefined) {
      const t = this.#inflate();
      // Past the shared pool's size zlib's chunk is its own allocation, 64 bytes longer than the text.
      this.#text = t.length >= POOLED_BELOW ? t : ownCopy(t);
    }
    return this.#text;
  }

  /**
   * One output chunk of the known size (zlib's default 16 KiB chunks are joined by a copy: twice the garbage),
   * 64 bytes of slack so zlib sees the end of the stream within it.
   */
  #inflate(): Buffer {
    return gunzipSync(this.#gz as Buffer, { chunkSize: Math.max(64, this.length + 64) });
  }

  /**
   * Forgets the text once the member exists (it is what gzip clients read); no-op before that. With `free` (no
   * response is writing text: the caller knows) the text's memory is freed now rather than when V8 collects
   * the Buffer. Returns the bytes dropped.
   */
  dropText(free: boolean): number {
    if (this.#gz === undefined || this.#text === undefined) return 0;
    const t = this.#text;
    this.#text = undefined;
    if (free) release(t);
    return this.length;
  }

  /** This piece's gzip member, compressed on the libuv pool once and then cached. */
  compress(level: number): Promise<Buffer> {
    if (this.#gz !== undefined) return Promise.resolve(this.#gz);
    // One output chunk that surely holds the member (deflate at worst adds a few bytes per 16 KiB stored block
    // and 18 of framing), so the member is a view at the start of that chunk: copied out exactly, the chunk is
    // freed at once. zlib's default 16 KiB chunk per call was garbage until the next full collection: at a
    // 15 s interval, thousands of changed blocks compressed per scrape, tens of MB resident after it.
    const chunkSize = Math.max(64, this.length + 64);
    this.#compressing ??= gzip(this.#text as Buffer, { level, chunkSize }).then((b) => {
      this.#gz = ownCopy(b);
      // The chunk is zlib's own allocation (at or past the pool's size) and its stream has ended.
      if (b.byteOffset === 0 && b.buffer.byteLength === chunkSize && chunkSize >= POOLED_BELOW) {
        (b.buffer as ArrayBuffer).transfer(0);
      }
      this.#compressing = undefined;
      return this.#gz;
    });
    return this.#compressing;
  }
}

/** Buffer.allocUnsafe (zlib's output chunks, Buffer.from) serves sizes below this from shared 8 KiB slabs. */
const POOLED_BELOW = Buffer.poolSize >>> 1;

/**
 * Frees a Buffer's memory now (detaching its ArrayBuffer: V8 releases the backing store at once, and with
 * glibc's mmap threshold the pages go back to the OS) instead of when V8 collects it, which at a 15 s scrape
 * interval can be the next collection halfway to the next scrape: the replaced text of a scrape otherwise
 * stays resident for seconds. Only a Buffer that is the whole of its ArrayBuffer's own allocation (not a
 * view of a pool slab or of a larger chunk) and that the caller knows nothing else reads any more: not
 * queued on a socket, not handed out. Returns whether it was freed (the Buffer is empty afterwards).
 */
export function release(b: Buffer): boolean {
  const ab = b.buffer as ArrayBuffer;
  const whole =
    b.byteOffset === 0 && (ab.byteLength === b.length || (b.length >= POOLED_BELOW && ab.byteLength - b.length <= 64));
  if (!whole || b.length === 0) return false;
  ab.transfer(0);
  return true;
}

/** release() for a typed array that is the whole of its own ArrayBuffer (the renderer's per-segment tables). */
export function releaseArray(a: Uint32Array): void {
  const ab = a.buffer as ArrayBuffer;
  if (a.byteOffset === 0 && ab.byteLength === a.byteLength && a.byteLength > 0) ab.transfer(0);
}

/**
 * An exact-size copy outside the shared pool: zlib hands back a view of a larger output chunk (and small
 * Buffer.from / concat results live on 8 KiB pool slabs), so a cached ~4 KiB member pinned a 64 KiB slab:
 * ~95 MB retained at 10k pods for 9 MB of gzip.
 */
function ownCopy(b: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}
