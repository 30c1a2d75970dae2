import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { acquireLock, type AcquireLockDeps } from '../../lambdas/acquire-lock/core';
import { handler } from '../../lambdas/acquire-lock/handler';
import { logger } from '../../lambdas/shared/logger';
import { awsError, clockAt, deployState, rejectionOf, rollbackState, samplePointer } from './step-fixtures';

const dynamoMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);
const ssmMock = mockClient(SSMClient);

const NOW = '2025-03-01T12:00:01.000Z';
const NOW_SECONDS = Date.parse(NOW) / 1000;
const OTHER = {
  service: 'sentiment',
  holder:
    'arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:sentiment-gpt2-20250301-115500-9e9e',
  rolloutId: 'sentiment-gpt2-20250301-115500-9e9e',
  acquiredAt: '2025-03-01T11:55:00.000Z',
  expiresAt: NOW_SECONDS + 3600,
};

function deps(): AcquireLockDeps {
  return {
    dynamodb: new DynamoDBClient({}),
    sfn: new SFNClient({}),
    ssm: new SSMClient({}),
    tableName: 'hf-rollout-locks',
    prefix: 'hf-rollout',
    now: clockAt(NOW),
  };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function livePointerIs(pointer: unknown): void {
  ssmMock
    .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/live' })
    .resolves({ Parameter: { Value: JSON.stringify(pointer) } });
}

function heldBy(item: typeof OTHER): void {
  dynamoMock.on(PutItemCommand).rejects(conditionFailed());
  dynamoMock.on(GetItemCommand).resolves({ Item: marshall(item) });
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => {
  dynamoMock.reset();
  sfnMock.reset();
  ssmMock.reset();
});

describe('acquireLock', () => {
  it('takes a free lock with an expiry of the maximum wait plus an hour, and snapshots the live pointer', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    livePointerIs(samplePointer());
    const state = deployState({ lock: null, pointerBefore: null });

    // Act
    const next = await acquireLock(state, deps());

    // Assert
    const expiresAt = NOW_SECONDS + (60 + 60) * 60;
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'hf-rollout-locks',
      Item: marshall({
        service: 'sentiment',
        holder: state.executionArn,
        rolloutId: state.rolloutId,
        acquiredAt: NOW,
        expiresAt,
      }),
      ConditionExpression: 'attribute_not_exists(#service) OR #holder = :me OR #expiresAt < :now',
      ExpressionAttributeNames: { '#service': 'service', '#holder': 'holder', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':me': { S: state.executionArn }, ':now': { N: String(NOW_SECONDS) } },
    });
    expect(next.lock).toEqual({ acquiredAt: NOW, expiresAt: new Date(expiresAt * 1000).toISOString() });
    expect(next.pointerBefore).toEqual(samplePointer());
    expect(next.target).toEqual(state.target);
  });

  it('snapshots no pointer when nothing was deployed yet', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    // Act
    const next = await acquireLock(deployState({ pointerBefore: null }), deps());

    // Assert
    expect(next.pointerBefore).toBeNull();
  });

  it('rejects with RolloutInProgressError naming the running holder and how to stop it', async () => {
    // Arrange
    heldBy(OTHER);
    sfnMock.on(DescribeExecutionCommand, { executionArn: OTHER.holder }).resolves({ status: 'RUNNING' });

    // Act
    const error = await rejectionOf(acquireLock(deployState(), deps()));

    // Assert
    expect(error.name).toBe('RolloutInProgressError');
    expect(error.message).toContain(OTHER.rolloutId);
    expect(error.message).toContain('started 2025-03-01T11:55:00.000Z');
    expect(error.message).toContain(`aws stepfunctions stop-execution --execution-arn ${OTHER.holder}`);
    expect(error.message).toContain('This rollout created nothing');
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ssmMock).not.toHaveReceivedCommand(GetParameterCommand);
  });

  it('takes over the lock of a holder that is no longer running, and notes whose it was', async () => {
    // Arrange
    dynamoMock
      .on(PutItemCommand)
      .rejects(conditionFailed())
      .on(PutItemCommand, { ConditionExpression: '#holder = :stale' })
      .resolves({});
    dynamoMock.on(GetItemCommand).resolves({ Item: marshall(OTHER) });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    livePointerIs(samplePointer());

    // Act
    const next = await acquireLock(deployState(), deps());

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      ConditionExpression: '#holder = :stale',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':stale': { S: OTHER.holder } },
    });
    expect(next.lock?.tookOverFrom).toBe(OTHER.holder);
  });

  it('takes over the lock of a holder execution Step Functions does not know', async () => {
    // Arrange
    dynamoMock
      .on(PutItemCommand)
      .rejects(conditionFailed())
      .on(PutItemCommand, { ConditionExpression: '#holder = :stale' })
      .resolves({});
    dynamoMock.on(GetItemCommand).resolves({ Item: marshall(OTHER) });
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    livePointerIs(samplePointer());

    // Act
    const next = await acquireLock(deployState(), deps());

    // Assert
    expect(next.lock?.tookOverFrom).toBe(OTHER.holder);
  });

  it('takes a lock that expired between its put and its read without calling it a takeover', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    dynamoMock.on(GetItemCommand).resolves({ Item: marshall({ ...OTHER, expiresAt: NOW_SECONDS - 1 }) });
    livePointerIs(samplePointer());

    // Act
    const next = await acquireLock(deployState(), deps());

    // Assert
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect(next.lock).not.toHaveProperty('tookOverFrom');
  });

  it('rejects with RolloutInProgressError when another rollout wins the takeover race and runs', async () => {
    // Arrange
    const winner = {
      ...OTHER,
      holder: `${OTHER.holder}-winner`,
      rolloutId: 'sentiment-bert-20250301-120000-aaaa',
    };
    dynamoMock.on(PutItemCommand).rejects(conditionFailed());
    dynamoMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: marshall(OTHER) })
      .resolves({ Item: marshall(winner) });
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: OTHER.holder })
      .resolves({ status: 'ABORTED' })
      .on(DescribeExecutionCommand, { executionArn: winner.holder })
      .resolves({ status: 'RUNNING' });

    // Act
    const error = await rejectionOf(acquireLock(deployState(), deps()));

    // Assert
    expect(error.name).toBe('RolloutInProgressError');
    expect(error.message).toContain(winner.rolloutId);
  });

  it('gives up with RolloutInProgressError when the lock keeps changing hands', async () => {
    // Arrange
    heldBy(OTHER);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });

    // Act
    const error = await rejectionOf(acquireLock(deployState(), deps()));

    // Assert
    expect(error.name).toBe('RolloutInProgressError');
    expect(error.message).toContain('changed hands 3 times');
    expect(dynamoMock).toHaveReceivedCommandTimes(GetItemCommand, 3);
  });

  it('picks the most recent kept deployment as the target of a rollback, with a one-hour lock', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    livePointerIs(samplePointer());

    // Act
    const next = await acquireLock(rollbackState(), deps());

    // Assert
    expect(next.target).toEqual(samplePointer().previous[0]);
    expect(next.lock?.expiresAt).toBe(new Date((NOW_SECONDS + 3600) * 1000).toISOString());
  });

  it('picks the kept deployment a rollback names', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    const pointer = samplePointer();
    const older = { ...pointer.previous[0], rolloutId: 'sentiment-old-20241201-000000-0000' };
    livePointerIs({ ...pointer, previous: [...pointer.previous, older] });

    // Act
    const next = await acquireLock(rollbackState({ toRolloutId: older.rolloutId }), deps());

    // Assert
    expect(next.target?.rolloutId).toBe(older.rolloutId);
  });

  it('fails a rollback with NoPreviousDeploymentError when nothing was ever deployed', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    // Act
    const error = await rejectionOf(acquireLock(rollbackState(), deps()));

    // Assert
    expect(error.name).toBe('NoPreviousDeploymentError');
    expect(error.message).toContain('nothing has been deployed yet');
  });

  it('fails a rollback with NoPreviousDeploymentError saying what is live when nothing is kept', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    livePointerIs({ ...samplePointer(), previous: [] });

    // Act
    const error = await rejectionOf(acquireLock(rollbackState(), deps()));

    // Assert
    expect(error.name).toBe('NoPreviousDeploymentError');
    expect(error.message).toContain(`Live: ${samplePointer().current.rolloutId}`);
    expect(error.message).toContain('kept: none');
  });

  it('fails a rollback to the deployment that is already live with NoPreviousDeploymentError', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    const pointer = samplePointer();
    livePointerIs(pointer);

    // Act
    const error = await rejectionOf(
      acquireLock(rollbackState({ toRolloutId: pointer.current.rolloutId }), deps()),
    );

    // Assert
    expect(error.name).toBe('NoPreviousDeploymentError');
    expect(error.message).toContain('it is what the API serves now');
    expect(error.message).toContain(`kept: ${pointer.previous[0]?.rolloutId}`);
  });

  it('rolls back when the pinned rollout (fromRolloutId) is still live', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    const pointer = samplePointer();
    livePointerIs(pointer);

    // Act
    const next = await acquireLock(rollbackState({ fromRolloutId: pointer.current.rolloutId }), deps());

    // Assert
    expect(next.target).toEqual(pointer.previous[0]);
    expect(next.pointerBefore).toEqual(pointer);
  });

  it('refuses a rollback whose pinned rollout is no longer live, naming both, having changed nothing', async () => {
    // Arrange: a newer deployment went live between the rollback's decision and its lock
    dynamoMock.on(PutItemCommand).resolves({});
    const pointer = samplePointer();
    const pinned = 'sentiment-distilbert-20250301-100000-aaaa';
    livePointerIs(pointer);

    // Act
    const error = await rejectionOf(acquireLock(rollbackState({ fromRolloutId: pinned }), deps()));

    // Assert
    expect(error.name).toBe('NoPreviousDeploymentError');
    expect(error.message).toContain(`roll back from ${pinned}`);
    expect(error.message).toContain(`the API now serves ${pointer.current.rolloutId}`);
    expect(error.message).toContain('Nothing was changed');
  });
});

