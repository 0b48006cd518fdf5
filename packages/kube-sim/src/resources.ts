// The resources kube-sim serves. One table drives routing, discovery and the field selectors each
// resource accepts (the real apiserver rejects unknown field labels with 400, and clients rely on that).

export interface ResourceDef {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  group: string; // '' for core
  version: string;
  apiVersion: string;
  namespaced: boolean;
  shortNames: string[];
  categories?: string[];
  /** Field selector labels the real apiserver supports for this resource, beyond metadata.name/namespace. */
  fields: Record<string, (o: KObj) => string | undefined>;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(d: Omit<ResourceDef, 'apiVersion' | 'listKind' | 'singular'>): ResourceDef {
  return {
    ...d,
    apiVersion: d.group ? `${d.group}/${d.version}` : d.version,
    listKind: `${d.kind}List`,
    singular: d.kind.toLowerCase(),
  };
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export const RESOURCES: readonly ResourceDef[] = [
  def({
    kind: 'Pod',
    plural: 'pods',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    fields: {
      'spec.nodeName': (o) => str(o.spec?.nodeName) ?? '',
      'spec.restartPolicy': (o) => str(o.spec?.restartPolicy) ?? '',
      'spec.schedulerName': (o) => str(o.spec?.schedulerName) ?? '',
      'spec.serviceAccountName': (o) => str(o.spec?.serviceAccountName) ?? '',
      'spec.hostNetwork': (o) => String(Boolean(o.spec?.hostNetwork)),
      'status.phase': (o) => str(o.status?.phase) ?? '',
      'status.podIP': (o) => str(o.status?.podIP) ?? '',
      'status.nominatedNodeName': (o) => str(o.status?.nominatedNodeName) ?? '',
    },
  }),
  def({
    kind: 'Node',
    plural: 'nodes',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['no'],
    fields: { 'spec.unschedulable': (o) => String(Boolean(o.spec?.unschedulable)) },
  }),
  def({
    kind: 'Namespace',
    plural: 'namespaces',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['ns'],
    fields: { 'status.phase': (o) => str(o.status?.phase) ?? '' },
  }),
  def({
    kind: 'Job',
    plural: 'jobs',
    group: 'batch',
    version: 'v1',
    namespaced: true,
    shortNames: [],
    categories: ['all'],
    fields: { 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
  }),
  def({
    kind: 'CronJob',
    plural: 'cronjobs',
    group: 'batch',
    version: 'v1',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    fields: {},
  }),
  def({
    kind: 'StatefulSet',
    plural: 'statefulsets',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    fields: {},
  }),
];

const byAlias = new Map<string, ResourceDef>();
for (const r of RESOURCES) {
  for (const a of [r.kind, r.kind.toLowerCase(), r.plural, r.singular, ...r.shortNames]) byAlias.set(a, r);
}

/** Accepts a kind ('Pod'), plural ('pods'), singular or short name. */
export function resourceFor(name: string): ResourceDef | undefined {
  return byAlias.get(name) ?? byAlias.get(name.toLowerCase());
}

export function resourceForPath(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: Buffer.from(r.kind).toString('base64').slice(0, 11),
    });
    resources.push({
      name: `${r.plural}/status`,
      singularName: '',
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ['get', 'patch', 'update'],
    });
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))].map((gv) => {
    const [name, version] = gv.split('/') as [string, string];
    const v = { groupVersion: gv, version };
    return { name, versions: [v], preferredVersion: v };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * A Kubernetes object or any other JSON document the server handles. The simulator is schemaless on
 * purpose (it stores whatever clients send, like the apiserver stores unknown fields of CRs), so
 * objects are typed loosely in one place instead of scattering `any`.
 */
// biome-ignore lint/suspicious/noExplicitAny: schemaless JSON documents, see above
export type KObj = any;
