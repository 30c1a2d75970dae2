import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { cleanUp } from '../../lambdas/clean-up/core';
import { handler } from '../../lambdas/clean-up/handler';
import { logger } from '../../lambdas/shared/logger';
import type { FailureInfo, RolloutState } from '../../lambdas/shared/types';
import { awsError, deployState, notFound, rejectionOf, rollbackState, throttled } from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const NAME = deployState().rolloutId;
const PREVIOUS = 'sentiment-distilbert-base-20250220-090000-0f3c';
const ENDPOINT_FAILED: FailureInfo = {
  step: 'Check Endpoint',
  error: 'EndpointFailedError',
  cause: JSON.stringify({
    errorType: 'EndpointFailedError',
    errorMessage: `Endpoint ${NAME} failed: ping health check failed.`,
    trace: ['EndpointFailedError: ...'],
  }),
};

/** State after Roll Back deleted the endpoint of a rollout that failed in `failure.step`. */
function rolledBack(overrides: Partial<RolloutState> = {}): RolloutState {
  return deployState({
    failure: ENDPOINT_FAILED,
    rollback: { restored: false, deleted: [`endpoint ${NAME}`], problems: [] },
    deletion: { pollIntervalSeconds: 10, maxAttempts: 90, attempts: 3, status: 'Deleted' },
    ...overrides,
  });
}

function deps(): { sagemaker: SageMakerClient } {
  return { sagemaker: new SageMakerClient({}) };
}

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => sageMakerMock.reset());

