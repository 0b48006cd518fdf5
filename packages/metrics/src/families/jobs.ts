import type { JobSnapshot } from '@kso/model';
import { b2f, type FamilyDef, family, NONE } from '../family.ts';
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

export const JOB_FAMILIES_KSM: readonly FamilyDef<J>[] = [
  family<J>(
    'jobs',
    'kube_job_annotations',
    'gauge',
    'ALPHA',
    'Kubernetes annotations converted to Prometheus labels.',
    ['annotation_*'],
    'One series only when `--metric-annotations-allowlist` names jobs.',
    (j, ctx) => mapFamily(j, 'annotation', j.annotations, ctx.annotationsAllow),
  ),
  family<J>(
    'jobs',
    'kube_job_labels',
    'gauge',
    'STABLE',
    'Kubernetes labels converted to Prometheus labels.',
    ['label_*'],
    'One series only when `--metric-labels-allowlist` names jobs.',
    (j, ctx) => mapFamily(j, 'label', j.labels, ctx.labelsAllow),
  ),
  family<J>('jobs', 'kube_job_info', 'gauge', 'STABLE', 'Information about job.', [], 'Always 1.', (j) => [p(j, 1)]),
  family<J>(
    'jobs',
    'kube_job_created',
    'gauge',
    'STABLE',
    'Unix creation timestamp',
    [],
    'creationTimestamp (s), when set.',
    (j) => maybe(j, j.creationTimestamp),
  ),
  family<J>(
    'jobs',
    'kube_job_spec_parallelism',
    'gauge',
    'STABLE',
    'The maximum desired number of pods the job should run at any given time.',
    [],
    'spec.parallelism, when set.',
    (j) => maybe(j, j.parallelism),
  ),
  family<J>(
    'jobs',
    'kube_job_spec_completions',
    'gauge',
    'STABLE',
    'The desired number of successfully finished pods the job should be run with.',
    [],
    'spec.completions, when set.',
    (j) => maybe(j, j.completions),
  ),
  family<J>(
    'jobs',
    'kube_job_spec_active_deadline_seconds',
    'gauge',
    'STABLE',
    'The duration in seconds relative to the startTime that the job may be active before the system tries to terminate it.',
    [],
    'spec.activeDeadlineSeconds, when set.',
    (j) => maybe(j, j.activeDeadlineSeconds),
  ),
  family<J>(
    'jobs',
    'kube_job_status_succeeded',
    'gauge',
    'STABLE',
    'The number of pods which reached Phase Succeeded.',
    [],
    'status.succeeded, 0 when absent. Always emitted.',
    (j) => [p(j, j.succeeded ?? 0)],
  ),
  family<J>(
    'jobs',
    'kube_job_status_failed',
    'gauge',
    'STABLE',
    'The number of pods which reached Phase Failed and the reason for failure.',
    ['reason'],
    'KSM algorithm: failed==0 → one series without `reason`, value 0; else per Failed condition three 0/1 flags ' +
      'reason=BackoffLimitExceeded|DeadlineExceeded|Evicted; if no known reason matched, reason="" with the count. ' +
      'A known reason hides the count: use `kube_job_status_failed_pods`.',
    statusFailed,
  ),
  family<J>(
    'jobs',
    'kube_job_status_active',
    'gauge',
    'STABLE',
    'The number of actively running pods.',
    [],
    'status.active, 0 when absent. Always emitted.',
    (j) => [p(j, j.active ?? 0)],
  ),
  family<J>(
    'jobs',
    'kube_job_status_ready',
    'gauge',
    'ALPHA',
    'The number of ready pods that belong to this Job.',
    [],
    'status.ready, 0 when absent. Always emitted.',
    (j) => [p(j, j.ready ?? 0)],
  ),
  family<J>(
    'jobs',
    'kube_job_complete',
    'gauge',
    'STABLE',
    'The job has completed its execution.',
    ['condition'],
    'Triple true/false/unknown per `Complete` condition; nothing without one.',
    (j) => conditionTriples(j, 'Complete'),
  ),
  family<J>(
    'jobs',
    'kube_job_failed',
    'gauge',
    'STABLE',
    'The job has failed its execution.',
    ['condition'],
    'Triple true/false/unknown per `Failed` condition; nothing without one.',
    (j) => conditionTriples(j, 'Failed'),
  ),
  family<J>(
    'jobs',
    'kube_job_status_start_time',
    'gauge',
    'STABLE',
    'StartTime represents time when the job was acknowledged by the Job Manager.',
    [],
    'status.startTime (s), when set.',
    (j) => maybe(j, j.startTime),
  ),
  family<J>(
    'jobs',
    'kube_job_status_completion_time',
    'gauge',
    'STABLE',
    'CompletionTime represents time when the job was completed.',
    [],
    'status.completionTime (s), when set (only on success).',
    (j) => maybe(j, j.completionTime),
  ),
  family<J>(
    'jobs',
    'kube_job_status_suspended',
    'gauge',
    'ALPHA',
    'The number of pods which reached Phase Suspended.',
    [],
    '1 if a `Suspended` condition is True, else 0, per such condition. spec.suspend is ignored (see `kube_job_spec_suspend`).',
    (j) => findConditions(j.conditions, 'Suspended').map((c) => p(j, b2f(c.status === 'True'))),
  ),
  family<J>(
    'jobs',
    'kube_job_owner',
    'gauge',
    'STABLE',
    "Information about the Job's owner.",
    ['owner_kind', 'owner_name', 'owner_is_controller'],
    'One series per ownerReference; none → one series with all three labels "".',
    (j) =>
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
  ),
];

