// CronJob schedules exactly as kube-state-metrics v2.20 reads them: KSM parses `CRON_TZ=<spec.timeZone> <schedule>`
// with github.com/netresearch/go-cron v0.15.1 `ParseStandard` (not robfig/cron) and calls `Schedule.Next`.
// This is a line-by-line port of that library's parser.go / spec.go / constantdelay.go for the standard parser
// (Minute|Hour|Dom|Month|Dow|Descriptor): day-of-month and day-of-week are AND-ed (go-cron's default, unlike
// classic cron), ranges may wrap (`22-2`, `FRI-MON`), a step must be smaller than its range, empty list items are
// dropped, `*-x` ignores `x`, `@every` needs >= 1s, and a schedule with no activation within five years (or
// `@triggered`/`@manual`/`@none`) yields Go's zero time. Go's time.Date/AddDate/Add semantics (DST gaps and
// overlaps) are reproduced on top of Intl time-zone offsets.

import { TZ_NAMES } from './tz-names.ts';

/** `time.Time{}.Unix()`: what KSM reports as the next schedule time when the schedule never fires. */
export const GO_ZERO_TIME_UNIX = -62_135_596_800;

export class CronParseError extends Error {
  override name = 'CronParseError';
}

/** A time zone as Go's *time.Location: offsets (seconds east of UTC) by instant. */
export interface Zone {
  readonly name: string;
  offsetAt(unixSec: number): number;
}

interface SpecSchedule {
  readonly kind: 'spec';
  readonly second: Uint8Array;
  readonly minute: Uint8Array;
  readonly hour: Uint8Array;
  readonly dom: Uint8Array;
  readonly month: Uint8Array;
  readonly dow: Uint8Array;
  readonly zone: Zone;
}
interface EverySchedule {
  readonly kind: 'every';
  readonly delaySec: number;
}
interface TriggeredSchedule {
  readonly kind: 'triggered';
}
export type CronSchedule = SpecSchedule | EverySchedule | TriggeredSchedule;

// ------------------------------------------------------------------------------------------------ zones

const UTC: Zone = Object.freeze({ name: 'UTC', offsetAt: () => 0 });
let tzNames: Set<string> | undefined;
const zones = new Map<string, Zone>();

function intlZone(name: string, intlName: string): Zone {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: intlName,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    // In the tz database but unknown to ICU (e.g. "Factory"): Go gives it offset 0.
    return Object.freeze({ name, offsetAt: () => 0 });
  }
  const cache = new Map<number, number>();
  return Object.freeze({
    name,
    offsetAt(unixSec: number): number {
      const hit = cache.get(unixSec);
      if (hit !== undefined) return hit;
      let y = 0;
      let mo = 0;
      let d = 0;
      let h = 0;
      let mi = 0;
      let s = 0;
      let bc = false;
      for (const p of fmt.formatToParts(new Date(unixSec * 1000))) {
        const v = Number(p.value);
        if (p.type === 'year') y = v;
        else if (p.type === 'month') mo = v;
        else if (p.type === 'day') d = v;
        else if (p.type === 'hour') h = v;
        else if (p.type === 'minute') mi = v;
        else if (p.type === 'second') s = v;
        else if (p.type === 'era') bc = p.value.startsWith('B');
      }
      const off = wallToUnix(bc ? 1 - y : y, mo, d, h, mi, s) - unixSec;
      if (cache.size > 4096) cache.clear();
      cache.set(unixSec, off);
      return off;
    },
  });
}

function localZone(): Zone {
  const name = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  return name === 'UTC' ? UTC : intlZone('Local', name);
}

/** Go's time.LoadLocation: "" and "UTC" are UTC, "Local" the process zone, else an exact tz database name. */
export function loadLocation(name: string): Zone {
  const cached = zones.get(name);
  if (cached) return cached;
  let z: Zone;
  if (name === '' || name === 'UTC') z = UTC;
  else if (name === 'Local') z = localZone();
  else {
    tzNames ??= new Set(TZ_NAMES.split(' '));
    if (!tzNames.has(name)) throw new CronParseError(`unknown time zone ${name}`);
    z = intlZone(name, name);
  }
  if (zones.size < 1000) zones.set(name, z);
  return z;
}

// ------------------------------------------------------------------------------------------------ Go time

function wallToUnix(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, 0);
  return dt.getTime() / 1000;
}

