import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { healthReadTargetCore, parseHealthCheckInput } from '../../lambdas/health-read-target/core';
import { handler } from '../../lambdas/health-read-target/handler';
import { InvalidStepInputError } from '../../lambdas/shared/errors';
import type { HealthRecord, HealthState } from '../../lambdas/shared/health-types';
import { fixture, pointerBefore, registration, spec } from './switch-health-fixtures';

const ssmMock = mockClient(SSMClient);
const sagemakerMock = mockClient(SageMakerClient);
const sfnMock = mockClient(SFNClient);
const lambdaMock = mockClient(LambdaClient);
const dynamoMock = mockClient(DynamoDBClient);
const LIVE_ENDPOINT = 'sentiment-distilbert-base-20250101-090000-1111';

const notFound = () => Object.assign(new Error('not found'), { name: 'ParameterNotFound' });

/** SSM holds the registration, and optionally the live pointer and health record. */
function parameters(live: unknown, health?: unknown): void {
  ssmMock.on(GetParameterCommand, { Name: '/hf-rollout/sentiment/service' }).resolves({
    Parameter: { Value: JSON.stringify(registration()) },
  });
  const liveAnswer = ssmMock.on(GetParameterCommand, { Name: '/hf-rollout/sentiment/live' });
  if (live === null) liveAnswer.rejects(notFound());
  else liveAnswer.resolves({ Parameter: { Value: JSON.stringify(live) } });
  const healthAnswer = ssmMock.on(GetParameterCommand, { Name: '/hf-rollout/sentiment/health' });
  if (health === undefined) healthAnswer.rejects(notFound());
  else healthAnswer.resolves({ Parameter: { Value: JSON.stringify(health) } });
}

function deployedWith(input: unknown): void {
  sfnMock.on(DescribeExecutionCommand).resolves({ input: JSON.stringify(input) });
}

const deps = () => ({
  ssm: new SSMClient({}),
  sagemaker: new SageMakerClient({}),
  sfn: new SFNClient({}),
  lambda: new LambdaClient({}),
  dynamodb: new DynamoDBClient({}),
  lockTableName: 'hf-rollout-locks',
  prefix: 'hf-rollout',
  switchOptions: { sleep: () => Promise.resolve(), now: () => 0 },
});

/** The proxy's ENDPOINT_NAME (null: unset, so it serves the pointer's current). */
function proxyServes(endpointName: string | null): void {
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({
    LastUpdateStatus: 'Successful',
    Environment: { Variables: endpointName === null ? {} : { ENDPOINT_NAME: endpointName } },
  });
}

beforeEach(() => {
  ssmMock.reset();
  sagemakerMock.reset();
  sfnMock.reset();
  lambdaMock.reset();
  dynamoMock.reset();
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
  dynamoMock.on(GetItemCommand).resolves({});
  proxyServes(null);
});

