import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
  type EndpointStatus,
} from '@aws-sdk/client-sagemaker';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { retireOldEndpoints, type RetireOldEndpointsDeps } from '../../lambdas/retire-old-endpoints/core';
import { handler } from '../../lambdas/retire-old-endpoints/handler';
import { logger } from '../../lambdas/shared/logger';
import type { LivePointer } from '../../lambdas/shared/types';
import {
  awsError,
  deployState,
  notFound,
  rejectionOf,
  rollbackState,
  samplePointer,
  throttled,
} from './step-fixtures';

const sageMakerMock = mockClient(SageMakerClient);
const ssmMock = mockClient(SSMClient);
const lambdaMock = mockClient(LambdaClient);

const state = deployState({ switched: true });
const NEW = state.rolloutId;
const PREVIOUS = samplePointer().current.rolloutId;
const OLD = 'sentiment-distilbert-base-20250110-080000-77aa';
const FAILED = 'sentiment-gpt2-20250115-100000-beef';

/** After the switch: this rollout is live, the one before is kept. */
function pointerAfterSwitch(): LivePointer {
  const target = state.target;
  if (target === null) throw new Error('fixture has no target');
  return { current: { ...target, since: '2025-03-01T12:15:00.000Z' }, previous: [samplePointer().current] };
}

interface FakeEndpoint {
  readonly name: string;
  readonly status: EndpointStatus;
  /** Value of the hf-rollout:service tag; null: untagged. */
  readonly service?: string | null;
  readonly config?: string;
  readonly models?: readonly string[];
}

/** An endpoint config or model no endpoint leads to (left by a rollout that died before Create Endpoint). */
interface FakeOrphan {
  readonly name: string;
  /** Value of the hf-rollout:service tag; null: untagged; undefined: the service's. */
  readonly service?: string | null | undefined;
}

const ARN = 'arn:aws:sagemaker:us-east-1:123456789012';

/**
 * Sets up SageMaker and SSM as a world holding `endpoints` (listed `pageSize` per page) with their
 * configs and models, plus `orphans`: configs and models no endpoint uses. Every config and model
 * except this rollout's was created before its lock, so ListEndpointConfigs and ListModels with
 * CreationTimeBefore = the lock's time list them and not this rollout's own.
 */
function world(
  endpoints: readonly FakeEndpoint[],
  pointer: LivePointer | null = pointerAfterSwitch(),
  pageSize = 100,
  orphans: { configs?: readonly FakeOrphan[]; models?: readonly FakeOrphan[] } = {},
): void {
  if (pointer === null) {
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
  } else {
    ssmMock
      .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/live' })
      .resolves({ Parameter: { Value: JSON.stringify(pointer) } });
  }
  const summaries = endpoints.map((e) => ({
    EndpointName: e.name,
    EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${e.name}`,
    EndpointStatus: e.status,
    CreationTime: new Date('2025-01-01T00:00:00Z'),
    LastModifiedTime: new Date('2025-01-01T00:00:00Z'),
  }));
  for (let i = 0; i < summaries.length; i += pageSize) {
    const token = i === 0 ? undefined : `page-${i}`;
    const next = i + pageSize < summaries.length ? `page-${i + pageSize}` : undefined;
    sageMakerMock
      .on(ListEndpointsCommand, token === undefined ? { NameContains: 'sentiment-' } : { NextToken: token })
      .resolves({
        Endpoints: summaries.slice(i, i + pageSize),
        ...(next === undefined ? {} : { NextToken: next }),
      });
  }
  if (summaries.length === 0) sageMakerMock.on(ListEndpointsCommand).resolves({ Endpoints: [] });
  for (const e of endpoints) {
    const service = e.service === undefined ? 'sentiment' : e.service;
    sageMakerMock
      .on(ListTagsCommand, { ResourceArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${e.name}` })
      .resolves({ Tags: service === null ? [] : [{ Key: 'hf-rollout:service', Value: service }] });
    const config = e.config ?? e.name;
    sageMakerMock
      .on(DescribeEndpointCommand, { EndpointName: e.name })
      .resolves({ EndpointName: e.name, EndpointConfigName: config, EndpointStatus: e.status });
    sageMakerMock.on(DescribeEndpointConfigCommand, { EndpointConfigName: config }).resolves({
      EndpointConfigName: config,
      ProductionVariants: (e.models ?? [e.name]).map((m) => ({ VariantName: 'AllTraffic', ModelName: m })),
    });
  }
  const older = endpoints.filter((e) => e.name !== NEW);
  const configs: FakeOrphan[] = [
    ...older.map((e) => ({ name: e.config ?? e.name, service: e.service })),
    ...(orphans.configs ?? []),
  ];
  const models: FakeOrphan[] = [
    ...older.flatMap((e) => (e.models ?? [e.name]).map((m) => ({ name: m, service: e.service }))),
    ...(orphans.models ?? []),
  ];
  const lockedAt = { CreationTimeBefore: new Date(state.lock?.acquiredAt ?? 0) };
  sageMakerMock.on(ListEndpointConfigsCommand, lockedAt).resolves({
    EndpointConfigs: configs.map((c) => ({
      EndpointConfigName: c.name,
      EndpointConfigArn: `${ARN}:endpoint-config/${c.name}`,
      CreationTime: new Date('2025-01-01T00:00:00Z'),
    })),
  });
  sageMakerMock.on(ListModelsCommand, lockedAt).resolves({
    Models: models.map((m) => ({
      ModelName: m.name,
      ModelArn: `${ARN}:model/${m.name}`,
      CreationTime: new Date('2025-01-01T00:00:00Z'),
    })),
  });
  for (const [kind, list] of [
    ['endpoint-config', configs],
    ['model', models],
  ] as const) {
    for (const r of list) {
      const service = r.service === undefined ? 'sentiment' : r.service;
      sageMakerMock
        .on(ListTagsCommand, { ResourceArn: `${ARN}:${kind}/${r.name}` })
        .resolves({ Tags: service === null ? [] : [{ Key: 'hf-rollout:service', Value: service }] });
    }
  }
  sageMakerMock.on(DeleteEndpointCommand).resolves({});
  sageMakerMock.on(DeleteEndpointConfigCommand).resolves({});
  sageMakerMock.on(DeleteModelCommand).resolves({});
}

