// Defensive readers for decoded API JSON. Absent/null optional fields are tolerated; a field present with
// the wrong type makes the whole object unusable, reported by path (never by dumping the object).

import { QuantityParseError, quantityCores, quantityValue } from './quantity.ts';

export class MalformedObjectError extends Error {
  override name = 'MalformedObjectError';
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`malformed object: ${field} ${problem}`);
    this.field = field;
  }
}

export type Obj = Readonly<Record<string, unknown>>;

const EMPTY: Obj = Object.freeze({});
export const EMPTY_RECORD: Readonly<Record<string, string>> = Object.freeze({});

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string): Obj {
  if (v === undefined || v === null) return EMPTY;
  if (!isObj(v)) throw new MalformedObjectError(path, 'must be an object');
  return v;
}

export function arr(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MalformedObjectError(path, 'must be an array');
  return v;
}

export function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new MalformedObjectError(path, 'must be a string');
  return v;
}

export function optNum(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MalformedObjectError(path, 'must be a number');
  return v;
}

export function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new MalformedObjectError(path, 'must be a boolean');
  return v;
}

/** RFC 3339 → unix seconds (sub-seconds dropped, like Go's Time.Unix()). Unset or Go zero time → undefined. */
export function time(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new MalformedObjectError(path, 'must be an RFC 3339 timestamp string');
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new MalformedObjectError(path, 'is not a valid RFC 3339 timestamp');
  // 0001-01-01T00:00:00Z is Go's zero time: the API means "unset" (KSM renders -6.21355968e+10 for it; we don't).
  if (ms <= -62135596800000) return undefined;
  return Math.floor(ms / 1000);
}

const INTERN_MAX = 50_000;
const interned = new Map<string, string>();
/**
 * Repeated strings (namespaces, node names, images, reasons) share one copy across snapshots; the table is
 * bounded so hostile churn cannot grow it without limit.
 */
export function intern(s: string): string {
  if (s.length === 0 || s.length > 256) return s;
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= INTERN_MAX) interned.clear();
  interned.set(s, s);
  return s;
}

export function stringMap(v: unknown, path: string): Readonly<Record<string, string>> {
  const o = obj(v, path);
  const keys = Object.keys(o);
  if (keys.length === 0) return EMPTY_RECORD;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = str(o[k], `${path}.${k}`);
  return Object.freeze(out);
}

export interface ResourceQuantity {
  /** Resource name as in the spec (cpu, memory, nvidia.com/gpu, hugepages-2Mi…). */
  readonly name: string;
  /** KSM value: cpu in cores (millicore precision, rounded up), everything else Quantity.Value() (rounded up). */
  readonly value: number;
}

export function resourceList(v: unknown, path: string): readonly ResourceQuantity[] {
  const o = obj(v, path);
  const out: ResourceQuantity[] = [];
  for (const name of Object.keys(o)) {
    const raw = o[name];
    const p = `${path}.${name}`;
    let text: string;
    if (typeof raw === 'number') text = String(raw);
    else if (typeof raw === 'string') text = raw;
    else throw new MalformedObjectError(p, 'must be a quantity string');
    try {
      out.push(
        Object.freeze({ name: intern(name), value: name === 'cpu' ? quantityCores(text) : quantityValue(text) }),
      );
    } catch (err) {
      if (err instanceof QuantityParseError) throw new MalformedObjectError(p, 'is not a valid quantity');
      throw err;
    }
  }
  return Object.freeze(out);
}
