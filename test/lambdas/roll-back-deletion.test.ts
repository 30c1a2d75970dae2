import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkEndpointDeleted } from '../../lambdas/check-endpoint-deleted/core';
import { IN_PROGRESS_POLL } from '../../lambdas/check-endpoint-deleted/endpoint-deletion';
import { cleanUp } from '../../lambdas/clean-up/core';
import { DELETION_POLL, rollBackCore } from '../../lambdas/roll-back/core';
import { logger } from '../../lambdas/shared/logger';
import type { PollState, RolloutState } from '../../lambdas/shared/types';
import { awsError, deployState, notFound, rejectionOf } from './step-fixtures';

/**
 * Issue 9 item 5: a rollout that timed out waiting leaves its endpoint Creating, which SageMaker
 * refuses to delete. Roll Back, Check Endpoint Deleted and Clean Up together wait it out of Creating
 * (bounded), delete it, wait until it is gone, and only then delete its config and model; whatever is
 * left at the deadline is named with the commands that remove it.
 */

const sagemakerMock = mockClient(SageMakerClient);
const ssmMock = mockClient(SSMClient);
const lambdaMock = mockClient(LambdaClient);
const STATE = deployState({
  failure: { step: 'Check Endpoint', error: 'EndpointWaitTimeoutError', cause: 'still Creating' },
});
const NAME = STATE.rolloutId;
const ARN = `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${NAME}`;
const inProgress = () => awsError('ValidationException', `Cannot update in-progress endpoint "${ARN}".`);

function sagemaker(): SageMakerClient {
  return new SageMakerClient({});
}

/** State after Roll Back found the endpoint Creating. */
function waitingOutCreating(attempts = 0): RolloutState {
  return {
    ...STATE,
    deletion: { ...IN_PROGRESS_POLL, attempts, status: 'Creating' },
    rollback: { restored: false, deleted: [], problems: [] },
  };
}

function describedAs(status: 'Creating' | 'InService' | 'Failed' | 'Deleting'): void {
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointName: NAME, EndpointStatus: status });
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => {
  sagemakerMock.reset();
  ssmMock.reset();
  lambdaMock.reset();
  // The proxy never served this rollout (it failed before Switch API Target): Roll Back restores nothing.
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({
    LastUpdateStatus: 'Successful',
    Environment: { Variables: { ENDPOINT_NAME: 'sentiment--previous' } },
  });
  ssmMock.on(GetParameterCommand).rejects(Object.assign(new Error('nope'), { name: 'ParameterNotFound' }));
});

describe('Roll Back of an endpoint still Creating', () => {
  it('starts waiting it out of Creating (bounded) instead of recording a problem', async () => {
    // Arrange
    sagemakerMock.on(DeleteEndpointCommand).rejects(inProgress());

    // Act
    const next = await rollBackCore(STATE, {
      lambda: new LambdaClient({}),
      ssm: new SSMClient({}),
      sagemaker: sagemaker(),
      prefix: 'hf-rollout',
      switchOptions: { sleep: () => Promise.resolve(), now: () => 0 },
    });

    // Assert
    expect(next.deletion).toEqual({ ...IN_PROGRESS_POLL, attempts: 0, status: 'Creating' });
    expect(next.rollback?.problems).toEqual([]);
    // The deadline covers an hour of creation (the SDK waiter's default) and then the deletion.
    expect(IN_PROGRESS_POLL.pollIntervalSeconds * IN_PROGRESS_POLL.maxAttempts).toBeGreaterThan(
      3600 + DELETION_POLL.pollIntervalSeconds * 10,
    );
  });
});

