// Structural equality for compact snapshots (plain data: primitives, arrays, plain objects, Maps, Sets,
// Dates). Used to suppress updates whose snapshot did not change (e.g. only managedFields moved).

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * deepEqual of two objects except for some top-level keys. The reflector's "unchanged" check ignores the
 * snapshot's resourceVersion: it changes on every write, so comparing it would let no update be skipped.
 */
export function equalIgnoring(a: unknown, b: unknown, ignore: readonly string[]): boolean {
  if (ignore.length === 0) return deepEqual(a, b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a))
    return deepEqual(a, b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => !ignore.includes(k));
  const kb = Object.keys(rb).filter((k) => !ignore.includes(k));
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.hasOwn(rb, k) || !deepEqual(ra[k], rb[k])) return false;
  return true;
}
