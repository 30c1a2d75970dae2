import {
  CreateEndpointConfigCommand,
  DescribeEndpointConfigCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createEndpointConfig } from '../../lambdas/create-endpoint-config/core';
import { handler } from '../../lambdas/create-endpoint-config/handler';
import { logger } from '../../lambdas/shared/logger';
import { validateSpec } from '../../pipeline/spec';
import {
  alreadyExists,
  deployState,
  rejectionOf,
  rollbackState,
  sampleSpecInput,
  throttled,
} from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const state = deployState();
const NAME = state.rolloutId;
const REALTIME_VARIANT = {
  VariantName: 'AllTraffic',
  ModelName: NAME,
  InstanceType: 'ml.m5.xlarge',
  InitialInstanceCount: 1,
  InitialVariantWeight: 1,
} as const;

function deps(): { sagemaker: SageMakerClient } {
  return { sagemaker: new SageMakerClient({}) };
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sageMakerMock.reset());

describe('createEndpointConfig', () => {
  it('creates a realtime config with one AllTraffic variant of the instance type and count', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).resolves({});

    // Act
    const next = await createEndpointConfig(state, deps());

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: NAME,
      ProductionVariants: [REALTIME_VARIANT],
      Tags: [
        { Key: 'hf-rollout:service', Value: 'sentiment' },
        { Key: 'hf-rollout:rollout-id', Value: NAME },
      ],
    });
    expect(next).toEqual(state);
  });

  it('creates a serverless config with memory and concurrency', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).resolves({});
    const spec = validateSpec({
      ...sampleSpecInput(),
      endpoint: { type: 'serverless', memorySizeMb: 2048, maxConcurrency: 3 },
    });

    // Act
    await createEndpointConfig(deployState({ spec }), deps());

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: NAME,
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 3 },
        },
      ],
    });
  });

  it('goes on when a retried step finds its own config (same variant)', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).rejects(alreadyExists('endpoint configuration', NAME));
    sageMakerMock
      .on(DescribeEndpointConfigCommand, { EndpointConfigName: NAME })
      .resolves({ ProductionVariants: [REALTIME_VARIANT] });

    // Act
    const next = await createEndpointConfig(state, deps());

    // Assert
    expect(next).toEqual(state);
  });

  it('fails with ResourceMismatchError when a config of that name uses another instance type', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).rejects(alreadyExists('endpoint configuration', NAME));
    sageMakerMock
      .on(DescribeEndpointConfigCommand)
      .resolves({ ProductionVariants: [{ ...REALTIME_VARIANT, InstanceType: 'ml.g5.xlarge' }] });

    // Act
    const error = await rejectionOf(createEndpointConfig(state, deps()));

    // Assert
    expect(error.name).toBe('ResourceMismatchError');
    expect(error.message).toContain('instance type is ml.g5.xlarge, expected ml.m5.xlarge');
  });

  it('fails with ResourceMismatchError when a config of that name has several variants', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).rejects(alreadyExists('endpoint configuration', NAME));
    sageMakerMock
      .on(DescribeEndpointConfigCommand)
      .resolves({ ProductionVariants: [REALTIME_VARIANT, { ...REALTIME_VARIANT, VariantName: 'Canary' }] });

    // Act
    const error = await rejectionOf(createEndpointConfig(state, deps()));

    // Assert
    expect(error.name).toBe('ResourceMismatchError');
    expect(error.message).toContain('2 production variants');
  });

  it('rejects a rollback state with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(createEndpointConfig(rollbackState(), deps()));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
  });
});

describe('create-endpoint-config handler', () => {
  it('creates the config through the module-scope client', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).resolves({});

    // Act
    const next = await handler(state);

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: NAME,
    });
    expect(next.timings.at(-1)?.step).toBe('Create Endpoint Config');
  });

  it('turns throttling into AwsTransientError', async () => {
    // Arrange
    sageMakerMock.on(CreateEndpointConfigCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(state));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });
});
