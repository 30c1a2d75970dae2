/**
 * The one catalog of Lambda functions: id, entry file, the ASL states and placeholder that use it,
 * environment, limits and IAM permissions. The CDK stacks and the local cloud both read it, so a
 * function cannot exist in one and differ in the other.
 */

/** Where a function's permissions apply; the stacks turn each into ARNs scoped to the project's names. */
export type ResourceRef =
  /** SageMaker resources of the configured services: `<type>/<service>-*`. */
  | { readonly kind: 'sagemaker'; readonly type: 'endpoint' | 'endpoint-config' | 'model' }
  /** The SageMaker execution role(s) of the serving stacks (for iam:PassRole). */
  | { readonly kind: 'sagemaker-role' }
  /** The services' inference proxy functions. */
  | { readonly kind: 'proxy-function' }
  /** The services' SSM parameters under `/<prefix>/<service>/<name>`. */
  | { readonly kind: 'parameter'; readonly name: 'service' | 'live' | 'health' }
  | { readonly kind: 'lock-table' }
  /** The services' CloudFront distributions. */
  | { readonly kind: 'distribution' }
  /** The services' API key secrets. */
  | { readonly kind: 'api-key-secret' }
  | { readonly kind: 'notification-topic' }
  | { readonly kind: 'rollout-state-machine' }
  /** Executions of the rollout state machine. */
  | { readonly kind: 'rollout-executions' }
  /** `*`, only where the action supports no resource-level permission; `why` is shown in reviews. */
  | { readonly kind: 'any'; readonly why: string };

/** One IAM statement of a function. */
export interface PermissionSpec {
  readonly actions: readonly string[];
  readonly resource: ResourceRef;
}

/** Values the environment is built from: CDK tokens in the stacks, real values in the local cloud. */
export interface CatalogContext {
  readonly prefix: string;
  readonly lockTableName: string;
  readonly notificationTopicArn: string;
  readonly rolloutStateMachineArn: string;
}

/** Environment of a service's proxy function. */
export interface ProxyContext {
  readonly prefix: string;
  readonly service: string;
  /** Value CloudFront adds as `x-origin-verify`; requests without it are refused (null: no check). */
  readonly originVerifySecret: string | null;
}

/** One Lambda function of the pipeline. */
export interface FunctionSpec {
  /** kebab-case id: folder under lambdas/, suffix of the function name. */
  readonly id: string;
  readonly description: string;
  /** Entry file, relative to the repository root; exports `handler`. */
  readonly entry: string;
  /** ASL placeholder the function's ARN fills, e.g. `CreateModelFunctionArn`. */
  readonly placeholder: string;
  /** Which state machine uses it. */
  readonly stateMachine: 'rollout' | 'health-check';
  /** Names of the ASL Task states that invoke it. */
  readonly states: readonly string[];
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: (ctx: CatalogContext) => Readonly<Record<string, string>>;
  readonly permissions: readonly PermissionSpec[];
}

const common = (ctx: CatalogContext): Record<string, string> => ({
  PROJECT_PREFIX: ctx.prefix,
  POWERTOOLS_SERVICE_NAME: ctx.prefix,
  POWERTOOLS_METRICS_NAMESPACE: 'HfRollout',
  NODE_OPTIONS: '--enable-source-maps',
});

function step(
  id: string,
  description: string,
  states: readonly string[],
  permissions: readonly PermissionSpec[],
  options: {
    stateMachine?: 'rollout' | 'health-check';
    timeoutSeconds?: number;
    memoryMb?: number;
    env?: (ctx: CatalogContext) => Record<string, string>;
  } = {},
): FunctionSpec {
  const pascal = id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase());
  return {
    id,
    description,
    entry: `lambdas/${id}/handler.ts`,
    placeholder: `${pascal}FunctionArn`,
    stateMachine: options.stateMachine ?? 'rollout',
    states,
    timeoutSeconds: options.timeoutSeconds ?? 30,
    memoryMb: options.memoryMb ?? 256,
    environment: (ctx) => ({ ...common(ctx), ...(options.env?.(ctx) ?? {}) }),
    permissions,
  };
}

const readService: PermissionSpec = {
  actions: ['ssm:GetParameter'],
  resource: { kind: 'parameter', name: 'service' },
};
const readLive: PermissionSpec = {
  actions: ['ssm:GetParameter'],
  resource: { kind: 'parameter', name: 'live' },
};
const writeLive: PermissionSpec = {
  actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
  resource: { kind: 'parameter', name: 'live' },
};
const updateProxy: PermissionSpec = {
  actions: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration'],
  resource: { kind: 'proxy-function' },
};
const readProxy: PermissionSpec = {
  actions: ['lambda:GetFunctionConfiguration'],
  resource: { kind: 'proxy-function' },
};
const describeEndpoint: PermissionSpec = {
  actions: ['sagemaker:DescribeEndpoint'],
  resource: { kind: 'sagemaker', type: 'endpoint' },
};
const lockEnv = (ctx: CatalogContext): Record<string, string> => ({ LOCK_TABLE_NAME: ctx.lockTableName });

