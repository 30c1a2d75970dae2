import {
  DEFAULT_ALARM_CONSECUTIVE_FAILURES,
  DEFAULT_HEALTH_CHECK_SCHEDULE,
  healthAlarmDefinition,
  healthAlarmName,
  scheduleRateMinutes,
} from '../../pipeline/health-schedule';
import { DEFAULT_HEALTH_CHECK_SCHEDULE as STACK_DEFAULT_SCHEDULE } from '../../stacks/config';
import { DEFAULT_ALARM_CONSECUTIVE_FAILURES as STACK_DEFAULT_FAILURES } from '../../stacks/pipeline-stack';

describe('the health schedule and alarm shared by the stack and the local cloud', () => {
  it('is the stack defaults: every 5 minutes, alarm after 2 failed checks', () => {
    expect(DEFAULT_HEALTH_CHECK_SCHEDULE).toBe('rate(5 minutes)');
    expect(DEFAULT_ALARM_CONSECUTIVE_FAILURES).toBe(2);
    expect([STACK_DEFAULT_SCHEDULE, STACK_DEFAULT_FAILURES]).toEqual([
      DEFAULT_HEALTH_CHECK_SCHEDULE,
      DEFAULT_ALARM_CONSECUTIVE_FAILURES,
    ]);
  });

  it('defines the alarm: Minimum of HealthCheckSuccess < 1 for N periods of the schedule, missing data not breaching', () => {
    const alarm = healthAlarmDefinition({
      prefix: 'hf-rollout',
      service: 'sentiment',
      intervalMinutes: scheduleRateMinutes(DEFAULT_HEALTH_CHECK_SCHEDULE),
      metricNamespace: 'HfRollout',
    });

    expect(alarm).toEqual({
      alarmName: healthAlarmName('hf-rollout', 'sentiment'),
      alarmDescription:
        'sentiment: 2 health checks in a row failed through the public URL. See `rollout health --service sentiment`.',
      namespace: 'HfRollout',
      metricName: 'HealthCheckSuccess',
      dimensions: [{ name: 'Service', value: 'sentiment' }],
      statistic: 'Minimum',
      periodSeconds: 300,
      comparisonOperator: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    });
    expect(alarm.alarmName).toBe('hf-rollout-sentiment-unhealthy');
  });

  it.each([
    [0, /at least 1/],
    [1.5, /whole number/],
  ])('rejects %s consecutive failures', (consecutiveFailures, message) => {
    expect(() =>
      healthAlarmDefinition({
        prefix: 'p',
        service: 's',
        intervalMinutes: 5,
        metricNamespace: 'N',
        consecutiveFailures,
      }),
    ).toThrow(message);
  });

  it('rejects an alarm that would evaluate more than a day of checks', () => {
    expect(() =>
      healthAlarmDefinition({
        prefix: 'p',
        service: 's',
        intervalMinutes: 60,
        metricNamespace: 'N',
        consecutiveFailures: 25,
      }),
    ).toThrow(/over CloudWatch's one day/);
  });
});
