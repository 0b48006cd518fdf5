import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GO_ZERO_TIME_UNIX, nextCronTime, parseCron } from '../src/index.ts';
import { generate } from './helpers.ts';

const t = (iso: string) => Date.parse(iso) / 1000;

describe('cron next time', () => {
  test('UTC basics: every 5 minutes, hourly, daily macro, ranges and names', () => {
    assert.equal(nextCronTime(parseCron('*/5 * * * *'), t('2026-03-01T10:02:30Z')), t('2026-03-01T10:05:00Z'));
    assert.equal(nextCronTime(parseCron('*/5 * * * *'), t('2026-03-01T10:05:00Z')), t('2026-03-01T10:10:00Z'));
    assert.equal(nextCronTime(parseCron('@hourly'), t('2026-03-01T10:00:00Z')), t('2026-03-01T11:00:00Z'));
    assert.equal(nextCronTime(parseCron('@daily'), t('2026-12-31T23:59:00Z')), t('2027-01-01T00:00:00Z'));
    assert.equal(nextCronTime(parseCron('30 9 * * MON-FRI'), t('2026-11-21T12:00:00Z')), t('2026-11-23T09:30:00Z'));
    assert.equal(nextCronTime(parseCron('0 0 29 2 *'), t('2026-03-01T00:00:00Z')), t('2028-02-29T00:00:00Z'));
  });

  test('day-of-month and day-of-week are AND-ed (go-cron default, not classic cron OR)', () => {
    // 2026-11-22 is a Sunday; "the 1st when it is a Friday" → 2027-01-01 (a Friday).
    assert.equal(nextCronTime(parseCron('0 0 1 * 5'), t('2026-11-22T00:00:00Z')), t('2027-01-01T00:00:00Z'));
    // Last Friday of the month: days 25-31 that are Fridays.
    assert.equal(nextCronTime(parseCron('0 0 25-31 * FRI'), t('2026-11-01T00:00:00Z')), t('2026-11-27T00:00:00Z'));
  });

  test('wrapping ranges, steps, and what go-cron rejects', () => {
    assert.equal(nextCronTime(parseCron('0 22-2 * * *'), t('2026-03-01T03:00:00Z')), t('2026-03-01T22:00:00Z'));
    assert.equal(nextCronTime(parseCron('0 0 * * FRI-MON'), t('2026-11-24T12:00:00Z')), t('2026-11-27T00:00:00Z'));
    assert.equal(nextCronTime(parseCron('*-5 * * * *'), t('2026-03-01T10:00:30Z')), t('2026-03-01T10:01:00Z'));
    assert.equal(nextCronTime(parseCron('5,,10 * * * *'), t('2026-03-01T10:06:00Z')), t('2026-03-01T10:10:00Z'));
    assert.throws(() => parseCron('*/60 * * * *'), /step/); // robfig/cron and the API server accept it
    assert.throws(() => parseCron('59/2 * * * *'), /step/);
    assert.throws(() => parseCron('H * * * *'));
    assert.throws(() => parseCron('0 0 L * *'));
    assert.throws(() => parseCron('0 0 * * 5#3'));
  });

  test('macros, @every and schedules that never fire', () => {
    assert.equal(nextCronTime(parseCron('@every 1h30m'), t('2026-03-01T10:02:30Z')), t('2026-03-01T11:32:30Z'));
    assert.equal(nextCronTime(parseCron('@every 1.5s'), 100), 101);
    assert.throws(() => parseCron('@every 500ms'), /at least 1s/);
    assert.throws(() => parseCron('@reboot'));
    assert.equal(nextCronTime(parseCron('@weekly'), t('2026-11-25T00:00:00Z')), t('2026-11-29T00:00:00Z'));
    assert.equal(nextCronTime(parseCron('@manual'), 100), GO_ZERO_TIME_UNIX);
    assert.equal(nextCronTime(parseCron('0 0 30 2 *'), t('2026-01-01T00:00:00Z')), GO_ZERO_TIME_UNIX);
  });

  test('a day missing from the zone ends the search instead of looping forever like go-cron', () => {
    // Samoa skipped 2011-12-30: time.Date maps that midnight onto the 29th, so go-cron's AddDate never advances.
    assert.equal(nextCronTime(parseCron('0 0 * * 0', 'Pacific/Apia'), t('2011-12-28T00:00:00Z')), undefined);
    assert.equal(
      nextCronTime(parseCron('0 0 * * *', 'Pacific/Apia'), t('2011-12-28T00:00:00Z')),
      t('2011-12-28T10:00:00Z'),
    );
  });

  test('time zones: spec.timeZone and CRON_TZ, across DST', () => {
    // 09:00 in New York during EST (UTC-5) and EDT (UTC-4).
    assert.equal(
      nextCronTime(parseCron('0 9 * * *', 'America/New_York'), t('2026-01-10T00:00:00Z')),
      t('2026-01-10T14:00:00Z'),
    );
    assert.equal(
      nextCronTime(parseCron('0 9 * * *', 'America/New_York'), t('2026-07-10T00:00:00Z')),
      t('2026-07-10T13:00:00Z'),
    );
    assert.equal(
      nextCronTime(parseCron('CRON_TZ=Asia/Kolkata 0 9 * * *'), t('2026-07-10T00:00:00Z')),
      t('2026-07-10T03:30:00Z'),
    );
  });

  test('invalid schedules and zones are rejected', () => {
    assert.throws(() => parseCron('61 * * * *'));
    assert.throws(() => parseCron('* * * *'));
    assert.throws(() => parseCron('* * * * *', 'Mars/Olympus'));
    assert.throws(() => parseCron('* * * * *', 'america/new_york')); // Go's LoadLocation is case-sensitive
    assert.throws(() => parseCron('* * * * *', '')); // CRON_TZ= with an empty zone
    assert.throws(() => parseCron('TZ=UTC * * * * *', 'UTC')); // the prefix KSM adds makes a sixth field
  });
});

