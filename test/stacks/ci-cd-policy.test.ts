import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { deployCommand, historyCommand, rollbackCommand, statusCommand } from '../../pipeline/cli/commands';
import { servingOwnedActions } from '../../stacks/resource-arns';

/**
 * docs/ci-cd.md documents the IAM policy a CI role needs for `rollout deploy|status|history|rollback
 * --aws`. This runs those four commands against mocked AWS clients, records every call they send, and
 * checks the documented policy allows each call (action and resource) and nothing that no call needs.
 */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ROOT = join(__dirname, '..', '..');
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:hf-rollout-rollout`;
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:hf-rollout-rollout:sentiment--distilbert-base-20261207-120000-abcd`;
const API_KEY_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ApiApiKeySecretADFFAFB2-AbCdEf`;

interface Statement {
  readonly Sid: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: unknown;
}

function documentedPolicy(): { statements: Statement[]; text: string } {
  const text = readFileSync(join(ROOT, 'docs', 'ci-cd.md'), 'utf8');
  const block =
    /<!-- rollout-cli-policy:begin -->\s*```json\n([\s\S]*?)```\s*<!-- rollout-cli-policy:end -->/.exec(text);
  if (block?.[1] === undefined) throw new Error('docs/ci-cd.md has no rollout-cli-policy block');
  const json = block[1].replaceAll('REGION', REGION).replaceAll('ACCOUNT_ID', ACCOUNT);
  return { statements: (JSON.parse(json) as { Statement: Statement[] }).Statement, text };
}

/** IAM's ARN matching: `*` any run of characters, `?` one character. */
function iamMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(arn);
}

const list = (v: string | string[]): string[] => ([] as string[]).concat(v);

/** The IAM action and the resource ARN of one recorded SDK call. */
interface Call {
  readonly action: string;
  readonly resource: string;
}

const record = {
  rolloutId: 'sentiment--distilbert-base-20261207-120000-abcd',
  kind: 'deploy',
  service: 'sentiment',
  status: 'SUCCEEDED',
  model: {
    id: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
    revision: 'main',
    task: 'text-classification',
  },
  endpointName: 'sentiment--distilbert-base-20261207-120000-abcd',
  previousEndpoint: null,
  requestedBy: 'ci',
  failure: null,
  smoke: [],
  publicCheck: null,
  warnings: [],
};

const mocks = {
  cloudformation: mockClient(CloudFormationClient),
  ssm: mockClient(SSMClient),
  sfn: mockClient(SFNClient),
  secrets: mockClient(SecretsManagerClient),
  cloudwatch: mockClient(CloudWatchClient),
};

beforeAll(() => {
  jest.spyOn(process.stdout, 'write').mockReturnValue(true);
  jest.spyOn(process.stderr, 'write').mockReturnValue(true);
  process.env.ROLLOUT_REQUESTED_BY = 'ci';
  mocks.cloudformation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'HfRollout-Pipeline',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [
          { OutputKey: 'RolloutStateMachineArn', OutputValue: STATE_MACHINE },
          {
            OutputKey: 'HealthCheckStateMachineArn',
            OutputValue: STATE_MACHINE.replace('rollout', 'health-check'),
          },
        ],
      },
    ],
  });
  const registration = {
    ...(JSON.parse(readFileSync(join(ROOT, 'test/fixtures/switch-registration.json'), 'utf8')) as object),
    apiKeySecretId: API_KEY_SECRET,
  };
  mocks.ssm
    .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/service' })
    .resolves({ Parameter: { Value: JSON.stringify(registration) } })
    .on(GetParameterCommand, { Name: '/hf-rollout/sentiment/live' })
    .resolves({ Parameter: { Value: readFileSync(join(ROOT, 'test/fixtures/live-pointer.json'), 'utf8') } });
  mocks.sfn
    .on(StartExecutionCommand)
    .callsFake((input: { stateMachineArn: string; name: string }) => ({
      executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }))
    .on(DescribeExecutionCommand)
    .callsFake((input: { executionArn: string }) => ({
      executionArn: input.executionArn,
      stateMachineArn: STATE_MACHINE,
      name: input.executionArn.split(':').pop(),
      status: 'SUCCEEDED',
      startDate: new Date('2026-12-07T12:00:00Z'),
      stopDate: new Date('2026-12-07T12:10:00Z'),
      input: JSON.stringify({ spec: { service: 'sentiment' }, requestedBy: 'ci' }),
      output: JSON.stringify(record),
    }))
    .on(GetExecutionHistoryCommand)
    .resolves({ events: [] })
    .on(ListExecutionsCommand)
    .resolves({
      executions: [
        {
          executionArn: EXECUTION,
          stateMachineArn: STATE_MACHINE,
          name: record.rolloutId,
          status: 'SUCCEEDED',
          startDate: new Date('2026-12-07T12:00:00Z'),
          stopDate: new Date('2026-12-07T12:10:00Z'),
        },
      ],
    });
  mocks.secrets.on(GetSecretValueCommand).resolves({ SecretString: 'key' });
});

afterAll(() => {
  jest.restoreAllMocks();
  delete process.env.ROLLOUT_REQUESTED_BY;
});

/** Every call the mocked clients received, as IAM action and resource ARN. */
function recordedCalls(): Call[] {
  const prefixes: Record<keyof typeof mocks, string> = {
    cloudformation: 'cloudformation',
    ssm: 'ssm',
    sfn: 'states',
    secrets: 'secretsmanager',
    cloudwatch: 'cloudwatch',
  };
  return (Object.keys(mocks) as (keyof typeof mocks)[]).flatMap((key) =>
    (mocks[key] as unknown as { calls(): { args: unknown[] }[] }).calls().map((call) => {
      const command = call.args[0] as { constructor: { name: string }; input: Record<string, string> };
      const operation = command.constructor.name.replace(/Command$/, '');
      const input = command.input;
      const resource =
        input.executionArn ??
        input.stateMachineArn ??
        input.SecretId ??
        (input.StackName !== undefined
          ? `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${input.StackName}/0f4c2a10-d3b1-11ef-9a6b-0e8d1c9e4b21`
          : undefined) ??
        (input.Name !== undefined ? `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${input.Name}` : '?');
      return { action: `${prefixes[key]}:${operation}`, resource };
    }),
  );
}

describe('the CI policy of docs/ci-cd.md', () => {
  let calls: Call[] = [];

  beforeAll(async () => {
    const aws = { aws: true, region: REGION, json: true } as const;
    await deployCommand(join(ROOT, 'examples', 'sentiment.json'), aws);
    await statusCommand(record.rolloutId, aws);
    await historyCommand(aws);
    await rollbackCommand({ ...aws, service: 'sentiment' });
    calls = recordedCalls();
  });

  it('is exercised: the four commands made calls of every kind they need', () => {
    expect([...new Set(calls.map((c) => c.action))].sort()).toEqual([
      'cloudformation:DescribeStacks',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameter',
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:StartExecution',
    ]);
  });

  it('allows every call the CLI makes, on its resource', () => {
    const { statements } = documentedPolicy();
    const byManagedPolicy = new Set(servingOwnedActions('api-key-secret'));

    const denied = calls.filter(
      (c) =>
        !byManagedPolicy.has(c.action) &&
        !statements.some(
          (s) =>
            s.Effect === 'Allow' &&
            list(s.Action).includes(c.action) &&
            list(s.Resource).some((r) => iamMatches(r, c.resource)),
        ),
    );
    expect(denied).toEqual([]);
  });

  it("reads the API key only through the serving stack's own grant policy, which it names", () => {
    const { text } = documentedPolicy();

    expect(servingOwnedActions('api-key-secret')).toEqual(['secretsmanager:GetSecretValue']);
    expect(calls.filter((c) => c.action.startsWith('secretsmanager:')).map((c) => c.resource)).toEqual([
      API_KEY_SECRET,
      API_KEY_SECRET,
    ]);
    expect(text).toContain('policy/hf-rollout-sentiment-REGION-api-key-secret');
  });

  it('allows nothing more: every action and resource of every statement is used by some call', () => {
    const { statements } = documentedPolicy();

    const unused = statements.flatMap((s) =>
      list(s.Action).flatMap((action) =>
        list(s.Resource)
          .filter((r) => !calls.some((c) => c.action === action && iamMatches(r, c.resource)))
          .map((r) => `${s.Sid}: ${action} on ${r}`),
      ),
    );
    expect(unused).toEqual([]);
    expect(statements.every((s) => s.Effect === 'Allow' && !list(s.Resource).includes('*'))).toBe(true);
    expect(statements.flatMap((s) => list(s.Action)).filter((a) => a.includes('*'))).toEqual([]);
  });
});
