import type { Condition, OwnerRef } from '@kso/model';

/** KSM addConditionMetrics: always the triple true/false/unknown, 1 on the matching status (all 0 otherwise). */
export const CONDITION_VALUES = ['true', 'false', 'unknown'] as const;
export function conditionFlags(status: string): [number, number, number] {
  return [status === 'True' ? 1 : 0, status === 'False' ? 1 : 0, status === 'Unknown' ? 1 : 0];
}

export function findConditions(conds: readonly Condition[], type: string): Condition[] {
  const out: Condition[] = [];
  for (const c of conds) if (c.type === type) out.push(c);
  return out;
}

/** [kind, name, is_controller] per owner, or one all-empty triple (KSM ≥ v2.8). */
export function ownerTriples(owners: readonly OwnerRef[]): [string, string, string][] {
  if (owners.length === 0) return [['', '', '']];
  return owners.map((o) => [o.kind, o.name, o.controller === true ? 'true' : 'false']);
}

export function controllerOf(owners: readonly OwnerRef[]): OwnerRef | undefined {
  for (const o of owners) if (o.controller === true) return o;
  return undefined;
}
