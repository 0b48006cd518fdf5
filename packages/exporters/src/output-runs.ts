// The buffers a gzip request body is written into (otlp-deflate.ts), reused from request to request. A ksm
// push at 10k pods is ~10 MiB of compressed output, copied into 256 KiB runs; fresh runs for every push were
// ~13 MiB of new ArrayBuffers per push, external memory that V8 counts towards starting a mark-compact, and a
// pushing `kso run` ran more of them than an idle one. A run goes back to the pool only when the transport is
// done with the request that carried it (its stream closed), so nothing still being written is overwritten.
// This module is imported by the transports, which the CronJob sidecar loads: it must stay small.

/** Size of one run. */
const OUTPUT_RUN = 256 * 1024;
/** Idle runs kept (4 MiB): a request is ~0.4 MiB compressed, and requests are sent one after another. */
const MAX_IDLE = 16;

const idle: Buffer[] = [];
/** Backing stores of the runs made here, and of those among them that are idle. */
const made = new WeakSet<ArrayBufferLike>();
const isIdle = new WeakSet<ArrayBufferLike>();

/** A run to write into: an idle one, or a new one. */
export function takeRun(): Buffer {
  const b = idle.pop();
  if (b !== undefined) {
    isIdle.delete(b.buffer);
    return b;
  }
  const run = Buffer.allocUnsafeSlow(OUTPUT_RUN);
  made.add(run.buffer);
  return run;
}

/**
 * Gives back the runs among `body` (views of them) once nothing reads it any more. Other buffers, a run given
 * back twice, and runs beyond MAX_IDLE are ignored (the last ones are left to the garbage collector).
 */
export function releaseRuns(body: readonly Buffer[]): void {
  for (let i = 0; i < body.length; i++) {
    const ab = (body[i] as Buffer).buffer;
    if (!made.has(ab) || isIdle.has(ab) || idle.length >= MAX_IDLE) continue;
    isIdle.add(ab);
    idle.push(Buffer.from(ab, 0, OUTPUT_RUN));
  }
}

/** Idle runs (tests). */
export function idleRuns(): number {
  return idle.length;
}
