// The one duration grammar of every kso command: Go-style units (`500ms`, `10s`, `1m30s`, `2h`). A bare number
// is refused (except 0): `kso run` once read it as milliseconds and `kso sidecar` as seconds, so accepting it
// would silently change some existing manifest's meaning by 1000x. Numbers in a config file are milliseconds
// (the file is typed), and the OTEL_* variables that the spec defines in milliseconds are converted explicitly.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5 };

export type DurationResult = { ms: number } | { error: string };

/** Parses one duration; `error` is a user-facing reason (never echoes more than the value itself). */
export function parseDurationText(v: unknown): DurationResult {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? { ms: v } : { error: 'must not be negative' };
  if (typeof v !== 'string') return { error: 'must be a duration like 500ms, 10s, 1m or 1h' };
  const s = v.trim();
  if (s === '0') return { ms: 0 };
  if (/^\d+(\.\d+)?$/.test(s))
    return { error: `${JSON.stringify(s)} has no unit: write e.g. ${s}s or ${s}ms (a bare number is ambiguous)` };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return { error: `${JSON.stringify(s)} is not a duration like 500ms, 10s, 1m30s or 1h` };
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
    pos = re.lastIndex;
  }
  if (s.length === 0) return { error: 'must be a duration like 500ms, 10s, 1m or 1h' };
  return { ms: Math.round(total) };
}

/** Milliseconds, or undefined when `v` is not a duration of the grammar above. */
export function parseDuration(v: unknown): number | undefined {
  const r = parseDurationText(v);
  return 'ms' in r ? r.ms : undefined;
}

/** `30000` → `30s` (help text, generated tables). */
export function formatDuration(ms: number): string {
  if (ms % 36e5 === 0 && ms > 0) return `${ms / 36e5}h`;
  if (ms % 6e4 === 0 && ms > 0 && ms < 36e5) return `${ms / 6e4}m`;
  if (ms % 1e3 === 0) return `${ms / 1e3}s`;
  return `${ms}ms`;
}