interface Fields {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  wd: number;
}
function fields(t: number, z: Zone): Fields {
  const dt = new Date((t + z.offsetAt(t)) * 1000);
  return {
    y: dt.getUTCFullYear(),
    mo: dt.getUTCMonth() + 1,
    d: dt.getUTCDate(),
    h: dt.getUTCHours(),
    mi: dt.getUTCMinutes(),
    s: dt.getUTCSeconds(),
    wd: dt.getUTCDay(),
  };
}

/** time.Date: normalises out-of-range fields; in a gap or overlap it uses Go's two-step offset lookup. */
function goDate(y: number, mo: number, d: number, h: number, mi: number, s: number, z: Zone): number {
  const wall = wallToUnix(y, mo, d, h, mi, s);
  const off = z.offsetAt(wall);
  return wall - z.offsetAt(wall - off);
}

function addDate(t: number, years: number, months: number, days: number, z: Zone): number {
  const f = fields(t, z);
  return goDate(f.y + years, f.mo + months, f.d + days, f.h, f.mi, f.s, z);
}

/** time.Truncate works on absolute time, so it cuts at UTC multiples whatever the zone. */
function truncate(t: number, step: number): number {
  return t - (((t % step) + step) % step);
}

// ------------------------------------------------------------------------------------------------ parser

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}
const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 7, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };
const INT64_MAX = 9_223_372_036_854_775_807n;

/** strconv.Atoi, then go-cron's "negative number not allowed". */
function mustParseInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronParseError(`failed to parse int from ${JSON.stringify(expr)}`);
  const n = BigInt(expr);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) throw new CronParseError(`value out of range: ${expr}`);
  if (n < 0n) throw new CronParseError(`negative number (${n}) not allowed: ${JSON.stringify(expr)}`);
  return Number(n);
}

function parseIntOrName(expr: string, names: Bounds['names']): number {
  const key = expr.toLowerCase();
  if (names && Object.hasOwn(names, key)) return names[key]!;
  return mustParseInt(expr);
}

/** One comma-separated item: `*`/`?`, `n`, `a-b` (wrapping when a > b), each optionally `/step`. */
function getRange(expr: string, r: Bounds, bits: Uint8Array): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    // go-cron returns here without looking at anything after a '-'.
    start = r.min;
    end = r.max;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronParseError(`too many hyphens: ${JSON.stringify(rangeAndStep[0])}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (single) end = r.max; // "N/step" means "N-max/step"
  } else if (rangeAndStep.length > 2) throw new CronParseError(`too many slashes: ${JSON.stringify(expr)}`);

  if (start < r.min) throw new CronParseError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronParseError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range must be a positive number: ${expr}`);
  // Go computes the size in uint: a wrapping range starting above the maximum underflows to a huge size.
  const size =
    start > end ? BigInt.asUintN(64, BigInt(r.max - start + 1 + (end - r.min + 1))) : BigInt(end - start + 1);
  if (step > 1 && BigInt(step) >= size) {
    throw new CronParseError(`step (${step}) must be less than range size (${size}): ${expr}`);
  }

  if (start > end) {
    const fieldSize = r.max - r.min + 1;
    for (let i = start; i <= end + fieldSize; i += step) bits[i > r.max ? ((i - r.min) % fieldSize) + r.min : i] = 1;
  } else {
    for (let i = start; i <= end; i += step) bits[i] = 1;
  }
}

function getField(field: string, r: Bounds): Uint8Array {
  const bits = new Uint8Array(64);
  for (const part of field.split(',')) {
    if (part === '') continue; // strings.FieldsFunc drops empty items
    if (part.startsWith('H')) throw new CronParseError('h expressions require hash option to be enabled');
    getRange(part, r, bits);
  }
  return bits;
}

function normalizeDow(bits: Uint8Array): Uint8Array {
  if (bits[7]) {
    bits[0] = 1;
    bits[7] = 0;
  }
  return bits;
}

