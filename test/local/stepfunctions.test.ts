import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import {
  BEHAVIOUR_ENTRY,
  eventually,
  fixtureMachine,
  machineArn,
  startCompute,
  type ComputeHarness,
} from './support/compute-harness';
import { ExecutionStore } from '../../local/services/stepfunctions/execution-store';

const FUNCTION = 'sfn-fixture';
const THROTTLED = 'sfn-fixture-throttled';

const machines = [
  fixtureMachine('count-loop', 'count-loop'),
  fixtureMachine('catch-and-fail', 'catch-and-fail'),
  fixtureMachine('retry-throttle', 'retry-throttle'),
  fixtureMachine('missing-function', 'missing-function'),
  fixtureMachine('task-timeout', 'task-timeout'),
  fixtureMachine('long-wait', 'long-wait'),
  fixtureMachine('express-count', 'express-count', 'EXPRESS'),
  fixtureMachine('data-limit', 'data-limit'),
  fixtureMachine('express-data-limit', 'data-limit', 'EXPRESS'),
];
const functions = [
  { name: FUNCTION, entry: BEHAVIOUR_ENTRY, placeholder: 'BehaviourFunctionArn' },
  { name: THROTTLED, entry: BEHAVIOUR_ENTRY, placeholder: 'ThrottledFunctionArn' },
];

let h: ComputeHarness;

beforeAll(async () => {
  h = await startCompute({ timeScale: 0.001, extraFunctions: functions, extraStateMachines: machines });
});

afterAll(async () => {
  await h.stop();
});

afterEach(() => {
  h.faults.clear();
});

async function start(machine: string, input: unknown, name?: string): Promise<string> {
  const out = await h.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machineArn(machine),
      input: JSON.stringify(input),
      ...(name === undefined ? {} : { name }),
    }),
  );
  return out.executionArn ?? '';
}

