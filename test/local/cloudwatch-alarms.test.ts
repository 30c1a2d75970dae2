import { join } from 'node:path';
import type { Server } from 'node:http';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { Clock } from '../../local/clock';
import { FaultEngine } from '../../local/faults';
import type { DataPlane } from '../../local/planes';
import { close, createAwsServer, listen } from '../../local/server';
import {
  alarmConfigFromDefinition,
  alarmNotification,
  evaluateAlarm,
  evaluationRange,
  type MetricAlarmConfig,
  type PeriodValue,
  type StoredAlarm,
} from '../../local/services/cloudwatch-alarms';
import { createDataPlane } from '../../local/services/data-plane';
import { healthAlarmDefinition } from '../../pipeline/health-schedule';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:hf-rollout-notifications';

/** The health alarm of service "sentiment", as the stack defines it, with the topic as its actions. */
function healthAlarm(overrides: Partial<MetricAlarmConfig> = {}): MetricAlarmConfig {
  const definition = healthAlarmDefinition({
    prefix: 'hf-rollout',
    service: 'sentiment',
    intervalMinutes: 5,
    metricNamespace: 'HfRollout',
  });
  return { ...alarmConfigFromDefinition(definition, TOPIC), ...overrides };
}

const PERIOD_MS = 300_000;
/** 2026-11-22 10:07:30 UTC: in the period that started at 10:05:00. */
const NOW = Date.UTC(2026, 10, 22, 10, 7, 30);
const CURRENT = Date.UTC(2026, 10, 22, 10, 5, 0);

/** A check's value in the period `ago` periods before the current one. */
function check(ago: number, value: number): PeriodValue {
  return { t: CURRENT - ago * PERIOD_MS, value, sampleCount: 1 };
}

