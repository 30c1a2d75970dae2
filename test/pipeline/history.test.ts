import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import {
  executionArnOf,
  getRollout,
  listRollouts,
  outcomeOf,
  type RolloutSummary,
} from '../../pipeline/history';

const SM = 'arn:aws:states:us-east-1:000000000000:stateMachine:hf-rollout-rollout';
const arn = (name: string): string => executionArnOf(SM, name);
const sfn = mockClient(SFNClient);
const client = new SFNClient({ region: 'us-east-1' });

const okRecord = {
  rolloutId: 'sentiment-a',
  kind: 'deploy',
  service: 'sentiment',
  status: 'SUCCEEDED',
  model: { id: 'org/model', revision: 'main', task: 'text-classification' },
  endpointName: 'sentiment-a',
  previousEndpoint: null,
  requestedBy: 'ana@laptop',
  failure: null,
};

beforeEach(() => {
  sfn.reset();
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      {
        executionArn: arn('other-b'),
        name: 'other-b',
        status: 'SUCCEEDED',
        stateMachineArn: SM,
        startDate: new Date('2026-11-22T10:02:00Z'),
        stopDate: new Date('2026-11-22T10:03:00Z'),
      },
      {
        executionArn: arn('sentiment-c'),
        name: 'sentiment-c',
        status: 'FAILED',
        stateMachineArn: SM,
        startDate: new Date('2026-11-22T10:01:00Z'),
        stopDate: new Date('2026-11-22T10:01:30Z'),
      },
      {
        executionArn: arn('sentiment-a'),
        name: 'sentiment-a',
        status: 'SUCCEEDED',
        stateMachineArn: SM,
        startDate: new Date('2026-11-22T10:00:00Z'),
        stopDate: new Date('2026-11-22T10:00:10Z'),
      },
    ],
  });
  sfn.on(DescribeExecutionCommand, { executionArn: arn('sentiment-a') }).resolves({
    executionArn: arn('sentiment-a'),
    status: 'SUCCEEDED',
    input: JSON.stringify({ spec: { service: 'sentiment' }, requestedBy: 'ana@laptop' }),
    output: JSON.stringify(okRecord),
    startDate: new Date('2026-11-22T10:00:00Z'),
    stateMachineArn: SM,
    name: 'sentiment-a',
  });
  sfn.on(DescribeExecutionCommand, { executionArn: arn('other-b') }).resolves({
    executionArn: arn('other-b'),
    status: 'SUCCEEDED',
    input: JSON.stringify({ spec: { service: 'other', model: { id: 'x/y', task: 'fill-mask' } } }),
    output: '{}',
    startDate: new Date(),
    stateMachineArn: SM,
  });
  sfn.on(DescribeExecutionCommand, { executionArn: arn('sentiment-c') }).resolves({
    executionArn: arn('sentiment-c'),
    status: 'FAILED',
    error: 'EndpointFailedError',
    cause: 'Check Endpoint failed (EndpointFailedError): ping failed.',
    input: JSON.stringify({
      spec: { service: 'sentiment', model: { id: 'org/model', task: 'text-classification' } },
      requestedBy: 'bo@ci',
    }),
    startDate: new Date('2026-11-22T10:01:00Z'),
    stateMachineArn: SM,
    name: 'sentiment-c',
  });
  sfn.on(GetExecutionHistoryCommand, { executionArn: arn('sentiment-c') }).resolves({
    events: [
      {
        type: 'FailStateEntered',
        id: 40,
        timestamp: new Date('2026-11-22T10:01:30Z'),
        stateEnteredEventDetails: {
          name: 'Rollout Failed',
          input: JSON.stringify({
            failure: {
              step: 'Check Endpoint',
              error: 'EndpointFailedError',
              cause: '{}',
              summary:
                'Check Endpoint failed (EndpointFailedError): ping failed. The API still serves nothing.',
            },
          }),
        },
      },
    ],
  });
});

describe('listRollouts', () => {
  it('keeps only the service asked for, newest first, with the record of succeeded ones', async () => {
    const page = await listRollouts(client, SM, { service: 'sentiment' });

    expect(page.rollouts.map((r) => r.rolloutId)).toEqual(['sentiment-c', 'sentiment-a']);
    expect(page.rollouts[1]).toMatchObject({
      status: 'SUCCEEDED',
      endpointName: 'sentiment-a',
      requestedBy: 'ana@laptop',
      durationMs: 10_000,
    });
  });

  it('reads the failed step and summary of a failed rollout from its Fail state input', async () => {
    const page = await listRollouts(client, SM, { service: 'sentiment' });

    expect(page.rollouts[0]?.failure).toEqual({
      step: 'Check Endpoint',
      error: 'EndpointFailedError',
      message: 'Check Endpoint failed (EndpointFailedError): ping failed. The API still serves nothing.',
    });
    expect(page.rollouts[0]?.model).toEqual({
      id: 'org/model',
      revision: 'main',
      task: 'text-classification',
    });
  });

  it('stops at the page size and hands back the next token', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: arn('sentiment-a'),
          name: 'sentiment-a',
          status: 'SUCCEEDED',
          stateMachineArn: SM,
          startDate: new Date(),
        },
      ],
      nextToken: 'page-2',
    });

    const page = await listRollouts(client, SM, { pageSize: 1 });

    expect(page.rollouts).toHaveLength(1);
    expect(page.nextToken).toBe('page-2');
  });
});

