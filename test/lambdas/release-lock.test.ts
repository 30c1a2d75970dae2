import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { notificationSubject, releaseLock, type ReleaseLockDeps } from '../../lambdas/release-lock/core';
import { handler } from '../../lambdas/release-lock/handler';
import { logger } from '../../lambdas/shared/logger';
import type { DeploymentRecord } from '../../lambdas/shared/types';
import { awsError, clockAt, deployState, rejectionOf } from './step-fixtures';

const dynamoMock = mockClient(DynamoDBClient);
const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:hf-rollout-notifications';
const FINISHED = '2025-03-01T12:20:00.000Z';

function deps(): ReleaseLockDeps {
  return {
    dynamodb: new DynamoDBClient({}),
    sns: new SNSClient({}),
    tableName: 'hf-rollout-locks',
    topicArn: TOPIC,
    now: clockAt(FINISHED),
  };
}

function published(): Partial<PublishCommandInput> {
  const call = snsMock.commandCalls(PublishCommand)[0];
  return call?.args[0].input ?? {};
}

const FAILED = {
  failure: {
    step: 'Check Endpoint',
    error: 'EndpointFailedError',
    cause: '{}',
    summary: 'Check Endpoint failed (EndpointFailedError): ping failed. The API still serves endpoint old.',
  },
  rollback: { restored: false, deleted: ['endpoint x'], problems: [] },
};

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => {
  dynamoMock.reset();
  snsMock.reset();
});

describe('releaseLock', () => {
  it('releases only its own lock, notifies and returns the Deployment record', async () => {
    // Arrange
    dynamoMock.on(DeleteItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const state = deployState({ switched: true });

    // Act
    const record = await releaseLock(state, deps());

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: 'hf-rollout-locks',
      Key: marshall({ service: 'sentiment' }),
      ConditionExpression: '#holder = :me',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':me': { S: state.executionArn } },
    });
    expect(record).toMatchObject({ rolloutId: state.rolloutId, status: 'SUCCEEDED', finishedAt: FINISHED });
    const message = published();
    expect(message.Subject).toBe(`sentiment rollout ${state.rolloutId} SUCCEEDED`);
    expect(message.Message).toContain(
      `Service sentiment deployed: the API now serves endpoint ${state.rolloutId}`,
    );
    expect(JSON.parse(message.Message?.slice(message.Message.indexOf('\n\n') + 2) ?? '')).toEqual(record);
  });

  it('notifies a failure with its summary first', async () => {
    // Arrange
    dynamoMock.on(DeleteItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({});
    const state = deployState(FAILED);

    // Act
    const record = await releaseLock(state, deps());

    // Assert
    expect(record.status).toBe('FAILED');
    expect(published().Subject).toBe(`sentiment rollout ${state.rolloutId} FAILED`);
    expect(published().Message?.startsWith(FAILED.failure.summary)).toBe(true);
  });

  it('leaves a lock taken over by another rollout alone, without a warning in the record', async () => {
    // Arrange
    dynamoMock
      .on(DeleteItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    snsMock.on(PublishCommand).resolves({});

    // Act
    const record = await releaseLock(deployState(), deps());

    // Assert
    expect(record.status).toBe('SUCCEEDED');
    expect(record.warnings).toEqual([]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('records a lock it could not release as a warning and still succeeds', async () => {
    // Arrange
    dynamoMock
      .on(DeleteItemCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to DeleteItem'));
    snsMock.on(PublishCommand).resolves({});

    // Act
    const record = await releaseLock(deployState(), deps());

    // Assert
    expect(record.status).toBe('SUCCEEDED');
    expect(record.warnings).toEqual([
      'The rollout lock of service "sentiment" was not released (AccessDeniedException: not authorized to DeleteItem); ' +
        'it expires at 2025-03-01T14:00:01.000Z, or delete item "sentiment" from table hf-rollout-locks.',
    ]);
  });

  it('keeps a good rollout good when the notification cannot be sent', async () => {
    // Arrange
    dynamoMock.on(DeleteItemCommand).resolves({});
    snsMock
      .on(PublishCommand)
      .rejects(awsError('AuthorizationErrorException', 'not authorized to Publish', 403));

    // Act
    const record = await releaseLock(deployState(), deps());

    // Assert
    expect(record.status).toBe('SUCCEEDED');
    expect(record.warnings).toEqual([
      'The rollout notification was not sent (AuthorizationErrorException: not authorized to Publish).',
    ]);
  });

  it('keeps going when throttled, since the lock expires by itself', async () => {
    // Arrange
    dynamoMock.on(DeleteItemCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    snsMock.on(PublishCommand).rejects(awsError('Throttling', 'Rate exceeded'));

    // Act
    const record = await releaseLock(deployState(), deps());

    // Assert
    expect(record.warnings).toHaveLength(2);
  });
});

describe('notificationSubject', () => {
  it('stays under the 100 characters SNS allows and keeps the status', () => {
    // Arrange
    const record = {
      service: 'a-twenty-char-servic',
      rolloutId: `a-twenty-char-servic-${'x'.repeat(42)}`,
      status: 'SUCCEEDED',
    } as DeploymentRecord;

    // Act
    const subject = notificationSubject(record);

    // Assert
    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith(' SUCCEEDED')).toBe(true);
  });
});

describe('release-lock handler', () => {
  const env = { ...process.env };
  beforeEach(() => {
    process.env.LOCK_TABLE_NAME = 'hf-rollout-locks';
    process.env.NOTIFICATION_TOPIC_ARN = TOPIC;
  });
  afterEach(() => {
    process.env = { ...env };
  });

  it('returns the record (not the state) with timings aggregated per step', async () => {
    // Arrange
    dynamoMock.on(DeleteItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({});

    // Act
    const record = await handler(deployState());

    // Assert
    expect(record).not.toHaveProperty('spec');
    expect(record.timings).toEqual([
      { step: 'Validate Spec', durationMs: 120, runs: 1 },
      { step: 'Acquire Lock', durationMs: 80, runs: 1 },
    ]);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
  });

  it('fails with MissingEnvironmentError when NOTIFICATION_TOPIC_ARN is not set', async () => {
    // Arrange
    delete process.env.NOTIFICATION_TOPIC_ARN;

    // Act
    const error = await rejectionOf(handler(deployState()));

    // Assert
    expect(error.name).toBe('MissingEnvironmentError');
  });

  it('rejects an event that is not a rollout state with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(handler({ record: {} }));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
  });
});
