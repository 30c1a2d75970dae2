import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { acquireLock } from '../../../lambdas/acquire-lock/core';
import { CHECK_ENDPOINT_STEP, checkEndpoint } from '../../../lambdas/check-endpoint/core';
import { cleanUp } from '../../../lambdas/clean-up/core';
import { logger } from '../../../lambdas/shared/logger';
import { promote } from '../../../lambdas/shared/live-pointer';
import { toDeploymentRecord } from '../../../lambdas/shared/record';
import { rolloutStep } from '../../../lambdas/shared/step';
import type { LivePointer, LiveTarget, RolloutState } from '../../../lambdas/shared/types';
import { runSmokeTestsCore } from '../../../lambdas/run-smoke-tests/core';
import { validateSpecCore } from '../../../lambdas/validate-spec/core';
import { MAX_RESOURCE_NAME_LENGTH, liveParameterName, serviceParameterName } from '../../../pipeline/names';
import { SPEC_LIMITS, validateSpec, type RolloutSpecInput } from '../../../pipeline/spec';

/**
 * The largest rollout state, built through the real step cores and the real step wrapper (timings,
 * bounds) with AWS mocked at the SDK boundary: a 180-minute wait polled every 5 s (2,160 Check Endpoint
 * runs), 100 smoke tests filling the spec caps, answers and failures as long and as costly to encode
 * as they can be, the largest live pointer. Step Functions refuses a state over 256 KiB with
 * States.DataLimitExceeded, which no Catch sees; this keeps a wide margin under it.
 *
 * `STATE_SIZE_REPORT=1 npx jest test/lambdas/shared/state-size.test.ts` prints the sizes.
 */

const LIMIT = 262_144;
/** The margin the design promises: the largest state stays under 3/4 of the quota. */
const MAX_STATE_BYTES = (LIMIT * 3) / 4;
const PREFIX = 'hf-rollout';
const SERVICE = 'abcdefghij-klmnopqrs';
const MODEL_ID = `${'o'.repeat(47)}/${'m'.repeat(48)}`;
const ROLLOUT_ID = `${SERVICE}-mmmmmmmmmmmmmmmmmmmm-20260101-000000-abcd`.padEnd(
  MAX_RESOURCE_NAME_LENGTH,
  'f',
);
const EXECUTION_ARN = `arn:aws:states:us-east-1:123456789012:execution:${PREFIX}-rollout:${ROLLOUT_ID}`;
/** A character JSON encodes in 6 bytes (\u0001): the costliest text per character an answer can hold. */
const COSTLY = '\u0001';

const sagemaker = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);
const ssm = mockClient(SSMClient);
const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);
const sizes: Record<string, number> = {};

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** 100 smoke tests of 64-character names, each expecting the most, with bodies filling the spec cap. */
function largestSpec(): RolloutSpecInput {
  const spec = (pad: number): RolloutSpecInput => ({
    service: SERVICE,
    description: 'd'.repeat(256),
    model: { id: MODEL_ID, task: 'zero-shot-image-classification', revision: 'r'.repeat(64) },
    smokeTests: Array.from({ length: 100 }, (_, i) => ({
      name: `${String(i).padStart(3, '0')} ${'n'.repeat(60)}`,
      body: { inputs: COSTLY.repeat(pad) },
      expect: { status: 200, maxLatencyMs: 60_000 },
    })),
    rollout: { pollIntervalSeconds: 5, maxWaitMinutes: 180, keepPreviousEndpoints: 5 },
  });
  const fits = (pad: number): boolean => {
    try {
      validateSpec(spec(pad));
      return true;
    } catch {
      return false; // over the spec cap
    }
  };
  let pad = 0;
  while (fits(pad + 1)) pad++;
  return spec(pad);
}

