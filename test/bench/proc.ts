// Resource usage of another process from /proc, so each program is charged only for its own memory and CPU.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcUsage {
  /** Current resident set (VmRSS), MB. */
  rssMb: number;
  /** Peak resident set since start (VmHWM), MB. */
  peakRssMb: number;
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
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuS: ticks / TICKS_PER_S };
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