describe('acquire-lock handler', () => {
  const env = { ...process.env };
  beforeEach(() => {
    process.env.LOCK_TABLE_NAME = 'hf-rollout-locks';
    process.env.PROJECT_PREFIX = 'hf-rollout';
  });
  afterEach(() => {
    process.env = { ...env };
  });

  it('locks through the module-scope clients and records its timing', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).resolves({});
    livePointerIs(samplePointer());

    // Act
    const next = await handler(deployState({ lock: null, timings: [] }));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, { TableName: 'hf-rollout-locks' });
    expect(next.lock).not.toBeNull();
    expect(next.timings.map((t) => t.step)).toEqual(['Acquire Lock']);
  });

  it('turns DynamoDB throttling into AwsTransientError', async () => {
    // Arrange
    dynamoMock
      .on(PutItemCommand)
      .rejects(awsError('ProvisionedThroughputExceededException', 'Throughput exceeds the table capacity'));

    // Act
    const error = await rejectionOf(handler(deployState()));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });

  it('fails with MissingEnvironmentError when LOCK_TABLE_NAME is not set', async () => {
    // Arrange
    delete process.env.LOCK_TABLE_NAME;

    // Act
    const error = await rejectionOf(handler(deployState()));

    // Assert
    expect(error.name).toBe('MissingEnvironmentError');
    expect(error.message).toContain('LOCK_TABLE_NAME');
  });
});
