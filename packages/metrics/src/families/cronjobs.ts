import type { CronJobSnapshot } from '@kso/model';
import { type CronSchedule, nextCronTime, parseStandard } from '../cron.ts';
import { b2f, type FamilyDef, family, NONE } from '../family.ts';
import { toPrometheusLabels } from '../labels.ts';
import type { Point } from '../types.ts';

type C = CronJobSnapshot;

function p(c: C, value: number): Point {
  return { attributes: { namespace: c.namespace, cronjob: c.name }, value };
}
function maybe(c: C, v: number | undefined): Point[] {
  return v === undefined ? NONE : [p(c, v)];
}
function mapFamily(c: C, prefix: string, data: Readonly<Record<string, string>>, allow: readonly string[] | undefined) {
  if (allow === undefined) return NONE;
  const attributes: Record<string, string> = { namespace: c.namespace, cronjob: c.name };
  for (const [k, v] of toPrometheusLabels(prefix, data, allow)) attributes[k] = v;
  return [{ attributes, value: 1 }];
}

/** The string KSM hands to the cron parser: spec.timeZone becomes a `CRON_TZ=` prefix. */
function scheduleSpec(c: C): string {
  return c.timeZone === undefined ? c.schedule : `CRON_TZ=${c.timeZone} ${c.schedule}`;
}

// CronJobs share a handful of schedules and are re-rendered on every change: parse and search once per input.
const parsed = new Map<string, CronSchedule | null>();
const nexts = new Map<string, number | null>();
function remember<V>(m: Map<string, V>, k: string, v: V): V {
  if (m.size >= 4096) m.clear();
  m.set(k, v);
  return v;
}

/** The parsed schedule, or undefined when KSM's parser rejects it (kube_cronjob_schedule_invalid). */
export function cronSchedule(c: C): CronSchedule | undefined {
  const spec = scheduleSpec(c);
  let s = parsed.get(spec);
  if (s === undefined) {
    try {
      s = remember(parsed, spec, parseStandard(spec));
    } catch {
      s = remember(parsed, spec, null);
    }
  }
  return s ?? undefined;
}

/**
 * KSM: Next(lastScheduleTime), else Next(creationTimestamp); nothing while suspended or unparseable. A schedule
 * that never fires reports Go's zero time (-6.21355968e+10), as KSM does.
 */
export function cronNextScheduleTime(c: C): number | undefined {
  if (c.suspend === true) return undefined;
  const sched = cronSchedule(c);
  const from = c.lastScheduleTime ?? c.creationTimestamp;
  if (sched === undefined || from === undefined) return undefined;
  const key = `${from} ${scheduleSpec(c)}`;
  let next = nexts.get(key);
  if (next === undefined) next = remember(nexts, key, nextCronTime(sched, from) ?? null);
  return next ?? undefined;
}