describe('healthReadTargetCore reconciling what the proxy serves', () => {
  const NEW_ENDPOINT = 'sentiment-distilbert-base-20250102-030405-abcd';
  function pendingPointer() {
    const before = pointerBefore();
    const target = { ...before.current, rolloutId: NEW_ENDPOINT, endpointName: NEW_ENDPOINT };
    return {
      before,
      target,
      stored: {
        ...before,
        pending: {
          target,
          rolloutId: NEW_ENDPOINT,
          executionArn: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${NEW_ENDPOINT}`,
          kind: 'deploy',
          since: '2025-01-02T03:30:00.000Z',
        },
      },
    };
  }

  it('probes the endpoint the proxy serves, not the pending one, and drops the pending switch when no rollout runs (issue 2)', async () => {
    // Arrange: a rollout died during Switch API Target before switching the proxy.
    const { before, stored } = pendingPointer();
    parameters(stored);
    deployedWith({ kind: 'deploy', spec: fixture<unknown>('smoke-spec.json') });
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: stored.pending.executionArn })
      .resolves({ status: 'FAILED' });
    proxyServes(before.current.endpointName);

    // Act
    const out = (await healthReadTargetCore({ service: 'sentiment' }, deps())) as HealthState;

    // Assert
    expect(out.live).toEqual(before);
    expect(out.repairs?.[0]?.finding).toContain(`rollout ${NEW_ENDPOINT} never went live`);
    expect(out.notes[0]).toMatch(/^Repaired: /);
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Value: JSON.stringify(before) });
  });

  it('records the switched endpoint as live when the proxy serves it, and probes it', async () => {
    const { before, target, stored } = pendingPointer();
    parameters(stored);
    deployedWith({ kind: 'deploy', spec: fixture<unknown>('smoke-spec.json') });
    proxyServes(target.endpointName);

    const out = (await healthReadTargetCore({ service: 'sentiment' }, deps())) as HealthState;

    expect(out.live).toEqual({ current: target, previous: [before.current, ...before.previous] });
  });

  it('only probes what the proxy serves, writing nothing, while a rollout of the service holds the lock', async () => {
    // Arrange
    const { before, stored } = pendingPointer();
    parameters(stored);
    deployedWith({ kind: 'deploy', spec: fixture<unknown>('smoke-spec.json') });
    const holder = 'arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:other';
    dynamoMock.on(GetItemCommand).resolves({ Item: marshall({ service: 'sentiment', holder }) });
    sfnMock.on(DescribeExecutionCommand, { executionArn: holder }).resolves({ status: 'RUNNING' });
    proxyServes(before.current.endpointName);

    // Act
    const out = (await healthReadTargetCore({ service: 'sentiment' }, deps())) as HealthState;

    // Assert
    expect(out.live.current).toEqual(before.current);
    expect(out.notes[0]).toMatch(/^Found \(a rollout is running, so not repaired\)/);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });
});

describe('healthReadTargetCore', () => {
  it('reads the live deployment, its endpoint status, health record and the smoke tests of the spec that deployed it', async () => {
    // Arrange
    const stored = fixture<HealthRecord>('health-record-unhealthy.json');
    parameters(pointerBefore(), stored);
    deployedWith({ kind: 'deploy', spec: fixture<unknown>('smoke-spec.json'), requestedBy: 'alice' });

    // Act
    const out = await healthReadTargetCore({ service: 'sentiment' }, deps());

    // Assert
    expect(out).toEqual({
      service: 'sentiment',
      registration: registration(),
      live: pointerBefore(),
      endpointStatus: 'InService',
      smokeTests: spec().smokeTests,
      healthCheckSettings: { autoRollback: true, failuresBeforeRollback: 3 },
      health: stored,
      notes: [],
    });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: pointerBefore().current.executionArn,
    });
    expect(sagemakerMock).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: LIVE_ENDPOINT });
  });

  it('answers live: null when nothing was ever deployed', async () => {
    parameters(null);

    await expect(healthReadTargetCore({ service: 'sentiment' }, deps())).resolves.toEqual({
      service: 'sentiment',
      live: null,
    });
    expect(sagemakerMock).not.toHaveReceivedAnyCommand();
  });

  it('falls back to GET /model with default settings, and says why, when the execution is gone', async () => {
    parameters(pointerBefore());
    sfnMock.on(DescribeExecutionCommand).rejects(
      Object.assign(new Error('Execution Does Not Exist'), {
        name: 'ExecutionDoesNotExist',
        $metadata: {},
      }),
    );

    const out = (await healthReadTargetCore({ service: 'sentiment' }, deps())) as HealthState;

    expect(out.smokeTests).toBeNull();
    expect(out.healthCheckSettings).toEqual({ autoRollback: false, failuresBeforeRollback: 3 });
    expect(out.notes).toEqual([
      `The smoke tests of rollout ${LIVE_ENDPOINT} could not be read (DescribeExecution ${pointerBefore().current.executionArn}: ExecutionDoesNotExist: Execution Does Not Exist); checking GET /model instead, with default health-check settings.`,
    ]);
  });

  it('falls back when the execution input is not a valid spec', async () => {
    parameters(pointerBefore());
    deployedWith({ spec: { service: 'sentiment' } });

    const out = (await healthReadTargetCore({ service: 'sentiment' }, deps())) as HealthState;

    expect(out.smokeTests).toBeNull();
    expect(out.notes[0]).toMatch(/its input is not a valid rollout spec/);
  });

  it('reports a live endpoint SageMaker no longer knows as Deleted, with a note', async () => {
    parameters(pointerBefore());
    deployedWith({ spec: fixture<unknown>('smoke-spec.json') });
    sagemakerMock.on(DescribeEndpointCommand).rejects(
      Object.assign(new Error(`Could not find endpoint "${LIVE_ENDPOINT}".`), {
        name: 'ValidationException',
        $metadata: {},
      }),
    );

    const out = (await healthReadTargetCore({ service: 'sentiment' }, deps())) as HealthState;

    expect(out.endpointStatus).toBe('Deleted');
    // The reconcile's findings come first: SageMaker knows neither the live nor the kept endpoint here.
    expect(out.notes).toEqual([
      'Repaired: kept deployment sentiment-roberta-20241201-080000-0000: its endpoint sentiment-roberta-20241201-080000-0000 no longer exists; dropped it from the kept deployments (a rollback to it could not serve).',
      `Found: the API serves ${LIVE_ENDPOINT}, which no longer exists: calls fail; none: deploy a spec or roll back to a kept deployment.`,
      `Live endpoint ${LIVE_ENDPOINT} is Deleted, not InService.`,
    ]);
  });

  it('fails for a service that is not registered', async () => {
    ssmMock.on(GetParameterCommand).rejects(notFound());

    await expect(healthReadTargetCore({ service: 'sentiment' }, deps())).rejects.toMatchObject({
      name: 'ServiceNotFoundError',
    });
  });
});

describe('parseHealthCheckInput', () => {
  it('rejects input without a service', () => {
    expect(() => parseHealthCheckInput({ svc: 'x' })).toThrow(InvalidStepInputError);
  });
});

describe('health-read-target handler', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it('reads the target of the service named in the input', async () => {
    process.env.LOCK_TABLE_NAME = 'hf-rollout-locks';
    parameters(pointerBefore());
    deployedWith({ spec: fixture<unknown>('smoke-spec.json') });

    const out = await handler({ service: 'sentiment' });

    expect(out.live?.current.endpointName).toBe(LIVE_ENDPOINT);
  });
});