// ---------------------------------------------------------------------------------------------- extensions
// Field problem 1: basic gauges exist from first sight with 0 where absent (KSM already does this for
// active/succeeded/ready; failed_pods adds the count KSM loses), and the newer batch/v1 conditions get families.

export const JOB_FAMILIES_EXT: readonly FamilyDef<J>[] = [
  family<J>(
    'jobs',
    'kube_job_status_failed_pods',
    'gauge',
    'EXTENSION',
    'The number of pods of this Job which reached phase Failed (status.failed, 0 when absent).',
    [],
    "Always one series with the plain count. `kube_job_status_failed` changes shape over a Job's life and reports a " +
      '0/1 flag instead of the count once a known failure reason is set (KSM #1638); this family never does.',
    (j) => [p(j, j.failed ?? 0)],
  ),
  family<J>(
    'jobs',
    'kube_job_spec_suspend',
    'gauge',
    'EXTENSION',
    'Whether spec.suspend is set on the Job (1) or not (0).',
    [],
    'Always emitted. `kube_job_status_suspended` only follows the `Suspended` condition, which appears after the ' +
      'controller acted; this shows the request immediately.',
    (j) => [p(j, b2f(j.suspend === true))],
  ),
  family<J>(
    'jobs',
    'kube_job_failure_target',
    'gauge',
    'EXTENSION',
    'The job has the FailureTarget condition: it is terminating its pods and will fail.',
    ['condition'],
    'Triple true/false/unknown per `FailureTarget` condition (batch/v1, set before `Failed`); nothing without one. ' +
      'KSM ignores this condition.',
    (j) => conditionTriples(j, 'FailureTarget'),
  ),
  family<J>(
    'jobs',
    'kube_job_success_criteria_met',
    'gauge',
    'EXTENSION',
    'The job has the SuccessCriteriaMet condition: its success policy is satisfied and it will complete.',
    ['condition'],
    'Triple true/false/unknown per `SuccessCriteriaMet` condition; nothing without one. Tells a Job that succeeded ' +
      'after retries from a failing one (KSM #2642).',
    (j) => conditionTriples(j, 'SuccessCriteriaMet'),
  ),
  family<J>(
    'jobs',
    'kube_job_failure_reason',
    'gauge',
    'EXTENSION',
    "The reason of the Job's Failed (or FailureTarget) condition, whatever it is.",
    ['condition_type', 'reason'],
    'Value 1 per `Failed`/`FailureTarget` condition with status True, raw reason (PodFailurePolicy, ' +
      'MaxFailedIndexesExceeded, BackoffLimitExceeded, DeadlineExceeded, …) which KSM folds into reason="".',
    (j) => {
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
  ),
];
