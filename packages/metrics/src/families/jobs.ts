import type { JobSnapshot } from '@kso/model';
import { b2f, type FamilyDef, familyTable, NONE } from '../family.ts';
import { toPrometheusLabels } from '../labels.ts';
import type { Point } from '../types.ts';
import { CONDITION_VALUES, conditionFlags, findConditions, ownerTriples } from './common.ts';

type J = JobSnapshot;

function p(j: J, value: number): Point {
  return { attributes: { namespace: j.namespace, job_name: j.name }, value };
}
function p1(j: J, k: string, v: string, value: number): Point {
  return { attributes: { namespace: j.namespace, job_name: j.name, [k]: v }, value };
}
function maybe(j: J, v: number | undefined): Point[] {
  return v === undefined ? NONE : [p(j, v)];
}
function conditionTriples(j: J, type: string): Point[] {
  const out: Point[] = [];
  for (const c of findConditions(j.conditions, type)) {
    const f = conditionFlags(c.status);
    for (let i = 0; i < 3; i++) out.push(p1(j, 'condition', CONDITION_VALUES[i]!, f[i]!));
  }
  return out;
}
function mapFamily(j: J, prefix: string, data: Readonly<Record<string, string>>, allow: readonly string[] | undefined) {
  if (allow === undefined) return NONE;
  const attributes: Record<string, string> = { namespace: j.namespace, job_name: j.name };
  for (const [k, v] of toPrometheusLabels(prefix, data, allow)) attributes[k] = v;
  return [{ attributes, value: 1 }];
}

/** KSM jobFailureReasons: exact, case-sensitive. */
export const JOB_FAILURE_REASONS = ['BackoffLimitExceeded', 'DeadlineExceeded', 'Evicted'] as const;

/** KSM v2.14+ kube_job_status_failed algorithm (ksm-semantics §1). */
function statusFailed(j: J): Point[] {
  const failed = j.failed ?? 0;
  if (failed === 0) return [p(j, 0)];
  const out: Point[] = [];
  let reasonKnown = false;
  for (const c of j.conditions) {
    if (c.type !== 'Failed') continue;
    for (const r of JOB_FAILURE_REASONS) {
      const hit = c.reason === r;
      if (hit) reasonKnown = true;
      out.push(p1(j, 'reason', r, b2f(hit)));
    }
  }
  if (!reasonKnown) out.push(p1(j, 'reason', '', failed));
  return out;
}

export const JOB_FAMILIES_KSM: readonly FamilyDef<J>[] = familyTable<J>('jobs', [
  {
    name: 'kube_job_annotations',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Kubernetes annotations converted to Prometheus labels.',
    labels: ['annotation_*'],
    doc: 'One series only when `--metric-annotations-allowlist` names jobs.',
    generate: (j, ctx) => mapFamily(j, 'annotation', j.annotations, ctx.annotationsAllow),
  },
  {
    name: 'kube_job_labels',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Kubernetes labels converted to Prometheus labels.',
    labels: ['label_*'],
    doc: 'One series only when `--metric-labels-allowlist` names jobs.',
    generate: (j, ctx) => mapFamily(j, 'label', j.labels, ctx.labelsAllow),
  },
  {
    name: 'kube_job_info',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Information about job.',
    labels: [],
    doc: 'Always 1.',
    generate: (j) => [p(j, 1)],
  },
  {
    name: 'kube_job_created',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Unix creation timestamp',
    labels: [],
    doc: 'creationTimestamp (s), when set.',
    generate: (j) => maybe(j, j.creationTimestamp),
  },
  {
    name: 'kube_job_spec_parallelism',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The maximum desired number of pods the job should run at any given time.',
    labels: [],
    doc: 'spec.parallelism, when set.',
    generate: (j) => maybe(j, j.parallelism),
  },
  {
    name: 'kube_job_spec_completions',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The desired number of successfully finished pods the job should be run with.',
    labels: [],
    doc: 'spec.completions, when set.',
    generate: (j) => maybe(j, j.completions),
  },
  {
    name: 'kube_job_spec_active_deadline_seconds',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The duration in seconds relative to the startTime that the job may be active before the system tries to terminate it.',
    labels: [],
    doc: 'spec.activeDeadlineSeconds, when set.',
    generate: (j) => maybe(j, j.activeDeadlineSeconds),
  },
  {
    name: 'kube_job_status_succeeded',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The number of pods which reached Phase Succeeded.',
    labels: [],
    doc: 'status.succeeded, 0 when absent. Always emitted.',
    generate: (j) => [p(j, j.succeeded ?? 0)],
  },
  {
    name: 'kube_job_status_failed',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The number of pods which reached Phase Failed and the reason for failure.',
    labels: ['reason'],
    doc:
      'KSM algorithm: failed==0 → one series without `reason`, value 0; else per Failed condition three 0/1 flags ' +
      'reason=BackoffLimitExceeded|DeadlineExceeded|Evicted; if no known reason matched, reason="" with the count. ' +
      'A known reason hides the count: use `kube_job_status_failed_pods`.',
    generate: statusFailed,
  },
  {
    name: 'kube_job_status_active',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The number of actively running pods.',
    labels: [],
    doc: 'status.active, 0 when absent. Always emitted.',
    generate: (j) => [p(j, j.active ?? 0)],
  },
  {
    name: 'kube_job_status_ready',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The number of ready pods that belong to this Job.',
    labels: [],
    doc: 'status.ready, 0 when absent. Always emitted.',
    generate: (j) => [p(j, j.ready ?? 0)],
  },
  {
    name: 'kube_job_complete',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The job has completed its execution.',
    labels: ['condition'],
    doc: 'Triple true/false/unknown per `Complete` condition; nothing without one.',
    generate: (j) => conditionTriples(j, 'Complete'),
  },
  {
    name: 'kube_job_failed',
    type: 'gauge',
    stability: 'STABLE',
    help: 'The job has failed its execution.',
    labels: ['condition'],
    doc: 'Triple true/false/unknown per `Failed` condition; nothing without one.',
    generate: (j) => conditionTriples(j, 'Failed'),
  },
  {
    name: 'kube_job_status_start_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'StartTime represents time when the job was acknowledged by the Job Manager.',
    labels: [],
    doc: 'status.startTime (s), when set.',
    generate: (j) => maybe(j, j.startTime),
  },
  {
    name: 'kube_job_status_completion_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'CompletionTime represents time when the job was completed.',
    labels: [],
    doc: 'status.completionTime (s), when set (only on success).',
    generate: (j) => maybe(j, j.completionTime),
  },
  {
    name: 'kube_job_status_suspended',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'The number of pods which reached Phase Suspended.',
    labels: [],
    doc: '1 if a `Suspended` condition is True, else 0, per such condition. spec.suspend is ignored (see `kube_job_spec_suspend`).',
    generate: (j) => findConditions(j.conditions, 'Suspended').map((c) => p(j, b2f(c.status === 'True'))),
  },
  {
    name: 'kube_job_owner',
    type: 'gauge',
    stability: 'STABLE',
    help: "Information about the Job's owner.",
    labels: ['owner_kind', 'owner_name', 'owner_is_controller'],
    doc: 'One series per ownerReference; none → one series with all three labels "".',
    generate: (j) =>
      ownerTriples(j.owners).map(([kind, name, ctl]) => ({
        attributes: {
          namespace: j.namespace,
          job_name: j.name,
          owner_kind: kind,
          owner_name: name,
          owner_is_controller: ctl,
        },
        value: 1,
      })),
  },
]);

