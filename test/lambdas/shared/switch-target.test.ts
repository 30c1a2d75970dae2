import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  PreconditionFailedException,
  ResourceConflictException,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApiUpdateConflictError, ApiUpdateFailedError } from '../../../lambdas/shared/errors';
import { mergeSwitchedEnv, switchTarget } from '../../../lambdas/shared/switch-target';
import { fakeTime, fixture } from '../switch-health-fixtures';

const FUNCTION = 'hf-rollout-sentiment-proxy';
const NEW_ENDPOINT = 'sentiment-distilbert-base-20250102-030405-abcd';
const EXTRA = {
  LIVE_ROLLOUT_ID: NEW_ENDPOINT,
  LIVE_MODEL_ID: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
};

const lambdaMock = mockClient(LambdaClient);
const lambda = new LambdaClient({});

function configuration(overrides: Partial<FunctionConfiguration> = {}): FunctionConfiguration {
  return { ...fixture<FunctionConfiguration>('switch-proxy-configuration.json'), ...overrides };
}

function withEnv(variables: Record<string, string>, overrides: Partial<FunctionConfiguration> = {}) {
  return configuration({ Environment: { Variables: variables }, ...overrides });
}

const original = configuration().Environment?.Variables ?? {};
const switched = { ...original, ENDPOINT_NAME: NEW_ENDPOINT, ...EXTRA };

function conflict(): ResourceConflictException {
  return new ResourceConflictException({
    $metadata: { httpStatusCode: 409 },
    message: 'The operation cannot be performed at this time. An update is in progress for resource: x',
  });
}

beforeEach(() => lambdaMock.reset());