describe('cleanUp', () => {
  it("deletes this rollout's endpoint config and model and writes a summary a person can act on", async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock.on(DeleteModelCommand).resolves({});

    // Act
    const next = await cleanUp(rolledBack(), deps());

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, {
      EndpointConfigName: NAME,
    });
    expect(sageMakerMock).toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: NAME });
    expect(next.rollback).toEqual({
      restored: false,
      deleted: [`endpoint ${NAME}`, `endpoint config ${NAME}`, `model ${NAME}`],
      problems: [],
    });
    expect(next.failure).toEqual({
      ...ENDPOINT_FAILED,
      summary:
        `Check Endpoint failed (EndpointFailedError): Endpoint ${NAME} failed: ping health check failed. ` +
        `The API still serves endpoint ${PREVIOUS}. ` +
        `Rolled back: deleted endpoint ${NAME}, endpoint config ${NAME}, model ${NAME}.`,
    });
  });

  it('touches nothing but the resources named after this rollout', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock.on(DeleteModelCommand).resolves({});

    // Act
    await cleanUp(rolledBack(), deps());

    // Assert
    expect(sageMakerMock.calls()).toHaveLength(2);
    expect(sageMakerMock).toHaveReceivedCommandTimes(DeleteEndpointConfigCommand, 1);
    expect(sageMakerMock).toHaveReceivedCommandTimes(DeleteModelCommand, 1);
  });

  it('does not list what was never created', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).rejects(notFound('endpoint configuration', NAME));
    sageMakerMock.on(DeleteModelCommand).resolves({});
    const failure: FailureInfo = {
      step: 'Create Endpoint Config',
      error: 'ResourceMismatchError',
      cause: 'config differs',
    };

    // Act
    const next = await cleanUp(
      rolledBack({ failure, rollback: { restored: false, deleted: [], problems: [] } }),
      deps(),
    );

    // Assert
    expect(next.rollback?.deleted).toEqual([`model ${NAME}`]);
    expect(next.failure?.summary).toContain(
      'Create Endpoint Config failed (ResourceMismatchError): config differs.',
    );
  });

  it('says what a States.Timeout without cause means and that the API was restored', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock.on(DeleteModelCommand).resolves({});
    const failure: FailureInfo = { step: 'Verify Public API', error: 'States.Timeout', cause: '' };

    // Act
    const next = await cleanUp(
      rolledBack({
        failure,
        switched: true,
        rollback: { restored: true, deleted: [`endpoint ${NAME}`], problems: [] },
      }),
      deps(),
    );

    // Assert
    expect(next.failure?.summary).toBe(
      'Verify Public API failed (States.Timeout): the step ran longer than its TimeoutSeconds. ' +
        `The API still serves endpoint ${PREVIOUS}. ` +
        `Rolled back: API target restored to endpoint ${PREVIOUS}; ` +
        `deleted endpoint ${NAME}, endpoint config ${NAME}, model ${NAME}.`,
    );
  });

  it('says nothing was served before the first deployment', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock.on(DeleteModelCommand).resolves({});

    // Act
    const next = await cleanUp(rolledBack({ pointerBefore: null }), deps());

    // Assert
    expect(next.failure?.summary).toContain('The API still serves nothing (no earlier deployment).');
  });

  it('notes a failed Roll Back as a problem: the endpoint may remain', async () => {
    // Arrange: the endpoint is gone (else the config and model stay, see roll-back-deletion.test.ts).
    sageMakerMock.on(DescribeEndpointCommand).rejects(notFound('endpoint', NAME));
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock.on(DeleteModelCommand).resolves({});
    const state = {
      ...deployState({ failure: ENDPOINT_FAILED }),
      rollbackFailure: {
        Error: 'AccessDeniedException',
        Cause: JSON.stringify({
          errorType: 'AccessDeniedException',
          errorMessage: 'not authorized to DeleteEndpoint',
        }),
      },
    } as RolloutState;

    // Act
    const next = await cleanUp(state, deps());

    // Assert
    expect(next.rollback?.problems).toEqual([
      `Roll Back did not finish (AccessDeniedException: not authorized to DeleteEndpoint); endpoint ${NAME} may remain: ` +
        `check it and delete it (aws sagemaker delete-endpoint --endpoint-name ${NAME}).`,
    ]);
    expect(next.failure?.summary).toContain('Needs attention: Roll Back did not finish');
    expect(next.rollback?.restored).toBe(false);
  });

  it('keeps the config and model when the API may still serve this rollout after a failed Roll Back', async () => {
    // Arrange
    const state = {
      ...deployState({
        switched: true,
        failure: {
          step: 'Verify Public API',
          error: 'PublicApiCheckFailedError',
          cause: 'served by the old one',
        },
      }),
      rollbackFailure: { Error: 'ApiUpdateFailedError', Cause: 'update failed' },
    } as RolloutState;

    // Act
    const next = await cleanUp(state, deps());

    // Assert
    expect(sageMakerMock.calls()).toHaveLength(0);
    expect(next.failure?.summary).toContain(`The API may still serve this rollout's endpoint ${NAME}`);
    expect(next.failure?.summary).toContain('`rollout rollback sentiment`');
    expect(next.failure?.summary).toContain('Rolled back: nothing confirmed (Roll Back did not finish).');
  });

  it('keeps the config and model when Roll Back failed after a failure at the switch itself', async () => {
    // Arrange
    const state = {
      ...deployState({
        failure: {
          step: 'Switch API Target',
          error: 'ApiUpdateFailedError',
          cause: 'LastUpdateStatus Failed',
        },
      }),
      rollbackFailure: { Error: 'States.Timeout', Cause: '' },
    } as RolloutState;

    // Act
    const next = await cleanUp(state, deps());

    // Assert
    expect(sageMakerMock.calls()).toHaveLength(0);
    expect(next.rollback?.problems).toHaveLength(2);
  });

  it('reports a delete that SageMaker refuses as a problem with the command to run', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock
      .on(DeleteModelCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to perform sagemaker:DeleteModel'));

    // Act
    const next = await cleanUp(rolledBack(), deps());

    // Assert
    expect(next.rollback?.problems).toEqual([
      `model ${NAME} was not deleted (AccessDeniedException: not authorized to perform sagemaker:DeleteModel); ` +
        `delete it by hand: aws sagemaker delete-model --model-name ${NAME}.`,
    ]);
    expect(next.failure?.summary).toContain('Needs attention: model');
  });

  it('deletes nothing for a failed rollback execution', async () => {
    // Act
    const next = await cleanUp(
      rollbackState({
        failure: { step: 'Switch API Target', error: 'ApiUpdateConflictError', cause: 'busy' },
        rollback: { restored: true, deleted: [], problems: [] },
      }),
      deps(),
    );

    // Assert
    expect(sageMakerMock.calls()).toHaveLength(0);
    expect(next.failure?.summary).toContain('Switch API Target failed (ApiUpdateConflictError): busy.');
  });
});

describe('clean-up handler', () => {
  it('cleans up through the module-scope client', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
    sageMakerMock.on(DeleteModelCommand).resolves({});

    // Act
    const next = await handler(rolledBack());

    // Assert
    expect(next.failure?.summary).toContain('Check Endpoint failed');
    expect(next.timings.at(-1)?.step).toBe('Clean Up');
  });

  it('turns throttling into AwsTransientError so the Task retries the idempotent deletes', async () => {
    // Arrange
    sageMakerMock.on(DeleteEndpointConfigCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(rolledBack()));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });
});
