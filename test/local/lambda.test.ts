import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { BEHAVIOUR_ENTRY, eventually, startCompute, type ComputeHarness } from './support/compute-harness';

const FN = 'fixture-behaviour';
const SHORT = 'fixture-short-timeout';
const CAPPED = 'fixture-capped';

let h: ComputeHarness;

beforeAll(async () => {
  // timeScale 0.1: a configuration update stays InProgress for 300 ms, long enough to observe.
  h = await startCompute({
    timeScale: 0.1,
    maxConcurrency: 2,
    extraFunctions: [
      { name: FN, entry: BEHAVIOUR_ENTRY, environment: { FIXTURE_VALUE: 'one', OTHER: 'kept?' } },
      { name: SHORT, entry: BEHAVIOUR_ENTRY, timeoutSeconds: 1 },
      { name: CAPPED, entry: BEHAVIOUR_ENTRY },
    ],
  });
});

afterAll(async () => {
  await h.stop();
});

afterEach(() => {
  h.faults.clear();
});

async function invoke(
  event: unknown,
  functionName = FN,
  extra: { LogType?: 'Tail' } = {},
): Promise<InvokeCommandOutput> {
  return h.lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)), ...extra }),
  );
}

function payloadOf(out: InvokeCommandOutput): Record<string, unknown> {
  return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;
}

async function waitForSuccessful(functionName: string): Promise<void> {
  await eventually(async () => {
    const config = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return config.LastUpdateStatus === 'InProgress' ? undefined : config.LastUpdateStatus;
  });
}

