import type { FaultRule } from '../../local/faults';
import { DEFAULT_PREFIX, stepFunctionName } from '../../pipeline/names';
import { startCloud, type E2eCloud, type StartedCloud } from './support/cloud';
import {
  broken,
  ERROR_COLUMNS,
  FAIL_AFTER_SWITCH,
  formatTable,
  nextSpec,
  runErrorCell,
  type ErrorCell,
  type MatrixRow,
} from './support/matrix';

/**
 * Error matrix (issue 9, "Must show"): at every Task state of the rollout and of the failure path,
 * the AWS operation the step calls answers an error that is not retried (or outlasts the retries),
 * and the rollout ends as its design says: failed at that step with the API on what it served
 * before and the whole inventory unchanged (support/inventory.ts), or, for errors after the switch
 * that the design catches, succeeded. A Roll Back or Clean Up that itself fails leaves resources:
 * the record must name each one and the command that removes it. Each invariant is checked on its
 * own and the table cell → invariant is printed.
 */

const PROXY = { FunctionName: '*sentiment-proxy' };

function denied(
  operation: string,
  action: string,
  match?: Record<string, unknown>,
  count?: number,
): FaultRule {
  const [service] = operation.split('.');
  const cloudfront = service === 'CloudFront';
  return {
    operation,
    outcome: {
      error: cloudfront ? 'AccessDenied' : 'AccessDeniedException',
      status: cloudfront || service === 'Lambda' ? 403 : 400,
      message: `User: arn:aws:sts::000000000000:assumed-role/hf-rollout-step/e2e is not authorized to perform: ${action}`,
    },
    ...(match === undefined ? {} : { match }),
    ...(count === undefined ? {} : { count }),
  };
}

/** The new endpoint's smoke tests fail (a model error), so the failure path runs without a switch. */
const smokeFails = (rolloutId: string): FaultRule => ({
  operation: 'SageMakerRuntime.InvokeEndpoint',
  match: { EndpointName: rolloutId },
  outcome: {
    error: 'ModelError',
    fields: { OriginalStatusCode: 500, OriginalMessage: 'CUDA out of memory' },
  },
});

const failed = (step: string): ErrorCell['expect'] => ({ status: 'FAILED', step });
const SUCCEEDED: ErrorCell['expect'] = { status: 'SUCCEEDED' };

