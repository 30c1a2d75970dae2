import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PROXY_FUNCTION } from '../../lambdas/catalog';
import { ServingStack, type ServingStackProps } from '../../stacks/serving-stack';
import {
  assertOutput,
  assertResource,
  grantsOfRole,
  logicalIdOf,
  render,
  type Resources,
  testApp,
} from './support';

const PREFIX = 'hf-rollout';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

function synthServing(props: Partial<ServingStackProps> = {}, context: Record<string, unknown> = {}) {
  const app = testApp(context);
  const stack = new ServingStack(app, 'HfRollout-sentiment', {
    prefix: PREFIX,
    service: 'sentiment',
    ...props,
  });
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Resources };
}

// The proxy is bundled from its real entry here (bundling skipped), not from stand-in bundles.
const { template, resources } = synthServing();
const fnId = logicalIdOf(resources, 'AWS::Lambda::Function');
const originSecretId = logicalIdOf(resources, 'AWS::SecretsManager::Secret', (p) =>
  String(p.Description).includes('x-origin-verify'),
);
const originVerifyReference = `{{resolve:secretsmanager:<${originSecretId}>:SecretString:::}}`;

describe('ServingStack proxy function', () => {
  it("deploys the catalog's proxy: name, handler, runtime, limits, tracing", () => {
    expect(resources[fnId]?.Properties).toMatchObject({
      FunctionName: `${PREFIX}-sentiment-proxy`,
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: PROXY_FUNCTION.timeoutSeconds,
      MemorySize: PROXY_FUNCTION.memoryMb,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('has exactly the catalog environment, with the origin secret as a dynamic reference', () => {
    const env = (resources[fnId]?.Properties?.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const expected = PROXY_FUNCTION.environment({
      prefix: PREFIX,
      service: 'sentiment',
      originVerifySecret: 'X',
    });

    expect(Object.keys(env).sort()).toEqual(Object.keys(expected).sort());
    expect(render(env.ORIGIN_VERIFY_SECRET)).toBe(originVerifyReference);
    expect(env).toMatchObject({ PROJECT_PREFIX: PREFIX, SERVICE_NAME: 'sentiment' });
  });

  it('never sets ENDPOINT_NAME, so a later deploy cannot point the API back at an old endpoint', () => {
    const env = (resources[fnId]?.Properties?.Environment as { Variables: Record<string, unknown> })
      .Variables;

    expect(env).not.toHaveProperty('ENDPOINT_NAME');
    expect(JSON.stringify(resources)).not.toContain('ENDPOINT_NAME');
  });

  it('may invoke only its service endpoints (sentiment--*, not sentiment-v2--*) and read only its live pointer', () => {
    const roleId = render(resources[fnId]?.Properties?.Role).replace(/^<(.*)\.Arn>$/, '$1');
    const logGroupId = render(
      (resources[fnId]?.Properties?.LoggingConfig as { LogGroup: unknown }).LogGroup,
    ).slice(1, -1);

    expect(grantsOfRole(resources, roleId)).toEqual(
      [
        `logs:CreateLogStream <${logGroupId}.Arn>`,
        `logs:PutLogEvents <${logGroupId}.Arn>`,
        'sagemaker:InvokeEndpoint arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/sentiment--*',
        'ssm:GetParameter arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/hf-rollout/sentiment/live',
        'xray:PutTelemetryRecords *',
        'xray:PutTraceSegments *',
      ].sort(),
    );
  });

  it('bundles the proxy with the local esbuild: one minified CommonJS file with source map, its SigV4 signer inside', () => {
    const { app, stack } = synthServing({}, { 'aws:cdk:bundling-stacks': ['HfRollout-sentiment'] });
    const assembly = app.synth();
    const code = Template.fromStack(stack).toJSON().Resources as Resources;
    const key = render((code[fnId]?.Properties?.Code as { S3Key: unknown }).S3Key).replace(/\.zip$/, '');
    const dir = join(assembly.directory, `asset.${key}`);

    expect(readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
    const js = readFileSync(join(dir, 'index.js'), 'utf8');
    expect(js).toMatch(/module\.exports/);
    expect(js).toContain('AWS4-HMAC-SHA256');
    expect(js).not.toMatch(/require\("@(aws-sdk|smithy|aws-lambda-powertools)\//);
    expect(js.length / js.split('\n').length).toBeGreaterThan(2000);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });
});

describe('ServingStack API', () => {
  it('is a REGIONAL REST API that treats every media type as binary', () => {
    assertResource(template, 'AWS::ApiGateway::RestApi', {
      Name: `${PREFIX}-sentiment`,
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('requires an API key on every method by default, from a generated secret, with a throttled usage plan', () => {
    const methods = template.findResources('AWS::ApiGateway::Method');
    expect(
      Object.values(methods).map((m) => (m.Properties as { ApiKeyRequired?: boolean }).ApiKeyRequired),
    ).toEqual([true, true]);
    const keySecretId = logicalIdOf(resources, 'AWS::SecretsManager::Secret', (p) =>
      String(p.Description).startsWith('API key'),
    );
    const key = Object.values(template.findResources('AWS::ApiGateway::ApiKey'))[0];
    expect(render((key?.Properties as { Value: unknown }).Value)).toBe(
      `{{resolve:secretsmanager:<${keySecretId}>:SecretString:::}}`,
    );
    assertResource(template, 'AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  it("drops the key with auth 'none' and says so in the outputs and registration", () => {
    const open = synthServing({ auth: 'none' });
    const methods = open.template.findResources('AWS::ApiGateway::Method');

    expect(
      Object.values(methods).map((m) => (m.Properties as { ApiKeyRequired?: boolean }).ApiKeyRequired),
    ).toEqual([false, false]);
    open.template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    open.template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    assertOutput(open.template, 'ApiKeySecretArn', { Value: 'none (auth: none)' });
    expect(registration(open.resources).apiKeySecretId).toBeNull();
  });

  it('logs access (JSON) and errors, traces, and throttles the stage', () => {
    assertResource(template, 'AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
  });

  it('uses the throttle limits it is given', () => {
    const custom = synthServing({ throttleRateLimit: 5, throttleBurstLimit: 10 });

    assertResource(custom.template, 'AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 10 },
    });
  });

  it.each([
    [
      { throttleRateLimit: 0 },
      'throttleRateLimit is 0; give a positive number of requests per second (default 50).',
    ],
    [
      { throttleBurstLimit: 1.5 },
      'throttleBurstLimit is 1.5; give a whole number of requests of at least 1 (default 100).',
    ],
    [
      { modelCacheTtlSeconds: -1 },
      'modelCacheTtlSeconds is -1; give whole seconds between 0 and 3600 (default 5).',
    ],
  ])('rejects %j with the value and the fix', (props, message) => {
    expect(() => synthServing(props)).toThrow(message);
  });
});

describe('ServingStack CloudFront', () => {
  const distribution = () =>
    Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]?.Properties as {
      DistributionConfig: Record<string, unknown>;
    };

  it('lets HTTPS viewers only use every method, forwards all headers but Host, caches nothing by default', () => {
    expect(distribution().DistributionConfig.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
    });
  });

  it('caches GET /model for 5 seconds, keyed on the API key', () => {
    const behaviors = distribution().DistributionConfig.CacheBehaviors as Record<string, unknown>[];
    expect(behaviors).toHaveLength(1);
    expect(behaviors[0]).toMatchObject({
      PathPattern: '/model',
      ViewerProtocolPolicy: 'https-only',
      CachedMethods: ['GET', 'HEAD'],
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
    });
    const policyId = render(behaviors[0]?.CachePolicyId).slice(1, -1);
    expect(resources[policyId]?.Properties).toMatchObject({
      CachePolicyConfig: {
        DefaultTTL: 5,
        MaxTTL: 5,
        MinTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: {
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['x-api-key'] },
        },
      },
    });
  });

  it('reaches the API over HTTPS only and adds x-origin-verify from the same secret the proxy checks', () => {
    const origins = distribution().DistributionConfig.Origins as Record<string, unknown>[];
    expect(origins).toHaveLength(1);
    expect(origins[0]).toMatchObject({
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    const headers = origins[0]?.OriginCustomHeaders as { HeaderName: string; HeaderValue: unknown }[];
    expect(headers.map((h) => [h.HeaderName, render(h.HeaderValue)])).toEqual([
      ['x-origin-verify', originVerifyReference],
    ]);
  });

  it('serves plain HTTP viewers too only with allowHttp, never redirecting (a POST body would be lost)', () => {
    const { template: withHttp } = synthServing({ allowHttp: true });
    const config = (
      Object.values(withHttp.findResources('AWS::CloudFront::Distribution'))[0]?.Properties as {
        DistributionConfig: {
          DefaultCacheBehavior: { ViewerProtocolPolicy: string };
          CacheBehaviors: { ViewerProtocolPolicy: string }[];
        };
      }
    ).DistributionConfig;

    expect(
      [config.DefaultCacheBehavior, ...config.CacheBehaviors].map((b) => b.ViewerProtocolPolicy),
    ).toEqual(['allow-all', 'allow-all']);
    const all = JSON.stringify([template.toJSON(), withHttp.toJSON()]);
    expect(all).not.toContain('redirect-to-https');
  });

  it.each([
    ['api-key', /callers need the API key/],
    ['none', /^(?!.*API key).*auth 'none' the API is public by choice/],
  ] as const)('gives the CFR2 (no web ACL) acknowledgment a reason true of auth %s', (auth, reason) => {
    const { stack } = synthServing({ auth });
    const acks = stack.cdn.distribution.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .filter(([id]) => id.includes('AwsSolutions-CFR2'))
      .map(([, text]) => text);

    expect(acks).toEqual([expect.stringMatching(reason) as unknown]);
  });

  it('never caches error answers', () => {
    const errors = distribution().DistributionConfig.CustomErrorResponses as { ErrorCachingMinTTL: number }[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.ErrorCachingMinTTL === 0)).toBe(true);
  });
});

describe('ServingStack SageMaker role and registration', () => {
  it('lets SageMaker pull the HuggingFace DLC and log and report metrics for this service only', () => {
    const roleId = logicalIdOf(
      resources,
      'AWS::IAM::Role',
      (p) => render(p.RoleName) === `${PREFIX}-sentiment-sm-<AWS::Region>`,
    );
    // `sentiment--*`: endpoints of a service named sentiment-v2 (sentiment-v2--...) are not covered.
    const logGroups =
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/sentiment--*';

    expect(resources[roleId]?.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(grantsOfRole(resources, roleId)).toEqual(
      [
        'cloudwatch:PutMetricData *',
        'ecr:BatchCheckLayerAvailability arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/huggingface-pytorch-inference',
        'ecr:BatchGetImage arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/huggingface-pytorch-inference',
        'ecr:GetAuthorizationToken *',
        'ecr:GetDownloadUrlForLayer arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/huggingface-pytorch-inference',
        ...[
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:DescribeLogStreams',
          'logs:PutLogEvents',
        ].flatMap((a) => [`${a} ${logGroups}`, `${a} ${logGroups}:log-stream:*`]),
      ].sort(),
    );
    assertResource(template, 'AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'cloudwatch:PutMetricData',
            Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
          }),
        ]),
      },
    });
  });

  it('registers the service in SSM as a ServiceRegistration', () => {
    const value = registration(resources);

    expect(Object.keys(value).sort()).toEqual(
      [
        'apiKeySecretId',
        'distributionId',
        'proxyFunctionName',
        'publicUrl',
        'sagemakerRoleArn',
        'service',
      ].sort(),
    );
    expect(value).toMatchObject({
      service: 'sentiment',
      proxyFunctionName: `${PREFIX}-sentiment-proxy`,
      sagemakerRoleArn:
        'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/hf-rollout-sentiment-sm-<AWS::Region>',
    });
    expect(value.publicUrl).toMatch(/^https:\/\/<CdnDistribution\w+\.DomainName>$/);
    expect(value.distributionId).toMatch(/^<CdnDistribution\w+>$/);
    expect(value.apiKeySecretId).toMatch(/^<ApiApiKeySecret\w+>$/);
  });

  it('outputs the CloudFront URL, the API URL, the API key secret and the proxy function name', () => {
    expect(Object.keys(template.toJSON().Outputs as object).sort()).toEqual([
      'ApiKeySecretArn',
      'ApiUrl',
      'CloudFrontUrl',
      'ProxyFunctionName',
    ]);
    assertOutput(template, 'ProxyFunctionName', { Value: `${PREFIX}-sentiment-proxy` });
  });
});

describe('ServingStack grants to the pipeline', () => {
  it('grants invalidation of its own distribution in a managed policy named by service and region', () => {
    const id = logicalIdOf(resources, 'AWS::IAM::ManagedPolicy', (p) =>
      render(p.ManagedPolicyName).endsWith('-distribution'),
    );
    const props = resources[id]?.Properties ?? {};

    expect(render(props.ManagedPolicyName)).toBe(`${PREFIX}-sentiment-<AWS::Region>-distribution`);
    expect(props.PolicyDocument).toMatchObject({
      Statement: [{ Effect: 'Allow', Action: 'cloudfront:CreateInvalidation' }],
    });
    const resource = render(
      (props.PolicyDocument as { Statement: { Resource: unknown }[] }).Statement[0]?.Resource,
    );
    expect(resource).toMatch(
      /^arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution\/<CdnDistribution\w+>$/,
    );
  });

  it('grants reading its own API key secret in a managed policy, and none with auth none', () => {
    const id = logicalIdOf(resources, 'AWS::IAM::ManagedPolicy', (p) =>
      render(p.ManagedPolicyName).endsWith('-api-key-secret'),
    );
    const props = resources[id]?.Properties ?? {};

    expect(render(props.ManagedPolicyName)).toBe(`${PREFIX}-sentiment-<AWS::Region>-api-key-secret`);
    const statement = (props.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    expect(statement.map((st) => [st.Action, render(st.Resource)])).toEqual([
      ['secretsmanager:GetSecretValue', expect.stringMatching(/^<ApiApiKeySecret\w+>$/) as unknown],
    ]);
    const { resources: open } = synthServing({ auth: 'none' });
    expect(
      Object.values(open)
        .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')
        .map((r) => render(r.Properties?.ManagedPolicyName)),
    ).toEqual([`${PREFIX}-sentiment-<AWS::Region>-distribution`]);
  });
});

/** The registration parameter's JSON, with CloudFormation references rendered as `<Logical.Attr>`. */
function registration(r: Resources): Record<string, string | null> {
  const id = logicalIdOf(r, 'AWS::SSM::Parameter', (p) => p.Name === `/${PREFIX}/sentiment/service`);
  return JSON.parse(render(r[id]?.Properties?.Value)) as Record<string, string | null>;
}