export const CRONJOB_FAMILIES_KSM: readonly FamilyDef<C>[] = [
  family<C>(
    'cronjobs',
    'kube_cronjob_annotations',
    'gauge',
    'ALPHA',
    'Kubernetes annotations converted to Prometheus labels.',
    ['annotation_*'],
    'One series only when `--metric-annotations-allowlist` names cronjobs.',
    (c, ctx) => mapFamily(c, 'annotation', c.annotations, ctx.annotationsAllow),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_labels',
    'gauge',
    'STABLE',
    'Kubernetes labels converted to Prometheus labels.',
    ['label_*'],
    'One series only when `--metric-labels-allowlist` names cronjobs.',
    (c, ctx) => mapFamily(c, 'label', c.labels, ctx.labelsAllow),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_info',
    'gauge',
    'STABLE',
    'Info about cronjob.',
    ['schedule', 'concurrency_policy', 'timezone'],
    'Always 1; timezone = spec.timeZone or "local" when unset.',
    (c) => [
      {
        attributes: {
          namespace: c.namespace,
          cronjob: c.name,
          schedule: c.schedule,
          concurrency_policy: c.concurrencyPolicy,
          timezone: c.timeZone ?? 'local',
        },
        value: 1,
      },
    ],
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_created',
    'gauge',
    'STABLE',
    'Unix creation timestamp',
    [],
    'creationTimestamp (s), when set.',
    (c) => maybe(c, c.creationTimestamp),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_status_active',
    'gauge',
    'STABLE',
    'Active holds pointers to currently running jobs.',
    [],
    'Number of entries in status.active. Always emitted.',
    (c) => [p(c, c.activeJobs)],
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_status_last_schedule_time',
    'gauge',
    'STABLE',
    'LastScheduleTime keeps information of when was the last time the job was successfully scheduled.',
    [],
    'status.lastScheduleTime (s), when set.',
    (c) => maybe(c, c.lastScheduleTime),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_status_last_successful_time',
    'gauge',
    'STABLE',
    'LastSuccessfulTime keeps information of when was the last time the job was completed successfully.',
    [],
    'status.lastSuccessfulTime (s), when set.',
    (c) => maybe(c, c.lastSuccessfulTime),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_spec_suspend',
    'gauge',
    'STABLE',
    'Suspend flag tells the controller to suspend subsequent executions.',
    [],
    'spec.suspend as 0/1 (unset = 0, like kube-state-metrics).',
    (c) => [p(c, b2f(c.suspend === true))],
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_spec_starting_deadline_seconds',
    'gauge',
    'STABLE',
    'Deadline in seconds for starting the job if it misses scheduled time for any reason.',
    [],
    'spec.startingDeadlineSeconds, when set.',
    (c) => maybe(c, c.startingDeadlineSeconds),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_next_schedule_time',
    'gauge',
    'STABLE',
    "Next time the cronjob should be scheduled. The time after lastScheduleTime, or after the cron job's creation time if it's never been scheduled. Use this to determine if the job is delayed.",
    [],
    'Schedule.Next of go-cron v0.15.1 (the library of KSM v2.20): day-of-month AND day-of-week, wrapping ranges, ' +
      'spec.timeZone as a CRON_TZ= prefix, no time zone = the process zone. Nothing while suspended or when ' +
      'the schedule is invalid; -6.21355968e+10 (Go zero time) when it never fires within five years; nothing ' +
      'where go-cron never returns (a calendar day that does not exist in the zone, e.g. Pacific/Apia 2011-12-30).',
    (c) => maybe(c, cronNextScheduleTime(c)),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_schedule_invalid',
    'gauge',
    'ALPHA',
    'Emitted with value 1 for cronjobs whose schedule, in its configured timezone, cannot be parsed.',
    [],
    '1 when go-cron ParseStandard rejects `CRON_TZ=<spec.timeZone> <spec.schedule>` (unknown zone, bad field, ' +
      'step not smaller than its range, ...); nothing otherwise.',
    (c) => (cronSchedule(c) === undefined ? [p(c, 1)] : NONE),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_metadata_resource_version',
    'gauge',
    'STABLE',
    'Resource version representing a specific version of the cronjob.',
    [],
    'metadata.resourceVersion parsed as a number, when it is one.',
    (c) => {
      const v = Number(c.resourceVersion);
      return c.resourceVersion !== '' && Number.isFinite(v) ? [p(c, v)] : NONE;
    },
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_spec_successful_job_history_limit',
    'gauge',
    'ALPHA',
    'Successful job history limit tells the controller how many completed jobs should be preserved.',
    [],
    'spec.successfulJobsHistoryLimit, when set.',
    (c) => maybe(c, c.successfulJobsHistoryLimit),
  ),
  family<C>(
    'cronjobs',
    'kube_cronjob_spec_failed_job_history_limit',
    'gauge',
    'ALPHA',
    'Failed job history limit tells the controller how many failed jobs should be preserved.',
    [],
    'spec.failedJobsHistoryLimit, when set.',
    (c) => maybe(c, c.failedJobsHistoryLimit),
  ),
];
