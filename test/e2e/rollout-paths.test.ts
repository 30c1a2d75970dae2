import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import type { FaultRule } from '../../local/faults';
import type { LivePointer } from '../../lambdas/shared/types';
import { DEFAULT_PREFIX, stepFunctionName } from '../../pipeline/names';
import { startCloud, type E2eCloud, type RolloutOutcome, type StartedCloud } from './support/cloud';
import {
  resourcesNamedAfter,
  resourcesOf,
  sagemakerNamesContaining,
  wholeInventory,
} from './support/inventory';
import { HAPPY_PATH_TASKS, rolloutIdFor, specVersion, type RawSpec } from './support/specs';

/**
 * Every path of the rollout state machine, end to end over real HTTP against the local cloud, each
 * driven by declared faults (local/SUPPORT.md). Every failing case starts from a live deployment and
 * proves: the API still serves the previous endpoint, nothing the failed rollout created remains, and
 * history records the failed step and its cause.
 */

const SERVICE = 'sentiment';
const REVIEW = { inputs: 'I love this product' };

/** What a failing case compares before and after its rollout. */
interface FailedRun {
  readonly rolloutId: string;
  readonly outcome: RolloutOutcome;
  readonly previousEndpoint: string;
  readonly pointerBefore: LivePointer | null;
  /** The whole inventory (support/inventory.ts names the few values that legitimately change). */
  readonly inventoryBefore: Record<string, unknown>;
}

let main: StartedCloud | undefined;
let cloud: E2eCloud;
let version = 1;
/**
 * A second cloud, whose proxy update is blocked for good: Switch API Target backs off in real time
 * (4 pauses, then 6 state machine retries), so that rollout runs beside the others from the start.
 */
let blocked: StartedCloud | undefined;
let blockedCloud: E2eCloud;
let blockedRun: Promise<{ run: FailedRun } | { error: unknown }> | undefined;

/** Deploys a first version, so every later rollout has a previous endpoint to keep serving. */
async function deployFirstVersion(target: E2eCloud): Promise<void> {
  const spec = specVersion(version++);
  await target.deploy(spec, { rolloutId: rolloutIdFor(spec) });
  await target.apiKey(SERVICE);
}

beforeAll(async () => {
  [main, blocked] = await Promise.all([startCloud(), startCloud()]);
  cloud = main.cloud;
  blockedCloud = blocked.cloud;
  await Promise.all([deployFirstVersion(cloud), deployFirstVersion(blockedCloud)]);
  blockedRun = runWithFaults(blockedCloud, specVersion(version++), () => [
    {
      operation: 'Lambda.UpdateFunctionConfiguration',
      match: { FunctionName: '*sentiment-proxy' },
      outcome: { error: 'ResourceConflictException' },
    },
  ]).then(
    (run) => ({ run }),
    (error: unknown) => ({ error }),
  );
}, 120_000);

afterEach(async () => {
  await cloud.clearFaults();
});

afterAll(async () => {
  await blockedRun;
  await Promise.all([main?.stop(), blocked?.stop()]);
}, 300_000);

/** The endpoint the API serves now, by the live pointer. */
async function liveEndpoint(target: E2eCloud): Promise<string> {
  const pointer = await target.livePointer(SERVICE);
  if (pointer === null) throw new Error('nothing is live');
  return pointer.current.endpointName;
}

/** Snapshots what is live and what exists, declares the faults, runs the rollout to its end. */
async function runWithFaults(
  target: E2eCloud,
  spec: RawSpec,
  faults: (rolloutId: string) => readonly FaultRule[],
): Promise<FailedRun> {
  const rolloutId = rolloutIdFor(spec);
  const previousEndpoint = await liveEndpoint(target);
  const pointerBefore = await target.livePointer(SERVICE);
  const inventoryBefore = await wholeInventory(target);
  await target.addFaults(...faults(rolloutId));
  const outcome = await target.runRollout(spec, { rolloutId, timeoutMs: 280_000 });
  await target.clearFaults();
  return { rolloutId, outcome, previousEndpoint, pointerBefore, inventoryBefore };
}

/**
 * The three promises of a failed rollout: history names the step and the cause, the API serves the
 * previous endpoint (edge header, proxy environment and live pointer), and the inventory is as before.
 */