async function finished(executionArn: string, timeoutMs = 15_000): Promise<DescribeExecutionCommandOutput> {
  return eventually(async () => {
    const out = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? undefined : out;
  }, timeoutMs);
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const out = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

describe('Step Functions executions', () => {
  it('runs Task, Choice, Wait and Pass states to SUCCEEDED with scaled waits', async () => {
    // Two waits of 30 AWS seconds: 60 s unscaled, 60 ms at timeScale 0.001.
    const arn = await start('count-loop', { action: 'count', count: 0, waitSeconds: 30 }, 'loop-1');
    const out = await finished(arn);

    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? '')).toEqual({ count: 3, execution: 'loop-1' });
    // Each recorded wait is scaled: it lasted less than the 30 s it stands for, and not nothing.
    const events = await history(arn);
    const waits = events
      .filter((e) => e.type === 'WaitStateEntered')
      .map((entered) => {
        const exited = events.find((e) => e.type === 'WaitStateExited' && (e.id ?? 0) > (entered.id ?? 0));
        return (exited?.timestamp?.getTime() ?? Infinity) - (entered.timestamp?.getTime() ?? 0);
      });
    expect(waits).toHaveLength(2);
    expect(waits.filter((ms) => ms < 25 || ms >= 30_000)).toEqual([]);
    expect(arn).toBe('arn:aws:states:us-east-1:000000000000:execution:count-loop:loop-1');
  });

  it('records AWS history event types with ids, previous ids and details', async () => {
    const arn = await start('count-loop', { action: 'count', count: 2, waitSeconds: 1 });
    await finished(arn);

    const events = await history(arn);

    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((e, i) => {
      expect(e.id).toBe(i + 1);
      expect(e.previousEventId).toBe(i);
      expect(e.timestamp).toBeInstanceOf(Date);
    });
    expect(events[0]?.executionStartedEventDetails).toMatchObject({
      input: JSON.stringify({ action: 'count', count: 2, waitSeconds: 1 }),
      roleArn: 'arn:aws:iam::000000000000:role/count-loop-role',
    });
    expect(events[1]?.stateEnteredEventDetails?.name).toBe('Count');
    expect(events[2]?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: `arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}`,
      timeoutInSeconds: 20,
    });
    expect(JSON.parse(events[4]?.lambdaFunctionSucceededEventDetails?.output ?? '')).toMatchObject({
      count: 3,
    });
    expect(JSON.parse(events[12]?.executionSucceededEventDetails?.output ?? '')).toMatchObject({ count: 3 });
  });

  it('passes a Lambda error to Catch with the errorType as Error and the JSON envelope as Cause', async () => {
    const arn = await start('catch-and-fail', {});
    const out = await finished(arn);

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('EndpointFailedError');
    const cause = JSON.parse(out.cause ?? '') as Record<string, unknown>;
    expect(cause.errorType).toBe('EndpointFailedError');
    expect(cause.errorMessage).toBe('the endpoint failed');
    expect(Array.isArray(cause.trace)).toBe(true);
    const events = await history(arn);
    const failed = events.find((e) => e.type === 'LambdaFunctionFailed');
    expect(failed?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'EndpointFailedError',
      cause: out.cause,
    });
    expect(events.map((e) => e.type).slice(-3)).toEqual([
      'PassStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
  });

  it('names Invoke API errors Lambda.<Exception> and retries them with the Retry policy', async () => {
    h.faults.add({
      operation: 'Lambda.Invoke',
      match: { FunctionName: `*${THROTTLED}` },
      outcome: { error: 'TooManyRequestsException' },
      count: 2,
    });

    const arn = await start('retry-throttle', { action: 'count', count: 0 });
    const out = await finished(arn);

    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? '')).toMatchObject({ count: 1 });
    const failures = (await history(arn)).filter((e) => e.type === 'LambdaFunctionFailed');
    expect(failures).toHaveLength(2);
    expect(failures[0]?.lambdaFunctionFailedEventDetails?.error).toBe('Lambda.TooManyRequestsException');
    expect(failures[0]?.lambdaFunctionFailedEventDetails?.cause).toMatch(
      /^Rate Exceeded\. \(Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: \S+; Proxy: null\)$/,
    );
  });

  it('catches Lambda.TooManyRequestsException once the retries are spent', async () => {
    h.faults.add({
      operation: 'Lambda.Invoke',
      match: { FunctionName: `*${THROTTLED}` },
      outcome: { error: 'TooManyRequestsException' },
    });

    const arn = await start('retry-throttle', { action: 'count', count: 0 });
    const out = await finished(arn);

    expect(out.status).toBe('SUCCEEDED');
    const output = JSON.parse(out.output ?? '') as { error: { Error: string; Cause: string } };
    expect(output.error.Error).toBe('Lambda.TooManyRequestsException');
    expect(output.error.Cause).toContain('Status Code: 429');
    expect((await history(arn)).filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(3);
  });

  it('fails a Task whose function does not exist with Lambda.ResourceNotFoundException', async () => {
    const arn = await start('missing-function', {});
    const out = await finished(arn);

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Lambda.ResourceNotFoundException');
    expect(out.cause).toContain(
      'Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist',
    );
  });

  it('times a Task out after TimeoutSeconds with States.Timeout and LambdaFunctionTimedOut', async () => {
    const arn = await start('task-timeout', {});
    const out = await finished(arn);

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.Timeout');
    const types = (await history(arn)).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionTimedOut',
      'ExecutionFailed',
    ]);
  });

  it('stops a running execution as ABORTED with the error and cause given', async () => {
    const arn = await start('long-wait', { action: 'count', count: 0 });
    await eventually(async () =>
      (await history(arn)).some((e) => e.type === 'WaitStateEntered') ? true : undefined,
    );

    await h.sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'stopped by a test' }),
    );
    const out = await h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));

    expect(out.status).toBe('ABORTED');
    expect(out.error).toBe('Operator');
    expect(out.cause).toBe('stopped by a test');
    expect(out.stopDate).toBeInstanceOf(Date);
    const events = await history(arn);
    expect(events[events.length - 1]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'stopped by a test' },
    });
  });
});