describe('Lambda Invoke', () => {
  it('runs the bundle with a Lambda context and the function environment', async () => {
    const out = await invoke({ hello: 'world' });

    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const body = payloadOf(out);
    expect(body.event).toEqual({ hello: 'world' });
    expect(body.env).toEqual({ FIXTURE_VALUE: 'one', AWS_REGION: 'us-east-1' });
    expect(body.context).toMatchObject({
      functionName: FN,
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${FN}`,
      memoryLimitInMB: '256',
      logGroupName: `/aws/lambda/${FN}`,
    });
    const remaining = (body.context as { remainingMs: number }).remainingMs;
    expect(remaining).toBeGreaterThan(25_000);
    expect(remaining).toBeLessThanOrEqual(30_000);
  });

  it('reuses a warm environment for the next invocation', async () => {
    const first = payloadOf(await invoke({}));
    const second = payloadOf(await invoke({}));

    expect(second.environmentId).toBe(first.environmentId);
    expect(second.invocations).toBe((first.invocations as number) + 1);
  });

  it('accepts the function ARN and $LATEST as the name', async () => {
    const out = await invoke({}, `arn:aws:lambda:us-east-1:000000000000:function:${FN}:$LATEST`);

    expect(out.StatusCode).toBe(200);
  });

  it('returns the last 4 KB of the log as X-Amz-Log-Result with LogType Tail', async () => {
    const out = await invoke({ action: 'log', lines: ['hello from the fixture'] }, FN, { LogType: 'Tail' });

    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: \S+ Version: \$LATEST/);
    expect(log).toMatch(/\tINFO\thello from the fixture/);
    expect(log).toMatch(/END RequestId: /);
    expect(log).toMatch(
      /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB/,
    );
  });

  it('hands stdout lines to CloudWatch ingestion (EMF included)', async () => {
    await invoke({ action: 'log', lines: ['ingested line'] });

    const lines = h.data.logLines.filter((l) => l.functionName === FN).map((l) => l.line);
    expect(lines.some((l) => l.endsWith('\tINFO\tingested line'))).toBe(true);
    expect(lines.some((l) => l.startsWith('{"_aws"'))).toBe(true);
  });

  it('answers a thrown error as Unhandled with errorType, errorMessage and trace', async () => {
    const out = await invoke({
      action: 'throw',
      errorType: 'EndpointFailedError',
      message: 'the endpoint failed',
    });

    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = payloadOf(out);
    expect(body.errorType).toBe('EndpointFailedError');
    expect(body.errorMessage).toBe('the endpoint failed');
    expect(Array.isArray(body.trace)).toBe(true);
    expect((body.trace as string[])[0]).toBe('EndpointFailedError: the endpoint failed');
  });

  it('stops an invocation at the timeout with Sandbox.Timedout and starts a fresh environment next', async () => {
    const before = payloadOf(await invoke({ action: 'env', name: 'AWS_REGION' }, SHORT));

    // Ten minutes of sleep: only the 1 s timeout can end this invocation before the test's own timeout.
    const out = await invoke({ action: 'sleep', ms: 600_000 }, SHORT);

    expect(out.FunctionError).toBe('Unhandled');
    const body = payloadOf(out);
    expect(body.errorType).toBe('Sandbox.Timedout');
    expect(body.errorMessage).toMatch(/^RequestId: [0-9a-f-]+ Error: Task timed out after 1\.00 seconds$/);
    const after = payloadOf(await invoke({ action: 'env', name: 'AWS_REGION' }, SHORT));
    expect(after.environmentId).not.toBe(before.environmentId);
  });

  it('reports a runtime that exits as Runtime.ExitError', async () => {
    const out = await invoke({ action: 'exit' });

    expect(out.FunctionError).toBe('Unhandled');
    expect(payloadOf(out)).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringMatching(/Runtime exited with error: exit status 3$/) as unknown,
    });
  });

  it('answers DryRun with 204 and Event with 202, running the Event in the background', async () => {
    const dry = await h.lambda.send(new InvokeCommand({ FunctionName: FN, InvocationType: 'DryRun' }));
    const event = await h.lambda.send(
      new InvokeCommand({
        FunctionName: FN,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ action: 'log', lines: ['from an Event invocation'] })),
      }),
    );

    expect(dry.StatusCode).toBe(204);
    expect(event.StatusCode).toBe(202);
    await eventually(() => h.data.logLines.find((l) => l.line.endsWith('from an Event invocation')));
  });

  it('fails with ResourceNotFoundException naming the function ARN', async () => {
    await expect(invoke({}, 'no-such-function')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('fails on a qualifier other than $LATEST', async () => {
    await expect(
      h.lambda.send(new InvokeCommand({ FunctionName: FN, Qualifier: 'live', Payload: Buffer.from('{}') })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('rejects a payload that is not JSON with InvalidRequestContentException', async () => {
    await expect(
      h.lambda.send(new InvokeCommand({ FunctionName: FN, Payload: Buffer.from('{not json') })),
    ).rejects.toMatchObject({ name: 'InvalidRequestContentException', $metadata: { httpStatusCode: 400 } });
  });

  it('throttles invocations over the concurrency limit with TooManyRequestsException', async () => {
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => invoke({ action: 'sleep', ms: 600 }, CAPPED)),
    );

    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      name: 'TooManyRequestsException',
      message: 'Rate Exceeded.',
      $metadata: { httpStatusCode: 429 },
    });
  });

  it('queues Event invocations over the concurrency limit instead of throttling them', async () => {
    const busy = [1, 2].map(() => invoke({ action: 'sleep', ms: 500 }, CAPPED));
    await eventually(() =>
      (h.plane.lambda.inventory().find((f) => f.name === CAPPED)?.inFlight as number) >= 2 ? true : undefined,
    );

    const queued = await h.lambda.send(
      new InvokeCommand({
        FunctionName: CAPPED,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ action: 'log', lines: ['queued Event ran'] })),
      }),
    );

    expect(queued.StatusCode).toBe(202);
    await Promise.all(busy);
    await eventually(() =>
      h.data.logLines.find((l) => l.functionName === CAPPED && l.line.endsWith('queued Event ran')),
    );
  });

  it('applies declared Lambda.Invoke faults by function name', async () => {
    h.faults.add({
      operation: 'Lambda.Invoke',
      match: { FunctionName: CAPPED },
      outcome: { error: 'ServiceException' },
      count: 1,
    });

    await expect(invoke({}, CAPPED)).rejects.toMatchObject({
      name: 'ServiceException',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(invoke({}, CAPPED)).resolves.toMatchObject({ StatusCode: 200 });
  });
});

describe('Lambda configuration', () => {
  it('describes a function as GetFunctionConfiguration, GetFunction and ListFunctions do', async () => {
    const config = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
    const fn = await h.lambda.send(new GetFunctionCommand({ FunctionName: FN }));
    const list = await h.lambda.send(new ListFunctionsCommand({}));

    expect(config).toMatchObject({
      FunctionName: FN,
      FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${FN}`,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 30,
      MemorySize: 256,
      State: 'Active',
      Version: '$LATEST',
    });
    expect(config.CodeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(config.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(config.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(fn.Configuration?.FunctionName).toBe(FN);
    expect(fn.Code?.RepositoryType).toBe('S3');
    expect(list.Functions?.map((f) => f.FunctionName).sort()).toEqual([FN, SHORT, CAPPED].sort());
  });

  it('pages ListFunctions with MaxItems and NextMarker', async () => {
    const first = await h.lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    const second = await h.lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: first.NextMarker }));

    expect(first.Functions).toHaveLength(2);
    expect(first.NextMarker).toBeDefined();
    expect(second.Functions).toHaveLength(1);
    expect(second.NextMarker).toBeUndefined();
  });

  it('replaces the whole environment, goes InProgress then Successful, and only then serves the new environment', async () => {
    const before = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));

    const updated = await h.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FN,
        RevisionId: before.RevisionId,
        Environment: { Variables: { FIXTURE_VALUE: 'two' } },
      }),
    );
    const during = payloadOf(await invoke({ action: 'env', name: 'FIXTURE_VALUE' }));

    expect(updated.LastUpdateStatus).toBe('InProgress');
    expect(updated.RevisionId).not.toBe(before.RevisionId);
    expect(updated.Environment?.Variables).toEqual({ FIXTURE_VALUE: 'two' });
    expect(during.value).toBe('one');
    await waitForSuccessful(FN);
    const after = payloadOf(await invoke({ action: 'env', name: 'FIXTURE_VALUE' }));
    expect(after.value).toBe('two');
    expect(payloadOf(await invoke({ action: 'env', name: 'OTHER' })).value).toBeNull();
  });

  it('rejects a second update while one is InProgress with ResourceConflictException', async () => {
    await h.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Description: 'first' }));

    await expect(
      h.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Description: 'second' })),
    ).rejects.toMatchObject({
      name: 'ResourceConflictException',
      message: `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:${FN}`,
      $metadata: { httpStatusCode: 409 },
    });
    await waitForSuccessful(FN);
  });

  it('rejects an update with a stale RevisionId with PreconditionFailedException', async () => {
    await waitForSuccessful(FN);

    await expect(
      h.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: FN,
          RevisionId: '00000000-0000-0000-0000-000000000000',
          Description: 'stale',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'PreconditionFailedException',
      message:
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      $metadata: { httpStatusCode: 412 },
    });
  });

  it('lets an in-flight invocation finish on the old environment while new ones get the new one', async () => {
    await waitForSuccessful(FN);
    await h.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FN,
        Environment: { Variables: { FIXTURE_VALUE: 'old' } },
      }),
    );
    await waitForSuccessful(FN);
    const slow = invoke({ action: 'sleep', ms: 1200 });
    await eventually(() =>
      (h.plane.lambda.inventory().find((f) => f.name === FN)?.busyWorkers as number) > 0 ? true : undefined,
    );

    await h.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FN,
        Environment: { Variables: { FIXTURE_VALUE: 'new' } },
      }),
    );
    await waitForSuccessful(FN);
    const fresh = payloadOf(await invoke({ action: 'env', name: 'FIXTURE_VALUE' }));
    const finished = payloadOf(await slow);

    expect(fresh.value).toBe('new');
    expect(finished.env).toMatchObject({ FIXTURE_VALUE: 'old' });
    expect(finished.environmentId).not.toBe(fresh.environmentId);
  });

  it('ends an update Failed when a Lambda.ConfigUpdate fault says so, keeping the previous configuration', async () => {
    await waitForSuccessful(FN);
    const before = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
    h.faults.add({
      operation: 'Lambda.ConfigUpdate',
      match: { FunctionName: FN },
      outcome: { lastUpdateStatus: 'Failed', reason: 'Simulated failure' },
      count: 1,
    });

    await h.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FN,
        Environment: { Variables: { FIXTURE_VALUE: 'lost' } },
      }),
    );
    await waitForSuccessful(FN);
    const after = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));

    expect(after.LastUpdateStatus).toBe('Failed');
    expect(after.LastUpdateStatusReason).toBe('Simulated failure');
    expect(after.Environment?.Variables).toEqual(before.Environment?.Variables);
    expect(payloadOf(await invoke({ action: 'env', name: 'FIXTURE_VALUE' })).value).toBe(
      before.Environment?.Variables?.FIXTURE_VALUE,
    );
  });

  it('rejects reserved environment variables', async () => {
    await waitForSuccessful(FN);

    await expect(
      h.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: FN,
          Environment: { Variables: { AWS_REGION: 'eu-west-1' } },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('AWS_REGION') as unknown,
    });
  });
});
