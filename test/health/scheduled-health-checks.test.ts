import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LocalCloud } from '../../local/cloud';
import type { HealthRecord } from '../../lambdas/shared/health-types';
import type { LivePointer } from '../../lambdas/shared/types';
import { listRollouts, type RolloutSummary } from '../../pipeline/history';
import {
  clientConfig,
  eventually,
  rollOut,
  ROLLOUT_MACHINE,
  sentimentSpec,
} from '../console/support/rollouts';

/**
 * The scheduled health check end to end in the local cloud: the schedule (the stack's rate(5 minutes),
 * time-scaled to 3 s) runs the real health-check state machine; the live endpoint then starts failing
 * (a declared fault, not code), and the checks record failures, the alarm fires and notifies, and the
 * spec's opt-in auto-rollback points the API back at the previous deployment, which history shows.
 * Nothing here calls a health check by hand.
 */

const ALARM_NAME = 'hf-rollout-sentiment-unhealthy';
const ALARM_SUBJECT = `ALARM: "${ALARM_NAME}" in US East (N. Virginia)`;

let cloud: LocalCloud;
let sfn: SFNClient;
let ssm: SSMClient;
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  cloud = await LocalCloud.start({
    dataDir: null,
    port: 0,
    edgePort: 0,
    timeScale: 0.01,
    services: ['sentiment'],
    healthChecks: true,
  });
  sfn = new SFNClient(clientConfig(cloud));
  ssm = new SSMClient(clientConfig(cloud));
  cloudwatch = new CloudWatchClient(clientConfig(cloud));
}, 60_000);

afterAll(async () => {
  sfn.destroy();
  ssm.destroy();
  cloudwatch.destroy();
  await cloud.stop();
});

async function parameter<T>(name: string): Promise<T | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    return JSON.parse(out.Parameter?.Value ?? 'null') as T;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

async function alarmState(): Promise<string | undefined> {
  const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM_NAME] }));
  return out.MetricAlarms?.[0]?.StateValue;
}

function notifications(): { subject?: string; message: string }[] {
  return (cloud.inventory().sns as { messages: { subject?: string; message: string }[] }).messages;
}

async function healthValues(): Promise<number[]> {
  const end = new Date();
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - 10 * 60_000),
      EndTime: end,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'success',
          MetricStat: {
            Metric: {
              Namespace: 'HfRollout',
              MetricName: 'HealthCheckSuccess',
              Dimensions: [{ Name: 'Service', Value: 'sentiment' }],
            },
            Period: 1,
            Stat: 'Minimum',
          },
        },
      ],
    }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
}

/** The automatic rollback's history row, once it has ended. */
function endedRollback(): Promise<RolloutSummary> {
  return eventually(async () => {
    const page = await listRollouts(sfn, ROLLOUT_MACHINE, { service: 'sentiment', pageSize: 5 });
    const row = page.rollouts.find((r) => r.kind === 'rollback');
    return row === undefined || row.status === 'RUNNING' ? undefined : row;
  }, 60_000);
}

