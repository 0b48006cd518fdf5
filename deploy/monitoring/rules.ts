// Alert rules and the Grafana dashboard of the monitoring bundle, defined once. `generate.ts` writes the files
// under deploy/monitoring/ from here (the committed files are its output with the defaults; a test checks
// they are up to date), and users regenerate them with their own selector and thresholds.
// Job/CronJob alerts keep the kubernetes-mixin names and expressions (alerts/apps_alerts.libsonnet:
// KubeJobNotCompleted, KubeJobFailed) so dashboards and routes built on them keep working.

export interface RuleOptions {
  /** Label matchers selecting kso's series, as the mixin's kubeStateMetricsSelector. */
  selector: string;
  /** Cluster label kept in aggregations (the mixin's clusterLabel). */
  clusterLabel: string;
  /** Regex of the CronJob sidecar's container name. */
  sidecarContainer: string;
  /** KubeJobNotCompleted: seconds an active Job may run (mixin kubeJobTimeoutDuration). */
  jobTimeoutSeconds: number;
  /** KubeCronJobMissedSchedule: seconds past the next schedule time. */
  cronJobLateSeconds: number;
  /**
   * KsoWatchStale: seconds without a successful list/watch progress. Below the default --max-staleness (300s,
   * plus the liveness probe's 4 × 15s) so the alert fires before the restart that the probe triggers.
   */
  staleSeconds: number;
  /** Overrides every `for:` (tests evaluate the real expressions without waiting minutes). */
  forOverride?: string;
  /** Prefix of runbook_url annotations for the mixin alerts. */
  runbookBase: string;
}

export const DEFAULTS: RuleOptions = {
  selector: 'job="kube-state-otel"',
  clusterLabel: 'cluster',
  sidecarContainer: 'kso-sidecar',
  jobTimeoutSeconds: 43200,
  cronJobLateSeconds: 900,
  staleSeconds: 180,
  runbookBase: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/',
};

export interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export function buildRules(opts: Partial<RuleOptions> = {}): RuleGroup[] {
  const o = { ...DEFAULTS, ...opts };
  const s = o.selector;
  const sel = (extra = '') => `{${[s, extra].filter((x) => x !== '').join(', ')}}`;
  const by = (labels: string) => `by (${labels}, ${o.clusterLabel})`;
  const rule = (r: Rule): Rule => {
    const out = { ...r };
    if (out.for !== undefined && o.forOverride !== undefined) out.for = o.forOverride;
    return out;
  };
  const sc = JSON.stringify(o.sidecarContainer);
  return [
    {
      name: 'kube-state-otel',
      rules: [
        rule({
          alert: 'KsoWatchNotSynced',
          expr: `kso_watch_synced${sel()} == 0`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'kube-state-otel has not completed the initial list of a resource.',
            description:
              '{{ $labels.instance }} has not synced {{ $labels.resource }} for 10 minutes: its metrics for that resource are missing or incomplete (check RBAC and API server reachability).',
          },
        }),
        rule({
          alert: 'KsoWatchStale',
          expr: `kso_watch_last_sync_age_seconds${sel()} > ${o.staleSeconds}`,
          for: '1m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'kube-state-otel serves stale data.',
            description:
              '{{ $labels.instance }} had no successful list/watch progress for {{ $labels.resource }} in {{ $value | humanizeDuration }}: the metrics it serves are getting stale; /healthz fails past --max-staleness and the liveness probe restarts it (field problem 3).',
          },
        }),
        rule({
          alert: 'KsoReshardStuck',
          expr: `kso_shard_reshard_pending${sel()} == 1`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'A kube-state-otel shard cannot complete its new assignment.',
            description:
              '{{ $labels.instance }} has been syncing the view of a new shard assignment for 10 minutes and still serves the old one.',
          },
        }),
        rule({
          alert: 'KsoShardingMismatch',
          expr: `stdvar ${by('job')} (kube_state_metrics_total_shards${sel()}) != 0`,
          for: '15m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'kube-state-otel shards disagree on the number of shards.',
            description:
              'Instances of {{ $labels.job }} run with different total shard counts: some objects are reported twice or never.',
          },
        }),
        rule({
          alert: 'KsoShardsMissing',
          expr: [
            `2^max ${by('job')} (kube_state_metrics_total_shards${sel()}) - 1`,
            '  -',
            `sum ${by('job')} (2 ^ max ${by('job, shard_ordinal')} (kube_state_metrics_shard_ordinal${sel()}))`,
            '!= 0',
          ].join('\n'),
          for: '15m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'kube-state-otel shards are missing.',
            description:
              'Not every shard ordinal of {{ $labels.job }} is being scraped: the objects of the missing shards have no metrics.',
          },
        }),
        rule({
          alert: 'KsoOtlpExportFailing',
          // While the endpoint is unreachable kso stops encoding and counts skipped pushes instead of failed
          // exports (one probe per interval), so a long outage shows up in the second branch.
          expr: [
            `(sum ${by('job, instance')} (increase(kso_otlp_exports_total${sel('result="failure"')}[5m]))`,
            '  /',
            `sum ${by('job, instance')} (increase(kso_otlp_exports_total${sel()}[5m]))`,
            '> 0.5)',
            `or sum ${by('job, instance')} (increase(kso_otlp_pushes_skipped_total${sel()}[5m])) > 0`,
          ].join('\n'),
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'kube-state-otel cannot deliver OTLP exports.',
            description:
              'Most OTLP exports of {{ $labels.instance }} failed, or its pushes were skipped because the endpoint is unreachable, for 10 minutes.',
          },
        }),
        rule({
          alert: 'KsoOtlpPointsLost',
          // A skipped push (endpoint down, or the previous push still running) delivers nothing: data lost too.
          expr: [
            `sum ${by('job, instance')} (increase(kso_otlp_points_total${sel('result="lost"')}[10m])) > 0`,
            `or sum ${by('job, instance')} (increase(kso_otlp_pushes_skipped_total${sel()}[10m])) > 0`,
          ].join('\n'),
          labels: { severity: 'warning' },
          annotations: {
            summary: 'kube-state-otel dropped OTLP data points.',
            description:
              '{{ $labels.instance }} gave up on OTLP data in the last 10 minutes (points lost after retries, or pushes skipped).',
          },
        }),
        rule({
          alert: 'KsoSidecarFinalFlushFailed',
          // The sidecar exits 1 when its final flush was not delivered. Native sidecars are init containers; a
          // classic one is a regular container; a restarted one keeps the code in lastState.
          expr: [
            `count ${by('namespace, pod, container')} (`,
            `  kube_pod_container_status_terminated_reason${sel(`container=~${sc}, reason!="Completed"`)}`,
            `  or kube_pod_init_container_status_terminated_reason${sel(`container=~${sc}, reason!="Completed"`)}`,
            `  or kube_pod_container_status_last_terminated_exitcode${sel(`container=~${sc}`)} != 0`,
            `  or kube_pod_init_container_status_last_terminated_exitcode${sel(`container=~${sc}`)} != 0`,
            ')',
          ].join('\n'),
          labels: { severity: 'warning' },
          annotations: {
            summary: 'A CronJob sidecar could not deliver its final flush.',
            description:
              'The {{ $labels.container }} container of {{ $labels.namespace }}/{{ $labels.pod }} ended with an error: the final metrics of that run were not confirmed delivered.',
          },
        }),
      ],
    },
    {
      name: 'kube-state-otel-jobs',
      rules: [
        rule({
          alert: 'KubeJobNotCompleted',
          expr: [
            `time() - max ${by('namespace, job_name')} (kube_job_status_start_time${sel()}`,
            '  and',
            `kube_job_status_active${sel()} > 0) > ${o.jobTimeoutSeconds}`,
          ].join('\n'),
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Job did not complete in time',
            description: `Job {{ $labels.namespace }}/{{ $labels.job_name }} is taking more than {{ "${o.jobTimeoutSeconds}" | humanizeDuration }} to complete.`,
            runbook_url: `${o.runbookBase}kubejobnotcompleted`,
          },
        }),
        rule({
          alert: 'KubeJobFailed',
          expr: `kube_job_failed${sel()} > 0`,
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Job failed to complete.',
            description:
              'Job {{ $labels.namespace }}/{{ $labels.job_name }} failed to complete. Removing failed job after investigation should clear this alert.',
            runbook_url: `${o.runbookBase}kubejobfailed`,
          },
        }),
        rule({
          alert: 'KubeCronJobMissedSchedule',
          // next_schedule_time is derived from the last schedule time; a CronJob whose controller keeps up moves it
          // forward at every run. Suspended CronJobs have no next schedule time and never fire.
          expr: `time() - max ${by('namespace, cronjob')} (kube_cronjob_next_schedule_time${sel()}) > ${o.cronJobLateSeconds}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'CronJob missed its schedule.',
            description:
              'CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} should have started a Job {{ $value | humanizeDuration }} ago.',
          },
        }),
      ],
    },
  ];
}

// --- YAML output (no dependency: deploy/ has no node_modules; the structure is maps, lists and strings) ---

function scalar(v: string | number): string {
  if (typeof v === 'number') return String(v);
  if (/^[A-Za-z0-9_./-]+$/.test(v) && !/^(true|false|null|yes|no|on|off|~|[0-9.]+)$/i.test(v)) return v;
  // Quoted as the formatter (biome, prettier) would: double quotes unless that needs more escapes; JSON strings
  // are valid YAML double-quoted scalars.
  return v.includes('"') && !v.includes("'") ? `'${v}'` : JSON.stringify(v);
}

function yamlLines(v: unknown, indent: string): string[] {
  if (Array.isArray(v))
    return v.flatMap((item) => {
      const [first, ...rest] = yamlLines(item, `${indent}  `);
      return [`${indent}- ${(first ?? '').trimStart()}`, ...rest];
    });
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => {
      if (typeof x === 'string' && x.includes('\n'))
        return [`${indent}${k}: |-`, ...x.split('\n').map((l) => `${indent}  ${l}`)];
      if (typeof x === 'object' && x !== null) return [`${indent}${k}:`, ...yamlLines(x, `${indent}  `)];
      return [`${indent}${k}: ${scalar(x as string)}`];
    });
  return [`${indent}${scalar(v as string)}`];
}

export function toYaml(v: unknown): string {
  return `${yamlLines(v, '').join('\n')}\n`;
}

/** The plain Prometheus rule file (rule_files:). */
export function rulesFile(groups: RuleGroup[]): string {
  return `# Generated by deploy/monitoring/generate.ts: edit rules.ts or pass options, do not edit by hand.\n${toYaml({ groups })}`;
}

/** The same rules as a Prometheus Operator PrometheusRule. */
export function prometheusRule(groups: RuleGroup[], name = 'kube-state-otel'): string {
  return `# Generated by deploy/monitoring/generate.ts: edit rules.ts or pass options, do not edit by hand.\n${toYaml({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/name': 'kube-state-otel', 'app.kubernetes.io/component': 'alerts' },
    },
    spec: { groups },
  })}`;
}