describe('evaluateAlarm', () => {
  it("goes to ALARM when the last two checks failed, with CloudWatch's reason", () => {
    const out = evaluateAlarm(healthAlarm(), [check(1, 0), check(0, 0)], NOW, PERIOD_MS);

    expect(out?.value).toBe('ALARM');
    expect(out?.reason).toBe(
      'Threshold Crossed: 2 out of the last 2 datapoints [0.0 (22/11/26 10:05:00), 0.0 (22/11/26 10:00:00)] ' +
        'were less than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
    expect(JSON.parse(out?.reasonData ?? '{}')).toMatchObject({
      version: '1.0',
      statistic: 'Minimum',
      period: 300,
      recentDatapoints: [0, 0],
      threshold: 1,
    });
  });

  it('stays OK when only one of the last two checks failed', () => {
    const out = evaluateAlarm(healthAlarm(), [check(1, 0), check(0, 1)], NOW, PERIOD_MS);

    expect(out?.value).toBe('OK');
    expect(out?.reason).toBe(
      'Threshold Crossed: 1 out of the last 2 datapoints [1.0 (22/11/26 10:05:00), 0.0 (22/11/26 10:00:00)] ' +
        'was not less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).',
    );
  });

  it('evaluates the most recent real datapoints, not a period whose check has not run yet', () => {
    // The current period has no check yet; the two before it failed.
    const out = evaluateAlarm(healthAlarm(), [check(2, 0), check(1, 0)], NOW, PERIOD_MS);

    expect(out?.value).toBe('ALARM');
  });

  it('ignores older failures once the most recent checks pass', () => {
    const out = evaluateAlarm(healthAlarm(), [check(2, 0), check(1, 1), check(0, 1)], NOW, PERIOD_MS);

    expect(out?.value).toBe('OK');
  });

  it('treats missing checks as not breaching: no data is OK', () => {
    const out = evaluateAlarm(healthAlarm(), [], NOW, PERIOD_MS);

    expect(out).toMatchObject({
      value: 'OK',
      reason:
        'Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [NonBreaching].',
    });
  });

  it('does not alarm on one failed check and one missing one (notBreaching)', () => {
    const out = evaluateAlarm(healthAlarm(), [check(0, 0)], NOW, PERIOD_MS);

    expect(out?.value).toBe('OK');
  });

  it('alarms on one failed check and one missing one when missing data is breaching', () => {
    const out = evaluateAlarm(healthAlarm({ treatMissingData: 'breaching' }), [check(0, 0)], NOW, PERIOD_MS);

    expect(out?.value).toBe('ALARM');
    expect(out?.reason).toContain('1 missing datapoint was treated as [Breaching]');
  });

  it('is INSUFFICIENT_DATA without data when missing data is "missing", and keeps its state when "ignore"', () => {
    const missing = evaluateAlarm(healthAlarm({ treatMissingData: 'missing' }), [], NOW, PERIOD_MS);
    const ignore = evaluateAlarm(healthAlarm({ treatMissingData: 'ignore' }), [], NOW, PERIOD_MS);

    expect(missing).toMatchObject({
      value: 'INSUFFICIENT_DATA',
      reason: 'Insufficient Data: 2 datapoints were unknown.',
    });
    expect(ignore).toBeNull();
  });

  it('alarms on M of N: 2 breaching of the last 3', () => {
    const config = healthAlarm({ evaluationPeriods: 3, datapointsToAlarm: 2 });

    const out = evaluateAlarm(config, [check(2, 0), check(1, 1), check(0, 0)], NOW, PERIOD_MS);

    expect(out?.value).toBe('ALARM');
  });
});

describe('evaluationRange', () => {
  it('covers the period in progress and the N periods before it', () => {
    expect(evaluationRange({ evaluationPeriods: 2 }, NOW, PERIOD_MS)).toEqual({
      startMs: CURRENT - 2 * PERIOD_MS,
      endMs: CURRENT + PERIOD_MS,
    });
  });
});

describe('alarmNotification', () => {
  it("is CloudWatch's SNS message: subject, states, reason and trigger", () => {
    const alarm: StoredAlarm = {
      config: healthAlarm(),
      arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:hf-rollout-sentiment-unhealthy',
      configUpdatedAt: CURRENT,
      state: { value: 'ALARM', reason: 'Threshold Crossed: …', updatedAt: NOW },
    };

    const { subject, message } = alarmNotification(alarm, 'OK', {
      region: 'us-east-1',
      accountId: '000000000000',
    });

    expect(subject).toBe('ALARM: "hf-rollout-sentiment-unhealthy" in US East (N. Virginia)');
    expect(JSON.parse(message)).toEqual({
      AlarmName: 'hf-rollout-sentiment-unhealthy',
      AlarmDescription:
        'sentiment: 2 health checks in a row failed through the public URL. See `rollout health --service sentiment`.',
      AWSAccountId: '000000000000',
      AlarmConfigurationUpdatedTimestamp: '2026-11-22T10:05:00.000+0000',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed: …',
      StateChangeTime: '2026-11-22T10:07:30.000+0000',
      Region: 'US East (N. Virginia)',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:hf-rollout-sentiment-unhealthy',
      OldStateValue: 'OK',
      OKActions: [TOPIC],
      AlarmActions: [TOPIC],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: 'HealthCheckSuccess',
        Namespace: 'HfRollout',
        StatisticType: 'Statistic',
        Statistic: 'MINIMUM',
        Unit: null,
        Dimensions: [{ value: 'sentiment', name: 'Service' }],
        Period: 300,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: '- TreatMissingData:                    notBreaching',
        EvaluateLowSampleCountPercentile: '',
      },
    });
  });
});

/** A clock whose "now" the test sets (alarm evaluation reads it; durations stay AWS-scaled by 1). */
class TestClock extends Clock {
  at = NOW;
  override now(): Date {
    return new Date(this.at);
  }
}

