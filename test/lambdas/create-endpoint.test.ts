import { CreateEndpointCommand, DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createEndpoint } from '../../lambdas/create-endpoint/core';
import { handler } from '../../lambdas/create-endpoint/handler';
import { logger } from '../../lambdas/shared/logger';
import { readAsl } from '../statemachines/asl-contract';
import { alreadyExists, awsError, deployState, notFound, rejectionOf, throttled } from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const state = deployState();
const NAME = state.rolloutId;

function deps(): { sagemaker: SageMakerClient } {
  return { sagemaker: new SageMakerClient({}) };
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sageMakerMock.reset());

describe('createEndpoint', () => {
  it('creates a new tagged endpoint on the config and starts waiting for it', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointCommand).resolves({});

    // Act
    const next = await createEndpoint(state, deps());

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: NAME,
      EndpointConfigName: NAME,
      Tags: [
        { Key: 'hf-rollout:service', Value: 'sentiment' },
        { Key: 'hf-rollout:rollout-id', Value: NAME },
      ],
    });
    expect(next.wait).toEqual({ pollIntervalSeconds: 30, maxAttempts: 120, attempts: 0, status: 'Creating' });
  });

  it('goes on waiting when a retried step finds its own endpoint on the same config', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointCommand).rejects(alreadyExists('endpoint', NAME));
    sageMakerMock
      .on(DescribeEndpointCommand, { EndpointName: NAME })
      .resolves({ EndpointName: NAME, EndpointConfigName: NAME, EndpointStatus: 'Creating' });

    // Act
    const next = await createEndpoint(state, deps());

    // Assert
    expect(next.wait?.status).toBe('Creating');
  });

  it('fails with the retryable EndpointConfigNotVisibleError when SageMaker does not see the new config yet', async () => {
    // Arrange: SageMaker reads a just-created config eventually consistently (CreateEndpoint reference).
    const arn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${NAME}`;
    sageMakerMock.on(CreateEndpointCommand).rejects(notFound('endpoint configuration', arn));

    // Act
    const error = await rejectionOf(createEndpoint(state, deps()));

    // Assert
    expect(error.name).toBe('EndpointConfigNotVisibleError');
    expect(error.message).toContain(`could not find endpoint config ${NAME}`);
    expect(error.message).toContain('eventually consistently');
    expect(error.cause).toMatchObject({ name: 'ValidationException' });
  });

  it('is retried by the Create Endpoint state with backoff before any Catch', () => {
    // Arrange
    const { definition } = readAsl('rollout.asl.json');
    const retry = definition.States['Create Endpoint']?.Retry ?? [];

    // Act
    const retrier = retry.find((r) => r.ErrorEquals.includes('EndpointConfigNotVisibleError'));

    // Assert: at least a minute of retries in all, so SageMaker has time to see the config.
    expect(retrier).toMatchObject({ IntervalSeconds: 5, MaxAttempts: 6, BackoffRate: 2 });
  });

  it('fails with ResourceMismatchError when an endpoint of that name runs another config', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointCommand).rejects(alreadyExists('endpoint', NAME));
    sageMakerMock.on(DescribeEndpointCommand).resolves({
      EndpointName: NAME,
      EndpointConfigName: 'someone-elses-config',
      EndpointStatus: 'InService',
    });

    // Act
    const error = await rejectionOf(createEndpoint(state, deps()));

    // Assert
    expect(error.name).toBe('ResourceMismatchError');
    expect(error.message).toContain('someone-elses-config');
  });

  it('passes on a quota error as it is', async () => {
    // Arrange
    sageMakerMock
      .on(CreateEndpointCommand)
      .rejects(
        awsError('ResourceLimitExceeded', 'The account-level service limit for ml.m5.xlarge is 0 Instances'),
      );

    // Act
    const error = await rejectionOf(createEndpoint(state, deps()));

    // Assert
    expect(error.name).toBe('ResourceLimitExceeded');
  });

  it('rejects a state without wait with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(createEndpoint(deployState({ wait: null }), deps()));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
    expect(sageMakerMock).not.toHaveReceivedCommand(CreateEndpointCommand);
  });
});

describe('create-endpoint handler', () => {
  it('creates the endpoint through the module-scope client', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointCommand).resolves({});

    // Act
    const next = await handler(state);

    // Assert
    expect(next.wait?.status).toBe('Creating');
    expect(next.timings.at(-1)?.step).toBe('Create Endpoint');
  });

  it('turns throttling into AwsTransientError', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(state));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });
});
