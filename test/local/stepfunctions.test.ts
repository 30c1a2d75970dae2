import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