function longestTarget(n: number): LiveTarget {
  const id = `${SERVICE}-mmmmmmmmmmmmmmmmmmmm-20250101-00000${n}-abcd`.padEnd(MAX_RESOURCE_NAME_LENGTH, 'f');
  return {
    rolloutId: id,
    endpointName: id,
    endpointConfigName: id,
    modelName: id,
    modelId: MODEL_ID,
    modelRevision: 'r'.repeat(64),
    task: 'zero-shot-image-classification',
    since: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:${PREFIX}-rollout:${id}`,
  };
}

/** The largest pointer: current, 5 kept and (as the crash-recovery work adds) 1 pending. */
function largestPointer(): LivePointer {
  let pointer: LivePointer | null = null;
  for (let n = 1; n <= 6; n++) pointer = promote(pointer, longestTarget(n), 5);
  const pending = longestTarget(7);
  return {
    ...(pointer as LivePointer),
    pending: {
      target: pending,
      rolloutId: pending.rolloutId,
      executionArn: pending.executionArn,
      kind: 'rollback',
      since: pending.since,
    },
  };
}

/** An answer whose preview and content type are as costly to encode as they can be. */
function costlyAnswer(): { Body: Uint8Array; ContentType: string } {
  return {
    Body: new TextEncoder().encode(COSTLY.repeat(4096)),
    ContentType: `text/plain; x=${COSTLY.repeat(1024)}`,
  };
}

/** The state after Check Endpoint's last poll: Validate Spec, Acquire Lock and 2,160 polls, for real. */
async function stateBeforeSmokeTests(): Promise<RolloutState> {
  ssm.on(GetParameterCommand, { Name: serviceParameterName(PREFIX, SERVICE) }).resolves({
    Parameter: {
      Value: JSON.stringify({
        service: SERVICE,
        proxyFunctionName: `${PREFIX}-${SERVICE}-proxy`,
        distributionId: 'E1234567890ABC',
        publicUrl: `https://d1234567890abc.cloudfront.net/${SERVICE}`,
        apiKeySecretId: `${PREFIX}/${SERVICE}/api-key`,
        sagemakerRoleArn: 'arn:aws:iam::123456789012:role/hf-rollout-sagemaker-us-east-1',
      }),
    },
  });
  ssm
    .on(GetParameterCommand, { Name: liveParameterName(PREFIX, SERVICE) })
    .resolves({ Parameter: { Value: JSON.stringify(largestPointer()) } });
  dynamodb.onAnyCommand().resolves({});
  // The proxy serves the pointer's current and every endpoint is InService: the reconcile under the
  // lock keeps all kept deployments and drops the pending switch of a rollout that is not running.
  lambda.on(GetFunctionConfigurationCommand).resolves({
    LastUpdateStatus: 'Successful',
    Environment: { Variables: { ENDPOINT_NAME: largestPointer().current.endpointName } },
  });
  sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
  const now = (): Date => new Date(Date.UTC(2026, 0, 1));
  let state = await validateSpecCore(
    {
      input: { spec: largestSpec(), requestedBy: `arn:aws:iam::123456789012:user/${'u'.repeat(64)}` },
      execution: { id: EXECUTION_ARN, name: ROLLOUT_ID, startTime: now().toISOString() },
    },
    { ssm: ssm as unknown as SSMClient, prefix: PREFIX, region: 'us-east-1', now },
  );
  sizes['after Validate Spec'] = bytes(state);
  state = await rolloutStep('Acquire Lock', (s) =>
    acquireLock(s, {
      dynamodb: dynamodb as unknown as DynamoDBClient,
      sfn: sfn as unknown as SFNClient,
      ssm: ssm as unknown as SSMClient,
      lambda: lambda as unknown as LambdaClient,
      sagemaker: sagemaker as unknown as SageMakerClient,
      switchOptions: { sleep: () => Promise.resolve(), now: () => 0 },
      tableName: `${PREFIX}-locks`,
      prefix: PREFIX,
      now,
    }),
  )(state);
  const polls = state.wait?.maxAttempts ?? 0;
  let poll = 0;
  sagemaker.on(DescribeEndpointCommand).callsFake(() => {
    poll++;
    return { EndpointStatus: poll < polls ? 'Creating' : 'InService' };
  });
  const check = rolloutStep(CHECK_ENDPOINT_STEP, (s) =>
    checkEndpoint(s, { sagemaker: sagemaker as unknown as SageMakerClient }),
  );
  for (let i = 0; i < polls; i++) state = await check(state);
  sizes['after 2,160 polls'] = bytes(state);
  return state;
}

beforeAll(() => logger.setLogLevel('SILENT'));

