import { ALL_RESOURCES, allFamilies, DEFAULT_LABELS, optInFamilies } from './catalog.ts';
import type { FamilyDef } from './family.ts';
import type { Schema } from './types.ts';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(defs: readonly FamilyDef<never>[]): string {
  const rows = defs.map(
    (d) =>
      `| \`${d.name}\` | ${d.type} | ${d.unit ? `\`${d.unit}\`` : ''} | ${d.labels.map((l) => `\`${l}\``).join(', ')} | ${d.stability} | ${cell(d.help)} | ${cell(d.doc)} |`,
  );
  return [
    '| Name | Type | Unit | Labels | Stability | Help | Meaning / emitted when |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

const OPT_IN = optInFamilies('ksm')
  .map((n) => `\`${n}\``)
  .join(', ');

const INTRO = `# kube-state-otel metrics reference

Generated from the family tables in \`packages/metrics/src/families\` by \`scripts/gen-docs.ts\`; a test fails
when this file and the tables differ. Do not edit by hand.

Schema \`ksm\` (default) reproduces kube-state-metrics v2.20 names, labels, label order (default labels first, then
the family labels in the order listed), values and emission rules. Families with stability \`EXTENSION\` are
kube-state-otel additions: they never change a KSM family, they add facts KSM loses. Opt-in families, as in KSM,
are served only when \`--metric-opt-in-list\` names them (regular expressions, unanchored; the allow/deny list
still applies): ${OPT_IN}.

Deliberate differences from KSM:
- Unset timestamps emit nothing. KSM dereferences some unset times and emits Go's zero time (\`-6.21355968e+10\`),
  e.g. \`kube_pod_container_state_started\` for a terminated container without \`startedAt\`.
- \`kube_cronjob_next_schedule_time\` with an unparseable schedule emits nothing (KSM panics).

Why the extensions exist:
- Field problem 1 (Job metrics vanish / change shape while a Job has no conditions): \`kube_job_status_failed_pods\`
  is the plain failed-pod count from first sight (KSM's \`kube_job_status_failed\` turns into 0/1 flags once a known
  reason appears); \`kube_job_spec_suspend\` shows a suspend request before the \`Suspended\` condition;
  \`kube_job_failure_target\` / \`kube_job_success_criteria_met\` follow the newer batch/v1 conditions KSM ignores;
  \`kube_job_failure_reason\` keeps reasons such as \`PodFailurePolicy\` that KSM folds into \`reason=""\`.
- Field problem 2 (\`kube_pod_status_reason\` reads 0 for evicted pods): \`kube_pod_status_disruption\` /
  \`kube_pod_status_disruption_time\` expose every DisruptionTarget condition with its raw reason, the component
  that disrupted the pod and when; \`kube_pod_status_reason_source\` gives one derived reason with a documented
  priority: 1. \`status.reason\`, 2. a DisruptionTarget condition that is not False, 3. a regular container's current
  terminated reason (anything before \`Completed\`, container order).

Units: ksm families carry no OTLP unit (their names already say it, and a unit could make an OTel Prometheus
translation append a suffix); semconv families use the UCUM units of the conventions.

Schema \`semconv\` uses OpenTelemetry semantic-convention (v1.45.0 incubating) names; identity attributes
(\`k8s.namespace.name\`, \`k8s.pod.name\`, …) are on every point; \`?\` marks attributes present only when known.
It has no opt-in families: the conventions define no metric or attribute for a pod's node selector, so
\`kube_pod_nodeselectors\` is \`ksm\` only.
`;

export function renderMetricsReference(): string {
  const parts = [INTRO];
  for (const schema of ['ksm', 'semconv'] as Schema[]) {
    parts.push(`## Schema \`${schema}\`\n`);
    for (const r of ALL_RESOURCES) {
      const defs = allFamilies(schema, r) as readonly FamilyDef<never>[];
      if (defs.length === 0) continue;
      parts.push(`### ${r} (${defs.length} families)\n`);
      if (schema === 'ksm')
        parts.push(`Default labels, first on every series: ${DEFAULT_LABELS[r].map((l) => `\`${l}\``).join(', ')}.\n`);
      parts.push(`${table(defs)}\n`);
    }
  }
  return parts.join('\n');
}
