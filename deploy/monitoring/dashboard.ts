// The Grafana dashboard of the monitoring bundle: Jobs/CronJobs, pod disruptions and terminations, and
// kube-state-otel's own health and shards. Variables: datasource, job (which kso), namespace, sidecar.

export interface Panel {
  title: string;
  type: 'timeseries' | 'stat' | 'table';
  description: string;
  targets: { expr: string; legendFormat?: string; instant?: boolean }[];
  unit?: string;
}

const J = 'job=~"$job"';
const NS = `${J}, namespace=~"$namespace"`;

export const ROWS: { title: string; panels: Panel[] }[] = [
  {
    title: 'Jobs and CronJobs',
    panels: [
      {
        title: 'Failed Jobs',
        type: 'stat',
        description: 'Jobs whose Failed condition is true (KubeJobFailed).',
        targets: [{ expr: `sum(kube_job_failed{${NS}, condition="true"})`, instant: true }],
      },
      {
        title: 'Active Jobs',
        type: 'stat',
        description: 'Pods running for Jobs right now.',
        targets: [{ expr: `sum(kube_job_status_active{${NS}})`, instant: true }],
      },
      {
        title: 'Failed pods per Job',
        type: 'timeseries',
        description: 'status.failed as a plain count (kube_job_status_failed turns into flags once a reason is known).',
        targets: [
          {
            expr: `sum by (namespace, job_name) (kube_job_status_failed_pods{${NS}}) > 0`,
            legendFormat: '{{namespace}}/{{job_name}}',
          },
        ],
      },
      {
        title: 'Running Jobs by age',
        type: 'table',
        unit: 's',
        description: 'Seconds since each active Job started (KubeJobNotCompleted fires past its timeout).',
        targets: [
          {
            expr: `time() - max by (namespace, job_name) (kube_job_status_start_time{${NS}} and kube_job_status_active{${NS}} > 0)`,
            instant: true,
          },
        ],
      },
      {
        title: 'CronJob: time until next schedule',
        type: 'timeseries',
        unit: 's',
        description: 'Negative = the CronJob is late (KubeCronJobMissedSchedule).',
        targets: [
          {
            expr: `max by (namespace, cronjob) (kube_cronjob_next_schedule_time{${NS}}) - time()`,
            legendFormat: '{{namespace}}/{{cronjob}}',
          },
        ],
      },
      {
        title: 'CronJob: time since last successful run',
        type: 'timeseries',
        unit: 's',
        description: 'Seconds since status.lastSuccessfulTime.',
        targets: [
          {
            expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${NS}})`,
            legendFormat: '{{namespace}}/{{cronjob}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Pods: disruptions and terminations',
    panels: [
      {
        title: 'Pod disruptions by reason and component',
        type: 'timeseries',
        description:
          'DisruptionTarget conditions with their raw reason and the disrupting component (field problem 2: evictions KSM reports without a reason).',
        targets: [
          {
            expr: `sum by (reason, component) (kube_pod_status_disruption{${NS}, condition="true"})`,
            legendFormat: '{{reason}} ({{component}})',
          },
        ],
      },
      {
        title: 'Last container termination reasons',
        type: 'timeseries',
        description: 'Containers by the reason of their last termination (OOMKilled, Error, ...).',
        targets: [
          {
            expr: `sum by (reason) (kube_pod_container_status_last_terminated_reason{${NS}})`,
            legendFormat: '{{reason}}',
          },
        ],
      },
      {
        title: 'CronJob sidecars that ended with an error',
        type: 'table',
        description: 'The sidecar exits 1 when its final flush was not delivered (KsoSidecarFinalFlushFailed).',
        targets: [
          {
            expr: `count by (namespace, pod, container, reason) (kube_pod_container_status_terminated_reason{${NS}, container=~"$sidecar", reason!="Completed"} or kube_pod_init_container_status_terminated_reason{${NS}, container=~"$sidecar", reason!="Completed"})`,
            instant: true,
          },
        ],
      },
    ],
  },
  {
    title: 'kube-state-otel health',
    panels: [
      {
        title: 'Targets up',
        type: 'stat',
        description: 'Scrape health of each kube-state-otel instance.',
        targets: [{ expr: `up{${J}}`, legendFormat: '{{instance}}' }],
      },
      {
        title: 'Watch: seconds since last successful sync',
        type: 'timeseries',
        unit: 's',
        description: 'Per resource; /healthz fails past --max-staleness (KsoWatchStale).',
        targets: [
          {
            expr: `max by (instance, resource) (kso_watch_last_sync_age_seconds{${J}})`,
            legendFormat: '{{instance}} {{resource}}',
          },
        ],
      },
      {
        title: 'Watch: initial list completed',
        type: 'timeseries',
        description: '1 once a resource finished its initial list (KsoWatchNotSynced).',
        targets: [
          { expr: `min by (instance, resource) (kso_watch_synced{${J}})`, legendFormat: '{{instance}} {{resource}}' },
        ],
      },
      {
        title: 'Watch: errors, relists and restarts',
        type: 'timeseries',
        description: 'Per second, per resource.',
        targets: [
          {
            expr: `sum by (instance, resource) (rate(kso_watch_errors_total{${J}}[$__rate_interval]))`,
            legendFormat: 'errors {{instance}} {{resource}}',
          },
          {
            expr: `sum by (instance, resource) (rate(kso_watch_relists_total{${J}}[$__rate_interval]))`,
            legendFormat: 'relists {{instance}} {{resource}}',
          },
          {
            expr: `sum by (instance, resource) (rate(kso_watch_restarts_total{${J}}[$__rate_interval]))`,
            legendFormat: 'restarts {{instance}} {{resource}}',
          },
        ],
      },
      {
        title: 'Objects held',
        type: 'timeseries',
        description: 'Objects per resource after sharding.',
        targets: [
          { expr: `sum by (instance, resource) (kso_watch_objects{${J}})`, legendFormat: '{{instance}} {{resource}}' },
        ],
      },
      {
        title: 'OTLP exports and data points',
        type: 'timeseries',
        description: 'Per second by result (KsoOtlpExportFailing, KsoOtlpPointsLost).',
        targets: [
          {
            expr: `sum by (instance, result) (rate(kso_otlp_exports_total{${J}}[$__rate_interval]))`,
            legendFormat: 'exports {{result}} {{instance}}',
          },
          {
            expr: `sum by (instance, result) (rate(kso_otlp_points_total{${J}}[$__rate_interval]))`,
            legendFormat: 'points {{result}} {{instance}}',
          },
        ],
      },
      {
        title: 'Shards',
        type: 'timeseries',
        description: 'Ordinal and total per instance, and whether a new assignment is syncing (KsoReshardStuck).',
        targets: [
          { expr: `max by (instance) (kube_state_metrics_shard_ordinal{${J}})`, legendFormat: 'ordinal {{instance}}' },
          { expr: `max by (instance) (kube_state_metrics_total_shards{${J}})`, legendFormat: 'total {{instance}}' },
          { expr: `max by (instance) (kso_shard_reshard_pending{${J}})`, legendFormat: 'pending {{instance}}' },
        ],
      },
    ],
  },
];

/** Grafana dashboard JSON (schema 39, Grafana 10/11). */
export function dashboard(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference, not a JS template
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y++;
    let x = 0;
    for (const p of row.panels) {
      const w = p.type === 'stat' ? 6 : 12;
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push({
        id: id++,
        type: p.type,
        title: p.title,
        description: p.description,
        datasource: ds,
        gridPos: { h: 8, w, x, y },
        fieldConfig: { defaults: p.unit ? { unit: p.unit } : {}, overrides: [] },
        options: {},
        targets: p.targets.map((t, i) => ({
          datasource: ds,
          refId: String.fromCharCode(65 + i),
          expr: t.expr,
          ...(t.legendFormat ? { legendFormat: t.legendFormat } : {}),
          ...(t.instant ? { instant: true, range: false, format: 'table' } : { range: true }),
        })),
      });
      x += w;
    }
    y += 8;
  }
  const query = (name: string, label: string, q: string, extra: Record<string, unknown> = {}) => ({
    name,
    label,
    type: 'query',
    datasource: ds,
    query: { query: q, refId: `${name}-var` },
    definition: q,
    refresh: 2,
    sort: 1,
    ...extra,
  });
  return {
    uid: 'kube-state-otel',
    title: 'kube-state-otel: Jobs, CronJobs and agent health',
    tags: ['kube-state-otel', 'kubernetes'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' },
        query('job', 'kso job', 'label_values(kso_watch_synced, job)', {
          current: { text: 'kube-state-otel', value: 'kube-state-otel' },
        }),
        query('namespace', 'Namespace', 'label_values(kube_pod_info{job=~"$job"}, namespace)', {
          multi: true,
          includeAll: true,
          allValue: '.*',
        }),
        {
          name: 'sidecar',
          label: 'Sidecar container (regex)',
          type: 'textbox',
          query: 'kso-sidecar',
          current: { text: 'kso-sidecar', value: 'kso-sidecar' },
        },
      ],
    },
    panels,
  };
}