beforeEach(() => {
  for (const m of [sagemaker, runtime, ssm, dynamodb, sfn]) m.reset();
});

afterAll(() => {
  if (process.env.STATE_SIZE_REPORT === '1') {
    process.stdout.write(
      `${Object.entries(sizes)
        .map(([what, n]) => `${what}: ${n} bytes (${((n / LIMIT) * 100).toFixed(1)}% of 262,144)`)
        .join('\n')}\n`,
    );
  }
});

describe('rollout state size', () => {
  it('keeps one timing entry per step through a 180-minute wait at 5 s polls', async () => {
    const state = await stateBeforeSmokeTests();

    expect(state.wait?.maxAttempts).toBe(2160);
    expect(state.wait?.attempts).toBe(2160);
    expect(state.timings.find((t) => t.step === CHECK_ENDPOINT_STEP)?.runs).toBe(2160);
    expect(state.timings.map((t) => t.step)).toEqual(['Validate Spec', 'Acquire Lock', CHECK_ENDPOINT_STEP]);
    expect(bytes(state.spec)).toBeLessThanOrEqual(SPEC_LIMITS.maxSpecBytes);
    expect(bytes(state.spec)).toBeGreaterThan(SPEC_LIMITS.maxSpecBytes - 1024);
  });

  it('stays under 3/4 of 256 KiB with 100 passing smoke tests whose answers are as long as they can be', async () => {
    const before = await stateBeforeSmokeTests();
    runtime.on(InvokeEndpointCommand).resolves(costlyAnswer() as never);

    const after = await rolloutStep('Run Smoke Tests', (s) =>
      runSmokeTestsCore(s, { runtime: runtime as unknown as SageMakerRuntimeClient, clock: Date.now }),
    )(before);
    const record = toDeploymentRecord(after, new Date().toISOString());
    sizes['after Run Smoke Tests (100 passing)'] = bytes(after);
    sizes['Deployment record (100 passing)'] = bytes(record);

    expect(after.smoke).toHaveLength(100);
    expect(after.smoke.every((r) => r.passed)).toBe(true);
    expect(bytes(after)).toBeLessThan(MAX_STATE_BYTES);
    expect(bytes(record)).toBeLessThan(MAX_STATE_BYTES);
  });

  it('stays under 3/4 of 256 KiB when 100 smoke tests fail with the longest failure lines and Clean Up explains it', async () => {
    const before = await stateBeforeSmokeTests();
    runtime.on(InvokeEndpointCommand).rejects(
      Object.assign(new Error(COSTLY.repeat(4096)), {
        name: 'ModelError',
        OriginalStatusCode: 500,
        OriginalMessage: COSTLY.repeat(4096),
        $metadata: {},
      }),
    );
    const error = await rolloutStep('Run Smoke Tests', (s) =>
      runSmokeTestsCore(s, { runtime: runtime as unknown as SageMakerRuntimeClient, clock: Date.now }),
    )(before).then(
      () => new Error('expected the smoke tests to fail'),
      (e: unknown) => e as Error,
    );
    // What Step Functions does next: the Lambda error envelope goes to $.failure (Catch ResultPath),
    // then a "Record … Failure" Pass state and Roll Back / Clean Up run on it.
    const envelope = JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    });
    const caught: RolloutState = {
      ...before,
      failure: { step: 'Run Smoke Tests', error: error.name, cause: envelope },
    };
    sagemaker.onAnyCommand().resolves({});
    const cleaned = await rolloutStep('Clean Up', (s) =>
      cleanUp(s, { sagemaker: sagemaker as unknown as SageMakerClient }),
    )(caught);
    const record = toDeploymentRecord(cleaned, new Date().toISOString());
    sizes['after Clean Up (100 failing)'] = bytes(cleaned);
    sizes['Deployment record (100 failing)'] = bytes(record);

    expect(error.name).toBe('SmokeTestFailedError');
    expect(bytes(caught)).toBeLessThan(MAX_STATE_BYTES);
    expect(bytes(cleaned)).toBeLessThan(MAX_STATE_BYTES);
    expect(bytes(record)).toBeLessThan(MAX_STATE_BYTES);
  });
});
