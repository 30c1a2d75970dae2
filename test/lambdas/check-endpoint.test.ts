import { DescribeEndpointCommand, SageMakerClient, type EndpointStatus } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkEndpoint } from '../../lambdas/check-endpoint/core';
import { handler } from '../../lambdas/check-endpoint/handler';
import { logger } from '../../lambdas/shared/logger';
import type { PollState } from '../../lambdas/shared/types';
import { deployState, notFound, rejectionOf, throttled } from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const NAME = deployState().rolloutId;

function waiting(wait: Partial<PollState> = {}): ReturnType<typeof deployState> {
  return deployState({
    wait: { pollIntervalSeconds: 30, maxAttempts: 120, attempts: 3, status: 'Creating', ...wait },
  });
}

function deps(): { sagemaker: SageMakerClient } {
  return { sagemaker: new SageMakerClient({}) };
}

function endpointIs(status: EndpointStatus, failureReason?: string): void {
  sageMakerMock.on(DescribeEndpointCommand, { EndpointName: NAME }).resolves({
    EndpointName: NAME,
    EndpointStatus: status,
    ...(failureReason === undefined ? {} : { FailureReason: failureReason }),
  });
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sageMakerMock.reset());

describe('checkEndpoint', () => {
  it('ends the wait when the endpoint is InService', async () => {
    // Arrange
    endpointIs('InService');

    // Act
    const next = await checkEndpoint(waiting(), deps());

    // Assert
    expect(next.wait).toEqual({
      pollIntervalSeconds: 30,
      maxAttempts: 120,
      attempts: 4,
      status: 'InService',
    });
  });

  it.each<EndpointStatus>(['Creating', 'Updating', 'SystemUpdating', 'RollingBack'])(
    'keeps waiting while the endpoint is %s',
    async (status) => {
      // Arrange
      endpointIs(status);

      // Act
      const next = await checkEndpoint(waiting(), deps());

      // Assert
      expect(next.wait).toMatchObject({ attempts: 4, status });
    },
  );

  it("fails with EndpointFailedError carrying SageMaker's FailureReason and where to look", async () => {
    // Arrange
    endpointIs(
      'Failed',
      'The primary container for production variant AllTraffic did not pass the ping health check.',
    );

    // Act
    const error = await rejectionOf(checkEndpoint(waiting(), deps()));

    // Assert
    expect(error.name).toBe('EndpointFailedError');
    expect(error.message).toContain(`Endpoint ${NAME} failed: The primary container`);
    expect(error.message).toContain('distilbert/distilbert-base-uncased-finetuned-sst-2-english');
    expect(error.message).toContain(`/aws/sagemaker/Endpoints/${NAME}`);
  });

  it('fails with EndpointWaitTimeoutError when the last allowed check still sees Creating', async () => {
    // Arrange
    endpointIs('Creating');

    // Act
    const error = await rejectionOf(checkEndpoint(waiting({ attempts: 119 }), deps()));

    // Assert
    expect(error.name).toBe('EndpointWaitTimeoutError');
    expect(error.message).toContain('still Creating after 120 checks (about 60 min');
    expect(error.message).toContain('raise rollout.maxWaitMinutes');
  });

  it('still accepts InService on the last allowed check', async () => {
    // Arrange
    endpointIs('InService');

    // Act
    const next = await checkEndpoint(waiting({ attempts: 119 }), deps());

    // Assert
    expect(next.wait?.status).toBe('InService');
  });

  it.each<EndpointStatus>(['OutOfService', 'Deleting', 'UpdateRollbackFailed'])(
    'fails with EndpointFailedError when the endpoint turns %s',
    async (status) => {
      // Arrange
      endpointIs(status);

      // Act
      const error = await rejectionOf(checkEndpoint(waiting(), deps()));

      // Assert
      expect(error.name).toBe('EndpointFailedError');
      expect(error.message).toContain(`is ${status}`);
    },
  );

  it('fails with EndpointFailedError when the endpoint disappeared', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand).rejects(notFound('endpoint', NAME));

    // Act
    const error = await rejectionOf(checkEndpoint(waiting(), deps()));

    // Assert
    expect(error.name).toBe('EndpointFailedError');
    expect(error.message).toContain('no longer exists');
  });

  it('rejects a state without wait with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(checkEndpoint(deployState({ wait: null }), deps()));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
  });
});

describe('check-endpoint handler', () => {
  it('polls through the module-scope client and sums its polls in one timing entry', async () => {
    // Arrange
    endpointIs('Creating');

    // Act
    const first = await handler(waiting());
    const second = await handler(first);

    // Assert
    expect(second.wait?.attempts).toBe(5);
    expect(second.timings.filter((t) => t.step === 'Check Endpoint')).toEqual([
      expect.objectContaining({ step: 'Check Endpoint', runs: 2 }),
    ]);
  });

  it('turns throttling into AwsTransientError', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(waiting()));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });
});