const syncClients: SFNClient[] = [];

/** StartSyncExecution has a `sync-` host prefix; against a local endpoint it must be disabled. */
function syncClient(): SFNClient {
  const client = new SFNClient({
    endpoint: h.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    disableHostPrefix: true,
  });
  syncClients.push(client);
  return client;
}

afterAll(() => {
  for (const client of syncClients) client.destroy();
});

describe('Step Functions payload quota (256 KiB)', () => {
  const LIMIT = 262_144;
  const FUNCTION_ARN = `arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}`;

  it('fails the execution with States.DataLimitExceeded when a Lambda result is over 256 KiB, without running the States.ALL Catch', async () => {
    const arn = await start('data-limit', { case: 'result', bytes: LIMIT });
    const out = await finished(arn);
    const events = await history(arn);

    const cause = `The state/task '${FUNCTION_ARN}' returned a result with a size exceeding the maximum number of bytes service limit.`;
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
    expect(out.cause).toBe(cause);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'ExecutionFailed',
    ]);
    expect(events[6]?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'States.DataLimitExceeded',
      cause,
    });
  });

  it('lets a Lambda result just under 256 KiB through', async () => {
    // {"pad":"…"} is 10 bytes of JSON around the padding.
    const arn = await start('data-limit', { case: 'result', bytes: LIMIT - 10 });
    const out = await finished(arn);

    expect(out.status).toBe('SUCCEEDED');
    expect(Buffer.byteLength(out.output ?? '', 'utf8')).toBe(LIMIT);
  });

  it('fails the execution when a state output grows over 256 KiB through ResultPath, with no StateExited and no Catch', async () => {
    const pad = 'é'.repeat(40_000); // 80,000 bytes of UTF-8 in 40,000 characters
    const arn = await start('data-limit', { case: 'output', pad: pad + pad });
    const out = await finished(arn);
    const events = await history(arn);

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
    expect(out.cause).toBe(
      "The state/task 'Big Output' returned a result with a size exceeding the maximum number of bytes service limit.",
    );
    expect(events.map((e) => e.type).slice(-3)).toEqual([
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'ExecutionFailed',
    ]);
    expect(events.some((e) => e.stateEnteredEventDetails?.name === 'Caught')).toBe(false);
  });

  it('fails a Task whose input after Parameters is over 256 KiB before invoking its function', async () => {
    const arn = await start('data-limit', { case: 'input', pad: 'x'.repeat(140_000) });
    const out = await finished(arn);
    const events = await history(arn);

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
    expect(out.cause).toMatch(/^The state\/task 'Big Input' has an input with a size exceeding/);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'ExecutionFailed',
    ]);
  });

  it('applies the same quota to Express executions', async () => {
    const out = await syncClient().send(
      new StartSyncExecutionCommand({
        stateMachineArn: machineArn('express-data-limit'),
        input: JSON.stringify({ case: 'result', bytes: LIMIT }),
      }),
    );

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
  });

  it('refuses an execution input over 256 KiB of UTF-8 with a ValidationException, starting nothing', async () => {
    const input = JSON.stringify({ pad: 'é'.repeat(LIMIT / 2) }); // under the limit in characters, over in bytes
    const before = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('data-limit') }));

    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('data-limit'), input })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144",
    });
    await expect(
      syncClient().send(
        new StartSyncExecutionCommand({ stateMachineArn: machineArn('express-data-limit'), input }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const after = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('data-limit') }));
    expect(after.executions?.length).toBe(before.executions?.length);
    expect(input.length).toBeLessThan(LIMIT);
  });
});