describe('switchTarget', () => {
  it('merges ENDPOINT_NAME into the existing environment with the revision it read, and waits for Successful', async () => {
    // Arrange
    const time = fakeTime();
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(configuration())
      .resolvesOnce(withEnv(switched, { LastUpdateStatus: 'InProgress', RevisionId: 'rev-2' }))
      .resolves(withEnv(switched, { LastUpdateStatus: 'Successful', RevisionId: 'rev-2' }));
    lambdaMock.on(UpdateFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'InProgress' });

    // Act
    const result = await switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, time);

    // Assert
    expect(result).toEqual({
      updated: true,
      previousEndpointName: 'sentiment-distilbert-base-20250101-090000-1111',
    });
    expect(lambdaMock).toHaveReceivedCommandTimes(UpdateFunctionConfigurationCommand, 1);
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionConfigurationCommand, {
      FunctionName: FUNCTION,
      RevisionId: 'rev-1',
      Environment: { Variables: switched },
    });
    // Other variables (the origin secret, the service name ...) survive the whole-map replacement.
    expect(switched).toMatchObject({ ORIGIN_VERIFY_SECRET: 's3cr3t', SERVICE_NAME: 'sentiment' });
    expect(lambdaMock).toHaveReceivedCommandTimes(GetFunctionConfigurationCommand, 3);
  });

  it('backs off after ResourceConflictException, waits for the other update, then succeeds', async () => {
    // Arrange
    const time = fakeTime();
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(configuration())
      .resolvesOnce(configuration({ LastUpdateStatus: 'InProgress', RevisionId: 'rev-5' }))
      .resolvesOnce(configuration({ LastUpdateStatus: 'Successful', RevisionId: 'rev-6' }))
      .resolves(withEnv(switched, { LastUpdateStatus: 'Successful', RevisionId: 'rev-7' }));
    lambdaMock.on(UpdateFunctionConfigurationCommand).rejectsOnce(conflict()).resolves({});

    // Act
    const result = await switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, { ...time, backoffBaseMs: 500 });

    // Assert
    expect(result.updated).toBe(true);
    expect(lambdaMock).toHaveReceivedCommandTimes(UpdateFunctionConfigurationCommand, 2);
    expect(lambdaMock).toHaveReceivedNthSpecificCommandWith(2, UpdateFunctionConfigurationCommand, {
      RevisionId: 'rev-6',
    });
    // A 500 ms conflict backoff, then the first status poll after 250 ms.
    expect(time.slept).toEqual([500, 250]);
  });

  it('rejects with ApiUpdateConflictError after five conflicting attempts', async () => {
    const time = fakeTime();
    lambdaMock.on(GetFunctionConfigurationCommand).resolves(configuration());
    lambdaMock.on(UpdateFunctionConfigurationCommand).rejects(conflict());

    const attempt = switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, time);

    await expect(attempt).rejects.toThrow(ApiUpdateConflictError);
    await expect(attempt).rejects.toThrow(/after 5 attempts/);
    expect(lambdaMock).toHaveReceivedCommandTimes(UpdateFunctionConfigurationCommand, 5);
    expect(time.slept).toEqual([1000, 2000, 4000, 8000]);
  });

  it('re-reads and merges again when the RevisionId changed in between, keeping the new variable', async () => {
    // Arrange
    const time = fakeTime();
    const changedMeanwhile = { ...original, LOG_LEVEL: 'DEBUG' };
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(configuration())
      .resolvesOnce(withEnv(changedMeanwhile, { RevisionId: 'rev-9' }))
      .resolves(withEnv({ ...changedMeanwhile, ENDPOINT_NAME: NEW_ENDPOINT, ...EXTRA }));
    lambdaMock
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(
        new PreconditionFailedException({ $metadata: { httpStatusCode: 412 }, message: 'revision' }),
      )
      .resolves({});

    // Act
    await switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, time);

    // Assert
    expect(lambdaMock).toHaveReceivedNthSpecificCommandWith(2, UpdateFunctionConfigurationCommand, {
      RevisionId: 'rev-9',
      Environment: { Variables: { ...changedMeanwhile, ENDPOINT_NAME: NEW_ENDPOINT, ...EXTRA } },
    });
    expect(time.slept).toEqual([]);
  });

  it('rejects with ApiUpdateFailedError and the reason when the update ends Failed', async () => {
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(configuration())
      .resolves(
        withEnv(switched, {
          LastUpdateStatus: 'Failed',
          LastUpdateStatusReasonCode: 'KMSKeyAccessDenied',
          LastUpdateStatusReason: 'Lambda was unable to encrypt the environment variables',
        }),
      );
    lambdaMock.on(UpdateFunctionConfigurationCommand).resolves({});

    const attempt = switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, fakeTime());

    await expect(attempt).rejects.toThrow(ApiUpdateFailedError);
    await expect(attempt).rejects.toThrow(
      'configuration update ended Failed (KMSKeyAccessDenied): Lambda was unable to encrypt the environment variables',
    );
  });

  it('rejects with ApiUpdateConflictError when the update stays InProgress past the deadline', async () => {
    const time = fakeTime();
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(configuration())
      .resolves(withEnv(switched, { LastUpdateStatus: 'InProgress' }));
    lambdaMock.on(UpdateFunctionConfigurationCommand).resolves({});

    await expect(
      switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, {
        ...time,
        timeoutMs: 10_000,
        pollIntervalMs: 2000,
      }),
    ).rejects.toThrow(/still InProgress after the 10 s/);
    expect(time.slept).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000, 2000]);
  });

  it('skips the update when the environment already names the target (a retried step)', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves(withEnv(switched));

    const result = await switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, fakeTime());

    expect(result).toEqual({ updated: false, previousEndpointName: NEW_ENDPOINT });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
  });

  it('waits for an earlier attempt still InProgress before calling an already-switched target done', async () => {
    const time = fakeTime();
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(withEnv(switched, { LastUpdateStatus: 'InProgress' }))
      .resolves(withEnv(switched, { LastUpdateStatus: 'Successful' }));

    const result = await switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, time);

    expect(result.updated).toBe(false);
    expect(time.slept).toEqual([250]);
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
  });

  it('removes the switched variables, and only those, when there is no endpoint to serve', async () => {
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(configuration())
      .resolves(configuration({ RevisionId: 'rev-2' }));
    lambdaMock.on(UpdateFunctionConfigurationCommand).resolves({});

    await switchTarget(lambda, FUNCTION, null, {}, fakeTime());

    const { ENDPOINT_NAME: _e, LIVE_ROLLOUT_ID: _r, LIVE_MODEL_ID: _m, ...rest } = original;
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionConfigurationCommand, {
      Environment: { Variables: rest },
    });
  });

  it('passes other Lambda errors through unchanged', async () => {
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .rejects(Object.assign(new Error('Function not found: x'), { name: 'ResourceNotFoundException' }));

    await expect(switchTarget(lambda, FUNCTION, NEW_ENDPOINT, EXTRA, fakeTime())).rejects.toThrow(
      'Function not found: x',
    );
  });
});

describe('mergeSwitchedEnv', () => {
  it('replaces the switched keys and keeps every other variable', () => {
    expect(
      mergeSwitchedEnv({ A: '1', ENDPOINT_NAME: 'old', LIVE_MODEL_ID: 'm0' }, 'new', {
        LIVE_ROLLOUT_ID: 'r1',
      }),
    ).toEqual({
      A: '1',
      ENDPOINT_NAME: 'new',
      LIVE_ROLLOUT_ID: 'r1',
    });
  });
});
