// Seeded generator of CronJob schedules for the differential tests: everything KSM's cron library (go-cron
// v0.15.1 ParseStandard) accepts and a good share of what it rejects — five fields with `*`, `?`, `*/N`, ranges
// (also wrapping ones), steps, lists, month/day names, `7` for Sunday, macros, `@every`, `TZ=`/`CRON_TZ=`
// prefixes (quoted too) and spec.timeZone values, each with a creation or last-schedule time, some of them next
// to DST transitions.
import { prng } from '../prng.ts';

export interface GeneratedSchedule {
  readonly schedule: string;
  readonly timeZone: string | undefined;
  readonly suspend: boolean;
  /** Unix seconds: creationTimestamp, or lastScheduleTime when `fromLastSchedule`. */
  readonly from: number;
  readonly fromLastSchedule: boolean;
}

const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/Sao_Paulo',
  'Pacific/Chatham',
  'Asia/Tehran',
  'Europe/London',
  'America/St_Johns',
  'Pacific/Apia',
  'US/Eastern',
  'Etc/GMT+5',
  'EST5EDT',
  'Asia/Kathmandu',
];
const BAD_ZONES = ['Mars/Olympus', 'america/new_york', 'UTC+1', '+05:30', 'Europe/Berlin ', 'Bad Zone', ''];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
// Instants around DST changes (UTC): US, EU, Lord Howe (30 min), Chatham, Sao Paulo (no DST since 2019).
const DST_EDGES = [
  '2026-03-08T06:59:30Z',
  '2026-03-08T07:00:00Z',
  '2026-11-01T05:30:00Z',
  '2026-11-01T06:00:00Z',
  '2026-03-29T00:59:00Z',
  '2026-03-29T01:00:00Z',
  '2026-10-25T00:30:00Z',
  '2026-10-25T01:00:00Z',
  '2026-04-04T14:45:00Z',
  '2026-10-03T15:30:00Z',
  '2026-04-04T13:45:00Z',
  '2026-09-26T13:45:00Z',
  '2018-11-04T02:30:00Z',
];

export function generateSchedules(count: number, seed: number): GeneratedSchedule[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number) => r() < p;
  const cased = (s: string) => (chance(0.3) ? s.toUpperCase() : chance(0.2) ? s[0]!.toUpperCase() + s.slice(1) : s);

  function value(min: number, max: number, names?: readonly string[]): string {
    if (names && chance(0.35)) return cased(names[int(0, names.length - 1)]!);
    if (chance(0.03)) return String(max + int(1, 3)); // out of range
    if (chance(0.02)) return `+${int(min, max)}`;
    if (chance(0.02)) return `0${int(min, max)}`;
    return String(int(min, max));
  }
  function item(min: number, max: number, names?: readonly string[]): string {
    const k = r();
    if (k < 0.15) return chance(0.8) ? '*' : '?';
    if (k < 0.35) return `*/${chance(0.9) ? int(1, Math.min(max, 20)) : int(max - min, max + 5)}`;
    if (k < 0.55) {
      const a = value(min, max, names);
      const b = value(min, max, names);
      return chance(0.4) ? `${a}-${b}/${int(1, 12)}` : `${a}-${b}`;
    }
    if (k < 0.62) return `${value(min, max, names)}/${int(1, 15)}`;
    if (k < 0.64) return `*-${int(min, max)}`;
    if (k < 0.65) return pick(['H', 'L', '5#2', '15W', '1-2-3', '*/', '1/2/3', 'x', '-1', '']);
    return value(min, max, names);
  }
  function fieldExpr(min: number, max: number, names?: readonly string[]): string {
    const n = chance(0.7) ? 1 : int(2, 4);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(item(min, max, names));
    if (chance(0.02)) parts.push('');
    return parts.join(',');
  }
  function fiveFields(): string {
    // Keep most schedules frequent enough to be interesting but let some restrict every field.
    const minute = chance(0.2) ? '*' : fieldExpr(0, 59);
    const hour = chance(0.35) ? '*' : fieldExpr(0, 23);
    const dom = chance(0.5) ? '*' : fieldExpr(1, 31);
    const month = chance(0.6) ? '*' : fieldExpr(1, 12, MONTHS);
    const dow = chance(0.5) ? '*' : fieldExpr(0, 7, DAYS);
    const sep = chance(0.05) ? '  ' : chance(0.03) ? '\t' : ' ';
    return [minute, hour, dom, month, dow].join(sep);
  }
  function macro(): string {
    return pick([
      '@yearly',
      '@annually',
      '@monthly',
      '@weekly',
      '@daily',
      '@midnight',
      '@hourly',
      `@every ${pick(['1h', '90m', '1h30m', '45s', '2h45m10s', '1.5h', '500ms', '0', '-1h', '10', 'abc', '36h', '1m0.5s'])}`,
      '@triggered',
      '@reboot',
      '@Daily',
    ]);
  }

  const out: GeneratedSchedule[] = [];
  for (let i = 0; i < count; i++) {
    let schedule = chance(0.12) ? macro() : chance(0.02) ? pick(['* * * *', '* * * * * *', '', ' ']) : fiveFields();
    let timeZone: string | undefined;
    const z = r();
    if (z < 0.15) {
      const zone = chance(0.9) ? pick(ZONES) : pick(BAD_ZONES);
      const q = chance(0.1) ? pick(['"', "'"]) : '';
      schedule = `${chance(0.5) ? 'TZ' : 'CRON_TZ'}=${q}${zone}${q} ${schedule}`;
    } else if (z < 0.5) {
      timeZone = chance(0.9) ? pick(ZONES) : pick([...BAD_ZONES, 'Local']);
    }
    const from = chance(0.25)
      ? Date.parse(pick(DST_EDGES)) / 1000 + int(-3, 3) * 900
      : Date.parse('2020-01-01T00:00:00Z') / 1000 + int(0, 10 * 365 * 86400);
    out.push({ schedule, timeZone, suspend: chance(0.05), from, fromLastSchedule: chance(0.5) });
  }
  return out;
}
