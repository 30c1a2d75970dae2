import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../lambdas/validate-spec/handler';
import { validateSpecCore, type ValidateSpecDeps } from '../../lambdas/validate-spec/core';
import { logger } from '../../lambdas/shared/logger';
import type { ValidateSpecEvent } from '../../lambdas/shared/types';
import { awsError, clockAt, rejectionOf, sampleSpecInput } from './step-fixtures';

const ssmMock = mockClient(SSMClient);
const ROLLOUT_ID = 'sentiment-distilbert-base-20250301-120000-ab12';
const EXECUTION = {
  id: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${ROLLOUT_ID}`,
  name: ROLLOUT_ID,
  startTime: '2025-03-01T12:00:00.000Z',
};
const REGISTRATION = {
  proxyFunctionName: 'hf-rollout-sentiment-proxy',
  distributionId: 'E2EXAMPLE',
  publicUrl: 'https://d111111abcdef8.cloudfront.net/',
  apiKeySecretId: null,
  sagemakerRoleArn: 'arn:aws:iam::123456789012:role/hf-rollout-sentiment-sagemaker',
};

function deps(): ValidateSpecDeps {
  return {
    ssm: new SSMClient({}),
    prefix: 'hf-rollout',
    region: 'us-east-1',
    now: clockAt('2025-03-01T12:00:00.200Z'),
  };
}

function event(input: unknown, execution: Partial<ValidateSpecEvent['execution']> = {}): ValidateSpecEvent {
  return { input, execution: { ...EXECUTION, ...execution } };
}

function registered(): void {
  ssmMock
    .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/service' })
    .resolves({ Parameter: { Value: JSON.stringify(REGISTRATION) } });
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => ssmMock.reset());

describe('validateSpecCore', () => {
  it('builds the initial state of a deploy from {spec, requestedBy}', async () => {
    // Arrange
    registered();

    // Act
    const state = await validateSpecCore(event({ spec: sampleSpecInput(), requestedBy: 'alice' }), deps());

    // Assert
    expect(state).toMatchObject({
      kind: 'deploy',
      rolloutId: ROLLOUT_ID,
      executionArn: EXECUTION.id,
      startedAt: EXECUTION.startTime,
      requestedBy: 'alice',
      service: { service: 'sentiment', publicUrl: 'https://d111111abcdef8.cloudfront.net' },
      resources: {
        modelName: ROLLOUT_ID,
        endpointConfigName: ROLLOUT_ID,
        endpointName: ROLLOUT_ID,
        imageUri:
          '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.6.0-transformers4.49.0-cpu-py312-ubuntu22.04',
        executionRoleArn: REGISTRATION.sagemakerRoleArn,
      },
      target: {
        rolloutId: ROLLOUT_ID,
        endpointName: ROLLOUT_ID,
        modelId: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
        modelRevision: '714eb0f',
        task: 'text-classification',
        since: '',
        executionArn: EXECUTION.id,
      },
      wait: { pollIntervalSeconds: 30, maxAttempts: 120, attempts: 0, status: 'NotCreated' },
      pointerBefore: null,
      lock: null,
      deletion: null,
      smoke: [],
      switched: false,
      cdnInvalidationId: null,
      publicCheck: null,
      retired: [],
      warnings: [],
    });
    expect(state.spec?.smokeTests[0]?.expect.maxLatencyMs).toBe(5000);
    expect(state.timings).toEqual([
      { step: 'Validate Spec', startedAt: '2025-03-01T12:00:00.200Z', durationMs: 0 },
    ]);
  });

  it('accepts a bare spec pasted into the AWS console', async () => {
    // Arrange
    registered();

    // Act
    const state = await validateSpecCore(event(sampleSpecInput()), deps());

    // Assert
    expect(state.kind).toBe('deploy');
    expect(state.spec?.service).toBe('sentiment');
    expect(state.requestedBy).toBe('unknown');
  });

  it('rounds the number of polls up so the whole maximum wait is used', async () => {
    // Arrange
    registered();
    const spec = { ...sampleSpecInput(), rollout: { pollIntervalSeconds: 45, maxWaitMinutes: 10 } };

    // Act
    const state = await validateSpecCore(event({ spec }), deps());

    // Assert
    expect(state.wait).toMatchObject({ pollIntervalSeconds: 45, maxAttempts: 14 });
  });

  // The serving stack's grants cover only its own SageMaker role (iam:PassRole) and the HuggingFace
  // DLC repository (ECR pull); a spec asking for another role or image is refused before any AWS call.
  it.each([
    [
      'an execution role override',
      { executionRoleArn: 'arn:aws:iam::123456789012:role/CustomSageMakerRole' },
      '$.model.executionRoleArn',
      'Remove model.executionRoleArn to use that role',
    ],
    [
      'an explicit image URI',
      { image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-hf-image:1.0' } },
      '$.model.image.uri',
      'huggingface-pytorch-inference',
    ],
  ])(
    'refuses %s the stack cannot grant, naming the field and what to do',
    async (_label, extra, path, hint) => {
      // Arrange
      registered();
      const input = sampleSpecInput();
      const spec = { ...input, model: { ...(input.model as object), ...extra } };

      // Act
      const error = await rejectionOf(validateSpecCore(event({ spec }), deps()));

      // Assert
      expect(error.name).toBe('SpecInvalidError');
      expect(error.message).toContain(`${path}: got `);
      expect(error.message).toContain(hint);
      expect(ssmMock).not.toHaveReceivedCommand(GetParameterCommand);
    },
  );

  it("always uses the service's SageMaker role", async () => {
    // Arrange
    registered();

    // Act
    const state = await validateSpecCore(event({ spec: sampleSpecInput() }), deps());

    // Assert
    expect(state.resources?.executionRoleArn).toBe(REGISTRATION.sagemakerRoleArn);
  });

  it('warns when the rollout id does not name the service, since retiring finds endpoints by it', async () => {
    // Arrange
    registered();

    // Act
    const state = await validateSpecCore(
      event({ spec: sampleSpecInput() }, { name: 'my-manual-run-1' }),
      deps(),
    );

    // Assert
    expect(state.warnings).toEqual([expect.stringContaining('does not contain "sentiment-"')]);
  });

  it('builds a rollback state without spec, resources or target', async () => {
    // Arrange
    registered();
    const input = {
      kind: 'rollback',
      service: 'sentiment',
      toRolloutId: 'sentiment-distilbert-base-20250220-090000-0f3c',
      fromRolloutId: 'sentiment-gpt2-20250228-100000-aaaa',
      reason: 'latency regression',
      requestedBy: 'bob',
    };

    // Act
    const state = await validateSpecCore(
      event(input, { name: 'sentiment-rollback-20250301-130000-cd34' }),
      deps(),
    );

    // Assert
    expect(state).toMatchObject({
      kind: 'rollback',
      rolloutId: 'sentiment-rollback-20250301-130000-cd34',
      requestedBy: 'bob',
      reason: 'latency regression',
      toRolloutId: 'sentiment-distilbert-base-20250220-090000-0f3c',
      fromRolloutId: 'sentiment-gpt2-20250228-100000-aaaa',
      spec: null,
      resources: null,
      target: null,
      wait: null,
    });
  });

  it('rejects an invalid spec naming the JSON path', async () => {
    // Arrange
    registered();
    const input = sampleSpecInput();
    const spec = { ...input, model: { ...(input.model as object), task: 'text-clasification' } };

    // Act
    const error = await rejectionOf(validateSpecCore(event({ spec }), deps()));

    // Assert
    expect(error.name).toBe('SpecInvalidError');
    expect(error.message).toContain('$.model.task: got "text-clasification"');
    expect(ssmMock).not.toHaveReceivedCommand(GetParameterCommand);
  });

  it('rejects an execution name that is not a valid SageMaker name', async () => {
    // Arrange
    registered();

    // Act
    const error = await rejectionOf(
      validateSpecCore(event({ spec: sampleSpecInput() }, { name: 'sentiment_2025.03.01' }), deps()),
    );

    // Assert
    expect(error.name).toBe('SpecInvalidError');
    expect(error.message).toContain('$$.Execution.Name: got "sentiment_2025.03.01"');
  });

  it.each([
    ['a string', 'deploy please', '$'],
    ['an unknown kind', { kind: 'upgrade', spec: {} }, '$.kind'],
    ['a rollback without service', { kind: 'rollback' }, '$.service'],
    [
      'a rollback with a misspelt field',
      { kind: 'rollback', service: 'sentiment', toRollout: 'x' },
      '$.toRollout',
    ],
    [
      'a rollback pinned to something that is not a rollout id',
      { kind: 'rollback', service: 'sentiment', fromRolloutId: 'not a rollout' },
      '$.fromRolloutId',
    ],
    ['a field next to spec', { spec: {}, requester: 'alice' }, '$.requester'],
  ])('rejects %s naming the offending path', async (_label, input, path) => {
    // Arrange
    registered();

    // Act
    const error = await rejectionOf(validateSpecCore(event(input), deps()));

    // Assert
    expect(error.name).toBe('SpecInvalidError');
    expect(error.message).toContain(path);
  });

  it('fails with ServiceNotFoundError when the service has no registration', async () => {
    // Arrange
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    // Act
    const error = await rejectionOf(validateSpecCore(event({ spec: sampleSpecInput() }), deps()));

    // Assert
    expect(error.name).toBe('ServiceNotFoundError');
    expect(error.message).toContain('/hf-rollout/sentiment/service');
  });

  it('fails with ImageNotFoundError for an unknown DLC version combination', async () => {
    // Arrange
    registered();
    const input = sampleSpecInput();
    const image = { transformers: '9.9.9', pytorch: '2.6.0', python: 'py312' };
    const spec = { ...input, model: { ...(input.model as object), image } };

    // Act
    const result = validateSpecCore(event({ spec }), deps());

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'ImageNotFoundError' });
  });
});

describe('validate-spec handler', () => {
  const env = { ...process.env };
  beforeEach(() => {
    process.env.AWS_REGION = 'eu-west-1';
    process.env.PROJECT_PREFIX = 'hf-rollout';
  });
  afterEach(() => {
    process.env = { ...env };
  });

  it('validates the event through the module-scope SSM client and the region from AWS_REGION', async () => {
    // Arrange
    registered();

    // Act
    const state = await handler(event({ spec: sampleSpecInput() }));

    // Assert
    expect(state.resources?.imageUri).toMatch(/^763104351884\.dkr\.ecr\.eu-west-1\.amazonaws\.com\//);
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/hf-rollout/sentiment/service' });
  });

  it('rejects an event without the execution facts with InvalidStepInputError', async () => {
    // Act
    const result = handler({ input: sampleSpecInput() });

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'InvalidStepInputError' });
  });

  it('fails with MissingEnvironmentError when AWS_REGION is not set', async () => {
    // Arrange
    registered();
    delete process.env.AWS_REGION;

    // Act
    const result = handler(event({ spec: sampleSpecInput() }));

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'MissingEnvironmentError' });
  });

  it('turns SSM throttling into AwsTransientError, which the Task retries', async () => {
    // Arrange
    ssmMock.on(GetParameterCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    // Act
    const result = handler(event({ spec: sampleSpecInput() }));

    // Assert
    await expect(result).rejects.toMatchObject({ name: 'AwsTransientError' });
  });
});
