import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { DeleteEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { rollBackCore } from '../../lambdas/roll-back/core';
import { handler } from '../../lambdas/roll-back/handler';
import { ApiUpdateFailedError } from '../../lambdas/shared/errors';
import type { LivePointer } from '../../lambdas/shared/types';
import {
  deployState,
  fakeTime,
  fixture,
  newTarget,
  pointerBefore,
  rollbackState,
} from './switch-health-fixtures';

const lambdaMock = mockClient(LambdaClient);
const ssmMock = mockClient(SSMClient);
const sagemakerMock = mockClient(SageMakerClient);
const ROLLOUT_ID = 'sentiment-distilbert-base-20250102-030405-abcd';
const OLD_ENDPOINT = 'sentiment-distilbert-base-20250101-090000-1111';

function proxyWith(env: Record<string, string | undefined>): FunctionConfiguration {
  const base = fixture<FunctionConfiguration>('switch-proxy-configuration.json');
  const variables: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base.Environment?.Variables, ...env }))
    if (v !== undefined) variables[k] = v;
  return { ...base, Environment: { Variables: variables } };
}

/** The proxy's environment as the test left it, updated by UpdateFunctionConfiguration. */
function proxyStartingAs(config: FunctionConfiguration): () => Record<string, string> {
  let current = config;
  lambdaMock.on(GetFunctionConfigurationCommand).callsFake(() => current);
  lambdaMock.on(UpdateFunctionConfigurationCommand).callsFake((input: FunctionConfiguration) => {
    current = {
      ...current,
      Environment: input.Environment ?? {},
      RevisionId: `${current.RevisionId ?? ''}+`,
    };
    return current;
  });
  return () => current.Environment?.Variables ?? {};
}

function livePointerIs(pointer: LivePointer | null): void {
  if (pointer === null) {
    ssmMock.on(GetParameterCommand).rejects(Object.assign(new Error('nope'), { name: 'ParameterNotFound' }));
  } else {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(pointer) } });
  }
  ssmMock.on(PutParameterCommand).resolves({});
  ssmMock.on(DeleteParameterCommand).resolves({});
}

function switchedPointer(): LivePointer {
  const before = pointerBefore();
  return { current: { ...newTarget(), since: '2025-01-02T03:30:00.000Z' }, previous: [before.current] };
}

function deps() {
  const time = fakeTime();
  return {
    lambda: new LambdaClient({}),
    ssm: new SSMClient({}),
    sagemaker: new SageMakerClient({}),
    prefix: 'hf-rollout',
    switchOptions: { sleep: time.sleep, now: time.now },
  };
}

const notFound = () =>
  Object.assign(new Error(`Could not find endpoint "${ROLLOUT_ID}".`), {
    name: 'ValidationException',
    $metadata: {},
  });

beforeEach(() => {
  lambdaMock.reset();
  ssmMock.reset();
  sagemakerMock.reset();
  sagemakerMock.on(DeleteEndpointCommand).resolves({});
  // The proxy serves what it served before this rollout unless a test says otherwise.
  lambdaMock.on(GetFunctionConfigurationCommand).resolves(proxyWith({}));
});

/** Every value written to the live pointer, in order. */
function pointerWrites(): unknown[] {
  return ssmMock
    .commandCalls(PutParameterCommand)
    .map((c) => JSON.parse(c.args[0].input.Value ?? 'null') as unknown);
}

