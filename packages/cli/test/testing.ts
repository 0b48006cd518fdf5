// `@kso/cli/testing`: what the deploy tests share (packages/cli/test/deploy.test.ts for kustomize,
// test/peers/helm.test.ts for the chart): the RBAC a kso workload may be granted.

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML manifests
type Obj = Record<string, any>;

/**
 * `apiGroup/resource:verb` (plus `@name` per resourceName) for every grant of a Role or ClusterRole, sorted.
 * A rule with nonResourceURLs is refused: kso needs none.
 */
export function grants(role: Obj): string[] {
  const out: string[] = [];
  for (const rule of role.rules as Obj[]) {
    if (rule.nonResourceURLs !== undefined) throw new Error(`${role.metadata?.name}: unexpected nonResourceURLs`);
    for (const g of rule.apiGroups as string[])
      for (const r of rule.resources as string[])
        for (const v of rule.verbs as string[])
          for (const n of (rule.resourceNames as string[] | undefined) ?? [''])
            out.push(`${g}/${r}:${v}${n ? `@${n}` : ''}`);
  }
  return out.sort();
}

/** The data plane's least privilege: list and watch of the three resources kso serves, nothing else. */
export const DATA_GRANTS: readonly string[] = [
  '/pods:list',
  '/pods:watch',
  'batch/cronjobs:list',
  'batch/cronjobs:watch',
  'batch/jobs:list',
  'batch/jobs:watch',
];