describe('Step Functions API', () => {
  it('lists and describes state machines with the placeholders filled', async () => {
    const list = await h.sfn.send(new ListStateMachinesCommand({}));
    const described = await h.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: machineArn('count-loop') }),
    );

    expect(list.stateMachines?.map((m) => m.name)).toEqual(machines.map((m) => m.name).sort());
    expect(list.stateMachines?.find((m) => m.name === 'express-count')?.type).toBe('EXPRESS');
    expect(described.type).toBe('STANDARD');
    expect(described.status).toBe('ACTIVE');
    expect(described.definition).toContain(`"arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}"`);
    expect(described.definition).not.toContain('${');
  });

  it('returns the running execution again for the same name and input, and refuses other input', async () => {
    const first = await h.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn('long-wait'),
        name: 'same-name',
        input: '{"action":"count"}',
      }),
    );

    const again = await h.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn('long-wait'),
        name: 'same-name',
        input: '{"action":"count"}',
      }),
    );

    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      h.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machineArn('long-wait'),
          name: 'same-name',
          input: '{"other":1}',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${first.executionArn}'`,
    });
    await h.sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  });

  it('rejects bad input, names and state machines with AWS error codes', async () => {
    const arn = machineArn('count-loop');

    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{nope' })),
    ).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'has space' })),
    ).rejects.toMatchObject({
      name: 'InvalidName',
      message: "Invalid Name: 'has space'",
    });
    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'x'.repeat(81) })),
    ).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn('nope') })),
    ).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${machineArn('nope')}'`,
    });
    await expect(
      h.sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })),
    ).rejects.toMatchObject({
      name: 'InvalidArn',
    });
    await expect(
      h.sfn.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:count-loop:missing',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('lists executions newest first, filtered by status and paginated', async () => {
    const a = await start('count-loop', { action: 'count', count: 3, waitSeconds: 0 });
    await finished(a);
    const b = await start('count-loop', { action: 'count', count: 3, waitSeconds: 0 });
    await finished(b);

    const page1 = await h.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machineArn('count-loop'),
        statusFilter: 'SUCCEEDED',
        maxResults: 1,
      }),
    );
    const page2 = await h.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machineArn('count-loop'),
        statusFilter: 'SUCCEEDED',
        maxResults: 1,
        nextToken: page1.nextToken,
      }),
    );

    expect(page1.executions?.[0]?.executionArn).toBe(b);
    expect(page2.executions?.[0]?.executionArn).toBe(a);
    expect(page1.executions?.[0]?.status).toBe('SUCCEEDED');
    expect(page1.nextToken).toBeDefined();
    await expect(
      h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('count-loop'), maxResults: 1001 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('pages history, reverses it and leaves data out on request', async () => {
    const arn = await start('count-loop', { action: 'count', count: 3, waitSeconds: 0 });
    await finished(arn);

    const first = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2 }));
    const next = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, nextToken: first.nextToken }),
    );
    const reversed = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true }),
    );
    const bare = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, includeExecutionData: false }),
    );

    expect(first.events?.map((e) => e.id)).toEqual([1, 2]);
    expect(next.events?.map((e) => e.id)).toEqual([3, 4]);
    expect(reversed.events?.[0]?.type).toBe('ExecutionSucceeded');
    expect(bare.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
    expect(bare.events?.[0]?.executionStartedEventDetails?.roleArn).toBeDefined();
  });

  it('runs Express executions, which DescribeExecution does not know, and StartSyncExecution answers', async () => {
    const started = await h.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn('express-count'),
        input: '{"action":"count","count":1}',
      }),
    );
    // StartSyncExecution has a `sync-` host prefix; against a local endpoint it must be disabled.
    const syncClient = new SFNClient({
      endpoint: h.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      disableHostPrefix: true,
    });
    const sync = await syncClient.send(
      new StartSyncExecutionCommand({
        stateMachineArn: machineArn('express-count'),
        input: '{"action":"count","count":5}',
      }),
    );
    syncClient.destroy();

    expect(started.executionArn).toMatch(
      /^arn:aws:states:us-east-1:000000000000:express:express-count:[0-9a-f-]{36}:[0-9a-f-]{36}$/,
    );
    await expect(
      h.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn })),
    ).rejects.toMatchObject({
      name: 'InvalidArn',
      message: "Invalid Arn: 'Resource type not valid in this context: express'",
    });
    expect(sync.status).toBe('SUCCEEDED');
    expect(JSON.parse(sync.output ?? '')).toMatchObject({ count: 6 });
    await expect(
      h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('express-count') })),
    ).rejects.toMatchObject({ name: 'StateMachineTypeNotSupported' });
  });
});

