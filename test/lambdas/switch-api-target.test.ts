import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InvalidStepInputError, TargetNotInServiceError } from '../../lambdas/shared/errors';
import type { LivePointer, LiveRecord } from '../../lambdas/shared/types';
import { switchApiTargetCore } from '../../lambdas/switch-api-target/core';
import { handler } from '../../lambdas/switch-api-target/handler';
import {
  deployState,
  fakeTime,
  fixture,
  newTarget,
  pointerBefore,
  rollbackState,
  spec,
} from './switch-health-fixtures';

const lambdaMock = mockClient(LambdaClient);
const ssmMock = mockClient(SSMClient);
const sagemakerMock = mockClient(SageMakerClient);
const NOW = new Date('2025-01-02T03:30:00.000Z');
const LIVE_PARAMETER = '/hf-rollout/sentiment/live';

function proxyConfiguration(env: Record<string, string> = {}): FunctionConfiguration {
  const base = fixture<FunctionConfiguration>('switch-proxy-configuration.json');
  return { ...base, Environment: { Variables: { ...base.Environment?.Variables, ...env } } };
}

/** The pointer as last written (the committed one). */
function writtenPointer(): LivePointer {
  return writes().at(-1) as LivePointer;
}

/** Every value written to the live pointer, in order. */
function writes(): LiveRecord[] {
  return ssmMock
    .commandCalls(PutParameterCommand)
    .map((c) => JSON.parse(c.args[0].input.Value ?? 'null') as LiveRecord);
}

function deps() {
  const time = fakeTime();
  return {
    lambda: new LambdaClient({}),
    ssm: new SSMClient({}),
    sagemaker: new SageMakerClient({}),
    prefix: 'hf-rollout',
    now: () => NOW,
    switchOptions: { sleep: time.sleep, now: time.now },
  };
}

/** The proxy takes the update at once. */
function proxyAccepts(): void {
  let env = proxyConfiguration();
  lambdaMock.on(GetFunctionConfigurationCommand).callsFake(() => env);
  lambdaMock.on(UpdateFunctionConfigurationCommand).callsFake((input: FunctionConfiguration) => {
    env = { ...env, Environment: input.Environment ?? {}, RevisionId: 'rev-2' };
    return env;
  });
}

beforeEach(() => {
  lambdaMock.reset();
  ssmMock.reset();
  sagemakerMock.reset();
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
});