async function expectRolledBack(
  target: E2eCloud,
  run: FailedRun,
  expected: { step: string; error: string; cause: readonly string[] },
): Promise<void> {
  expect(run.outcome.status).toBe('FAILED');
  expect(run.outcome.error).toBe(expected.error);

  const detail = await target.rollout(run.outcome.executionArn);
  expect(detail.status).toBe('FAILED');
  expect(detail.failure?.step).toBe(expected.step);
  expect(detail.failure?.error).toBe(expected.error);
  for (const part of expected.cause) {
    expect(detail.failure?.message).toContain(part);
    expect(run.outcome.cause).toContain(part);
  }
  const row = (await target.history(SERVICE)).find((r) => r.rolloutId === run.rolloutId);
  expect(row).toMatchObject({ status: 'FAILED', failure: { step: expected.step, error: expected.error } });

  const answer = await target.callApi(SERVICE, REVIEW);
  expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
    status: 200,
    servedBy: run.previousEndpoint,
  });
  expect(await target.proxyEndpointName(SERVICE)).toBe(run.previousEndpoint);
  expect(await target.livePointer(SERVICE)).toEqual(run.pointerBefore);

  expect(resourcesNamedAfter(resourcesOf(await target.inventory()), run.rolloutId)).toEqual([]);
  expect(await wholeInventory(target)).toEqual(run.inventoryBefore);
  expect(await sagemakerNamesContaining(target.clients.sagemaker, run.rolloutId)).toEqual([]);
}

/** Step function ids (lambdas/catalog.ts) of the happy path's Tasks. */
const HAPPY_FUNCTIONS = [
  'validate-spec',
  'acquire-lock',
  'create-model',
  'create-endpoint-config',
  'create-endpoint',
  'check-endpoint',
  'run-smoke-tests',
  'switch-api-target',
  'refresh-cdn',
  'verify-public-api',
  'retire-old-endpoints',
  'release-lock',
] as const;