describe('getRollout', () => {
  it('names the rejecting step of a blocked rollout', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: arn('sentiment-d') }).resolves({
      executionArn: arn('sentiment-d'),
      status: 'FAILED',
      error: 'RolloutInProgress',
      cause: '{"errorType":"RolloutInProgressError","errorMessage":"Another rollout holds the lock"}',
      input: JSON.stringify({ spec: { service: 'sentiment' } }),
      startDate: new Date(),
      stopDate: new Date(),
      stateMachineArn: SM,
      name: 'sentiment-d',
    });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn('sentiment-d') }).resolves({ events: [] });

    const detail = await getRollout(client, arn('sentiment-d'));

    expect(detail.failure).toEqual({
      step: 'Acquire Lock',
      error: 'RolloutInProgress',
      message: 'Another rollout holds the lock',
    });
  });
});

describe('listRollouts with what the proxy serves', () => {
  it('marks exactly the deployment whose endpoint the proxy serves as live, and says what happened to the others', async () => {
    const page = await listRollouts(client, SM, {
      service: 'sentiment',
      live: (service) => Promise.resolve(service === 'sentiment' ? 'sentiment-a' : null),
    });

    expect(page.rollouts.map((r) => [r.rolloutId, r.live, r.outcome])).toEqual([
      ['sentiment-c', false, 'rolled back: the API kept serving sentiment-a'],
      ['sentiment-a', true, 'live'],
    ]);
  });

  it('marks nothing live without a lookup', async () => {
    const page = await listRollouts(client, SM, { service: 'sentiment' });

    expect(page.rollouts.map((r) => r.live)).toEqual([false, false]);
    expect(page.rollouts[1]?.outcome).toBe('went live');
  });

  it('finds the step an interrupted execution was in from its last events (it has no Deployment record)', async () => {
    // Arrange: the local cloud was killed while Switch API Target ran.
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: arn('sentiment-k'),
          name: 'sentiment-k',
          status: 'FAILED',
          stateMachineArn: SM,
          startDate: new Date('2026-11-22T10:05:00Z'),
          stopDate: new Date('2026-11-22T10:06:00Z'),
        },
      ],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: arn('sentiment-k') }).resolves({
      executionArn: arn('sentiment-k'),
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The local cloud stopped while this execution was running.',
      input: JSON.stringify({ spec: { service: 'sentiment' } }),
      startDate: new Date('2026-11-22T10:05:00Z'),
      stateMachineArn: SM,
      name: 'sentiment-k',
    });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn('sentiment-k') }).resolves({
      events: [
        { type: 'ExecutionFailed', id: 30, timestamp: new Date() },
        {
          type: 'TaskStateEntered',
          id: 29,
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Switch API Target' },
        },
        {
          type: 'TaskStateExited',
          id: 28,
          timestamp: new Date(),
          stateExitedEventDetails: { name: 'Run Smoke Tests' },
        },
      ],
    });

    // Act
    const page = await listRollouts(client, SM, {
      service: 'sentiment',
      live: () => Promise.resolve('sentiment-a'),
    });

    // Assert
    expect(page.rollouts[0]).toMatchObject({
      failure: { step: 'Switch API Target', error: 'States.Runtime' },
      live: false,
      outcome: 'never served: interrupted during Switch API Target',
    });
  });
});

describe('outcomeOf', () => {
  const base: RolloutSummary = {
    rolloutId: 'sentiment-n',
    executionArn: arn('sentiment-n'),
    kind: 'deploy',
    service: 'sentiment',
    status: 'FAILED',
    model: null,
    requestedBy: null,
    reason: null,
    startedAt: '2026-11-22T10:00:00.000Z',
    finishedAt: '2026-11-22T10:01:00.000Z',
    durationMs: 60_000,
    endpointName: null,
    previousEndpoint: null,
    failure: { step: 'Retire Old Endpoints', error: 'States.Runtime', message: 'killed' },
    record: null,
    live: false,
    outcome: null,
  };

  it('says an interrupted rollout the proxy serves is live', () => {
    expect(outcomeOf({ ...base, live: true }, 'sentiment-n', [])).toBe(
      'live, interrupted during Retire Old Endpoints',
    );
    expect(
      outcomeOf(
        { ...base, live: true, failure: { step: 'Switch API Target', error: 'States.Runtime', message: '' } },
        'sentiment-n',
        [],
      ),
    ).toBe('live, interrupted after Switch API Target');
  });

  it('says an interrupted rollout past its switch went live and who replaced it', () => {
    const next = { ...base, rolloutId: 'sentiment-m', status: 'SUCCEEDED' as const, failure: null };

    expect(outcomeOf(base, 'sentiment-m', [next])).toBe('went live, then replaced by sentiment-m');
  });

  it('says a rollout interrupted before its switch never served', () => {
    const creating = { ...base, failure: { step: 'Create Endpoint', error: 'States.Runtime', message: '' } };

    expect(outcomeOf(creating, 'sentiment-x', [])).toBe('never served: interrupted during Create Endpoint');
  });

  it('is null while the execution runs', () => {
    expect(outcomeOf({ ...base, status: 'RUNNING', failure: null }, 'sentiment-x', [])).toBeNull();
  });
});
