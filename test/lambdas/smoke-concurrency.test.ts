import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointCommand,
  SageMakerRuntimeClient,
  type InvokeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker-runtime';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { healthProbeCore } from '../../lambdas/health-probe/core';
import { HEALTH_PROBE_SHARE, healthReadTargetCore } from '../../lambdas/health-read-target/core';
import { runSmokeTestsCore } from '../../lambdas/run-smoke-tests/core';
import { DEFAULT_SMOKE_CONCURRENCY, smokeConcurrency, type FetchLike } from '../../lambdas/shared/smoke';
import type { RolloutState } from '../../lambdas/shared/types';
import type { RolloutSpec, SmokeTest } from '../../pipeline/spec/schema';
import { deployState, fixture, healthState, pointerBefore, registration } from './switch-health-fixtures';

/**
 * Issue 9 item 10: a serverless endpoint throttles whatever exceeds its MaxConcurrency, so smoke tests
 * and health probes never run more invocations at once than it admits.
 */

const runtimeMock = mockClient(SageMakerRuntimeClient);
const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);
const sagemakerMock = mockClient(SageMakerClient);
const sfnMock = mockClient(SFNClient);
const lambdaMock = mockClient(LambdaClient);
const dynamoMock = mockClient(DynamoDBClient);
const LIVE_ENDPOINT = pointerBefore().current.endpointName;

/** Counts invocations in flight; each takes a few milliseconds so parallel ones overlap. */
function inFlightMeter(): { readonly max: () => number; readonly run: <T>(answer: () => T) => Promise<T> } {
  let now = 0;
  let max = 0;
  return {
    max: () => max,
    run: async (answer) => {
      now++;
      max = Math.max(max, now);
      await new Promise((r) => setTimeout(r, 5));
      now--;
      return answer();
    },
  };
}

function positive(): InvokeEndpointCommandOutput['Body'] {
  return Buffer.from(
    JSON.stringify([{ label: 'POSITIVE', score: 0.9 }]),
  ) as unknown as InvokeEndpointCommandOutput['Body'];
}

/** Six smoke tests that pass on a POSITIVE answer. */
function sixTests(): SmokeTest[] {
  const base = deployState().spec?.smokeTests[0];
  if (base === undefined) throw new Error('fixture spec has no smoke test');
  return Array.from({ length: 6 }, (_, i) => ({ ...base, name: `review ${i + 1}` }));
}

function serverlessState(maxConcurrency: number): RolloutState {
  const state = deployState();
  if (state.spec === null) throw new Error('fixture spec missing');
  const spec: RolloutSpec = {
    ...state.spec,
    endpoint: { type: 'serverless', memorySizeMb: 2048, maxConcurrency },
    smokeTests: sixTests(),
  };
  return { ...state, spec };
}

beforeEach(() => {
  runtimeMock.reset();
  secretsMock.reset();
  ssmMock.reset();
  sagemakerMock.reset();
  sfnMock.reset();
});

describe('smokeConcurrency', () => {
  it('is the default for instance endpoints and never more than a serverless MaxConcurrency', () => {
    expect(smokeConcurrency(deployState().spec?.endpoint)).toBe(DEFAULT_SMOKE_CONCURRENCY);
    expect(smokeConcurrency({ type: 'serverless', memorySizeMb: 2048, maxConcurrency: 1 })).toBe(1);
    expect(smokeConcurrency({ type: 'serverless', memorySizeMb: 2048, maxConcurrency: 200 })).toBe(
      DEFAULT_SMOKE_CONCURRENCY,
    );
    expect(smokeConcurrency({ type: 'serverless', memorySizeMb: 2048, maxConcurrency: 3 }, 0.5)).toBe(1);
  });
});