describe('a rollout through the local cloud', () => {
  it('deploys a new version on the happy path and the API switches to it', async () => {
    const previous = await liveEndpoint(cloud);
    const spec = specVersion(version++);
    const rolloutId = rolloutIdFor(spec);

    const outcome = await cloud.runRollout(spec, { rolloutId });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({
      rolloutId,
      status: 'SUCCEEDED',
      endpointName: rolloutId,
      previousEndpoint: previous,
      failure: null,
    });
    const detail = await cloud.rollout(outcome.executionArn);
    expect([...new Set(detail.steps.filter((s) => s.type === 'Task').map((s) => s.name))]).toEqual(
      HAPPY_PATH_TASKS,
    );
    expect(detail.steps.every((s) => s.status === 'succeeded')).toBe(true);
    const answer = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
      status: 200,
      servedBy: rolloutId,
    });
    expect(JSON.parse(answer.body) as unknown).toEqual([expect.objectContaining({ label: 'POSITIVE' })]);
    expect(await cloud.proxyEndpointName(SERVICE)).toBe(rolloutId);
    expect((await cloud.livePointer(SERVICE))?.previous.map((t) => t.endpointName)).toEqual([previous]);
  }, 120_000);

  it('fails at Check Endpoint when the endpoint ends Failed, reporting its FailureReason, and rolls back', async () => {
    const failureReason =
      'CannotStartContainerError. Please ensure the model container for variant AllTraffic starts correctly.';
    const run = await runWithFaults(cloud, specVersion(version++), (rolloutId) => [
      {
        operation: 'SageMaker.EndpointLifecycle',
        match: { EndpointName: rolloutId },
        outcome: { endpointStatus: 'Failed', failureReason },
      },
    ]);

    await expectRolledBack(cloud, run, {
      step: 'Check Endpoint',
      error: 'EndpointFailedError',
      cause: [failureReason, `Endpoint ${run.rolloutId} failed`],
    });
  }, 120_000);

  it('fails at Check Endpoint when the endpoint is never InService within the maximum wait, and rolls back', async () => {
    const spec = specVersion(version++, (s) => {
      s.rollout = { ...s.rollout, pollIntervalSeconds: 5, maxWaitMinutes: 1 };
    });
    // Creating for 7,000 AWS seconds: far past the 1-minute wait, but within Roll Back's 2-hour wait for
    // it to leave Creating. SageMaker refuses to delete it meanwhile (issue 9 item 5).
    const run = await runWithFaults(cloud, spec, (rolloutId) => [
      {
        operation: 'SageMaker.EndpointLifecycle',
        match: { EndpointName: rolloutId },
        outcome: { creationSeconds: 7000 },
      },
    ]);

    await expectRolledBack(cloud, run, {
      step: 'Check Endpoint',
      error: 'EndpointWaitTimeoutError',
      cause: [`Endpoint ${run.rolloutId} was still Creating after 12 checks`, 'rollout.maxWaitMinutes is 1'],
    });
    const detail = await cloud.rollout(run.outcome.executionArn);
    expect(detail.steps.filter((s) => s.name === 'Check Endpoint')).toHaveLength(12);
    // Roll Back waited the endpoint out of Creating, deleted it, waited until it was gone, and only then
    // deleted its config and model: nothing is left, nothing needs a person.
    expect(detail.steps.filter((s) => s.name === 'Check Endpoint Deleted').length).toBeGreaterThan(1);
    expect(detail.record).toMatchObject({
      rollback: {
        deleted: [`endpoint ${run.rolloutId}`, `endpoint config ${run.rolloutId}`, `model ${run.rolloutId}`],
        problems: [],
      },
    });
    const gone = await cloud.clients.sagemaker
      .send(new DescribeEndpointCommand({ EndpointName: run.rolloutId }))
      .then(
        (d) => d.EndpointStatus ?? 'no status',
        (e: Error) => e.message,
      );
    expect(gone).toBe(`Could not find endpoint "${run.rolloutId}".`);
  }, 180_000);

  it('fails at Run Smoke Tests when the answer does not meet the expected labels, and rolls back', async () => {
    const spec = specVersion(version++, (s) => {
      s.smokeTests = [
        {
          name: 'emotion labels',
          body: { inputs: 'I love this product, it works great!' },
          expect: { labels: ['JOY', 'ANGER'] },
        },
      ];
    });
    const run = await runWithFaults(cloud, spec, () => []);

    await expectRolledBack(cloud, run, {
      step: 'Run Smoke Tests',
      error: 'SmokeTestFailedError',
      cause: [
        '1 of 1 smoke tests failed',
        '"emotion labels"',
        'labels: expected only ["JOY","ANGER"], got "POSITIVE"',
      ],
    });
  }, 120_000);

  it('retries every step through throttling (SDK retries exhausted once, then the state machine Retry) and succeeds', async () => {
    const spec = specVersion(version++);
    const rolloutId = rolloutIdFor(spec);
    const sdkAttempts = 3; // the SDK's default maxAttempts: each rule outlasts one call's own retries
    const throttle = (operation: string, error: string, match?: Record<string, unknown>): FaultRule => ({
      operation,
      outcome: { error },
      count: sdkAttempts,
      ...(match === undefined ? {} : { match }),
    });
    const proxy = { FunctionName: '*sentiment-proxy' };
    const faults: FaultRule[] = [
      throttle('SSM.GetParameter', 'ThrottlingException'),
      throttle('SSM.PutParameter', 'ThrottlingException'),
      throttle('DynamoDB.PutItem', 'ProvisionedThroughputExceededException'),
      throttle('DynamoDB.DeleteItem', 'ProvisionedThroughputExceededException'),
      throttle('SageMaker.CreateModel', 'ThrottlingException'),
      throttle('SageMaker.CreateEndpointConfig', 'ThrottlingException'),
      throttle('SageMaker.CreateEndpoint', 'ThrottlingException'),
      throttle('SageMaker.DescribeEndpoint', 'ThrottlingException'),
      throttle('SageMaker.ListEndpoints', 'ThrottlingException'),
      throttle('SageMakerRuntime.InvokeEndpoint', 'ThrottlingException', { EndpointName: rolloutId }),
      throttle('Lambda.GetFunctionConfiguration', 'TooManyRequestsException', proxy),
      throttle('Lambda.UpdateFunctionConfiguration', 'TooManyRequestsException', proxy),
      throttle('CloudFront.CreateInvalidation', 'Throttling'),
      throttle('SecretsManager.GetSecretValue', 'ThrottlingException'),
      throttle('SNS.Publish', 'Throttling'),
      // The engine's own Invoke: every step once sees Lambda.TooManyRequestsException.
      ...HAPPY_FUNCTIONS.map((id): FaultRule => ({
        operation: 'Lambda.Invoke',
        match: { FunctionName: `*:function:${stepFunctionName(DEFAULT_PREFIX, id)}` },
        outcome: { error: 'TooManyRequestsException' },
        count: 1,
      })),
    ];
    await cloud.addFaults(...faults);

    const outcome = await cloud.runRollout(spec, { rolloutId, timeoutMs: 180_000 });
    const declared = await cloud.faults();
    await cloud.clearFaults();

    expect({ status: outcome.status, error: outcome.error, cause: outcome.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    expect(
      declared.faults.filter((f) => f.fired < (f.operation === 'Lambda.Invoke' ? 1 : sdkAttempts)),
    ).toEqual([]);
    const detail = await cloud.rollout(outcome.executionArn);
    const retried = HAPPY_PATH_TASKS.map((name) => ({
      name,
      attempts: Math.max(...detail.steps.filter((s) => s.name === name).map((s) => s.attempts)),
    }));
    expect(retried.filter((s) => s.attempts < 2)).toEqual([]);
    const answer = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
      status: 200,
      servedBy: rolloutId,
    });
  }, 180_000);

  it('retries the switch through ResourceConflictException on the proxy update and succeeds', async () => {
    const spec = specVersion(version++);
    const rolloutId = rolloutIdFor(spec);
    // Switch API Target backs off 4 times itself, then throws ApiUpdateConflictError, which the ASL retries.
    await cloud.addFaults({
      operation: 'Lambda.UpdateFunctionConfiguration',
      match: { FunctionName: '*sentiment-proxy' },
      outcome: { error: 'ResourceConflictException' },
      count: 5,
    });

    const outcome = await cloud.runRollout(spec, { rolloutId });

    expect(outcome.status).toBe('SUCCEEDED');
    const detail = await cloud.rollout(outcome.executionArn);
    const switchRun = detail.steps.find((s) => s.name === 'Switch API Target');
    expect(switchRun?.attempts).toBe(2);
    expect(switchRun?.status).toBe('succeeded');
    const answer = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
      status: 200,
      servedBy: rolloutId,
    });
  }, 120_000);

  it('fails after the switch (Refresh CDN) and restores the API to the previous endpoint', async () => {
    const run = await runWithFaults(cloud, specVersion(version++), () => [
      {
        operation: 'CloudFront.CreateInvalidation',
        outcome: {
          error: 'AccessDenied',
          status: 403,
          message: 'User is not authorized to perform cloudfront:CreateInvalidation',
        },
      },
    ]);

    await expectRolledBack(cloud, run, {
      step: 'Refresh CDN',
      error: 'AccessDenied',
      cause: [
        'not authorized to perform cloudfront:CreateInvalidation',
        `API target restored to endpoint ${run.previousEndpoint}`,
      ],
    });
    const detail = await cloud.rollout(run.outcome.executionArn);
    expect(detail.steps.find((s) => s.name === 'Switch API Target')?.status).toBe('succeeded');
  }, 120_000);

  it('fails at Switch API Target when ResourceConflictException never clears, and restores the API', async () => {
    const outcome = await blockedRun;
    if (outcome === undefined) throw new Error('the blocked rollout was never started');
    if ('error' in outcome) throw outcome.error;
    const { run } = outcome;

    await expectRolledBack(blockedCloud, run, {
      step: 'Switch API Target',
      error: 'ApiUpdateConflictError',
      cause: ['ResourceConflictException', `The API still serves endpoint ${run.previousEndpoint}`],
    });
    const detail = await blockedCloud.rollout(run.outcome.executionArn);
    // Once, then the 6 retries of the ASL's ApiUpdateConflictError retrier.
    expect(detail.steps.find((s) => s.name === 'Switch API Target')?.attempts).toBe(7);
  }, 300_000);
});
