import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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
const lambdaMock = mockClient(LambdaClient);
const sagemakerMock = mockClient(SageMakerClient);

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
    lambda: new LambdaClient({}),
    sagemaker: new SageMakerClient({}),
    switchOptions: { sleep: () => Promise.resolve(), now: () => 0 },
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
/** The proxy's environment: ENDPOINT_NAME unset serves the pointer's current (the proxy's fallback). */
function proxyServes(endpointName: string | null): void {
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({
    LastUpdateStatus: 'Successful',
    Environment: { Variables: endpointName === null ? {} : { ENDPOINT_NAME: endpointName } },
  });
}

beforeEach(() => {
  dynamoMock.reset();
  sfnMock.reset();
  ssmMock.reset();
  lambdaMock.reset();
  sagemakerMock.reset();
  proxyServes(null);
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
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
      ConditionExpression: 'attribute_not_exists(#service) OR #holder = :me',
      ExpressionAttributeNames: { '#service': 'service', '#holder': 'holder' },
      ExpressionAttributeValues: { ':me': { S: state.executionArn } },
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

  it('keeps an expired lock whose holder still runs: rejects with RolloutInProgressError (issue 9)', async () => {
    // Arrange: DynamoDB as it is: the item has expired (TTL has not removed it yet), so a condition
    // that accepts an expired item succeeds; the holder execution is still RUNNING.
    const expired = { ...OTHER, expiresAt: NOW_SECONDS - 60 };
    dynamoMock.on(PutItemCommand).callsFake((input: { ConditionExpression?: string }) => {
      if (input.ConditionExpression?.includes('#expiresAt < :now') === true) return {};
      throw conditionFailed();
    });
    dynamoMock.on(GetItemCommand).resolves({ Item: marshall(expired) });
    sfnMock.on(DescribeExecutionCommand, { executionArn: OTHER.holder }).resolves({ status: 'RUNNING' });
    livePointerIs(samplePointer());

    // Act
    const error = await rejectionOf(acquireLock(deployState(), deps()));

    // Assert
    expect(error.name).toBe('RolloutInProgressError');
    expect(error.message).toContain(OTHER.rolloutId);
    expect(error.message).toContain('passed, but it still runs');
    expect(dynamoMock).not.toHaveReceivedCommandWith(PutItemCommand, {
      ConditionExpression: '#holder = :stale',
    });
  });

  it('takes over an expired lock once its holder no longer runs', async () => {
    // Arrange
    dynamoMock
      .on(PutItemCommand)
      .rejects(conditionFailed())
      .on(PutItemCommand, { ConditionExpression: '#holder = :stale' })
      .resolves({});
    dynamoMock.on(GetItemCommand).resolves({ Item: marshall({ ...OTHER, expiresAt: NOW_SECONDS - 60 }) });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT' });
    livePointerIs(samplePointer());

    // Act
    const next = await acquireLock(deployState(), deps());

    // Assert
    expect(next.lock?.tookOverFrom).toBe(OTHER.holder);
  });

  it('takes a lock released between its put and its read without calling it a takeover', async () => {
    // Arrange
    dynamoMock.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    dynamoMock.on(GetItemCommand).resolves({});
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

describe('acquireLock reconciling what is live', () => {
  function pendingPointer() {
    const pointer = samplePointer();
    const interrupted = 'sentiment-distilbert-base-20250301-110000-1234';
    const target = { ...pointer.current, rolloutId: interrupted, endpointName: interrupted };
    return {
      pointer,
      target,
      stored: {
        ...pointer,
        pending: {
          target,
          rolloutId: interrupted,
          executionArn: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${interrupted}`,
          kind: 'deploy',
          since: '2025-03-01T11:00:00.000Z',
        },
      },
    };
  }

  function written(): unknown {
    const input = ssmMock.commandCalls(PutParameterCommand).at(-1)?.args[0].input;
    return input === undefined ? undefined : (JSON.parse(input.Value ?? 'null') as unknown);
  }

  it('commits a pending switch the proxy already serves, and records the repair', async () => {
    // Arrange: a rollout died after switching the proxy, before recording it.
    dynamoMock.on(PutItemCommand).resolves({});
    const { pointer, target, stored } = pendingPointer();
    livePointerIs(stored);
    proxyServes(target.endpointName);

    // Act
    const next = await acquireLock(deployState(), deps());

    // Assert
    const repaired = { current: target, previous: [pointer.current, ...pointer.previous] };
    expect(written()).toEqual(repaired);
    expect(next.pointerBefore).toEqual(repaired);
    expect(next.repairs).toEqual([
      {
        rolloutId: target.rolloutId,
        finding: `rollout ${target.rolloutId} went live; it was interrupted after Switch API Target`,
        action: `recorded ${target.endpointName} as live in the live pointer and kept ${pointer.current.endpointName} for rollback`,
      },
    ]);
  });

  it('drops a pending switch the proxy does not serve', async () => {
    // Arrange: a rollout died after declaring its switch, before touching the proxy.
    dynamoMock.on(PutItemCommand).resolves({});
    const { pointer, target, stored } = pendingPointer();
    livePointerIs(stored);
    proxyServes(pointer.current.endpointName);

    // Act
    const next = await acquireLock(deployState(), deps());

    // Assert
    expect(written()).toEqual(pointer);
    expect(next.pointerBefore).toEqual(pointer);
    expect(next.repairs?.[0]?.finding).toContain(`rollout ${target.rolloutId} never went live`);
  });

  it('writes nothing and records no repair when the records agree with the proxy', async () => {
    dynamoMock.on(PutItemCommand).resolves({});
    livePointerIs(samplePointer());
    proxyServes(samplePointer().current.endpointName);

    const next = await acquireLock(deployState(), deps());

    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(next).not.toHaveProperty('repairs');
  });

  it('refuses a rollback to a kept deployment whose endpoint was deleted, saying nothing changed (issue 1)', async () => {
    // Arrange: `aws sagemaker delete-endpoint` removed the kept endpoint.
    dynamoMock.on(PutItemCommand).resolves({});
    const pointer = samplePointer();
    const kept = pointer.previous[0];
    livePointerIs(pointer);
    sagemakerMock
      .on(DescribeEndpointCommand, { EndpointName: kept?.endpointName })
      .rejects(awsError('ValidationException', `Could not find endpoint "${kept?.endpointName ?? ''}".`));

    // Act
    const error = await rejectionOf(
      acquireLock(rollbackState({ toRolloutId: kept?.rolloutId ?? '' }), deps()),
    );

    // Assert
    expect(error.name).toBe('NoPreviousDeploymentError');
    expect(error.message).toContain(`its endpoint ${kept?.endpointName ?? ''} no longer exists`);
    expect(error.message).toContain(`Nothing was changed: the API still serves ${pointer.current.rolloutId}`);
    expect(written()).toEqual({ current: pointer.current, previous: [] });
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