function all(r: Bounds): Uint8Array {
  const bits = new Uint8Array(64);
  for (let i = r.min; i <= r.max; i++) bits[i] = 1;
  return bits;
}
function only(v: number): Uint8Array {
  const bits = new Uint8Array(64);
  bits[v] = 1;
  return bits;
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_DURATION = 1n << 63n;

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(input: string): bigint {
  const bad = () => new CronParseError(`time: invalid duration ${JSON.stringify(input)}`);
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw bad();
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) throw bad();
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    const pre = intPart !== '';
    let v = pre ? BigInt(intPart) : 0n;
    if (v > MAX_DURATION) throw bad();
    let frac = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      const fracPart = /^[0-9]*/.exec(s)![0];
      s = s.slice(fracPart.length);
      post = fracPart !== '';
      // Go stops accumulating digits once f would overflow; those digits only lose precision.
      for (const c of fracPart) {
        if (frac > (MAX_DURATION - 1n) / 10n) break;
        const next = frac * 10n + BigInt(c);
        if (next > MAX_DURATION) break;
        frac = next;
        scale *= 10;
      }
    }
    if (!pre && !post) throw bad();
    const unitStr = /^[^0-9.]*/.exec(s)![0];
    s = s.slice(unitStr.length);
    if (unitStr === '') throw new CronParseError(`time: missing unit in duration ${JSON.stringify(input)}`);
    const unit = DURATION_UNITS[unitStr];
    if (unit === undefined || !Object.hasOwn(DURATION_UNITS, unitStr)) {
      throw new CronParseError(`time: unknown unit ${JSON.stringify(unitStr)} in duration ${JSON.stringify(input)}`);
    }
    if (v > MAX_DURATION / unit) throw bad();
    v *= unit;
    if (frac > 0n) {
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > MAX_DURATION) throw bad();
    }
    d += v;
    if (d > MAX_DURATION) throw bad();
  }
  if (neg) return -d;
  if (d > MAX_DURATION - 1n) throw bad();
  return d;
}

function parseDescriptor(descriptor: string, zone: Zone): CronSchedule {
  const dowAll = normalizeDow(all(DOW));
  const spec = (hour: Uint8Array, dom: Uint8Array, month: Uint8Array, dow: Uint8Array): SpecSchedule => ({
    kind: 'spec',
    second: only(0),
    minute: only(0),
    hour,
    dom,
    month,
    dow,
    zone,
  });
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return spec(only(0), only(1), only(1), dowAll);
    case '@monthly':
      return spec(only(0), only(1), all(MONTHS), dowAll);
    case '@weekly':
      return spec(only(0), all(DOM), all(MONTHS), only(0));
    case '@daily':
    case '@midnight':
      return spec(only(0), all(DOM), all(MONTHS), dowAll);
    case '@hourly':
      return spec(all(HOURS), all(DOM), all(MONTHS), dowAll);
    case '@triggered':
    case '@manual':
    case '@none':
      return { kind: 'triggered' };
  }
  if (descriptor.startsWith('@every ')) {
    const ns = parseGoDuration(descriptor.slice('@every '.length));
    if (ns < 1_000_000_000n) throw new CronParseError(`@every duration must be at least 1s: ${descriptor}`);
    return { kind: 'every', delaySec: Number(ns / 1_000_000_000n) };
  }
  throw new CronParseError(`unrecognized descriptor: ${JSON.stringify(descriptor)}`);
}

const TZ_CHARS = /^[A-Za-z0-9/_+:-]*$/;

function parseTimezone(spec: string): [Zone, string] {
  if (!spec.startsWith('TZ=') && !spec.startsWith('CRON_TZ=')) return [loadLocation('Local'), spec];
  const i = spec.indexOf(' ');
  if (i === -1) throw new CronParseError(`missing fields after timezone in spec ${JSON.stringify(spec)}`);
  let tz = spec.slice(spec.indexOf('=') + 1, i);
  if (tz.length >= 2 && ((tz[0] === '"' && tz.at(-1) === '"') || (tz[0] === "'" && tz.at(-1) === "'"))) {
    tz = tz.slice(1, -1);
  }
  if (tz === '') throw new CronParseError('invalid timezone: empty timezone string');
  if (Buffer.byteLength(tz) > 64) throw new CronParseError('invalid timezone: too long');
  if (!TZ_CHARS.test(tz)) throw new CronParseError(`invalid timezone ${JSON.stringify(tz)}`);
  const zone = loadLocation(tz);
  const rest = spec.slice(i).trim();
  if (rest === '') throw new CronParseError(`missing fields after timezone ${JSON.stringify(tz)}`);
  return [zone, rest];
}

