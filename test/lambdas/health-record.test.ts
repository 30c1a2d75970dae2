import './health-record-env';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../lambdas/health-record/handler';
import {
  healthRecordCore,
  nextHealth,
  parseHealthRecordInput,
  type HealthMetrics,
} from '../../lambdas/health-record/core';
import type { HealthProbe, HealthRecord, HealthRecordInput } from '../../lambdas/shared/health-types';
import { INITIAL_HEALTH } from '../../lambdas/shared/health-types';
import { InvalidStepInputError } from '../../lambdas/shared/errors';
import { fixture, healthState } from './switch-health-fixtures';

const ssmMock = mockClient(SSMClient);
const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);

const NOW = new Date('2025-01-03T10:05:00.000Z');
const LIVE_ENDPOINT = 'sentiment-distilbert-base-20250101-090000-1111';
const PREVIOUS_ENDPOINT = 'sentiment-roberta-20241201-080000-0000';
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:hf-rollout-rollout';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:hf-rollout-notifications';
const ROLLBACK_ID = 'sentiment-rollback-20250103-100500-0f0f';

function metricsSpy() {
  const calls: [string, ...unknown[]][] = [];
  const metrics: HealthMetrics = {
    addDimension: (name, value) => calls.push(['addDimension', name, value]),
    addMetric: (name, unit, value, resolution) => calls.push(['addMetric', name, unit, value, resolution]),
    publishStoredMetrics: () => calls.push(['publishStoredMetrics']),
  };
  return { metrics, calls };
}

function deps(metrics: HealthMetrics = metricsSpy().metrics) {
  return {
    ssm: new SSMClient({}),
    sns: new SNSClient({}),
    sfn: new SFNClient({}),
    metrics,
    prefix: 'hf-rollout',
    notificationTopicArn: TOPIC,
    rolloutStateMachineArn: STATE_MACHINE,
    now: () => NOW,
    newRollbackId: () => ROLLBACK_ID,
  };
}

/** The stored health record before this check (undefined: none yet). */
function storedHealth(record?: HealthRecord): void {
  if (record === undefined) {
    ssmMock.on(GetParameterCommand).rejects(Object.assign(new Error('x'), { name: 'ParameterNotFound' }));
  } else {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(record) } });
  }
  ssmMock.on(PutParameterCommand).resolves({});
}

/** Every health record written, in order. */
function written(): HealthRecord[] {
  return ssmMock
    .commandCalls(PutParameterCommand)
    .map((c) => JSON.parse(c.args[0].input.Value ?? 'null') as HealthRecord);
}

function probe(passed: boolean, latencyMs = 180): HealthProbe {
  return {
    passed,
    latencyMs,
    servedBy: LIVE_ENDPOINT,
    results: [
      {
        name: 'positive review',
        passed,
        status: passed ? 200 : 502,
        latencyMs,
        failures: passed ? [] : ['status: expected 200, got 502: {"error":"ModelError"}'],
        responsePreview: '',
      },
    ],
  };
}

function probed(passed: boolean, overrides: Partial<HealthRecordInput> = {}): HealthRecordInput {
  return { ...healthState(), probe: probe(passed), ...overrides };
}

const unhealthyTwice = (): HealthRecord => fixture<HealthRecord>('health-record-unhealthy.json');

