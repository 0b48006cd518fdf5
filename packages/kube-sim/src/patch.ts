// JSON merge patch (RFC 7386) and JSON patch (RFC 6902). Strategic merge patch is applied as a merge patch:
// lists are replaced instead of merged by key, which is enough for status updates made by tests and tools.

import type { KObj } from './resources.ts';
import { ApiError } from './status.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(422, 'Invalid', `invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, segs: string[], path: string): { parent: KObj; key: string } {
  let cur: KObj = doc;
  for (const s of segs.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(s)] : isObj(cur) ? cur[s] : undefined;
    if (cur === undefined) throw new ApiError(422, 'Invalid', `doc is missing path: "${path}"`);
  }
  return { parent: cur, key: segs[segs.length - 1]! };
}

function getAt(doc: unknown, path: string): unknown {
  let cur: KObj = doc;
  for (const s of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(s)] : isObj(cur) ? cur[s] : undefined;
    if (cur === undefined) throw new ApiError(422, 'Invalid', `doc is missing path: "${path}"`);
  }
  return cur;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw new ApiError(422, 'Invalid', `doc is missing path: "${path}"`);
    return parent.splice(i, 1)[0];
  }
  if (!isObj(parent) || !Object.hasOwn(parent, key))
    throw new ApiError(422, 'Invalid', `doc is missing path: "${path}"`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function add(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const segs = pointer(path);
  if (segs.length === 0) return value;
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length)) throw new ApiError(422, 'Invalid', `index out of range: "${path}"`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObj(parent)) {
    if (replace && !Object.hasOwn(parent, key)) throw new ApiError(422, 'Invalid', `doc is missing key: "${path}"`);
    parent[key] = value;
  } else throw new ApiError(422, 'Invalid', `doc is missing path: "${path}"`);
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops as Op[]) {
    if (!isObj(raw) || typeof raw.path !== 'string')
      throw new ApiError(400, 'BadRequest', 'invalid json patch operation');
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, structuredClone(raw.value), false);
        break;
      case 'replace':
        doc = add(doc, raw.path, structuredClone(raw.value), true);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'move': {
        const v = remove(doc, String(raw.from));
        doc = add(doc, raw.path, v, false);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, structuredClone(getAt(doc, String(raw.from))), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(raw.value))
          throw new ApiError(422, 'Invalid', `testing value ${raw.path} failed`);
        break;
      default:
        throw new ApiError(400, 'BadRequest', `unexpected json patch op "${raw.op}"`);
    }
  }
  return doc;
}