describe('cronjob families', () => {
  const cj = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({
    metadata: {
      name: 'c',
      namespace: 'ns',
      uid: 'cu',
      resourceVersion: '12345',
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: { schedule: '0 * * * *', concurrencyPolicy: 'Forbid', ...spec },
    status,
  });
  const v = (f: ReturnType<typeof generate>, n: string) => f.get(n)!.map((p) => p.value);

  test('info, status and spec families with default labels namespace, cronjob', () => {
    const f = generate(
      'cronjobs',
      cj(
        {
          suspend: false,
          startingDeadlineSeconds: 30,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          timeZone: 'Europe/Berlin',
        },
        {
          active: [{ name: 'j1' }],
          lastScheduleTime: '2026-05-01T10:00:00Z',
          lastSuccessfulTime: '2026-05-01T10:00:42Z',
        },
      ),
    );
    assert.deepEqual(f.get('kube_cronjob_info')![0]!.attributes, {
      namespace: 'ns',
      cronjob: 'c',
      schedule: '0 * * * *',
      concurrency_policy: 'Forbid',
      timezone: 'Europe/Berlin',
    });
    assert.deepEqual(v(f, 'kube_cronjob_status_active'), [1]);
    assert.deepEqual(v(f, 'kube_cronjob_status_last_schedule_time'), [t('2026-05-01T10:00:00Z')]);
    assert.deepEqual(v(f, 'kube_cronjob_status_last_successful_time'), [t('2026-05-01T10:00:42Z')]);
    assert.deepEqual(v(f, 'kube_cronjob_spec_suspend'), [0]);
    assert.deepEqual(v(f, 'kube_cronjob_spec_starting_deadline_seconds'), [30]);
    assert.deepEqual(v(f, 'kube_cronjob_metadata_resource_version'), [12345]);
    assert.deepEqual(v(f, 'kube_cronjob_spec_successful_job_history_limit'), [3]);
    assert.deepEqual(v(f, 'kube_cronjob_spec_failed_job_history_limit'), [1]);
    assert.deepEqual(v(f, 'kube_cronjob_next_schedule_time'), [t('2026-05-01T11:00:00Z')]);
    assert.deepEqual(v(f, 'kube_cronjob_created'), [t('2026-01-01T00:00:00Z')]);
  });

  test('next schedule from creation when never scheduled; none while suspended or unparseable', () => {
    assert.deepEqual(v(generate('cronjobs', cj({})), 'kube_cronjob_next_schedule_time'), [t('2026-01-01T01:00:00Z')]);
    assert.deepEqual(generate('cronjobs', cj({ suspend: true })).get('kube_cronjob_next_schedule_time'), []);
    assert.deepEqual(generate('cronjobs', cj({ schedule: 'not a cron' })).get('kube_cronjob_next_schedule_time'), []);
    assert.equal(generate('cronjobs', cj({})).get('kube_cronjob_info')![0]!.attributes.timezone, 'local');
  });
});
