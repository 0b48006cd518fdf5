import type { CronJobSnapshot } from '@kso/model';
import { type CronSchedule, nextCronTime, parseStandard } from '../cron.ts';
import { b2f, type FamilyDef, familyTable, NONE } from '../family.ts';
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

export const CRONJOB_FAMILIES_KSM: readonly FamilyDef<C>[] = familyTable<C>('cronjobs', [
  {
    name: 'kube_cronjob_annotations',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Kubernetes annotations converted to Prometheus labels.',
    labels: ['annotation_*'],
    doc: 'One series only when `--metric-annotations-allowlist` names cronjobs.',
    generate: (c, ctx) => mapFamily(c, 'annotation', c.annotations, ctx.annotationsAllow),
  },
  {
    name: 'kube_cronjob_labels',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Kubernetes labels converted to Prometheus labels.',
    labels: ['label_*'],
    doc: 'One series only when `--metric-labels-allowlist` names cronjobs.',
    generate: (c, ctx) => mapFamily(c, 'label', c.labels, ctx.labelsAllow),
  },
  {
    name: 'kube_cronjob_info',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Info about cronjob.',
    labels: ['schedule', 'concurrency_policy', 'timezone'],
    doc: 'Always 1; timezone = spec.timeZone or "local" when unset.',
    generate: (c) => [
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
  },
  {
    name: 'kube_cronjob_created',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Unix creation timestamp',
    labels: [],
    doc: 'creationTimestamp (s), when set.',
    generate: (c) => maybe(c, c.creationTimestamp),
  },
  {
    name: 'kube_cronjob_status_active',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Active holds pointers to currently running jobs.',
    labels: [],
    doc: 'Number of entries in status.active. Always emitted.',
    generate: (c) => [p(c, c.activeJobs)],
  },
  {
    name: 'kube_cronjob_status_last_schedule_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'LastScheduleTime keeps information of when was the last time the job was successfully scheduled.',
    labels: [],
    doc: 'status.lastScheduleTime (s), when set.',
    generate: (c) => maybe(c, c.lastScheduleTime),
  },
  {
    name: 'kube_cronjob_status_last_successful_time',
    type: 'gauge',
    stability: 'STABLE',
    help: 'LastSuccessfulTime keeps information of when was the last time the job was completed successfully.',
    labels: [],
    doc: 'status.lastSuccessfulTime (s), when set.',
    generate: (c) => maybe(c, c.lastSuccessfulTime),
  },
  {
    name: 'kube_cronjob_spec_suspend',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Suspend flag tells the controller to suspend subsequent executions.',
    labels: [],
    doc: 'spec.suspend as 0/1 (unset = 0, like kube-state-metrics).',
    generate: (c) => [p(c, b2f(c.suspend === true))],
  },
  {
    name: 'kube_cronjob_spec_starting_deadline_seconds',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Deadline in seconds for starting the job if it misses scheduled time for any reason.',
    labels: [],
    doc: 'spec.startingDeadlineSeconds, when set.',
    generate: (c) => maybe(c, c.startingDeadlineSeconds),
  },
  {
    name: 'kube_cronjob_next_schedule_time',
    type: 'gauge',
    stability: 'STABLE',
    help: "Next time the cronjob should be scheduled. The time after lastScheduleTime, or after the cron job's creation time if it's never been scheduled. Use this to determine if the job is delayed.",
    labels: [],
    doc:
      'Schedule.Next of go-cron v0.15.1 (the library of KSM v2.20): day-of-month AND day-of-week, wrapping ranges, ' +
      'spec.timeZone as a CRON_TZ= prefix, no time zone = the process zone. Nothing while suspended or when ' +
      'the schedule is invalid; -6.21355968e+10 (Go zero time) when it never fires within five years; nothing ' +
      'where go-cron never returns (a calendar day that does not exist in the zone, e.g. Pacific/Apia 2011-12-30).',
    generate: (c) => maybe(c, cronNextScheduleTime(c)),
  },
  {
    name: 'kube_cronjob_schedule_invalid',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Emitted with value 1 for cronjobs whose schedule, in its configured timezone, cannot be parsed.',
    labels: [],
    doc:
      '1 when go-cron ParseStandard rejects `CRON_TZ=<spec.timeZone> <spec.schedule>` (unknown zone, bad field, ' +
      'step not smaller than its range, ...); nothing otherwise.',
    generate: (c) => (cronSchedule(c) === undefined ? [p(c, 1)] : NONE),
  },
  {
    name: 'kube_cronjob_metadata_resource_version',
    type: 'gauge',
    stability: 'STABLE',
    help: 'Resource version representing a specific version of the cronjob.',
    labels: [],
    doc: 'metadata.resourceVersion parsed as a number, when it is one.',
    generate: (c) => {
      const v = Number(c.resourceVersion);
      return c.resourceVersion !== '' && Number.isFinite(v) ? [p(c, v)] : NONE;
    },
  },
  {
    name: 'kube_cronjob_spec_successful_job_history_limit',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Successful job history limit tells the controller how many completed jobs should be preserved.',
    labels: [],
    doc: 'spec.successfulJobsHistoryLimit, when set.',
    generate: (c) => maybe(c, c.successfulJobsHistoryLimit),
  },
  {
    name: 'kube_cronjob_spec_failed_job_history_limit',
    type: 'gauge',
    stability: 'ALPHA',
    help: 'Failed job history limit tells the controller how many failed jobs should be preserved.',
    labels: [],
    doc: 'spec.failedJobsHistoryLimit, when set.',
    generate: (c) => maybe(c, c.failedJobsHistoryLimit),
  },
]);
