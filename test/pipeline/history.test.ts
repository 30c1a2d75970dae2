import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { executionArnOf, getRollout, listRollouts } from '../../pipeline/history';

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