/** The step functions of the rollout and health-check state machines. */
export const STEP_FUNCTIONS: readonly FunctionSpec[] = [
  step(
    'validate-spec',
    'Validates the rollout input and builds the rollout state',
    ['Validate Spec'],
    [readService],
  ),
  step(
    'acquire-lock',
    'Takes the per-service rollout lock, reconciles the live pointer with what the proxy serves and snapshots it',
    ['Acquire Lock'],
    [
      { actions: ['dynamodb:PutItem', 'dynamodb:GetItem'], resource: { kind: 'lock-table' } },
      { actions: ['states:DescribeExecution'], resource: { kind: 'rollout-executions' } },
      writeLive,
      readProxy,
      describeEndpoint,
    ],
    { env: lockEnv },
  ),
  step(
    'create-model',
    'Creates the SageMaker model (HuggingFace DLC)',
    ['Create Model'],
    [
      {
        actions: ['sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:AddTags'],
        resource: { kind: 'sagemaker', type: 'model' },
      },
      { actions: ['iam:PassRole'], resource: { kind: 'sagemaker-role' } },
    ],
  ),
  step(
    'create-endpoint-config',
    'Creates the endpoint config',
    ['Create Endpoint Config'],
    [
      {
        actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DescribeEndpointConfig', 'sagemaker:AddTags'],
        resource: { kind: 'sagemaker', type: 'endpoint-config' },
      },
    ],
  ),
  step(
    'create-endpoint',
    'Creates the new endpoint',
    ['Create Endpoint'],
    [
      {
        actions: ['sagemaker:CreateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:AddTags'],
        resource: { kind: 'sagemaker', type: 'endpoint' },
      },
      // CreateEndpoint is authorized against the endpoint config too.
      { actions: ['sagemaker:CreateEndpoint'], resource: { kind: 'sagemaker', type: 'endpoint-config' } },
    ],
  ),
  step(
    'check-endpoint',
    'Polls the new endpoint until InService, Failed or out of time',
    ['Check Endpoint'],
    [{ actions: ['sagemaker:DescribeEndpoint'], resource: { kind: 'sagemaker', type: 'endpoint' } }],
  ),
  step(
    'run-smoke-tests',
    'Invokes the new endpoint with the spec smoke tests',
    ['Run Smoke Tests'],
    [{ actions: ['sagemaker:InvokeEndpoint'], resource: { kind: 'sagemaker', type: 'endpoint' } }],
    { timeoutSeconds: 300 },
  ),
  step(
    'switch-api-target',
    "Points the proxy's ENDPOINT_NAME and the live pointer at the target",
    ['Switch API Target'],
    [updateProxy, writeLive, describeEndpoint],
    {
      timeoutSeconds: 120,
    },
  ),
  step(
    'refresh-cdn',
    'Invalidates cached GET answers on the CDN',
    ['Refresh CDN'],
    [{ actions: ['cloudfront:CreateInvalidation'], resource: { kind: 'distribution' } }],
  ),
  step(
    'verify-public-api',
    'Checks the public URL answers from the target endpoint',
    ['Verify Public API'],
    [
      { actions: ['secretsmanager:GetSecretValue'], resource: { kind: 'api-key-secret' } },
      // A rollback sends its target deployment's own smoke test, read from that execution's input.
      { actions: ['states:DescribeExecution'], resource: { kind: 'rollout-executions' } },
    ],
    { timeoutSeconds: 120 },
  ),
  step(
    'retire-old-endpoints',
    'Deletes endpoints (and their configs and models) older than the kept ones, and configs and models abandoned without an endpoint',
    ['Retire Old Endpoints'],
    [
      {
        actions: ['sagemaker:ListEndpoints', 'sagemaker:ListEndpointConfigs', 'sagemaker:ListModels'],
        resource: { kind: 'any', why: 'SageMaker List actions have no resource-level permissions' },
      },
      {
        actions: ['sagemaker:ListTags', 'sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'],
        resource: { kind: 'sagemaker', type: 'endpoint' },
      },
      {
        actions: ['sagemaker:ListTags', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DeleteEndpointConfig'],
        resource: { kind: 'sagemaker', type: 'endpoint-config' },
      },
      {
        actions: ['sagemaker:ListTags', 'sagemaker:DeleteModel'],
        resource: { kind: 'sagemaker', type: 'model' },
      },
      readLive,
      readProxy,
    ],
    { timeoutSeconds: 120 },
  ),
  step(
    'release-lock',
    'Releases the rollout lock, builds the Deployment record and notifies',
    ['Release Lock', 'Release Lock After Failure'],
    [
      { actions: ['dynamodb:DeleteItem'], resource: { kind: 'lock-table' } },
      { actions: ['sns:Publish'], resource: { kind: 'notification-topic' } },
    ],
    { env: (ctx) => ({ ...lockEnv(ctx), NOTIFICATION_TOPIC_ARN: ctx.notificationTopicArn }) },
  ),
  step(
    'roll-back',
    'Restores the API target if it was switched and starts deleting the new endpoint',
    ['Roll Back'],
    [
      updateProxy,
      writeLive,
      {
        actions: ['sagemaker:DeleteEndpoint', 'sagemaker:DescribeEndpoint'],
        resource: { kind: 'sagemaker', type: 'endpoint' },
      },
    ],
    { timeoutSeconds: 120 },
  ),
  step(
    'check-endpoint-deleted',
    'Polls until the rolled-back endpoint is gone',
    ['Check Endpoint Deleted'],
    [{ actions: ['sagemaker:DescribeEndpoint'], resource: { kind: 'sagemaker', type: 'endpoint' } }],
  ),
  step(
    'clean-up',
    "Deletes the failed rollout's endpoint config and model and writes the failure summary",
    ['Clean Up'],
    [
      {
        actions: ['sagemaker:DeleteEndpointConfig'],
        resource: { kind: 'sagemaker', type: 'endpoint-config' },
      },
      { actions: ['sagemaker:DeleteModel'], resource: { kind: 'sagemaker', type: 'model' } },
    ],
  ),
  step(
    'health-read-target',
    'Reads what a service serves now and the smoke tests of that deployment',
    ['Read Live Target'],
    [
      readService,
      // Repairs the live pointer when no rollout of the service runs (see lambdas/shared/reconcile.ts).
      writeLive,
      readProxy,
      { actions: ['ssm:GetParameter'], resource: { kind: 'parameter', name: 'health' } },
      describeEndpoint,
      { actions: ['states:DescribeExecution'], resource: { kind: 'rollout-executions' } },
      { actions: ['dynamodb:GetItem'], resource: { kind: 'lock-table' } },
    ],
    { stateMachine: 'health-check', env: lockEnv },
  ),
  step(
    'health-probe',
    "Runs the live deployment's smoke tests through the public URL",
    ['Probe Public API'],
    [{ actions: ['secretsmanager:GetSecretValue'], resource: { kind: 'api-key-secret' } }],
    { stateMachine: 'health-check', timeoutSeconds: 120 },
  ),
  step(
    'health-record',
    'Publishes health metrics, tracks consecutive failures, notifies and optionally rolls back',
    ['Record Health'],
    [
      { actions: ['ssm:GetParameter', 'ssm:PutParameter'], resource: { kind: 'parameter', name: 'health' } },
      { actions: ['sns:Publish'], resource: { kind: 'notification-topic' } },
      { actions: ['states:StartExecution'], resource: { kind: 'rollout-state-machine' } },
    ],
    {
      stateMachine: 'health-check',
      env: (ctx) => ({
        NOTIFICATION_TOPIC_ARN: ctx.notificationTopicArn,
        ROLLOUT_STATE_MACHINE_ARN: ctx.rolloutStateMachineArn,
      }),
    },
  ),
];

/** The inference proxy (one per service, behind API Gateway and CloudFront). */
export const PROXY_FUNCTION = {
  id: 'proxy',
  description: 'Inference API: passes requests through to the live SageMaker endpoint',
  entry: 'lambdas/proxy/handler.ts',
  timeoutSeconds: 29,
  memoryMb: 1024,
  environment: (ctx: ProxyContext): Readonly<Record<string, string>> => ({
    PROJECT_PREFIX: ctx.prefix,
    SERVICE_NAME: ctx.service,
    POWERTOOLS_SERVICE_NAME: `${ctx.prefix}-proxy`,
    POWERTOOLS_METRICS_NAMESPACE: 'HfRollout',
    ...(ctx.originVerifySecret === null ? {} : { ORIGIN_VERIFY_SECRET: ctx.originVerifySecret }),
  }),
  permissions: [
    { actions: ['sagemaker:InvokeEndpoint'], resource: { kind: 'sagemaker', type: 'endpoint' } },
    { actions: ['ssm:GetParameter'], resource: { kind: 'parameter', name: 'live' } },
  ] satisfies readonly PermissionSpec[],
} as const;

/**
 * How every function is bundled, in the stacks (NodejsFunction) and in the local cloud (esbuild):
 * one minified CommonJS file with the AWS SDK inside, which starts faster than loading the runtime's SDK.
 * `mainFields` prefers packages' ES module builds, which esbuild can tree-shake (the AWS SDK's and
 * Smithy's CommonJS builds carry every module of a package; see bench/RESULTS.md).
 */
export const BUNDLING = {
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  minify: true,
  sourcemap: true,
  bundleAwsSdk: true,
  mainFields: ['module', 'main'],
} as const;

/** Lambda runtime of every function. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

/** Finds a step function by id, failing with the known ids. */
export function stepFunction(id: string): FunctionSpec {
  const found = STEP_FUNCTIONS.find((f) => f.id === id);
  if (found === undefined) {
    throw new Error(
      `No function "${id}" in lambdas/catalog.ts; known: ${STEP_FUNCTIONS.map((f) => f.id).join(', ')}`,
    );
  }
  return found;
}
