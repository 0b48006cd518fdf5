// Family-by-family table for Jobs, as KSM's internal/store/job_test.go: one object in, the exact series of one
// family out (wire label order, Go number format). Every family of the catalog has a row (KSM, opt-in, EXTENSION
// and semconv); a family added without one fails the coverage test. Expected lines were checked against KSM
// v2.20's pod.go / job.go / cronjob.go rules; the differential tests (test/peers/differential-*.test.ts) hold the
// KSM families to the real binary.
import { describe } from 'node:test';
import { type FamilyRow, row, runFamilyTable } from './helpers.ts';
import * as O from './table-objects.ts';

const ROWS: FamilyRow[] = [
  row(
    'kube_job_annotations',
    'suspended',
    O.jobSuspended,
    ['kube_job_annotations{namespace="ns",job_name="suspended",annotation_example_com_owner="alice"} 1'],
    { labelsAllow: undefined, annotationsAllow: ['*'] },
  ),
  row(
    'kube_job_annotations',
    'complete after one failed pod',
    O.jobComplete,
    ['kube_job_annotations{namespace="ns",job_name="complete",annotation_example_com_owner="alice"} 1'],
    { labelsAllow: undefined, annotationsAllow: ['*'] },
  ),
  row('kube_job_annotations', 'no allowlist entry: nothing', O.jobBackoff, []),
  row(
    'kube_job_labels',
    'suspended',
    O.jobSuspended,
    ['kube_job_labels{namespace="ns",job_name="suspended",label_app="web"} 1'],
    { labelsAllow: ['app'], annotationsAllow: undefined },
  ),
  row(
    'kube_job_labels',
    'complete after one failed pod',
    O.jobComplete,
    ['kube_job_labels{namespace="ns",job_name="complete",label_app="web"} 1'],
    { labelsAllow: ['app'], annotationsAllow: undefined },
  ),
  row('kube_job_labels', 'no allowlist entry: nothing', O.jobBackoff, []),
  row('kube_job_info', 'suspended', O.jobSuspended, ['kube_job_info{namespace="ns",job_name="suspended"} 1']),
  row('kube_job_info', 'complete after one failed pod', O.jobComplete, [
    'kube_job_info{namespace="ns",job_name="complete"} 1',
  ]),
  row('kube_job_created', 'suspended', O.jobSuspended, [
    'kube_job_created{namespace="ns",job_name="suspended"} 1.7935272e+09',
  ]),
  row('kube_job_created', 'complete after one failed pod', O.jobComplete, [
    'kube_job_created{namespace="ns",job_name="complete"} 1.7935272e+09',
  ]),
  row('kube_job_spec_parallelism', 'running, owned by a CronJob', O.jobRunning, [
    'kube_job_spec_parallelism{namespace="ns",job_name="running"} 2',
  ]),
  row('kube_job_spec_parallelism', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_spec_completions', 'complete after one failed pod', O.jobComplete, [
    'kube_job_spec_completions{namespace="ns",job_name="complete"} 1',
  ]),
  row('kube_job_spec_completions', 'indexed, MaxFailedIndexesExceeded', O.jobIndexed, [
    'kube_job_spec_completions{namespace="ns",job_name="indexed"} 4',
  ]),
  row('kube_job_spec_completions', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_spec_active_deadline_seconds', 'running, owned by a CronJob', O.jobRunning, [
    'kube_job_spec_active_deadline_seconds{namespace="ns",job_name="running"} 900',
  ]),
  row('kube_job_spec_active_deadline_seconds', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_status_succeeded', 'suspended', O.jobSuspended, [
    'kube_job_status_succeeded{namespace="ns",job_name="suspended"} 0',
  ]),
  row('kube_job_status_succeeded', 'complete after one failed pod', O.jobComplete, [
    'kube_job_status_succeeded{namespace="ns",job_name="complete"} 1',
  ]),
  row('kube_job_status_failed', 'indexed, MaxFailedIndexesExceeded', O.jobIndexed, [
    'kube_job_status_failed{namespace="ns",job_name="indexed",reason="BackoffLimitExceeded"} 0',
    'kube_job_status_failed{namespace="ns",job_name="indexed",reason="DeadlineExceeded"} 0',
    'kube_job_status_failed{namespace="ns",job_name="indexed",reason="Evicted"} 0',
    'kube_job_status_failed{namespace="ns",job_name="indexed",reason=""} 2',
  ]),
  row('kube_job_status_failed', 'failed: BackoffLimitExceeded', O.jobBackoff, [
    'kube_job_status_failed{namespace="ns",job_name="backoff",reason="BackoffLimitExceeded"} 1',
    'kube_job_status_failed{namespace="ns",job_name="backoff",reason="DeadlineExceeded"} 0',
    'kube_job_status_failed{namespace="ns",job_name="backoff",reason="Evicted"} 0',
  ]),
  row('kube_job_status_active', 'suspended', O.jobSuspended, [
    'kube_job_status_active{namespace="ns",job_name="suspended"} 0',
  ]),
  row('kube_job_status_active', 'complete after one failed pod', O.jobComplete, [
    'kube_job_status_active{namespace="ns",job_name="complete"} 0',
  ]),
  row('kube_job_status_ready', 'suspended', O.jobSuspended, [
    'kube_job_status_ready{namespace="ns",job_name="suspended"} 0',
  ]),
  row('kube_job_status_ready', 'complete after one failed pod', O.jobComplete, [
    'kube_job_status_ready{namespace="ns",job_name="complete"} 0',
  ]),
  row('kube_job_complete', 'complete after one failed pod', O.jobComplete, [
    'kube_job_complete{namespace="ns",job_name="complete",condition="true"} 1',
    'kube_job_complete{namespace="ns",job_name="complete",condition="false"} 0',
    'kube_job_complete{namespace="ns",job_name="complete",condition="unknown"} 0',
  ]),
  row('kube_job_complete', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_failed', 'failed: BackoffLimitExceeded', O.jobBackoff, [
    'kube_job_failed{namespace="ns",job_name="backoff",condition="true"} 1',
    'kube_job_failed{namespace="ns",job_name="backoff",condition="false"} 0',
    'kube_job_failed{namespace="ns",job_name="backoff",condition="unknown"} 0',
  ]),
  row('kube_job_failed', 'indexed, MaxFailedIndexesExceeded', O.jobIndexed, [
    'kube_job_failed{namespace="ns",job_name="indexed",condition="true"} 1',
    'kube_job_failed{namespace="ns",job_name="indexed",condition="false"} 0',
    'kube_job_failed{namespace="ns",job_name="indexed",condition="unknown"} 0',
  ]),
  row('kube_job_failed', 'complete after one failed pod: nothing', O.jobComplete, []),
  row('kube_job_status_start_time', 'complete after one failed pod', O.jobComplete, [
    'kube_job_status_start_time{namespace="ns",job_name="complete"} 1.7935272e+09',
  ]),
  row('kube_job_status_start_time', 'failing pods, no conditions yet', O.jobNoConditions, [
    'kube_job_status_start_time{namespace="ns",job_name="retrying"} 1.7935272e+09',
  ]),
  row('kube_job_status_start_time', 'suspended: nothing', O.jobSuspended, []),
  row('kube_job_status_completion_time', 'complete after one failed pod', O.jobComplete, [
    'kube_job_status_completion_time{namespace="ns",job_name="complete"} 1.7935275e+09',
  ]),
  row('kube_job_status_completion_time', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_status_suspended', 'suspended', O.jobSuspended, [
    'kube_job_status_suspended{namespace="ns",job_name="suspended"} 1',
  ]),
  row('kube_job_status_suspended', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_owner', 'running, owned by a CronJob', O.jobRunning, [
    'kube_job_owner{namespace="ns",job_name="running",owner_kind="CronJob",owner_name="nightly",owner_is_controller="true"} 1',
  ]),
  row('kube_job_owner', 'suspended', O.jobSuspended, [
    'kube_job_owner{namespace="ns",job_name="suspended",owner_kind="",owner_name="",owner_is_controller=""} 1',
  ]),
  row('kube_job_status_failed_pods', 'suspended', O.jobSuspended, [
    'kube_job_status_failed_pods{namespace="ns",job_name="suspended"} 0',
  ]),
  row('kube_job_status_failed_pods', 'complete after one failed pod', O.jobComplete, [
    'kube_job_status_failed_pods{namespace="ns",job_name="complete"} 1',
  ]),
  row('kube_job_spec_suspend', 'suspended', O.jobSuspended, [
    'kube_job_spec_suspend{namespace="ns",job_name="suspended"} 1',
  ]),
  row('kube_job_spec_suspend', 'complete after one failed pod', O.jobComplete, [
    'kube_job_spec_suspend{namespace="ns",job_name="complete"} 0',
  ]),
  row('kube_job_failure_target', 'failed: BackoffLimitExceeded', O.jobBackoff, [
    'kube_job_failure_target{namespace="ns",job_name="backoff",condition="true"} 1',
    'kube_job_failure_target{namespace="ns",job_name="backoff",condition="false"} 0',
    'kube_job_failure_target{namespace="ns",job_name="backoff",condition="unknown"} 0',
  ]),
  row('kube_job_failure_target', 'indexed, MaxFailedIndexesExceeded', O.jobIndexed, [
    'kube_job_failure_target{namespace="ns",job_name="indexed",condition="true"} 1',
    'kube_job_failure_target{namespace="ns",job_name="indexed",condition="false"} 0',
    'kube_job_failure_target{namespace="ns",job_name="indexed",condition="unknown"} 0',
  ]),
  row('kube_job_failure_target', 'complete after one failed pod: nothing', O.jobComplete, []),
  row('kube_job_success_criteria_met', 'complete after one failed pod', O.jobComplete, [
    'kube_job_success_criteria_met{namespace="ns",job_name="complete",condition="true"} 1',
    'kube_job_success_criteria_met{namespace="ns",job_name="complete",condition="false"} 0',
    'kube_job_success_criteria_met{namespace="ns",job_name="complete",condition="unknown"} 0',
  ]),
  row('kube_job_success_criteria_met', 'failed: BackoffLimitExceeded: nothing', O.jobBackoff, []),
  row('kube_job_failure_reason', 'indexed, MaxFailedIndexesExceeded', O.jobIndexed, [
    'kube_job_failure_reason{namespace="ns",job_name="indexed",condition_type="FailureTarget",reason="MaxFailedIndexesExceeded"} 1',
    'kube_job_failure_reason{namespace="ns",job_name="indexed",condition_type="Failed",reason="MaxFailedIndexesExceeded"} 1',
  ]),
  row('kube_job_failure_reason', 'failed: BackoffLimitExceeded', O.jobBackoff, [
    'kube_job_failure_reason{namespace="ns",job_name="backoff",condition_type="FailureTarget",reason="BackoffLimitExceeded"} 1',
    'kube_job_failure_reason{namespace="ns",job_name="backoff",condition_type="Failed",reason="BackoffLimitExceeded"} 1',
  ]),
  row('kube_job_failure_reason', 'complete after one failed pod: nothing', O.jobComplete, []),
  // ---------------------------------------------------------------- semconv schema: identity on every point
  row('k8s.job.pod.active', 'running, owned by a CronJob', O.jobRunning, [
    'k8s.job.pod.active{k8s.namespace.name="ns",k8s.job.name="running",k8s.job.uid="uid-running",k8s.cronjob.name="nightly",k8s.cronjob.uid="cj"} 2',
  ]),
  row('k8s.job.pod.active', 'complete after one failed pod', O.jobComplete, [
    'k8s.job.pod.active{k8s.namespace.name="ns",k8s.job.name="complete",k8s.job.uid="uid-complete"} 0',
  ]),
  row('k8s.job.pod.failed', 'retrying, no conditions yet', O.jobNoConditions, [
    'k8s.job.pod.failed{k8s.namespace.name="ns",k8s.job.name="retrying",k8s.job.uid="uid-retrying"} 2',
  ]),
  row('k8s.job.pod.successful', 'complete after one failed pod', O.jobComplete, [
    'k8s.job.pod.successful{k8s.namespace.name="ns",k8s.job.name="complete",k8s.job.uid="uid-complete"} 1',
  ]),
  row('k8s.job.pod.desired_successful', 'running, owned by a CronJob', O.jobRunning, [
    'k8s.job.pod.desired_successful{k8s.namespace.name="ns",k8s.job.name="running",k8s.job.uid="uid-running",k8s.cronjob.name="nightly",k8s.cronjob.uid="cj"} 4',
  ]),
  row('k8s.job.pod.desired_successful', 'retrying, no conditions yet: nothing', O.jobNoConditions, []),
  row('k8s.job.pod.max_parallel', 'running, owned by a CronJob', O.jobRunning, [
    'k8s.job.pod.max_parallel{k8s.namespace.name="ns",k8s.job.name="running",k8s.job.uid="uid-running",k8s.cronjob.name="nightly",k8s.cronjob.uid="cj"} 2',
  ]),
  row('k8s.job.pod.max_parallel', 'retrying, no conditions yet: nothing', O.jobNoConditions, []),
];

describe('jobs family table', () => runFamilyTable('jobs', ROWS));
