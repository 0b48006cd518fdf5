// Label and field selectors with the real apiserver's grammar and semantics (notin/!= match absent keys).
import type { KObj, ResourceDef } from './resources.ts';
import { errors } from './status.ts';

type LabelReq =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> }
  | { op: 'eq' | 'neq'; key: string; value: string };

export type Matcher = (obj: KObj) => boolean;

/** Splits on commas that are not inside a parenthesised value set. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function checkKey(key: string, raw: string): string {
  if (!KEY.test(key)) throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

function parseRequirement(raw: string): LabelReq {
  let m = raw.match(/^!\s*(\S+)$/);
  if (m) return { op: 'notexists', key: checkKey(m[1]!, raw) };
  m = raw.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/);
  if (m) {
    const values = new Set(
      m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v),
    );
    return { op: m[2] as 'in' | 'notin', key: checkKey(m[1]!, raw), values };
  }
  m = raw.match(/^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1]!, raw), value: m[3]! };
  m = raw.match(/^([^\s!=(),]+)$/);
  if (m) return { op: 'exists', key: checkKey(m[1]!, raw) };
  throw errors.badRequest(`unable to parse requirement: "${raw}"`);
}

export function parseLabelSelector(sel: string): Matcher | undefined {
  if (!sel.trim()) return undefined;
  const reqs: LabelReq[] = [];
  for (const raw of splitTop(sel)) reqs.push(parseRequirement(raw));
  return (obj) => {
    const labels: Record<string, string> = obj?.metadata?.labels ?? {};
    for (const r of reqs) {
      const has = Object.hasOwn(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'exists':
          if (!has) return false;
          break;
        case 'notexists':
          if (has) return false;
          break;
        case 'in':
          if (!has || !r.values.has(v!)) return false;
          break;
        case 'notin':
          if (has && r.values.has(v!)) return false;
          break;
        case 'eq':
          if (!has || v !== r.value) return false;
          break;
        case 'neq':
          if (has && v === r.value) return false;
          break;
      }
    }
    return true;
  };
}

export function parseFieldSelector(sel: string, res: ResourceDef): Matcher | undefined {
  if (!sel.trim()) return undefined;
  const reqs: { get: (o: KObj) => string | undefined; neg: boolean; value: string }[] = [];
  for (const raw of sel
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s)) {
    const m = raw.match(/^([^=!]+)(==|=|!=)(.*)$/);
    if (!m) throw errors.badRequest(`invalid selector: '${sel}'; can't understand '${raw}'`);
    const field = m[1]!.trim();
    let get: ((o: KObj) => string | undefined) | undefined;
    if (field === 'metadata.name') get = (o) => o.metadata?.name;
    else if (field === 'metadata.namespace') get = (o) => (res.namespaced ? (o.metadata?.namespace ?? '') : '');
    else get = res.fields[field];
    if (!get) throw errors.badRequest(`field label not supported: ${field}`);
    reqs.push({ get, neg: m[2] === '!=', value: m[3]!.trim() });
  }
  return (obj) => reqs.every((r) => (r.get(obj) === r.value) !== r.neg);
}

export function andMatchers(a: Matcher | undefined, b: Matcher | undefined): Matcher | undefined {
  if (!a) return b;
  if (!b) return a;
  return (o) => a(o) && b(o);
}
