// Loading objects from JSON/YAML files: a single object, a List / *List, or multi-document YAML.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { type KObj, RESOURCES, resourceFor } from '../resources.ts';
import type { Store } from '../store.ts';

/** Expands Lists and drops empty documents; list items without kind inherit it from `FooList`. */
export function flattenObjects(docs: unknown[]): KObj[] {
  const out: KObj[] = [];
  const visit = (d: KObj, itemKind?: string) => {
    if (d === null || d === undefined) return;
    if (typeof d !== 'object' || Array.isArray(d))
      throw new Error(`not a Kubernetes object: ${JSON.stringify(d).slice(0, 80)}`);
    if (Array.isArray(d.items) && (d.kind === 'List' || String(d.kind ?? '').endsWith('List'))) {
      const inner = d.kind !== 'List' ? String(d.kind).slice(0, -4) : undefined;
      for (const i of d.items) visit(i, inner);
      return;
    }
    out.push(d.kind || !itemKind ? d : { ...d, kind: itemKind });
  };
  for (const d of docs) visit(d);
  return out;
}

export async function readObjectFile(path: string): Promise<KObj[]> {
  const text = await readFile(path, 'utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = JSON.parse(text);
    return flattenObjects(Array.isArray(parsed) ? parsed : [parsed]);
  }
  const docs = parseAllDocuments(text);
  const values: unknown[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
    values.push(d.toJS());
  }
  return flattenObjects(values);
}

const ORDER = ['Namespace', 'Node', 'StatefulSet', 'CronJob', 'Job', 'Pod'];

/** Creates objects in dependency order (namespaces first); unknown kinds are an error naming the object. */
export function loadObjects(store: Store, objs: KObj[]): number {
  const sorted = [...objs].sort(
    (a, b) =>
      ORDER.indexOf(resourceFor(a.kind ?? '')?.kind ?? '') - ORDER.indexOf(resourceFor(b.kind ?? '')?.kind ?? ''),
  );
  for (const o of sorted) {
    const res = resourceFor(String(o.kind ?? ''));
    if (!res || res.apiVersion !== (o.apiVersion ?? res.apiVersion))
      throw new Error(
        `cannot load ${o.apiVersion ?? '?'} ${o.kind ?? '?'} "${o.metadata?.name ?? '?'}": kube-sim serves ${RESOURCES.map((r) => `${r.apiVersion} ${r.kind}`).join(', ')}`,
      );
    const copy = structuredClone(o);
    if (copy.metadata) delete copy.metadata.resourceVersion;
    store.create(res, copy.metadata?.namespace, copy, { keepIdentity: true });
  }
  return sorted.length;
}
