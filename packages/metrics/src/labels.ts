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
 * KSM mapToPrometheusLabels (v2.20): keys sorted, prefixed and sanitised; when several keys sanitise to the same
 * label name, all of them (including the first) get `_conflictN` suffixes in sorted-key order, and a suffixed
 * name skips any name already taken (`a.b`, `a_b` and a literal `a_b_conflict1` stay three distinct labels).
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
  const used = new Map<string, number>(); // emitted label name → its index in out
  const conflicts = new Map<string, number>(); // sanitised name that collided → suffixes handed out
  for (const k of keys) {
    const base = labelName(prefix, k);
    let name = base;
    const seen = conflicts.get(base);
    if (seen !== undefined) {
      const next = nextFreeLabelName(base, seen, used);
      conflicts.set(base, next.count);
      name = next.name;
    } else if (used.has(name)) {
      // First collision: the entry already emitted under this name becomes _conflict1 (or the next free one).
      const idx = used.get(name)!;
      const renamed = nextFreeLabelName(base, 0, used);
      used.delete(name);
      out[idx]![0] = renamed.name;
      used.set(renamed.name, idx);
      const next = nextFreeLabelName(base, renamed.count, used);
      conflicts.set(base, next.count);
      name = next.name;
    }
    used.set(name, out.length);
    out.push([name, data[k]!]);
  }
  return out;
}

function nextFreeLabelName(base: string, count: number, used: ReadonlyMap<string, number>) {
  for (;;) {
    count++;
    const name = `${base}_conflict${count}`;
    if (!used.has(name)) return { name, count };
  }
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

// RE2 (Go's regexp, which KSM compiles --metric-opt-in-list with) has no lookaround and no backreferences; a
// list that only JavaScript accepts would behave differently under KSM, so it is refused.
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

/**
 * --metric-opt-in-list (KSM pkg/optin): regular expressions matched unanchored against the names of opt-in
 * families; a family matched by any entry is exposed (still subject to the allow/deny list). Throws on an entry
 * that is not a valid regular expression or uses syntax RE2 lacks.
 */
export function optInFilter(list: readonly string[]): (name: string) => boolean {
  const res = list.map((x) => {
    if (NOT_RE2.test(x)) {
      throw new Error(`${JSON.stringify(x)}: lookaround and backreferences are not RE2 syntax (KSM would reject it)`);
    }
    try {
      return new RegExp(x);
    } catch (err) {
      throw new Error(`invalid regular expression ${JSON.stringify(x)}: ${(err as Error).message}`);
    }
  });
  return (name) => res.some((r) => r.test(name));
}