describe('rollBackCore', () => {
  it('restores exactly the pointer and endpoint from before a switched rollout, then deletes its endpoint', async () => {
    // Arrange
    livePointerIs(switchedPointer());
    const env = proxyStartingAs(proxyWith({ ENDPOINT_NAME: ROLLOUT_ID, LIVE_ROLLOUT_ID: ROLLOUT_ID }));
    const state = deployState({ switched: true });

    // Act
    const next = await rollBackCore(state, deps());

    // Assert
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/hf-rollout/sentiment/live',
      Value: JSON.stringify(pointerBefore()),
    });
    expect(env()).toMatchObject({
      ENDPOINT_NAME: OLD_ENDPOINT,
      LIVE_ROLLOUT_ID: OLD_ENDPOINT,
      ORIGIN_VERIFY_SECRET: 's3cr3t',
    });
    expect(sagemakerMock).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ROLLOUT_ID });
    expect(next.rollback).toEqual({ restored: true, deleted: [], problems: [] });
    expect(next.deletion).toEqual({
      pollIntervalSeconds: 10,
      maxAttempts: 90,
      attempts: 0,
      status: 'Deleting',
    });
  });

  it('restores a half-done switch: the pointer names this rollout though the step failed before the proxy', async () => {
    livePointerIs(switchedPointer());
    const env = proxyStartingAs(proxyWith({}));

    const next = await rollBackCore(deployState({ switched: false }), deps());

    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, {
      Value: JSON.stringify(pointerBefore()),
    });
    expect(env().ENDPOINT_NAME).toBe(OLD_ENDPOINT);
    // The proxy already named the old endpoint: nothing to write there.
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
    expect(next.rollback?.restored).toBe(true);
  });

  it('declares the restore as pending before switching the proxy back, then writes the pointer from before', async () => {
    // Arrange: the switch was recorded (the pointer names this rollout), so a crash between the
    // restore's writes must leave a pointer that still covers both endpoints the proxy may serve.
    livePointerIs(switchedPointer());
    proxyStartingAs(proxyWith({ ENDPOINT_NAME: ROLLOUT_ID, LIVE_ROLLOUT_ID: ROLLOUT_ID }));
    const state = deployState({ switched: true });

    // Act
    await rollBackCore(state, deps());

    // Assert
    expect(pointerWrites()).toEqual([
      {
        ...switchedPointer(),
        pending: {
          target: pointerBefore().current,
          rolloutId: state.rolloutId,
          executionArn: state.executionArn,
          kind: 'restore',
          since: expect.any(String) as unknown,
        },
      },
      pointerBefore(),
    ]);
  });

  it("restores a switch that died between its writes: the pointer holds this rollout's pending switch and the proxy serves it", async () => {
    // Arrange
    const before = pointerBefore();
    const state = deployState({ switched: false });
    livePointerIs({
      ...before,
      pending: {
        target: { ...newTarget(), since: 'x' },
        rolloutId: state.rolloutId,
        executionArn: state.executionArn,
        kind: 'deploy',
        since: 'x',
      },
    });
    const env = proxyStartingAs(proxyWith({ ENDPOINT_NAME: ROLLOUT_ID, LIVE_ROLLOUT_ID: ROLLOUT_ID }));

    // Act
    const next = await rollBackCore(state, deps());

    // Assert: current already names the old endpoint, so no second intent is needed.
    expect(pointerWrites()).toEqual([before]);
    expect(env().ENDPOINT_NAME).toBe(OLD_ENDPOINT);
    expect(next.rollback?.restored).toBe(true);
  });

  it('deletes the pointer and removes ENDPOINT_NAME when nothing was deployed before (the API answers 503)', async () => {
    livePointerIs({ current: { ...newTarget(), since: 'x' }, previous: [] });
    const env = proxyStartingAs(proxyWith({ ENDPOINT_NAME: ROLLOUT_ID, LIVE_ROLLOUT_ID: ROLLOUT_ID }));

    const next = await rollBackCore(deployState({ switched: true, pointerBefore: null }), deps());

    expect(ssmMock).toHaveReceivedCommandWith(DeleteParameterCommand, { Name: '/hf-rollout/sentiment/live' });
    expect(env()).not.toHaveProperty('ENDPOINT_NAME');
    expect(env()).not.toHaveProperty('LIVE_ROLLOUT_ID');
    expect(env()).toHaveProperty('SERVICE_NAME', 'sentiment');
    expect(next.rollback?.restored).toBe(true);
  });

  it('leaves the API alone when it was never switched and only deletes the new endpoint', async () => {
    livePointerIs(pointerBefore());

    const next = await rollBackCore(deployState(), deps());

    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    // Roll Back reads what the proxy serves (a switch may have died between its writes), and changes nothing.
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
    expect(sagemakerMock).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ROLLOUT_ID });
    expect(next.rollback).toEqual({ restored: false, deleted: [], problems: [] });
  });

  it('counts an endpoint that was never created as deleted', async () => {
    livePointerIs(pointerBefore());
    sagemakerMock.on(DeleteEndpointCommand).rejects(notFound());

    const next = await rollBackCore(deployState(), deps());

    expect(next.deletion?.status).toBe('Deleted');
    expect(next.rollback?.problems).toEqual([]);
  });

  it('never deletes an endpoint that is not named after this rollout', async () => {
    livePointerIs(pointerBefore());
    const state = deployState();
    const resources = state.resources && { ...state.resources, endpointName: OLD_ENDPOINT };

    const next = await rollBackCore({ ...state, resources }, deps());

    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(next.rollback?.problems).toEqual([
      `Did not delete endpoint ${OLD_ENDPOINT}: its name is not this rollout's id (${ROLLOUT_ID}).`,
    ]);
  });

  it('records a DeleteEndpoint refusal as a problem instead of failing, once serving is safe', async () => {
    livePointerIs(pointerBefore());
    sagemakerMock
      .on(DeleteEndpointCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: {} }));

    const next = await rollBackCore(deployState(), deps());

    expect(next.rollback?.problems).toEqual([
      `Could not delete endpoint ${ROLLOUT_ID} (AccessDeniedException: not authorized); delete it by hand.`,
    ]);
    expect(next.deletion).toMatchObject({
      status: 'Deleted',
      failureReason: 'DeleteEndpoint failed; see rollback.problems',
    });
  });

  it('fails without deleting the endpoint when the proxy cannot be switched back', async () => {
    // Arrange
    livePointerIs(switchedPointer());
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(proxyWith({ ENDPOINT_NAME: ROLLOUT_ID }))
      .resolves({
        ...proxyWith({ ENDPOINT_NAME: OLD_ENDPOINT }),
        LastUpdateStatus: 'Failed',
        LastUpdateStatusReason: 'boom',
      });
    lambdaMock.on(UpdateFunctionConfigurationCommand).resolves({});

    // Act
    const attempt = rollBackCore(deployState({ switched: true }), deps());

    // Assert: deleting an endpoint the API may still serve would turn a failed rollout into an outage.
    await expect(attempt).rejects.toThrow(ApiUpdateFailedError);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it('restores the pointer of a rollback rollout and deletes nothing', async () => {
    // Arrange
    const before = pointerBefore();
    const rolledTo = {
      current: { ...before.previous[0], since: 'x' },
      previous: [before.current],
    } as LivePointer;
    livePointerIs(rolledTo);
    const env = proxyStartingAs(proxyWith({ ENDPOINT_NAME: 'sentiment-roberta-20241201-080000-0000' }));

    // Act
    const next = await rollBackCore(rollbackState({ switched: false }), deps());

    // Assert
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Value: JSON.stringify(before) });
    expect(env().ENDPOINT_NAME).toBe(OLD_ENDPOINT);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(next.deletion?.status).toBe('Deleted');
    expect(next.rollback?.restored).toBe(true);
  });

  it('leaves a rollback rollout that never switched alone', async () => {
    livePointerIs(pointerBefore());

    const next = await rollBackCore(rollbackState(), deps());

    // Roll Back reads what the proxy serves (a switch may have died between its writes), and changes nothing.
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(next.rollback).toEqual({ restored: false, deleted: [], problems: [] });
  });
});

describe('roll-back handler', () => {
  it('returns the state with the rollback report, deletion poll and timing', async () => {
    livePointerIs(pointerBefore());

    const next = await handler(deployState());

    expect(next.deletion?.status).toBe('Deleting');
    expect(next.timings.at(-1)?.step).toBe('Roll Back');
  });
});