// ---------------------------------------------------------------------------------------------- extensions
// Field problem 1: basic gauges exist from first sight with 0 where absent (KSM already does this for
// active/succeeded/ready; failed_pods adds the count KSM loses), and the newer batch/v1 conditions get families.

export const JOB_FAMILIES_EXT: readonly FamilyDef<J>[] = familyTable<J>('jobs', [
  {
    name: 'kube_job_status_failed_pods',
    type: 'gauge',
    stability: 'EXTENSION',
    help: 'The number of pods of this Job which reached phase Failed (status.failed, 0 when absent).',
    labels: [],
    doc:
      "Always one series with the plain count. `kube_job_status_failed` changes shape over a Job's life and reports a " +
      '0/1 flag instead of the count once a known failure reason is set (KSM #1638); this family never does.',
    generate: (j) => [p(j, j.failed ?? 0)],
  },
  {
    name: 'kube_job_spec_suspend',
    type: 'gauge',
    stability: 'EXTENSION',
    help: 'Whether spec.suspend is set on the Job (1) or not (0).',
    labels: [],
    doc:
      'Always emitted. `kube_job_status_suspended` only follows the `Suspended` condition, which appears after the ' +
      'controller acted; this shows the request immediately.',
    generate: (j) => [p(j, b2f(j.suspend === true))],
  },
  {
    name: 'kube_job_failure_target',
    type: 'gauge',
    stability: 'EXTENSION',
    help: 'The job has the FailureTarget condition: it is terminating its pods and will fail.',
    labels: ['condition'],
    doc:
      'Triple true/false/unknown per `FailureTarget` condition (batch/v1, set before `Failed`); nothing without one. ' +
      'KSM ignores this condition.',
    generate: (j) => conditionTriples(j, 'FailureTarget'),
  },
  {
    name: 'kube_job_success_criteria_met',
    type: 'gauge',
    stability: 'EXTENSION',
    help: 'The job has the SuccessCriteriaMet condition: its success policy is satisfied and it will complete.',
    labels: ['condition'],
    doc:
      'Triple true/false/unknown per `SuccessCriteriaMet` condition; nothing without one. Tells a Job that succeeded ' +
      'after retries from a failing one (KSM #2642).',
    generate: (j) => conditionTriples(j, 'SuccessCriteriaMet'),
  },
  {
    name: 'kube_job_failure_reason',
    type: 'gauge',
    stability: 'EXTENSION',
    help: "The reason of the Job's Failed (or FailureTarget) condition, whatever it is.",
    labels: ['condition_type', 'reason'],
    doc:
      'Value 1 per `Failed`/`FailureTarget` condition with status True, raw reason (PodFailurePolicy, ' +
      'MaxFailedIndexesExceeded, BackoffLimitExceeded, DeadlineExceeded, …) which KSM folds into reason="".',
    generate: (j) => {
      const out: Point[] = [];
      for (const c of j.conditions) {
        if ((c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True') {
          out.push({
            attributes: { namespace: j.namespace, job_name: j.name, condition_type: c.type, reason: c.reason },
            value: 1,
          });
        }
      }
      return out;
    },
  },
]);