describe('Step Functions persistence', () => {
  it('keeps history across a restart and marks executions left RUNNING as FAILED', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfn-restart-'));
    try {
      const first = await startCompute({ dataDir, extraFunctions: functions, extraStateMachines: machines });
      const done = await first.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machineArn('count-loop'),
          input: '{"action":"count","count":3}',
        }),
      );
      const running = await first.sfn.send(
        new StartExecutionCommand({ stateMachineArn: machineArn('long-wait'), input: '{"action":"count"}' }),
      );
      await eventually(async () => {
        const out = await first.sfn.send(new DescribeExecutionCommand({ executionArn: done.executionArn }));
        return out.status === 'SUCCEEDED' ? true : undefined;
      });
      await eventually(async () => {
        const out = await first.sfn.send(
          new GetExecutionHistoryCommand({ executionArn: running.executionArn }),
        );
        return out.events?.some((e) => e.type === 'WaitStateEntered') === true ? true : undefined;
      });
      await first.stop();

      const second = await startCompute({ dataDir, extraFunctions: functions, extraStateMachines: machines });
      try {
        const interrupted = await second.sfn.send(
          new DescribeExecutionCommand({ executionArn: running.executionArn }),
        );
        const kept = await second.sfn.send(new DescribeExecutionCommand({ executionArn: done.executionArn }));
        const events =
          (await second.sfn.send(new GetExecutionHistoryCommand({ executionArn: running.executionArn })))
            .events ?? [];

        expect(second.plane.recovered).toEqual([running.executionArn]);
        expect(readFileSync(join(dataDir, 'logs', `${FUNCTION}.log`), 'utf8')).toMatch(/^START RequestId: /m);
        expect(interrupted.status).toBe('FAILED');
        expect(interrupted.error).toBe('States.Runtime');
        expect(interrupted.cause).toMatch(/local cloud stopped while this execution was running/);
        expect(interrupted.cause).toMatch(/next rollout of the service/);
        expect(kept.status).toBe('SUCCEEDED');
        expect(events.map((e) => e.type)).toEqual([
          'ExecutionStarted',
          'TaskStateEntered',
          'LambdaFunctionScheduled',
          'LambdaFunctionStarted',
          'LambdaFunctionSucceeded',
          'TaskStateExited',
          'WaitStateEntered',
          'ExecutionFailed',
        ]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('repairs a history file torn mid-line at restart, so a later restart still has the terminal event', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfn-torn-'));
    const file = join(dataDir, 'executions', 'long-wait', 'torn-1.jsonl');
    const restart = (): Promise<ComputeHarness> =>
      startCompute({ dataDir, extraFunctions: functions, extraStateMachines: machines });
    const historyOf = async (c: ComputeHarness, executionArn: string): Promise<HistoryEvent[]> =>
      (await c.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    try {
      const first = await restart();
      const { executionArn = '' } = await first.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machineArn('long-wait'),
          name: 'torn-1',
          input: '{"action":"count"}',
        }),
      );
      await eventually(async () =>
        (await historyOf(first, executionArn)).some((e) => e.type === 'WaitStateEntered') ? true : undefined,
      );
      await first.stop();
      // A crash in the middle of appending the last event: half of its line reached the disk.
      const text = readFileSync(file, 'utf8');
      const lastLineStart = text.lastIndexOf('\n', text.length - 2) + 1;
      truncateSync(file, Buffer.byteLength(text.slice(0, lastLineStart + 20), 'utf8'));

      const second = await restart();
      const afterRepair = (await historyOf(second, executionArn)).map((e) => e.type);
      await second.stop();
      const third = await restart();
      try {
        const described = await third.sfn.send(new DescribeExecutionCommand({ executionArn }));
        const events = await historyOf(third, executionArn);

        expect(afterRepair).toEqual([
          'ExecutionStarted',
          'TaskStateEntered',
          'LambdaFunctionScheduled',
          'LambdaFunctionStarted',
          'LambdaFunctionSucceeded',
          'TaskStateExited',
          'ExecutionFailed',
        ]);
        expect(events.map((e) => e.type)).toEqual(afterRepair);
        expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(described.status).toBe('FAILED');
        expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
        expect(
          readFileSync(file, 'utf8')
            .trimEnd()
            .split('\n')
            .map((l) => (JSON.parse(l) as { type: string }).type),
        ).toEqual(afterRepair);
      } finally {
        await third.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes the outcome from a terminal event recorded just before a crash, adding no second one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfn-terminal-'));
    try {
      const first = await startCompute({ dataDir, extraFunctions: functions, extraStateMachines: machines });
      const { executionArn = '' } = await first.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machineArn('count-loop'),
          input: '{"action":"count","count":3}',
        }),
      );
      await eventually(async () => {
        const out = await first.sfn.send(new DescribeExecutionCommand({ executionArn }));
        return out.status === 'SUCCEEDED' ? out : undefined;
      });
      await first.stop();
      // The crash fell between the history append and the metadata write: the record still says RUNNING.
      const metaFile = join(dataDir, 'stepfunctions.json');
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as {
        executions: Record<string, Record<string, unknown>>;
      };
      const record = meta.executions[executionArn] ?? {};
      meta.executions[executionArn] = {
        ...record,
        status: 'RUNNING',
        output: undefined,
        stopDate: undefined,
      };
      writeFileSync(metaFile, JSON.stringify(meta));

      const second = await startCompute({ dataDir, extraFunctions: functions, extraStateMachines: machines });
      try {
        const described = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
        const events = (await second.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];

        expect(described.status).toBe('SUCCEEDED');
        expect(JSON.parse(described.output ?? '')).toMatchObject({ count: 4 });
        expect(
          events.filter((e) => e.type?.startsWith('Execution') === true && e.type !== 'ExecutionStarted'),
        ).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps the event a later append glued onto a torn line (files written before the repair existed)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfn-glued-'));
    try {
      const arn = 'arn:aws:states:us-east-1:000000000000:execution:m:glued';
      const store = new ExecutionStore(dataDir);
      store.create({
        executionArn: arn,
        stateMachineArn: machineArn('m'),
        stateMachineName: 'm',
        name: 'glued',
        status: 'FAILED',
        startDate: 1,
        input: '{}',
      });
      const event = (id: number, type: string): string =>
        JSON.stringify({ id, previousEventId: id - 1, timestamp: id, type });
      const file = join(dataDir, 'executions', 'm', 'glued.jsonl');
      mkdirSync(join(dataDir, 'executions', 'm'), { recursive: true });
      writeFileSync(
        file,
        `${event(1, 'ExecutionStarted')}\n${event(2, 'PassStateEntered').slice(0, 15)}${event(2, 'ExecutionFailed')}\n`,
      );

      const events = new ExecutionStore(dataDir).events(arn);

      expect(events.map((e) => [e.id, e.type])).toEqual([
        [1, 'ExecutionStarted'],
        [2, 'ExecutionFailed'],
      ]);
      expect(readFileSync(file, 'utf8')).toBe(
        `${event(1, 'ExecutionStarted')}\n${event(2, 'ExecutionFailed')}\n`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
