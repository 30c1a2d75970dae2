import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkEndpointDeleted } from '../../lambdas/check-endpoint-deleted/core';
import { handler } from '../../lambdas/check-endpoint-deleted/handler';
import { logger } from '../../lambdas/shared/logger';
import type { PollState, RolloutState } from '../../lambdas/shared/types';
import { deployState, notFound, rejectionOf, rollbackState, throttled } from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const NAME = deployState().rolloutId;

/** State after Roll Back started deleting this rollout's endpoint. */
function deleting(deletion: Partial<PollState> = {}, overrides: Partial<RolloutState> = {}): RolloutState {
  return deployState({
    deletion: { pollIntervalSeconds: 10, maxAttempts: 90, attempts: 0, status: 'Deleting', ...deletion },
    rollback: { restored: false, deleted: [], problems: [] },
    ...overrides,
  });
}

function deps(): { sagemaker: SageMakerClient } {
  return { sagemaker: new SageMakerClient({}) };
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sageMakerMock.reset());

describe('checkEndpointDeleted', () => {
  it('ends the wait when SageMaker no longer finds the endpoint, and reports it deleted', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand, { EndpointName: NAME }).rejects(notFound('endpoint', NAME));

    // Act
    const next = await checkEndpointDeleted(deleting(), deps());

    // Assert
    expect(next.deletion).toEqual({
      pollIntervalSeconds: 10,
      maxAttempts: 90,
      attempts: 1,
      status: 'Deleted',
    });
    expect(next.rollback?.deleted).toEqual([`endpoint ${NAME}`]);
  });

  it('keeps waiting with the status SageMaker reports', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand).resolves({ EndpointName: NAME, EndpointStatus: 'Deleting' });

    // Act
    const next = await checkEndpointDeleted(deleting({ attempts: 4 }), deps());

    // Assert
    expect(next.deletion).toMatchObject({ attempts: 5, status: 'Deleting' });
    expect(next.rollback?.deleted).toEqual([]);
  });

  it('fails with EndpointDeletionTimeoutError when the last allowed check still finds the endpoint', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand).resolves({ EndpointName: NAME, EndpointStatus: 'Deleting' });

    // Act
    const error = await rejectionOf(checkEndpointDeleted(deleting({ attempts: 89 }), deps()));

    // Assert
    expect(error.name).toBe('EndpointDeletionTimeoutError');
    expect(error.message).toContain(`aws sagemaker delete-endpoint --endpoint-name ${NAME}`);
  });

  it('does not poll when Roll Back already found nothing to wait for', async () => {
    // Act
    const next = await checkEndpointDeleted(
      deleting({ status: 'Deleted', failureReason: 'DeleteEndpoint failed; see rollback.problems' }),
      deps(),
    );

    // Assert
    expect(next.deletion).toMatchObject({ attempts: 1, status: 'Deleted' });
    expect(sageMakerMock).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  it('does not poll for a rollback execution, which has no endpoint of its own', async () => {
    // Act
    const next = await checkEndpointDeleted(
      rollbackState({
        deletion: { pollIntervalSeconds: 10, maxAttempts: 90, attempts: 0, status: 'Deleted' },
      }),
      deps(),
    );

    // Assert
    expect(next.deletion?.status).toBe('Deleted');
    expect(sageMakerMock).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  it('rejects a state without deletion with InvalidStepInputError', async () => {
    // Act
    const error = await rejectionOf(checkEndpointDeleted(deployState({ deletion: null }), deps()));

    // Assert
    expect(error.name).toBe('InvalidStepInputError');
  });
});

describe('check-endpoint-deleted handler', () => {
  it('polls through the module-scope client', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand).rejects(notFound('endpoint', NAME));

    // Act
    const next = await handler(deleting());

    // Assert
    expect(next.deletion?.status).toBe('Deleted');
    expect(next.timings.at(-1)?.step).toBe('Check Endpoint Deleted');
  });

  it('turns throttling into AwsTransientError', async () => {
    // Arrange
    sageMakerMock.on(DescribeEndpointCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(deleting()));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });
});
