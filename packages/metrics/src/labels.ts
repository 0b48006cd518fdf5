// --metric-labels-allowlist / --metric-annotations-allowlist semantics (KSM internal/store/utils.go).

const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]/g;
const MATCH_ALL_CAP = /([a-z0-9])([A-Z])/g;

/** `app.kubernetes.io/name` → `app_kubernetes_io_name`; camelCase → snake_case (KSM lintLabelName). */
export function sanitizeLabelName(s: string): string {
  return s.replace(INVALID_LABEL_CHARS, '_');
}

export function labelName(prefix: string, key: string): string {
  return `${prefix}_${sanitizeLabelName(key).replace(MATCH_ALL_CAP, '$1_$2').toLowerCase()}`;
}

/**
 * KSM mapToPrometheusLabels: keys sorted, prefixed and sanitised; when several keys sanitise to the same label
 * name, all of them (including the first) get `_conflictN` suffixes in sorted-key order.
 * Returns [labelName, value] pairs in wire order.
 */
export function toPrometheusLabels(
  prefix: string,
  data: Readonly<Record<string, string>>,
  allow: readonly string[] | undefined,
): [string, string][] {
  if (allow === undefined || allow.length === 0) return [];
  let keys: string[];
  if (allow[0] === '*') keys = Object.keys(data);
  else keys = allow.filter((k) => Object.hasOwn(data, k));
  keys = [...new Set(keys)].sort();
  const out: [string, string][] = [];
  const conflicts = new Map<string, { count: number; initial: number }>();
  for (const k of keys) {
    let name = labelName(prefix, k);
    const c = conflicts.get(name);
    if (c) {
      if (c.count === 1) out[c.initial]![0] = `${out[c.initial]![0]}_conflict1`;
      c.count++;
      name = `${name}_conflict${c.count}`;
    } else {
      conflicts.set(name, { count: 1, initial: out.length });
    }
    out.push([name, data[k]!]);
  }
  return out;
}

export type Allowlist = Readonly<Partial<Record<string, readonly string[]>>>;

/**
 * Parses KSM's flag syntax `pods=[app,team],jobs=[*]` (also `pods=[]`, which lists the resource with no keys).
 * Throws on syntax errors so bad config fails at start-up, not silently.
 */
export function parseAllowlist(flag: string): Allowlist {
  const out: Record<string, readonly string[]> = {};
  const s = flag.trim();
  if (s === '') return out;
  const re = /\s*([a-z0-9.-]+|\*)\s*=\s*\[([^\]]*)\]\s*(,|$)/gy;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`invalid allowlist near ${JSON.stringify(s.slice(pos, pos + 40))}`);
    const keys = m[2]!
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    out[m[1]!] = Object.freeze(keys.includes('*') ? ['*'] : keys);
    pos = re.lastIndex;
  }
  return Object.freeze(out);
}

/**
 * --metric-allowlist / --metric-denylist (KSM pkg/allowdenylist): each entry a regular expression matched
 * unanchored against the family name; the two lists are mutually exclusive. Undefined = keep everything.
 */
export function familyFilter(
  allow: readonly string[],
  deny: readonly string[],
): ((name: string) => boolean) | undefined {
  if (allow.length > 0 && deny.length > 0) throw new Error('metric allowlist and denylist are mutually exclusive');
  const list = allow.length > 0 ? allow : deny;
  if (list.length === 0) return undefined;
  const res = list.map((x) => new RegExp(x));
  const isAllow = allow.length > 0;
  return (name) => res.some((r) => r.test(name)) === isAllow;
}