/** go-cron ParseStandard. Throws CronParseError for everything it rejects. */
export function parseStandard(input: string): CronSchedule {
  if (input.length === 0) throw new CronParseError('empty spec string');
  if (Buffer.byteLength(input) > 1024) throw new CronParseError('spec too long');
  const [zone, spec] = parseTimezone(input);
  if (spec.startsWith('@')) return parseDescriptor(spec, zone);
  const f = spec.split(/\s+/).filter((x) => x !== '');
  if (f.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${f.length}: [${f.join(' ')}]`);
  if (f[2]!.toUpperCase().includes('L') || f[2]!.toUpperCase().includes('W')) {
    throw new CronParseError('extended day-of-month syntax requires DomL or DomW');
  }
  if (f[4]!.includes('#')) throw new CronParseError('#n/#L syntax requires DowNth or DowLast');
  return {
    kind: 'spec',
    second: getField('0', SECONDS),
    minute: getField(f[0]!, MINUTES),
    hour: getField(f[1]!, HOURS),
    dom: getField(f[2]!, DOM),
    month: getField(f[3]!, MONTHS),
    dow: normalizeDow(getField(f[4]!, DOW)),
    zone,
  };
}

/** KSM parseSchedule: spec.timeZone is prepended as `CRON_TZ=<tz> `. */
export function parseCron(schedule: string, timeZone?: string): CronSchedule {
  return parseStandard(timeZone === undefined ? schedule : `CRON_TZ=${timeZone} ${schedule}`);
}

// ------------------------------------------------------------------------------------------------ Next

function isEmpty(bits: Uint8Array): boolean {
  return bits.indexOf(1) === -1;
}

/**
 * SpecSchedule.Next, ported statement by statement (the `goto WRAP`s become `continue wrap`). One deliberate
 * difference: where a calendar day does not exist (Pacific/Apia skipped 2011-12-30), time.Date maps the missing
 * midnight back onto the day before, AddDate stops advancing and go-cron loops forever (KSM's reflector hangs).
 * The port notices that the day search no longer moves forward and returns undefined.
 */
// long: a statement-by-statement port of netresearch/go-cron v0.15.1 SpecSchedule.Next (KSM's cron library),
// kept whole so it reads side by side with the Go source
function nextSpec(s: SpecSchedule, fromSec: number): number | undefined {
  // A field without any value can never match; go-cron would search five years to find that out.
  if (isEmpty(s.minute) || isEmpty(s.hour) || isEmpty(s.dom) || isEmpty(s.month) || isEmpty(s.dow)) {
    return GO_ZERO_TIME_UNIX;
  }
  const z = s.zone;
  let t = fromSec + 1;
  let added = false;
  const yearLimit = fields(t, z).y + 5;
  wrap: for (;;) {
    let f = fields(t, z);
    if (f.y > yearLimit) return GO_ZERO_TIME_UNIX;

    while (!s.month[f.mo]) {
      if (!added) {
        added = true;
        t = goDate(f.y, f.mo, 1, 0, 0, 0, z);
      }
      const before = t;
      t = addDate(t, 0, 1, 0, z);
      if (t <= before) return undefined;
      f = fields(t, z);
      if (f.mo === 1) continue wrap;
    }

    while (!(s.dom[f.d] && s.dow[f.wd])) {
      if (!added) {
        added = true;
        t = goDate(f.y, f.mo, f.d, 0, 0, 0, z);
      }
      const before = t;
      t = addDate(t, 0, 0, 1, z);
      // normalizeDSTDay: midnight may not exist.
      f = fields(t, z);
      if (f.h !== 0) t = f.h > 12 ? t + (24 - f.h) * 3600 : t - f.h * 3600;
      if (t <= before) return undefined;
      f = fields(t, z);
      if (f.d === 1) continue wrap;
    }

    while (!s.hour[f.h]) {
      if (!added) {
        added = true;
        t = goDate(f.y, f.mo, f.d, f.h, 0, 0, z);
      }
      const prevHour = fields(t, z).h;
      t += 3600;
      f = fields(t, z);
      // ISC cron: a job in the hour skipped by a DST spring-forward runs right after it.
      if (f.h - prevHour === 2 && s.hour[f.h - 1]) break;
      if (f.h === 0) continue wrap;
    }

    while (!s.minute[f.mi]) {
      if (!added) {
        added = true;
        t = truncate(t, 60);
      }
      t += 60;
      f = fields(t, z);
      if (f.mi === 0) continue wrap;
    }

    while (!s.second[f.s]) {
      if (!added) {
        added = true;
        t = truncate(t, 1);
      }
      t += 1;
      f = fields(t, z);
      if (f.s === 0) continue wrap;
    }
    return t;
  }
}

/**
 * Schedule.Next(from) as Unix seconds; GO_ZERO_TIME_UNIX when there is none (as KSM reports it); undefined where
 * go-cron would never return (see nextSpec).
 */
export function nextCronTime(s: CronSchedule, fromSec: number): number | undefined {
  if (s.kind === 'triggered') return GO_ZERO_TIME_UNIX;
  if (s.kind === 'every') return fromSec + s.delaySec;
  return nextSpec(s, fromSec);
}