describe('Run Smoke Tests on a serverless endpoint', () => {
  it.each([1, 2, 3])('runs at most MaxConcurrency %i invocations at once', async (maxConcurrency) => {
    // Arrange
    const meter = inFlightMeter();
    runtimeMock
      .on(InvokeEndpointCommand)
      .callsFake(() => meter.run(() => ({ Body: positive(), ContentType: 'application/json' })));

    // Act
    const next = await runSmokeTestsCore(serverlessState(maxConcurrency), {
      runtime: new SageMakerRuntimeClient({}),
      clock: () => 0,
    });

    // Assert
    expect(next.smoke.every((r) => r.passed)).toBe(true);
    expect(runtimeMock.commandCalls(InvokeEndpointCommand)).toHaveLength(6);
    expect(meter.max()).toBe(maxConcurrency);
  });

  it('still runs the default number at once on an instance endpoint', async () => {
    // Arrange
    const meter = inFlightMeter();
    runtimeMock
      .on(InvokeEndpointCommand)
      .callsFake(() => meter.run(() => ({ Body: positive(), ContentType: 'application/json' })));
    const state = deployState();
    const spec = state.spec === null ? null : { ...state.spec, smokeTests: sixTests() };

    // Act
    await runSmokeTestsCore({ ...state, spec }, { runtime: new SageMakerRuntimeClient({}), clock: () => 0 });

    // Assert
    expect(meter.max()).toBe(DEFAULT_SMOKE_CONCURRENCY);
  });
});

describe('health probes of a serverless endpoint', () => {
  it('Read Live Target gives the probe half the MaxConcurrency of the deployed spec (at least 1)', async () => {
    // Arrange
    ssmMock.on(GetParameterCommand, { Name: '/hf-rollout/sentiment/service' }).resolves({
      Parameter: { Value: JSON.stringify(registration()) },
    });
    ssmMock
      .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/live' })
      .resolves({ Parameter: { Value: JSON.stringify(pointerBefore()) } });
    ssmMock
      .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/health' })
      .rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
    const spec = fixture<Record<string, unknown>>('smoke-spec.json');
    sfnMock.on(DescribeExecutionCommand).resolves({
      input: JSON.stringify({
        kind: 'deploy',
        spec: { ...spec, endpoint: { type: 'serverless', memorySizeMb: 2048, maxConcurrency: 6 } },
      }),
    });
    // The proxy serves the pointer's current and no rollout holds the lock: nothing to reconcile.
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({
      LastUpdateStatus: 'Successful',
      Environment: { Variables: { ENDPOINT_NAME: LIVE_ENDPOINT } },
    });
    dynamoMock.on(GetItemCommand).resolves({});
    const deps = {
      ssm: new SSMClient({}),
      sagemaker: new SageMakerClient({}),
      sfn: new SFNClient({}),
      lambda: new LambdaClient({}),
      dynamodb: new DynamoDBClient({}),
      lockTableName: 'hf-rollout-locks',
      prefix: 'hf-rollout',
      switchOptions: { sleep: () => Promise.resolve(), now: () => 0 },
    };

    // Act
    const out = await healthReadTargetCore({ service: 'sentiment' }, deps);

    // Assert
    expect(out).toMatchObject({ probeConcurrency: 6 * HEALTH_PROBE_SHARE });
  });

  it('Probe Public API runs no more requests at once than Read Live Target allows', async () => {
    // Arrange
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'k-123' });
    const meter = inFlightMeter();
    const fetchImpl: FetchLike = () =>
      meter.run(
        () =>
          new Response(JSON.stringify([{ label: 'POSITIVE', score: 0.9 }]), {
            status: 200,
            headers: { 'content-type': 'application/json', 'x-served-by-endpoint': LIVE_ENDPOINT },
          }),
      );
    const state = { ...healthState(), smokeTests: sixTests(), probeConcurrency: 1 };

    // Act
    const out = await healthProbeCore(state, {
      secrets: new SecretsManagerClient({}),
      fetch: fetchImpl,
      clock: () => 0,
    });

    // Assert
    expect(out.probe.passed).toBe(true);
    expect(meter.max()).toBe(1);
  });
});
