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
    this.#text ??= ownCopy(this.#inflate());
    return this.#text;
  }

  /** One output chunk of the known size (zlib's default 16 KiB chunks are joined by a copy: twice the garbage). */
  #inflate(): Buffer {
    return gunzipSync(this.#gz as Buffer, { chunkSize: Math.max(64, this.length + 64) });
  }

  /**
   * Forgets the text once the member exists (it is what gzip clients read); no-op before that. Returns the
   * bytes let go (freed at the next garbage collection of the Buffer).
   */
  dropText(): number {
    if (this.#gz === undefined || this.#text === undefined) return 0;
    this.#text = undefined;
    return this.length;
  }

  /** This piece's gzip member, compressed on the libuv pool once and then cached. */
  compress(level: number): Promise<Buffer> {
    if (this.#gz !== undefined) return Promise.resolve(this.#gz);
    this.#compressing ??= gzip(this.#text as Buffer, { level }).then((b) => {
      this.#gz = ownCopy(b);
      this.#compressing = undefined;
      return this.#gz;
    });
    return this.#compressing;
  }
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
