import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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
  prefix: 'hf-rollout',
});

beforeEach(() => {
  ssmMock.reset();
  sagemakerMock.reset();
  sfnMock.reset();
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
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
    expect(out.notes).toEqual([`Live endpoint ${LIVE_ENDPOINT} is Deleted, not InService.`]);
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
  it('reads the target of the service named in the input', async () => {
    parameters(pointerBefore());
    deployedWith({ spec: fixture<unknown>('smoke-spec.json') });

    const out = await handler({ service: 'sentiment' });

    expect(out.live?.current.endpointName).toBe(LIVE_ENDPOINT);
  });
});
