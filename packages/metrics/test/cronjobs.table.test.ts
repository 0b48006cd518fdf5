// Family-by-family table for CronJobs, as KSM's internal/store/cronjob_test.go: one object in, the exact series of one
// family out (wire label order, Go number format). Every family of the catalog has a row (KSM, opt-in, EXTENSION
// and semconv); a family added without one fails the coverage test. Expected lines were checked against KSM
// v2.20's pod.go / job.go / cronjob.go rules; the differential tests (test/peers/differential-*.test.ts) hold the
// KSM families to the real binary.
import { describe } from 'node:test';
import { type FamilyRow, row, runFamilyTable } from './helpers.ts';
import * as O from './table-objects.ts';

const ROWS: FamilyRow[] = [
  row(
    'kube_cronjob_annotations',
    'Asia/Kolkata weekdays, scheduled before',
    O.cronKolkata,
    ['kube_cronjob_annotations{namespace="ns",cronjob="report",annotation_example_com_owner="alice"} 1'],
    { labelsAllow: undefined, annotationsAllow: ['*'] },
  ),
  row(
    'kube_cronjob_annotations',
    '*/60: step not below the range (go-cron rejects)',
    O.cronInvalid,
    ['kube_cronjob_annotations{namespace="ns",cronjob="broken"} 1'],
    { labelsAllow: undefined, annotationsAllow: ['*'] },
  ),
  row('kube_cronjob_annotations', 'no allowlist entry: nothing', O.cronInvalid, []),
  row(
    'kube_cronjob_labels',
    'Asia/Kolkata weekdays, scheduled before',
    O.cronKolkata,
    ['kube_cronjob_labels{namespace="ns",cronjob="report",label_app="web"} 1'],
    { labelsAllow: ['app'], annotationsAllow: undefined },
  ),
  row(
    'kube_cronjob_labels',
    '*/60: step not below the range (go-cron rejects)',
    O.cronInvalid,
    ['kube_cronjob_labels{namespace="ns",cronjob="broken"} 1'],
    { labelsAllow: ['app'], annotationsAllow: undefined },
  ),
  row('kube_cronjob_labels', 'no allowlist entry: nothing', O.cronInvalid, []),
  row('kube_cronjob_info', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_info{namespace="ns",cronjob="report",schedule="30 9 * * 1-5",concurrency_policy="Forbid",timezone="Asia/Kolkata"} 1',
  ]),
  row('kube_cronjob_info', '*/60: step not below the range (go-cron rejects)', O.cronInvalid, [
    'kube_cronjob_info{namespace="ns",cronjob="broken",schedule="*/60 * * * *",concurrency_policy="Allow",timezone="local"} 1',
  ]),
  row('kube_cronjob_created', '*/60: step not below the range (go-cron rejects)', O.cronInvalid, [
    'kube_cronjob_created{namespace="ns",cronjob="broken"} 1.7935272e+09',
  ]),
  row('kube_cronjob_created', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_created{namespace="ns",cronjob="report"} 1.7935272e+09',
  ]),
  row('kube_cronjob_status_active', '*/60: step not below the range (go-cron rejects)', O.cronInvalid, [
    'kube_cronjob_status_active{namespace="ns",cronjob="broken"} 0',
  ]),
  row('kube_cronjob_status_active', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_status_active{namespace="ns",cronjob="report"} 1',
  ]),
  row('kube_cronjob_status_last_schedule_time', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_status_last_schedule_time{namespace="ns",cronjob="report"} 1.7935272e+09',
  ]),
  row(
    'kube_cronjob_status_last_schedule_time',
    '*/60: step not below the range (go-cron rejects): nothing',
    O.cronInvalid,
    [],
  ),
  row('kube_cronjob_status_last_successful_time', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_status_last_successful_time{namespace="ns",cronjob="report"} 1.7935275e+09',
  ]),
  row(
    'kube_cronjob_status_last_successful_time',
    '*/60: step not below the range (go-cron rejects): nothing',
    O.cronInvalid,
    [],
  ),
  row('kube_cronjob_spec_suspend', '*/60: step not below the range (go-cron rejects)', O.cronInvalid, [
    'kube_cronjob_spec_suspend{namespace="ns",cronjob="broken"} 0',
  ]),
  row('kube_cronjob_spec_suspend', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_spec_suspend{namespace="ns",cronjob="report"} 0',
  ]),
  row('kube_cronjob_spec_starting_deadline_seconds', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_spec_starting_deadline_seconds{namespace="ns",cronjob="report"} 120',
  ]),
  row(
    'kube_cronjob_spec_starting_deadline_seconds',
    '*/60: step not below the range (go-cron rejects): nothing',
    O.cronInvalid,
    [],
  ),
  row('kube_cronjob_next_schedule_time', 'Feb 30: never fires', O.cronNever, [
    'kube_cronjob_next_schedule_time{namespace="ns",cronjob="never"} -6.21355968e+10',
  ]),
  row('kube_cronjob_next_schedule_time', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_next_schedule_time{namespace="ns",cronjob="report"} 1.793592e+09',
  ]),
  row(
    'kube_cronjob_next_schedule_time',
    '*/60: step not below the range (go-cron rejects): nothing',
    O.cronInvalid,
    [],
  ),
  row('kube_cronjob_schedule_invalid', '*/60: step not below the range (go-cron rejects)', O.cronInvalid, [
    'kube_cronjob_schedule_invalid{namespace="ns",cronjob="broken"} 1',
  ]),
  row('kube_cronjob_schedule_invalid', 'Asia/Kolkata weekdays, scheduled before: nothing', O.cronKolkata, []),
  row('kube_cronjob_metadata_resource_version', '*/60: step not below the range (go-cron rejects)', O.cronInvalid, [
    'kube_cronjob_metadata_resource_version{namespace="ns",cronjob="broken"} 4711',
  ]),
  row('kube_cronjob_metadata_resource_version', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_metadata_resource_version{namespace="ns",cronjob="report"} 4711',
  ]),
  row('kube_cronjob_spec_successful_job_history_limit', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_spec_successful_job_history_limit{namespace="ns",cronjob="report"} 3',
  ]),
  row(
    'kube_cronjob_spec_successful_job_history_limit',
    '*/60: step not below the range (go-cron rejects): nothing',
    O.cronInvalid,
    [],
  ),
  row('kube_cronjob_spec_failed_job_history_limit', 'Asia/Kolkata weekdays, scheduled before', O.cronKolkata, [
    'kube_cronjob_spec_failed_job_history_limit{namespace="ns",cronjob="report"} 1',
  ]),
  row(
    'kube_cronjob_spec_failed_job_history_limit',
    '*/60: step not below the range (go-cron rejects): nothing',
    O.cronInvalid,
    [],
  ),
  // ---------------------------------------------------------------- semconv schema: identity on every point
  row('k8s.cronjob.job.active', 'Asia/Kolkata time zone, one active job', O.cronKolkata, [
    'k8s.cronjob.job.active{k8s.namespace.name="ns",k8s.cronjob.name="report",k8s.cronjob.uid="uid-report"} 1',
  ]),
  row('k8s.cronjob.job.active', 'suspended', O.cronSuspended, [
    'k8s.cronjob.job.active{k8s.namespace.name="ns",k8s.cronjob.name="paused",k8s.cronjob.uid="uid-paused"} 0',
  ]),
];

describe('cronjobs family table', () => runFamilyTable('cronjobs', ROWS));