describe('scheduled health checks of a live endpoint that starts failing', () => {
  // The alarm fires after 2 failed checks (the stack's default), the rollback comes after 3: people hear
  // of the problem before the pipeline acts on it.
  const spec = sentimentSpec({ healthCheck: { autoRollback: true, failuresBeforeRollback: 3 } });
  let previous = '';
  let failing = '';

  it('checks the live deployment on the schedule and records it healthy', async () => {
    // Arrange: two deployments, so one is kept for a rollback
    const first = await rollOut(sfn, spec);
    const second = await rollOut(sfn, spec);
    previous = first.rolloutId;
    failing = second.rolloutId;

    // Act: only wait; the schedule runs the checks
    const healthy = await eventually(async () => {
      const h = await parameter<HealthRecord>('/hf-rollout/sentiment/health');
      return h?.lastResult === 'healthy' && h.lastEndpoint === failing ? h : undefined;
    }, 30_000);

    // Assert
    expect([first.outcome.status, second.outcome.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(healthy).toMatchObject({ consecutiveFailures: 0, lastServedBy: failing });
    expect(await healthValues()).toContain(1);
    expect(await alarmState()).toBe('OK');
  }, 180_000);

  it('records failures, raises the alarm, notifies, and rolls the API back to the previous deployment', async () => {
    // Arrange: the live endpoint's container starts failing every invocation
    cloud.faults.add({
      operation: 'SageMakerRuntime.InvokeEndpoint',
      match: { EndpointName: failing },
      outcome: {
        error: 'ModelError',
        fields: { OriginalStatusCode: 500, OriginalMessage: 'CUDA out of memory' },
      },
    });

    // Act: only wait for the scheduled checks and the alarm
    const unhealthy = await eventually(async () => {
      const h = await parameter<HealthRecord>('/hf-rollout/sentiment/health');
      return h?.lastResult === 'unhealthy' ? h : undefined;
    }, 30_000);
    const alarmed = await eventually(
      async () => ((await alarmState()) === 'ALARM' ? 'ALARM' : undefined),
      30_000,
    );
    const rolledBack = await eventually(async () => {
      const live = await parameter<LivePointer>('/hf-rollout/sentiment/live');
      return live?.current.rolloutId === previous ? live : undefined;
    }, 60_000);
    // The pointer moves in Switch API Target; the answer is asked once the rollback has ended.
    const rollback = await endedRollback();
    const { apiKey } = await cloud.compute.provisionService('sentiment');
    const answer = await fetch(`${cloud.edgeUrl}/sentiment/predict`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'I love this product' }),
    });

    // Assert: failures recorded (health parameter and metric)
    expect(unhealthy).toMatchObject({ lastEndpoint: failing });
    expect(unhealthy.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(await healthValues()).toContain(0);
    // the alarm fired and CloudWatch's notification reached the topic
    expect(alarmed).toBe('ALARM');
    const alarmMessage = notifications().find((n) => n.subject === ALARM_SUBJECT);
    expect(JSON.parse(alarmMessage?.message ?? '{}')).toMatchObject({
      AlarmName: ALARM_NAME,
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      Trigger: { MetricName: 'HealthCheckSuccess', Namespace: 'HfRollout', Statistic: 'MINIMUM' },
    });
    expect(notifications().map((n) => n.subject)).toEqual(
      expect.arrayContaining([
        '[hf-rollout] sentiment is unhealthy',
        '[hf-rollout] sentiment: automatic rollback started',
      ]),
    );
    // the API answers from the previous deployment again
    expect(rolledBack.previous.map((t) => t.rolloutId)).toEqual([failing]);
    expect(rollback.status).toBe('SUCCEEDED');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-served-by-endpoint')).toBe(previous);
  }, 180_000);

  it('keeps the automatic rollback in history, and the alarm recovers once checks pass again', async () => {
    // Act
    const rollback = await endedRollback();
    const recovered = await eventually(
      async () => ((await alarmState()) === 'OK' ? 'OK' : undefined),
      30_000,
    );
    const health = await parameter<HealthRecord>('/hf-rollout/sentiment/health');
    const checks = cloud.inventory().scheduledHealthChecks as Record<string, { runs: number }>;

    // Assert
    expect(rollback).toMatchObject({
      status: 'SUCCEEDED',
      requestedBy: 'health-check',
      service: 'sentiment',
      endpointName: previous,
      previousEndpoint: failing,
    });
    expect(rollback?.reason).toContain(`failed health checks of endpoint ${failing}`);
    expect(health?.lastAutoRollback).toMatchObject({
      fromEndpoint: failing,
      toEndpoint: previous,
      executionName: rollback?.rolloutId,
    });
    expect(recovered).toBe('OK');
    expect(
      notifications().filter((n) => n.subject?.startsWith(`OK: "${ALARM_NAME}"`)).length,
    ).toBeGreaterThan(0);
    expect(checks.sentiment?.runs).toBeGreaterThan(3);
  }, 120_000);
});
