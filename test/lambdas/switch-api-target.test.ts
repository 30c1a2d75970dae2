import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InvalidStepInputError } from '../../lambdas/shared/errors';
import type { LivePointer } from '../../lambdas/shared/types';
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
const NOW = new Date('2025-01-02T03:30:00.000Z');
const LIVE_PARAMETER = '/hf-rollout/sentiment/live';

function proxyConfiguration(env: Record<string, string> = {}): FunctionConfiguration {
  const base = fixture<FunctionConfiguration>('switch-proxy-configuration.json');
  return { ...base, Environment: { Variables: { ...base.Environment?.Variables, ...env } } };
}

function writtenPointer(): LivePointer {
  const input = ssmMock.commandCalls(PutParameterCommand)[0]?.args[0].input;
  return JSON.parse(input?.Value ?? 'null') as LivePointer;
}

function deps() {
  const time = fakeTime();
  return {
    lambda: new LambdaClient({}),
    ssm: new SSMClient({}),
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
});

describe('switchApiTargetCore', () => {
  it('writes the live pointer first, then switches the proxy, and marks the state switched', async () => {
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
    expect(order).toEqual(['ssm', 'lambda']);
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

  it('starts the pointer for a first deployment, reading SSM when the lock saw nothing', async () => {
    proxyAccepts();
    ssmMock
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    ssmMock.on(PutParameterCommand).resolves({});

    await switchApiTargetCore(deployState({ pointerBefore: null }), deps());

    expect(writtenPointer()).toEqual({ current: { ...newTarget(), since: NOW.toISOString() }, previous: [] });
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