describe('CloudWatch alarms over the wire (SDK)', () => {
  let server: Server;
  let plane: DataPlane;
  let cw: CloudWatchClient;
  const clock = new TestClock(1);

  beforeEach(async () => {
    clock.at = NOW;
    const holder: { plane?: DataPlane } = {};
    server = createAwsServer(() => holder.plane?.services ?? []);
    const endpoint = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    plane = createDataPlane({
      ctx: { region: 'us-east-1', accountId: '000000000000', clock, faults: new FaultEngine() },
      dataDir: null,
      endpoint,
      rootDir: join(__dirname, '..', '..'),
    });
    holder.plane = plane;
    cw = new CloudWatchClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    cw.destroy();
    await plane.close();
    await close(server);
  });

  async function putCheck(ago: number, value: number): Promise<void> {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'HfRollout',
        MetricData: [
          {
            MetricName: 'HealthCheckSuccess',
            Dimensions: [{ Name: 'Service', Value: 'sentiment' }],
            Timestamp: new Date(CURRENT - ago * PERIOD_MS + 30_000),
            Value: value,
            Unit: 'Count',
          },
        ],
      }),
    );
  }

  async function alarm(): Promise<MetricAlarm | undefined> {
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['hf-rollout-sentiment-unhealthy'] }));
    return out.MetricAlarms?.[0];
  }

  function notifications(): { subject?: string; message: string }[] {
    const sns = plane.inventory().sns as { messages: { subject?: string; message: string }[] };
    return sns.messages;
  }

  it('describes a new alarm as INSUFFICIENT_DATA with its definition', async () => {
    plane.putMetricAlarm(healthAlarm());

    const described = await alarm();

    expect(described).toMatchObject({
      AlarmName: 'hf-rollout-sentiment-unhealthy',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:hf-rollout-sentiment-unhealthy',
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      MetricName: 'HealthCheckSuccess',
      Namespace: 'HfRollout',
      Statistic: 'Minimum',
      Dimensions: [{ Name: 'Service', Value: 'sentiment' }],
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
    });
    expect(described?.StateUpdatedTimestamp).toEqual(new Date(NOW));
  });

  it('goes to ALARM after two failed checks, notifies the topic, and back to OK after a passing one', async () => {
    // Arrange
    plane.putMetricAlarm(healthAlarm());
    await putCheck(2, 1);
    plane.evaluateAlarms();
    await putCheck(1, 0);
    await putCheck(0, 0);

    // Act
    clock.at = NOW + 1000;
    const transitions = plane.evaluateAlarms();
    const inAlarm = await alarm();
    clock.at = NOW + PERIOD_MS;
    await putCheck(-1, 1);
    plane.evaluateAlarms();
    const recovered = await alarm();

    // Assert
    expect(transitions).toEqual([
      expect.objectContaining({
        alarmName: 'hf-rollout-sentiment-unhealthy',
        oldState: 'OK',
        newState: 'ALARM',
      }),
    ]);
    expect(inAlarm).toMatchObject({
      StateValue: 'ALARM',
      StateReason: expect.stringContaining('2 out of the last 2 datapoints [0.0') as unknown,
      StateUpdatedTimestamp: new Date(NOW + 1000),
    });
    expect(recovered?.StateValue).toBe('OK');
    const sent = notifications().map((n) => ({
      subject: n.subject,
      ...(JSON.parse(n.message) as { OldStateValue: string; NewStateValue: string }),
    }));
    expect(sent.map((n) => [n.subject, n.OldStateValue, n.NewStateValue])).toEqual([
      ['OK: "hf-rollout-sentiment-unhealthy" in US East (N. Virginia)', 'INSUFFICIENT_DATA', 'OK'],
      ['ALARM: "hf-rollout-sentiment-unhealthy" in US East (N. Virginia)', 'OK', 'ALARM'],
      ['OK: "hf-rollout-sentiment-unhealthy" in US East (N. Virginia)', 'ALARM', 'OK'],
    ]);
  });

  it('filters by state and name prefix, and keeps the state when the definition is put again', async () => {
    plane.putMetricAlarm(healthAlarm());
    plane.putMetricAlarm(
      healthAlarm({ alarmName: 'hf-rollout-ner-unhealthy', dimensions: [{ Name: 'Service', Value: 'ner' }] }),
    );
    await putCheck(1, 0);
    await putCheck(0, 0);
    plane.evaluateAlarms();
    plane.putMetricAlarm(healthAlarm());

    const inAlarm = await cw.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }));
    const byPrefix = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'hf-rollout-ner' }));

    expect(inAlarm.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['hf-rollout-sentiment-unhealthy']);
    expect(byPrefix.MetricAlarms?.map((a) => [a.AlarmName, a.StateValue])).toEqual([
      ['hf-rollout-ner-unhealthy', 'OK'],
    ]);
  });

  it('rejects AlarmNames together with AlarmNamePrefix, as CloudWatch does', async () => {
    await expect(
      cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
  });
});