describe('Check Endpoint Deleted of an endpoint Roll Back could not delete yet', () => {
  it('keeps waiting, without a DeleteEndpoint, while it is still Creating', async () => {
    // Arrange
    describedAs('Creating');

    // Act
    const next = await checkEndpointDeleted(waitingOutCreating(3), { sagemaker: sagemaker() });

    // Assert
    expect(next.deletion).toMatchObject({ attempts: 4, status: 'Creating' });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it.each(['InService', 'Failed'] as const)(
    'deletes it as soon as it is %s and goes on waiting until it is gone',
    async (status) => {
      // Arrange
      describedAs(status);
      sagemakerMock.on(DeleteEndpointCommand).resolves({});

      // Act
      const next = await checkEndpointDeleted(waitingOutCreating(7), { sagemaker: sagemaker() });

      // Assert
      expect(sagemakerMock).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: NAME });
      expect(next.deletion).toMatchObject({ attempts: 8, status: 'Deleting' });
      expect(next.rollback?.deleted).toEqual([]);
    },
  );

  it('reports the endpoint deleted once SageMaker no longer finds it', async () => {
    // Arrange
    sagemakerMock.on(DescribeEndpointCommand).rejects(notFound('endpoint', NAME));
    const deletingNow: RolloutState = {
      ...waitingOutCreating(9),
      deletion: { ...IN_PROGRESS_POLL, attempts: 9, status: 'Deleting' },
    };

    // Act
    const next = await checkEndpointDeleted(deletingNow, { sagemaker: sagemaker() });

    // Assert
    expect(next.deletion?.status).toBe('Deleted');
    expect(next.rollback?.deleted).toEqual([`endpoint ${NAME}`]);
  });

  it('fails at the deadline naming the status SageMaker refuses to delete in and the command to run', async () => {
    // Arrange
    describedAs('Creating');

    // Act
    const error = await rejectionOf(
      checkEndpointDeleted(waitingOutCreating(IN_PROGRESS_POLL.maxAttempts - 1), { sagemaker: sagemaker() }),
    );

    // Assert
    expect(error.name).toBe('EndpointDeletionTimeoutError');
    expect(error.message).toContain(
      `Endpoint ${NAME} is still Creating after ${IN_PROGRESS_POLL.maxAttempts} checks`,
    );
    expect(error.message).toContain('refuses to delete an endpoint while it is Creating');
    expect(error.message).toContain(`aws sagemaker delete-endpoint --endpoint-name ${NAME}`);
  });
});

describe('Clean Up after the wait for the endpoint ended without its deletion', () => {
  /** State as Clean Up receives it when Check Endpoint Deleted hit its deadline. */
  function afterDeadline(): RolloutState {
    return {
      ...waitingOutCreating(IN_PROGRESS_POLL.maxAttempts),
      rollbackFailure: {
        Error: 'EndpointDeletionTimeoutError',
        Cause: JSON.stringify({
          errorType: 'EndpointDeletionTimeoutError',
          errorMessage: `Endpoint ${NAME} is still Creating after 240 checks`,
        }),
      },
    } as RolloutState;
  }

  it('keeps the config and model while the endpoint exists and names the three commands in order', async () => {
    // Arrange
    describedAs('Creating');

    // Act
    const next = await cleanUp(afterDeadline(), { sagemaker: sagemaker() });

    // Assert
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteModelCommand);
    const left = next.rollback?.problems.find((p) => p.startsWith(`Endpoint ${NAME} still exists`));
    expect(left).toBe(
      `Endpoint ${NAME} still exists (Creating), so its endpoint config ${NAME} and model ${NAME} were kept. ` +
        `Once it has left Creating, remove all three in this order: aws sagemaker delete-endpoint --endpoint-name ${NAME}; ` +
        `wait until aws sagemaker describe-endpoint --endpoint-name ${NAME} says it does not exist; ` +
        `aws sagemaker delete-endpoint-config --endpoint-config-name ${NAME}; aws sagemaker delete-model --model-name ${NAME}.`,
    );
    expect(next.failure?.summary).toContain(`Needs attention:`);
    expect(next.failure?.summary).toContain(`aws sagemaker delete-model --model-name ${NAME}`);
  });

  it('deletes the config and model once SageMaker no longer finds the endpoint', async () => {
    // Arrange
    sagemakerMock.on(DescribeEndpointCommand).rejects(notFound('endpoint', NAME));
    sagemakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sagemakerMock.on(DeleteModelCommand).resolves({});

    // Act
    const next = await cleanUp(afterDeadline(), { sagemaker: sagemaker() });

    // Assert
    expect(next.rollback?.deleted).toEqual([`endpoint config ${NAME}`, `model ${NAME}`]);
  });

  it('does not ask SageMaker again when Check Endpoint Deleted saw the endpoint gone', async () => {
    // Arrange
    sagemakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sagemakerMock.on(DeleteModelCommand).resolves({});
    const gone: PollState = { ...IN_PROGRESS_POLL, attempts: 12, status: 'Deleted' };

    // Act
    const next = await cleanUp({ ...waitingOutCreating(), deletion: gone }, { sagemaker: sagemaker() });

    // Assert
    expect(sagemakerMock).not.toHaveReceivedCommand(DescribeEndpointCommand);
    expect(next.rollback?.deleted).toEqual([`endpoint config ${NAME}`, `model ${NAME}`]);
  });
});
