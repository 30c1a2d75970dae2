import { CreateModelCommand, DescribeModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createModel } from '../../lambdas/create-model/core';
import { handler } from '../../lambdas/create-model/handler';
import { logger } from '../../lambdas/shared/logger';
import { alreadyExists, awsError, deployState, rejectionOf, rollbackState, throttled } from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const state = deployState();
const NAME = state.rolloutId;
const EXPECTED_ENV = {
  MMS_DEFAULT_WORKERS_PER_MODEL: '1',
  HF_MODEL_ID: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
  HF_TASK: 'text-classification',
  HF_MODEL_REVISION: '714eb0f',
};

function deps(): { sagemaker: SageMakerClient } {
  return { sagemaker: new SageMakerClient({}) };
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sageMakerMock.reset());

describe('createModel', () => {
  it('creates the HuggingFace model with the spec env, the HF variables, the role and the rollout tags', async () => {
    // Arrange
    sageMakerMock
      .on(CreateModelCommand)
      .resolves({ ModelArn: `arn:aws:sagemaker:us-east-1:123456789012:model/${NAME}` });

    // Act
    const next = await createModel(state, deps());

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(CreateModelCommand, {
      ModelName: NAME,
      PrimaryContainer: { Image: state.resources?.imageUri, Environment: EXPECTED_ENV },
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/hf-rollout-sentiment-sagemaker',
      Tags: [
        { Key: 'hf-rollout:service', Value: 'sentiment' },
        { Key: 'hf-rollout:rollout-id', Value: NAME },
      ],
    });
    expect(next).toEqual(state);
  });

  it('goes on when a retried step finds its own model (same image and environment)', async () => {
    // Arrange
    sageMakerMock.on(CreateModelCommand).rejects(alreadyExists('model', NAME));
    sageMakerMock
      .on(DescribeModelCommand, { ModelName: NAME })
      .resolves({ PrimaryContainer: { Image: state.resources?.imageUri, Environment: EXPECTED_ENV } });

    // Act
    const next = await createModel(state, deps());

    // Assert
    expect(next).toEqual(state);
    expect(sageMakerMock).toHaveReceivedCommandTimes(DescribeModelCommand, 1);
  });

  it('fails with ResourceMismatchError when a model of that name runs another image', async () => {
    // Arrange
    sageMakerMock.on(CreateModelCommand).rejects(alreadyExists('model', NAME));
    sageMakerMock
      .on(DescribeModelCommand)
      .resolves({ PrimaryContainer: { Image: 'other.example/image:1', Environment: EXPECTED_ENV } });

    // Act
    const error = await rejectionOf(createModel(state, deps()));

    // Assert
    expect(error.name).toBe('ResourceMismatchError');
    expect(error.message).toContain('image is other.example/image:1');
  });

  it('fails with ResourceMismatchError naming the variables that differ', async () => {
    // Arrange
    sageMakerMock.on(CreateModelCommand).rejects(alreadyExists('model', NAME));
    sageMakerMock.on(DescribeModelCommand).resolves({
      PrimaryContainer: {
        Image: state.resources?.imageUri,
        Environment: { ...EXPECTED_ENV, HF_TASK: 'fill-mask', EXTRA: 'x' },
      },
    });

    // Act
    const error = await rejectionOf(createModel(state, deps()));

    // Assert
    expect(error.name).toBe('ResourceMismatchError');
    expect(error.message).toContain('environment differs in EXTRA, HF_TASK');
  });

  it('passes on SageMaker errors other than "already exists"', async () => {
    // Arrange
    sageMakerMock
      .on(CreateModelCommand)
      .rejects(awsError('ValidationException', 'Could not access model data at s3://nowhere.'));

    // Act
    const error = await rejectionOf(createModel(state, deps()));

    // Assert
    expect(error.name).toBe('ValidationException');
    expect(sageMakerMock).not.toHaveReceivedCommand(DescribeModelCommand);
  });

  it('rejects a rollback state with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(createModel(rollbackState(), deps()));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
  });
});

describe('create-model handler', () => {
  it('creates the model through the module-scope client and records its timing', async () => {
    // Arrange
    sageMakerMock.on(CreateModelCommand).resolves({});

    // Act
    const next = await handler(state);

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(CreateModelCommand, { ModelName: NAME });
    expect(next.timings.at(-1)?.step).toBe('Create Model');
  });

  it('turns throttling into AwsTransientError, which the Task retries', async () => {
    // Arrange
    sageMakerMock.on(CreateModelCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(state));

    // Assert
    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toContain('ThrottlingException');
  });

  it('rejects an event that is not a rollout state with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(handler({ spec: {} }));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
  });
});