const CELLS: readonly ErrorCell[] = [
  {
    name: 'Validate Spec: SSM.GetParameter denied',
    kind: 'deploy',
    error: () => denied('SSM.GetParameter', 'ssm:GetParameter', { Name: '/hf-rollout/sentiment/*' }),
    expect: failed('Validate Spec'),
  },
  {
    name: 'Acquire Lock: DynamoDB.PutItem denied',
    kind: 'deploy',
    error: () => denied('DynamoDB.PutItem', 'dynamodb:PutItem'),
    expect: failed('Acquire Lock'),
  },
  {
    name: 'Create Model: SageMaker.CreateModel ValidationException',
    kind: 'deploy',
    error: () => ({
      operation: 'SageMaker.CreateModel',
      outcome: {
        error: 'ValidationException',
        message: 'Could not access model data at s3://missing/model.tar.gz.',
      },
    }),
    expect: failed('Create Model'),
  },
  {
    name: 'Create Endpoint Config: ResourceLimitExceeded',
    kind: 'deploy',
    error: () => ({
      operation: 'SageMaker.CreateEndpointConfig',
      outcome: {
        error: 'ResourceLimitExceeded',
        message: 'The account-level service limit for endpoint configs is exceeded.',
      },
    }),
    expect: failed('Create Endpoint Config'),
  },
  {
    name: 'Create Endpoint: ResourceLimitExceeded',
    kind: 'deploy',
    error: () => ({
      operation: 'SageMaker.CreateEndpoint',
      outcome: {
        error: 'ResourceLimitExceeded',
        message: "The account-level service limit 'ml.m5.xlarge for endpoint usage' is 0 Instances.",
      },
    }),
    expect: failed('Create Endpoint'),
  },
  {
    name: 'Check Endpoint: DescribeEndpoint denied',
    kind: 'deploy',
    error: (id) =>
      denied('SageMaker.DescribeEndpoint', 'sagemaker:DescribeEndpoint', { EndpointName: id }, 1),
    expect: failed('Check Endpoint'),
  },
  {
    name: 'Run Smoke Tests: InvokeEndpoint ModelError',
    kind: 'deploy',
    error: smokeFails,
    expect: failed('Run Smoke Tests'),
  },
  {
    name: 'Switch API Target: UpdateFunctionConfiguration denied',
    kind: 'deploy',
    error: () => denied('Lambda.UpdateFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', PROXY, 1),
    expect: failed('Switch API Target'),
  },
  {
    name: 'Refresh CDN: CreateInvalidation denied',
    kind: 'deploy',
    error: () => FAIL_AFTER_SWITCH,
    expect: failed('Refresh CDN'),
  },
  {
    name: 'Verify Public API: GetSecretValue denied',
    kind: 'deploy',
    error: () => denied('SecretsManager.GetSecretValue', 'secretsmanager:GetSecretValue', undefined, 1),
    expect: failed('Verify Public API'),
  },
  {
    name: 'Retire Old Endpoints: ListEndpoints denied',
    kind: 'deploy',
    error: () => denied('SageMaker.ListEndpoints', 'sagemaker:ListEndpoints'),
    expect: SUCCEEDED,
  },
  {
    name: 'Release Lock: DeleteItem denied',
    kind: 'deploy',
    error: () => denied('DynamoDB.DeleteItem', 'dynamodb:DeleteItem'),
    expect: SUCCEEDED,
  },
  {
    name: 'Roll Back: DeleteEndpoint denied',
    kind: 'deploy',
    lead: (id) => [smokeFails(id)],
    error: (id) => denied('SageMaker.DeleteEndpoint', 'sagemaker:DeleteEndpoint', { EndpointName: id }),
    expect: failed('Run Smoke Tests'),
    leaves: true,
  },
  {
    name: 'Check Endpoint Deleted: DescribeEndpoint denied',
    kind: 'deploy',
    lead: (id) => [smokeFails(id)],
    armAt: 'check-endpoint-deleted',
    error: (id) =>
      denied('SageMaker.DescribeEndpoint', 'sagemaker:DescribeEndpoint', { EndpointName: id }, 1),
    expect: failed('Run Smoke Tests'),
  },
  {
    name: 'Clean Up: DeleteModel denied',
    kind: 'deploy',
    lead: (id) => [smokeFails(id)],
    error: (id) => denied('SageMaker.DeleteModel', 'sagemaker:DeleteModel', { ModelName: id }),
    expect: failed('Run Smoke Tests'),
    leaves: true,
  },
  {
    name: 'Release Lock After Failure: DeleteItem denied',
    kind: 'deploy',
    lead: (id) => [smokeFails(id)],
    error: () => denied('DynamoDB.DeleteItem', 'dynamodb:DeleteItem'),
    expect: failed('Run Smoke Tests'),
    lockLeft: true,
  },
  {
    name: 'rollback: Validate Spec: SSM.GetParameter denied',
    kind: 'rollback',
    error: () => denied('SSM.GetParameter', 'ssm:GetParameter', { Name: '/hf-rollout/sentiment/*' }),
    expect: failed('Validate Spec'),
  },
  {
    name: 'rollback: Acquire Lock: PutItem denied',
    kind: 'rollback',
    error: () => denied('DynamoDB.PutItem', 'dynamodb:PutItem'),
    expect: failed('Acquire Lock'),
  },
  {
    name: 'rollback: Switch API Target: UpdateFunctionConfiguration denied',
    kind: 'rollback',
    error: () => denied('Lambda.UpdateFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', PROXY, 1),
    expect: failed('Switch API Target'),
  },
  {
    name: 'rollback: Refresh CDN: denied',
    kind: 'rollback',
    error: () => FAIL_AFTER_SWITCH,
    expect: failed('Refresh CDN'),
  },
  {
    name: 'rollback: Verify Public API: GetSecretValue denied',
    kind: 'rollback',
    error: () => denied('SecretsManager.GetSecretValue', 'secretsmanager:GetSecretValue', undefined, 1),
    expect: failed('Verify Public API'),
  },
  {
    // A rollback's Retire Old Endpoints calls no AWS API (it keeps every endpoint): the error is the
    // Task's own Lambda.Invoke.
    name: 'rollback: Retire Old Endpoints: Lambda.Invoke denied',
    kind: 'rollback',
    error: () => ({
      operation: 'Lambda.Invoke',
      match: { FunctionName: `*:function:${stepFunctionName(DEFAULT_PREFIX, 'retire-old-endpoints')}` },
      outcome: {
        error: 'AccessDeniedException',
        status: 403,
        message: 'User is not authorized to perform: lambda:InvokeFunction',
      },
    }),
    expect: SUCCEEDED,
  },
  {
    name: 'rollback: Release Lock: DeleteItem denied',
    kind: 'rollback',
    error: () => denied('DynamoDB.DeleteItem', 'dynamodb:DeleteItem'),
    expect: SUCCEEDED,
  },
];

let started: StartedCloud | undefined;
let cloud: E2eCloud;
const rows: MatrixRow[] = [];

async function restart(): Promise<void> {
  await started?.stop();
  started = await startCloud();
  cloud = started.cloud;
}

beforeAll(async () => {
  await restart();
  for (let i = 0; i < 2; i++) {
    const first = nextSpec();
    await cloud.deploy(first.spec, first);
  }
}, 120_000);

afterAll(async () => {
  console.log(formatTable('Error matrix', ERROR_COLUMNS, rows));
  await started?.stop();
}, 60_000);

describe('error matrix', () => {
  it.each(CELLS.map((cell) => [cell.name, cell] as const))(
    '%s: ends as designed, serves what it should, records it, and the next rollout cleans up',
    async (_name, cell) => {
      const begun = Date.now();
      let row: MatrixRow;
      try {
        row = await runErrorCell(() => cloud, restart, cell);
      } catch (error) {
        row = {
          cell: cell.name,
          verdicts: { 'ends as expected': { held: false, why: `the cell itself failed: ${String(error)}` } },
          seconds: (Date.now() - begun) / 1000,
        };
      }
      rows.push(row);
      expect(broken(row)).toEqual([]);
    },
    300_000,
  );
});