beforeEach(() => {
  ssmMock.reset();
  snsMock.reset();
  sfnMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  sfnMock.on(StartExecutionCommand).resolves({
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${ROLLBACK_ID}`,
    startDate: NOW,
  });
});

describe('healthRecordCore', () => {
  it('emits high-resolution success and latency metrics for the service and records a healthy check, with the endpoint that answered', async () => {
    // Arrange
    storedHealth();
    const { metrics, calls } = metricsSpy();

    // Act
    const out = await healthRecordCore(probed(true), deps(metrics));

    // Assert
    expect(calls).toEqual([
      ['addDimension', 'Service', 'sentiment'],
      ['addMetric', 'HealthCheckSuccess', 'Count', 1, 1],
      ['addMetric', 'HealthCheckLatency', 'Milliseconds', 180, 1],
      ['publishStoredMetrics'],
    ]);
    expect(written()).toEqual([
      {
        consecutiveFailures: 0,
        lastCheckAt: NOW.toISOString(),
        lastResult: 'healthy',
        lastLatencyMs: 180,
        lastEndpoint: LIVE_ENDPOINT,
        lastServedBy: LIVE_ENDPOINT,
      },
    ]);
    expect(out.healthy).toBe(true);
    expect(out.summary).toBe(
      `Service sentiment is healthy: 1 of 1 checks passed through https://d111111abcdef8.cloudfront.net (median 180 ms, served by ${LIVE_ENDPOINT}).`,
    );
    // The first check being healthy is no change worth a message.
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('notifies once when the service turns unhealthy', async () => {
    storedHealth({ ...INITIAL_HEALTH, lastResult: 'healthy', lastEndpoint: LIVE_ENDPOINT });

    const out = await healthRecordCore(probed(false), deps());

    expect(out.healthy).toBe(false);
    expect(out.summary).toBe(
      'Service sentiment is unhealthy (1 failed checks in a row): 1 of 1 checks failed through https://d111111abcdef8.cloudfront.net, ' +
        `served by ${LIVE_ENDPOINT}. "positive review": status: expected 200, got 502: {"error":"ModelError"}.`,
    );
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[hf-rollout] sentiment is unhealthy',
      Message: out.summary,
    });
    expect(written()[0]).toMatchObject({ consecutiveFailures: 1, lastResult: 'unhealthy' });
  });

  it('counts further failures without notifying again', async () => {
    storedHealth(unhealthyTwice());

    await healthRecordCore(
      probed(false, { healthCheckSettings: { autoRollback: false, failuresBeforeRollback: 3 } }),
      deps(),
    );

    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(written()[0]).toMatchObject({ consecutiveFailures: 3, lastResult: 'unhealthy' });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('notifies the recovery and resets the failure streak', async () => {
    storedHealth({ ...unhealthyTwice(), rolledBackAt: '2025-01-03T09:00:00.000Z' });

    await healthRecordCore(probed(true), deps());

    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[hf-rollout] sentiment is healthy again',
    });
    expect(written()[0]).toEqual({
      consecutiveFailures: 0,
      lastCheckAt: NOW.toISOString(),
      lastResult: 'healthy',
      lastLatencyMs: 180,
      lastEndpoint: LIVE_ENDPOINT,
      lastServedBy: LIVE_ENDPOINT,
    });
  });

  it('counts a failure caught from an earlier step as unhealthy, with its message', async () => {
    // Arrange: Read Live Target failed, so only the service and the caught error arrive.
    storedHealth();
    const { metrics, calls } = metricsSpy();
    const input: HealthRecordInput = {
      service: 'sentiment',
      failure: {
        Error: 'ServiceNotFoundError',
        Cause: JSON.stringify({
          errorType: 'ServiceNotFoundError',
          errorMessage:
            'Service "sentiment" is not deployed: SSM parameter /hf-rollout/sentiment/service does not exist.',
          trace: [],
        }),
      },
    };

    // Act
    const out = await healthRecordCore(input, deps(metrics));

    // Assert
    expect(out.healthy).toBe(false);
    expect(out.summary).toBe(
      'Service sentiment: the health check could not run (Read Live Target failed with ServiceNotFoundError: ' +
        'Service "sentiment" is not deployed: SSM parameter /hf-rollout/sentiment/service does not exist.); counted as failed (1 in a row).',
    );
    expect(calls).toContainEqual(['addMetric', 'HealthCheckSuccess', 'Count', 0, 1]);
    expect(calls.some((c) => c[1] === 'HealthCheckLatency')).toBe(false);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('starts one automatic rollback when the streak reaches failuresBeforeRollback, pinned to the live rollout', async () => {
    // Arrange
    storedHealth(unhealthyTwice());

    // Act
    const out = await healthRecordCore(probed(false), deps());

    // Assert
    const live = healthState().live;
    const input = {
      kind: 'rollback',
      service: 'sentiment',
      fromRolloutId: live.current.rolloutId,
      toRolloutId: live.previous[0]?.rolloutId,
      reason: `3 consecutive failed health checks of endpoint ${LIVE_ENDPOINT} (rollout ${LIVE_ENDPOINT}); automatic rollback (healthCheck.autoRollback).`,
      requestedBy: 'health-check',
    };
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: ROLLBACK_ID,
      input: JSON.stringify(input),
    });
    const [intent, done] = written();
    expect(intent?.lastAutoRollback?.executionArn).toBeNull();
    expect(done).toMatchObject({
      consecutiveFailures: 3,
      rolledBackAt: NOW.toISOString(),
      lastAutoRollback: {
        executionName: ROLLBACK_ID,
        fromEndpoint: LIVE_ENDPOINT,
        toEndpoint: PREVIOUS_ENDPOINT,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${ROLLBACK_ID}`,
      },
    });
    expect(out.health).toEqual(done);
    expect(out.summary).toMatch(
      new RegExp(
        `Started automatic rollback ${ROLLBACK_ID} from ${LIVE_ENDPOINT} to ${PREVIOUS_ENDPOINT}\\.$`,
      ),
    );
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[hf-rollout] sentiment: automatic rollback started',
    });
  });

  it('does not start a second rollback in the same failure streak', async () => {
    storedHealth({
      ...unhealthyTwice(),
      consecutiveFailures: 3,
      rolledBackAt: '2025-01-03T10:00:00.000Z',
      lastAutoRollback: {
        executionName: 'sentiment-rollback-20250103-100000-aaaa',
        input: '{}',
        fromEndpoint: LIVE_ENDPOINT,
        toEndpoint: PREVIOUS_ENDPOINT,
        startedAt: '2025-01-03T10:00:00.000Z',
        executionArn:
          'arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:sentiment-rollback-20250103-100000-aaaa',
      },
    });

    await healthRecordCore(probed(false), deps());

    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(written()).toHaveLength(1);
    expect(written()[0]).toMatchObject({ consecutiveFailures: 4, rolledBackAt: '2025-01-03T10:00:00.000Z' });
  });

  it('on a retry, starts the rollback that was decided but not started, with the same name and input', async () => {
    // Arrange: the first attempt wrote its intent, then StartExecution failed.
    const pending = {
      executionName: 'sentiment-rollback-20250103-100000-aaaa',
      input:
        '{"kind":"rollback","service":"sentiment","reason":"3 consecutive ...","requestedBy":"health-check"}',
      fromEndpoint: LIVE_ENDPOINT,
      toEndpoint: PREVIOUS_ENDPOINT,
      startedAt: '2025-01-03T10:00:00.000Z',
      executionArn: null,
    };
    storedHealth({
      ...unhealthyTwice(),
      consecutiveFailures: 3,
      rolledBackAt: pending.startedAt,
      lastAutoRollback: pending,
    });
    sfnMock.on(StartExecutionCommand).rejects(
      Object.assign(new Error('Execution Already Exists'), {
        name: 'ExecutionAlreadyExists',
        $metadata: {},
      }),
    );

    // Act
    const out = await healthRecordCore(probed(false), deps());

    // Assert
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: pending.executionName,
      input: pending.input,
    });
    expect(out.health.lastAutoRollback?.executionArn).toBe(
      `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${pending.executionName}`,
    );
  });

  it('does not roll back when the spec did not opt in', async () => {
    storedHealth(unhealthyTwice());

    await healthRecordCore(
      probed(false, { healthCheckSettings: { autoRollback: false, failuresBeforeRollback: 1 } }),
      deps(),
    );

    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('does not roll back, and says why, when no earlier deployment is kept', async () => {
    storedHealth(unhealthyTwice());
    const live = { ...healthState().live, previous: [] };

    const out = await healthRecordCore(probed(false, { live }), deps());

    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(out.summary).toMatch(/No automatic rollback: no earlier deployment is kept/);
  });

  it('does not roll back to the endpoint it automatically rolled back from', async () => {
    // Arrange: the API fails whatever endpoint it serves; the last rollback left PREVIOUS_ENDPOINT.
    storedHealth({
      ...unhealthyTwice(),
      lastAutoRollback: {
        executionName: 'sentiment-rollback-20250102-100000-aaaa',
        input: '{}',
        fromEndpoint: PREVIOUS_ENDPOINT,
        toEndpoint: LIVE_ENDPOINT,
        startedAt: '2025-01-02T10:00:00.000Z',
        executionArn: 'arn:x',
      },
    });

    // Act
    const out = await healthRecordCore(probed(false), deps());

    // Assert
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(out.summary).toMatch(
      `it would return to ${PREVIOUS_ENDPOINT}, which was rolled back from automatically at 2025-01-02T10:00:00.000Z`,
    );
  });

  it('starts a new failure streak when a different endpoint is live', async () => {
    storedHealth({
      ...unhealthyTwice(),
      lastEndpoint: 'sentiment-older-20241101-000000-0000',
      rolledBackAt: 'x',
    });

    await healthRecordCore(probed(false), deps());

    expect(written()[0]).toEqual({
      consecutiveFailures: 1,
      lastCheckAt: NOW.toISOString(),
      lastResult: 'unhealthy',
      lastLatencyMs: 180,
      lastEndpoint: LIVE_ENDPOINT,
      lastServedBy: LIVE_ENDPOINT,
    });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('nextHealth', () => {
  it('keeps the last known endpoint when a failure came before the target was read', () => {
    const next = nextHealth(unhealthyTwice(), { healthy: false, endpoint: null, latencyMs: null, at: 't' });

    expect(next).toMatchObject({ consecutiveFailures: 3, lastEndpoint: LIVE_ENDPOINT, lastLatencyMs: null });
  });
});

describe('parseHealthRecordInput', () => {
  it('rejects input without a service', () => {
    expect(() => parseHealthRecordInput({ failure: { Error: 'x' } })).toThrow(InvalidStepInputError);
  });
});

describe('health-record handler', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes the metrics as one high-resolution EMF line on stdout, with Service as the only dimension', async () => {
    // Arrange
    storedHealth();
    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(chunk.toString());
      return true;
    });

    // Act
    const out = await handler(probed(true));

    // Assert
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });
    expect(emf).toHaveLength(1);
    expect(emf[0]?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'HfRollout',
        Dimensions: [['Service']],
        Metrics: [
          { Name: 'HealthCheckSuccess', Unit: 'Count', StorageResolution: 1 },
          { Name: 'HealthCheckLatency', Unit: 'Milliseconds', StorageResolution: 1 },
        ],
      },
    ]);
    expect(emf[0]).toMatchObject({ Service: 'sentiment', HealthCheckSuccess: 1, HealthCheckLatency: 180 });
    expect(out.healthy).toBe(true);
  });

  it('fails naming the missing variable when the topic is not configured', async () => {
    storedHealth();
    const topic = process.env.NOTIFICATION_TOPIC_ARN;
    delete process.env.NOTIFICATION_TOPIC_ARN;
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);

    try {
      await expect(handler(probed(true))).rejects.toMatchObject({
        name: 'MissingEnvironmentError',
        message: expect.stringContaining('NOTIFICATION_TOPIC_ARN') as unknown,
      });
    } finally {
      process.env.NOTIFICATION_TOPIC_ARN = topic;
    }
  });
});
