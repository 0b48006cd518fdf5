// Minimal standard-cron "next time" (robfig/cron ParseStandard semantics as used by KSM for
// kube_cronjob_next_schedule_time): 5 fields, lists, ranges, steps, names, @macros, CRON_TZ=/TZ= prefix,
// DOM/DOW OR-ed unless one of them starts with '*'. Time zones via Intl (no tzdata dependency).

interface Spec {
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly dom: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  readonly dow: ReadonlySet<number>;
  readonly domStar: boolean;
  readonly dowStar: boolean;
  readonly tz: string | undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronParseError extends Error {
  override name = 'CronParseError';
}

function value(tok: string, names: readonly string[] | undefined, offset: number): number {
  if (names) {
    const i = names.indexOf(tok.toLowerCase());
    if (i >= 0) return i + offset;
  }
  if (!/^\d+$/.test(tok)) throw new CronParseError(`bad value ${tok}`);
  return Number(tok);
}

function field(expr: string, min: number, max: number, names?: readonly string[], nameOffset = 0): Set<number> {
  const out = new Set<number>();
  for (const part of expr.split(',')) {
    const [range, stepStr] = part.split('/');
    const step = stepStr === undefined ? 1 : Number(stepStr);
    if (!Number.isInteger(step) || step < 1) throw new CronParseError(`bad step in ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range!.includes('-')) {
      const [a, b] = range!.split('-');
      lo = value(a!, names, nameOffset);
      hi = value(b!, names, nameOffset);
    } else {
      lo = value(range!, names, nameOffset);
      hi = stepStr === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new CronParseError(`out of range: ${part}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseCron(schedule: string, timeZone?: string): Spec {
  let s = schedule.trim();
  let tz = timeZone;
  const tzm = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tzm) {
    tz = tzm[1];
    s = s.slice(tzm[0].length);
  }
  s = MACROS[s] ?? s;
  const f = s.split(/\s+/);
  if (f.length !== 5) throw new CronParseError(`expected 5 fields, got ${f.length}`);
  const dow = field(f[4]!, 0, 7, DAYS);
  if (dow.has(7)) dow.add(0);
  if (tz !== undefined) zoneFormatter(tz); // validates
  return {
    minute: field(f[0]!, 0, 59),
    hour: field(f[1]!, 0, 23),
    dom: field(f[2]!, 1, 31),
    month: field(f[3]!, 1, 12, MONTHS, 1),
    dow,
    domStar: f[2]!.startsWith('*') || f[2] === '?',
    dowStar: f[4]!.startsWith('*') || f[4] === '?',
    tz,
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function zoneFormatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new CronParseError(`unknown time zone ${tz}`);
    }
    formatters.set(tz, f);
  }
  return f;
}

/** Offset (ms) of `tz` at instant `ms`: local wall clock minus UTC. */
function offsetAt(tz: string | undefined, ms: number): number {
  if (tz === undefined || tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const parts = zoneFormatter(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

function dayMatches(spec: Spec, d: Date): boolean {
  const domOk = spec.dom.has(d.getUTCDate());
  const dowOk = spec.dow.has(d.getUTCDay());
  if (spec.domStar || spec.dowStar) return domOk && dowOk;
  return domOk || dowOk;
}

/**
 * First activation strictly after `afterSec` (unix seconds), or undefined if none within 5 years.
 * Works on wall-clock time of the zone (a Date used as a UTC-based calendar), then maps back to UTC.
 */
export function nextCronTime(spec: Spec, afterSec: number): number | undefined {
  const afterMs = (Math.floor(afterSec / 60) + 1) * 60_000; // next whole minute (cron has minute resolution)
  const wall = new Date(afterMs + offsetAt(spec.tz, afterMs));
  wall.setUTCSeconds(0, 0);
  const limit = wall.getTime() + 5 * 366 * 86_400_000;
  while (wall.getTime() < limit) {
    if (!spec.month.has(wall.getUTCMonth() + 1)) {
      wall.setUTCMonth(wall.getUTCMonth() + 1, 1);
      wall.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(spec, wall)) {
      wall.setUTCDate(wall.getUTCDate() + 1);
      wall.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!spec.hour.has(wall.getUTCHours())) {
      wall.setUTCHours(wall.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!spec.minute.has(wall.getUTCMinutes())) {
      wall.setUTCMinutes(wall.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    // Wall time → UTC: use the offset in force at the guess; re-check once for DST transitions.
    let utc = wall.getTime() - offsetAt(spec.tz, wall.getTime());
    utc = wall.getTime() - offsetAt(spec.tz, utc);
    if (utc >= afterMs) return Math.floor(utc / 1000);
    wall.setUTCMinutes(wall.getUTCMinutes() + 1, 0, 0);
  }
  return undefined;
}