describe('switchApiTargetCore', () => {
  it('declares the switch in the pointer, then switches the proxy, then records it, and marks the state switched', async () => {
    // Arrange
    const order: string[] = [];
    ssmMock.on(PutParameterCommand).callsFake(() => {
      order.push('ssm');
      return {};
    });
    lambdaMock.on(UpdateFunctionConfigurationCommand).callsFake(() => {
      order.push('lambda');
      return {};
    });
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(proxyConfiguration())
      .resolves(proxyConfiguration({ ENDPOINT_NAME: newTarget().endpointName }));

    // Act
    const next = await switchApiTargetCore(deployState(), deps());

    // Assert
    expect(order).toEqual(['ssm', 'lambda', 'ssm']);
    expect(next.switched).toBe(true);
    expect(next.target).toEqual({ ...newTarget(), since: NOW.toISOString() });
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Name: LIVE_PARAMETER, Overwrite: true });
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionConfigurationCommand, {
      FunctionName: 'hf-rollout-sentiment-proxy',
      Environment: {
        Variables: expect.objectContaining({
          ENDPOINT_NAME: 'sentiment-distilbert-base-20250102-030405-abcd',
          LIVE_ROLLOUT_ID: 'sentiment-distilbert-base-20250102-030405-abcd',
          LIVE_MODEL_ID: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
          ORIGIN_VERIFY_SECRET: 's3cr3t',
        }) as unknown,
      },
    });
  });

  it('promotes the target and keeps spec.rollout.keepPreviousEndpoints earlier deployments', async () => {
    proxyAccepts();
    ssmMock.on(PutParameterCommand).resolves({});
    const before = pointerBefore();

    await switchApiTargetCore(deployState(), deps());

    expect(spec().rollout.keepPreviousEndpoints).toBe(2);
    expect(writtenPointer()).toEqual({
      current: { ...newTarget(), since: NOW.toISOString() },
      previous: [before.current, ...before.previous],
    });
  });

  it('drops the oldest kept deployment when the spec keeps fewer', async () => {
    proxyAccepts();
    ssmMock.on(PutParameterCommand).resolves({});
    const state = deployState();
    const keepOne = { ...spec(), rollout: { ...spec().rollout, keepPreviousEndpoints: 1 } };

    await switchApiTargetCore({ ...state, spec: keepOne }, deps());

    expect(writtenPointer().previous).toEqual([pointerBefore().current]);
  });

  it('writes the intent first: current unchanged, the target pending with this execution', async () => {
    proxyAccepts();
    ssmMock.on(PutParameterCommand).resolves({});
    const state = deployState();
    const before = pointerBefore();

    await switchApiTargetCore(state, deps());

    const target = { ...newTarget(), since: NOW.toISOString() };
    expect(writes()[0]).toEqual({
      current: before.current,
      previous: before.previous,
      pending: {
        target,
        rolloutId: state.rolloutId,
        executionArn: state.executionArn,
        kind: 'deploy',
        since: NOW.toISOString(),
      },
    });
    expect(writes()).toHaveLength(2);
    expect(writtenPointer()).not.toHaveProperty('pending');
  });

  it('starts the pointer for a first deployment: a pending-only intent, then the target as current', async () => {
    proxyAccepts();
    ssmMock.on(PutParameterCommand).resolves({});

    await switchApiTargetCore(deployState({ pointerBefore: null }), deps());

    expect(writes()[0]).toMatchObject({ current: null, previous: [], pending: { kind: 'deploy' } });
    expect(writtenPointer()).toEqual({ current: { ...newTarget(), since: NOW.toISOString() }, previous: [] });
  });

  it('fails a rollback to an endpoint that no longer exists with TargetNotInServiceError, having written nothing', async () => {
    // Arrange: the kept endpoint was deleted by hand (aws sagemaker delete-endpoint).
    proxyAccepts();
    const state = rollbackState();
    sagemakerMock.on(DescribeEndpointCommand).rejects(
      Object.assign(new Error(`Could not find endpoint "${state.target?.endpointName ?? ''}".`), {
        name: 'ValidationException',
      }),
    );

    // Act
    const error = await switchApiTargetCore(state, deps()).catch((e: unknown) => e as Error);

    // Assert
    expect(error).toBeInstanceOf(TargetNotInServiceError);
    expect((error as Error).message).toContain('no longer exists');
    expect((error as Error).message).toContain(
      `Nothing was changed: the API still serves ${pointerBefore().current.endpointName}`,
    );
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
  });

  it('fails a switch to an endpoint that is not InService, having written nothing', async () => {
    proxyAccepts();
    sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed' });

    await expect(switchApiTargetCore(rollbackState(), deps())).rejects.toThrow(/is Failed, not InService/);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('keeps as many earlier deployments as before when rolling back', async () => {
    // Arrange
    proxyAccepts();
    ssmMock.on(PutParameterCommand).resolves({});
    const before = pointerBefore();
    const state = rollbackState();

    // Act
    const next = await switchApiTargetCore(state, deps());

    // Assert: the rolled-back-from deployment stays kept, so the rollback itself can be undone.
    expect(writtenPointer()).toEqual({
      current: { ...before.previous[0], since: NOW.toISOString() },
      previous: [before.current],
    });
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionConfigurationCommand, {
      Environment: {
        Variables: expect.objectContaining({
          ENDPOINT_NAME: 'sentiment-roberta-20241201-080000-0000',
          LIVE_MODEL_ID: 'cardiffnlp/twitter-roberta-base-sentiment-latest',
        }) as unknown,
      },
    });
    expect(next.switched).toBe(true);
  });

  it('rejects a state without a target', async () => {
    await expect(switchApiTargetCore(deployState({ target: null }), deps())).rejects.toThrow(
      InvalidStepInputError,
    );
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });
});

describe('switch-api-target handler', () => {
  it('switches the proxy named in the registration and records the step timing', async () => {
    proxyAccepts();
    ssmMock.on(PutParameterCommand).resolves({});

    const next = await handler(deployState());

    expect(next.switched).toBe(true);
    expect(next.timings.at(-1)?.step).toBe('Switch API Target');
    expect(lambdaMock).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, {
      FunctionName: 'hf-rollout-sentiment-proxy',
    });
  });
});