function deletedEndpoints(): (string | undefined)[] {
  return sageMakerMock.commandCalls(DeleteEndpointCommand).map((c) => c.args[0].input.EndpointName);
}

function deps(): RetireOldEndpointsDeps {
  return {
    sagemaker: new SageMakerClient({}),
    ssm: new SSMClient({}),
    lambda: new LambdaClient({}),
    prefix: 'hf-rollout',
  };
}

beforeAll(() => logger.setLogLevel('SILENT'));
/** The proxy's ENDPOINT_NAME (null: unset). */
function proxyServes(endpointName: string | null): void {
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({
    Environment: { Variables: endpointName === null ? {} : { ENDPOINT_NAME: endpointName } },
  });
}

beforeEach(() => {
  sageMakerMock.reset();
  ssmMock.reset();
  lambdaMock.reset();
  proxyServes(NEW);
});

describe('retireOldEndpoints', () => {
  it('retires endpoints no longer kept, with their configs and models, and keeps the live and previous ones', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: PREVIOUS, status: 'InService' },
      { name: OLD, status: 'InService' },
      { name: FAILED, status: 'Failed' },
    ]);

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(deletedEndpoints()).toEqual([OLD, FAILED]);
    expect(next.retired).toEqual([
      `endpoint ${OLD}`,
      `endpoint ${FAILED}`,
      `endpoint config ${OLD}`,
      `endpoint config ${FAILED}`,
      `model ${OLD}`,
      `model ${FAILED}`,
    ]);
    expect(next.warnings).toEqual([]);
  });

  it('never retires the endpoint the proxy serves, even when the pointer does not keep it (issue 2)', async () => {
    // Arrange: a crash left the pointer naming this rollout while the proxy still serves OLD.
    world([
      { name: NEW, status: 'InService' },
      { name: PREVIOUS, status: 'InService' },
      { name: OLD, status: 'InService' },
    ]);
    proxyServes(OLD);

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(deletedEndpoints()).toEqual([]);
    expect(next.retired).not.toContain(`endpoint ${OLD}`);
  });

  it('never retires the target of a pending switch', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: PREVIOUS, status: 'InService' },
      { name: OLD, status: 'InService' },
    ]);
    const pointer = pointerAfterSwitch();
    const old = { ...pointer.current, rolloutId: OLD, endpointName: OLD };
    ssmMock.on(GetParameterCommand).resolves({
      Parameter: {
        Value: JSON.stringify({
          ...pointer,
          pending: { target: old, rolloutId: OLD, executionArn: 'arn:x', kind: 'rollback', since: 'now' },
        }),
      },
    });

    // Act
    await retireOldEndpoints(state, deps());

    // Assert
    expect(deletedEndpoints()).toEqual([]);
  });

  it('leaves endpoints of other services and untagged ones alone, even when their names match', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: 'sentiment-v2-bert-20250101-000000-0000', status: 'InService', service: 'sentiment-v2' },
      { name: 'sentiment-manual-test', status: 'InService', service: null },
    ]);

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(sageMakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(next.retired).toEqual([]);
  });

  it.each<EndpointStatus>(['Creating', 'Updating', 'Deleting'])(
    'leaves an endpoint that is %s alone',
    async (status) => {
      // Arrange
      world([
        { name: NEW, status: 'InService' },
        { name: OLD, status },
      ]);

      // Act
      await retireOldEndpoints(state, deps());

      // Assert
      expect(sageMakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
    },
  );

  it('reads every page of the endpoint list', async () => {
    // Arrange
    world(
      [
        { name: NEW, status: 'InService' },
        { name: PREVIOUS, status: 'InService' },
        { name: OLD, status: 'InService' },
        { name: FAILED, status: 'Failed' },
      ],
      pointerAfterSwitch(),
      2,
    );

    // Act
    await retireOldEndpoints(state, deps());

    // Assert
    expect(sageMakerMock).toHaveReceivedCommandTimes(ListEndpointsCommand, 2);
    expect(deletedEndpoints()).toEqual([OLD, FAILED]);
  });

  it('keeps a config and a model that an endpoint which stays still uses', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      {
        name: PREVIOUS,
        status: 'InService',
        config: 'sentiment-shared-config',
        models: ['sentiment-shared-model'],
      },
      {
        name: OLD,
        status: 'InService',
        config: 'sentiment-shared-config',
        models: ['sentiment-shared-model'],
      },
    ]);

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([`endpoint ${OLD}`]);
    expect(sageMakerMock).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);
    expect(sageMakerMock).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  it('keeps configs and models when what a remaining endpoint uses cannot be read', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: PREVIOUS, status: 'InService' },
      { name: OLD, status: 'InService' },
    ]);
    sageMakerMock
      .on(DescribeEndpointCommand, { EndpointName: PREVIOUS })
      .rejects(awsError('AccessDeniedException', 'not authorized'));

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([`endpoint ${OLD}`]);
    expect(sageMakerMock).not.toHaveReceivedCommand(DeleteModelCommand);
    expect(next.warnings).toEqual([
      expect.stringContaining(`endpoint ${PREVIOUS} (describing it)`),
      expect.stringContaining('were kept'),
    ]);
  });

  it('turns a delete SageMaker refuses into a warning and goes on with the others', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: OLD, status: 'InService' },
      { name: FAILED, status: 'Failed' },
    ]);
    sageMakerMock
      .on(DeleteEndpointCommand, { EndpointName: OLD })
      .rejects(awsError('AccessDeniedException', 'not authorized to DeleteEndpoint'));

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([`endpoint ${FAILED}`, `endpoint config ${FAILED}`, `model ${FAILED}`]);
    expect(next.warnings).toEqual([
      `Could not retire endpoint ${OLD}: AccessDeniedException: not authorized to DeleteEndpoint. The next rollout tries again.`,
    ]);
  });

  it('says how to delete a model it could not delete, since no later rollout finds it again', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: OLD, status: 'InService' },
    ]);
    sageMakerMock
      .on(DeleteModelCommand, { ModelName: OLD })
      .rejects(awsError('AccessDeniedException', 'not authorized to DeleteModel'));

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([`endpoint ${OLD}`, `endpoint config ${OLD}`]);
    expect(next.warnings).toEqual([
      `Could not retire model ${OLD}: AccessDeniedException: not authorized to DeleteModel. ` +
        `Delete it by hand: aws sagemaker delete-model --model-name ${OLD}`,
    ]);
  });

  it('still frees the config and model of an endpoint that vanished meanwhile', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: OLD, status: 'InService' },
    ]);
    sageMakerMock.on(DeleteEndpointCommand, { EndpointName: OLD }).rejects(notFound('endpoint', OLD));

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([`endpoint config ${OLD}`, `model ${OLD}`]);
  });

  it('retires configs and models a rollout left without an endpoint, only if older than the lock and tagged with the service', async () => {
    // Arrange: a rollout that died between Create Model and Create Endpoint left both; others are not ours.
    const DEAD = 'sentiment-distilbert-base-20250201-090000-dead';
    world(
      [
        { name: NEW, status: 'InService' },
        { name: PREVIOUS, status: 'InService' },
      ],
      pointerAfterSwitch(),
      100,
      {
        configs: [{ name: DEAD }, { name: 'sentiment-by-hand', service: null }],
        models: [
          { name: DEAD },
          { name: 'sentiment-other-team', service: 'sentiment-v2' },
          { name: 'sentiment-by-hand', service: null },
        ],
      },
    );

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(deletedEndpoints()).toEqual([]);
    expect(next.retired).toEqual([`endpoint config ${DEAD} (abandoned)`, `model ${DEAD} (abandoned)`]);
    expect(sageMakerMock).toHaveReceivedCommandWith(ListModelsCommand, {
      NameContains: 'sentiment-',
      CreationTimeBefore: new Date('2025-03-01T12:00:01.000Z'),
    });
    expect(next.warnings).toEqual([]);
  });

  it('keeps the config and model of an endpoint that is still Creating, and never deletes one twice', async () => {
    // Arrange: a dead rollout's endpoint still Creating (SageMaker cannot delete it yet), and an old one retired now.
    const CREATING = 'sentiment-distilbert-base-20250201-090000-dead';
    world([
      { name: NEW, status: 'InService' },
      { name: PREVIOUS, status: 'InService' },
      { name: CREATING, status: 'Creating' },
      { name: OLD, status: 'InService' },
    ]);

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([`endpoint ${OLD}`, `endpoint config ${OLD}`, `model ${OLD}`]);
    expect(sageMakerMock).toHaveReceivedCommandTimes(DeleteModelCommand, 1);
    expect(sageMakerMock).toHaveReceivedCommandTimes(DeleteEndpointConfigCommand, 1);
  });

  it('says how to delete an abandoned model SageMaker refuses to delete', async () => {
    // Arrange
    const DEAD = 'sentiment-distilbert-base-20250201-090000-dead';
    world([{ name: NEW, status: 'InService' }], pointerAfterSwitch(), 100, { models: [{ name: DEAD }] });
    sageMakerMock
      .on(DeleteModelCommand, { ModelName: DEAD })
      .rejects(awsError('AccessDeniedException', 'not authorized to DeleteModel'));

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(next.retired).toEqual([]);
    expect(next.warnings).toEqual([
      `Could not retire model ${DEAD}: AccessDeniedException: not authorized to DeleteModel. ` +
        `Delete it by hand: aws sagemaker delete-model --model-name ${DEAD}`,
    ]);
  });

  it('retires nothing and says why when there is no live pointer', async () => {
    // Arrange
    world([{ name: OLD, status: 'InService' }], null);

    // Act
    const next = await retireOldEndpoints(state, deps());

    // Assert
    expect(sageMakerMock.calls()).toHaveLength(0);
    expect(next.warnings).toEqual([expect.stringContaining('has no live pointer')]);
  });

  it('keeps every endpoint after a rollback', async () => {
    // Arrange
    world([{ name: OLD, status: 'InService' }]);

    // Act
    const next = await retireOldEndpoints(rollbackState(), deps());

    // Assert
    expect(sageMakerMock.calls()).toHaveLength(0);
    expect(next.retired).toEqual([]);
  });
});

describe('retire-old-endpoints handler', () => {
  it('retires through the module-scope clients', async () => {
    // Arrange
    world([
      { name: NEW, status: 'InService' },
      { name: OLD, status: 'InService' },
    ]);

    // Act
    const next = await handler(state);

    // Assert
    expect(deletedEndpoints()).toEqual([OLD]);
    expect(next.timings.at(-1)?.step).toBe('Retire Old Endpoints');
  });

  it('turns a throttled endpoint listing into AwsTransientError', async () => {
    // Arrange
    world([]);
    sageMakerMock.on(ListEndpointsCommand).rejects(throttled());

    // Act
    const error = await rejectionOf(handler(state));

    // Assert
    expect(error.name).toBe('AwsTransientError');
  });
});
