// Resource usage of another process from /proc, so each program is charged only for its own memory and CPU.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcUsage {
  /** Current resident set (VmRSS), MB. */
  rssMb: number;
  /** Peak resident set since start (VmHWM), MB. */
  peakRssMb: number;
  /**
   * The anonymous part of VmRSS (RssAnon), MB: the program's own data. The rest is mostly the executable's and
   * libraries' pages, which a Node process (its ~100 MB binary) and a Go one do not pay alike.
   */
  anonMb: number;
  /** utime + stime, seconds. */
  cpuS: number;
}

// USER_HZ is 100 on every Linux ABI Node supports; /proc/<pid>/stat counts in those ticks.
const TICKS_PER_S = 100;

export function procUsage(pid: number): ProcUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state (field 3); utime/stime are 14/15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return {
    rssMb: kb('VmRSS') / 1024,
    peakRssMb: kb('VmHWM') / 1024,
    anonMb: kb('RssAnon') / 1024,
    cpuS: ticks / TICKS_PER_S,
  };
}

/** The pid whose command line contains every fragment (for processes started by helpers that hide the child). */
export function findPid(...fragments: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (fragments.every((f) => cmd.includes(f))) return Number(entry);
    } catch {
      // Process exited while scanning.
    }
  }
  return undefined;
}

/**
 * CPU seconds per thread kind of a process (/proc/<pid>/task/<tid>/{comm,stat}): the main JS thread is the one
 * whose tid is the pid; the others are grouped by name (`V8 DefaultWorke`: V8's GC and compiler helpers,
 * `libuv-worker`: the thread pool, e.g. async zlib). Threads that exited are not counted.
 */
export function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = Number(tid) === pid ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out[name] = (out[name] ?? 0) + (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
    } catch {
      // Thread exited while reading.
    }
  }
  return out;
}
