// The sidecar's own memory, logged at sync, first push and final flush: it runs under a tight limit, and the
// benchmark (bench/scenario.ts) reads these lines for its per-step figures.
import { readFileSync } from 'node:fs';

const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

/** Peak RSS so far (VmHWM, MB); undefined where /proc is not Linux's. */
function peakRssMb(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? mb(Number(kb) * 1024) : undefined;
  } catch {
    return undefined;
  }
}

export function memoryMb(): Record<string, number> {
  const m = process.memoryUsage();
  const hwm = peakRssMb();
  return {
    rss: mb(m.rss),
    ...(hwm !== undefined ? { hwm } : {}),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
  };
}
