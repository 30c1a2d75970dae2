import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Function as LambdaFunction, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type ResourceRef, STEP_FUNCTIONS } from '../../lambdas/catalog';
import { stepFunctionName } from '../../pipeline/names';
import { AslStateMachine, aslPlaceholders } from '../../stacks/constructs/asl-state-machine';
import { CatalogFunction } from '../../stacks/constructs/catalog-function';
import { PipelineStack } from '../../stacks/pipeline-stack';
import { ServingStack } from '../../stacks/serving-stack';
import {
  assertResource,
  grantsOfRole,
  logicalIdOf,
  prebuiltBundles,
  render,
  type Resources,
  testApp,
} from './support';

const PREFIX = 'hf-rollout';
const SERVICES = ['sentiment', 'ner'];
const ARN = 'arn:<AWS::Partition>';
const REGIONAL = '<AWS::Region>:<AWS::AccountId>';

function synthPipeline(options: { healthCheckSchedule?: string } = {}) {
  const app = testApp();
  const bundles = prebuiltBundles();
  const sentiment = new ServingStack(app, 'HfRollout-sentiment', {
    prefix: PREFIX,
    service: 'sentiment',
    prebuiltBundlesDir: bundles,
  });
  const ner = new ServingStack(app, 'HfRollout-ner', {
    prefix: PREFIX,
    service: 'ner',
    auth: 'none',
    prebuiltBundlesDir: bundles,
  });
  const pipeline = new PipelineStack(app, 'HfRollout-Pipeline', {
    prefix: PREFIX,
    services: [sentiment.binding, ner.binding],
    prebuiltBundlesDir: bundles,
    ...options,
  });
  const template = Template.fromStack(pipeline);
  return { app, pipeline, template, resources: template.toJSON().Resources as Resources };
}

const { app, pipeline, template, resources } = synthPipeline();
const tableId = logicalIdOf(resources, 'AWS::DynamoDB::Table');
const topicId = logicalIdOf(resources, 'AWS::SNS::Topic');

function functionIdOf(stepId: string): string {
  return logicalIdOf(
    resources,
    'AWS::Lambda::Function',
    (p) => p.FunctionName === stepFunctionName(PREFIX, stepId),
  );
}

/** What each ResourceRef must become, written out independently of stacks/resource-arns.ts. */
function expectedResources(ref: ResourceRef): (string | RegExp)[] {
  switch (ref.kind) {
    case 'sagemaker':
      return SERVICES.map((s) => `${ARN}:sagemaker:${REGIONAL}:${ref.type}/${s}--*`);
    case 'sagemaker-role':
      return SERVICES.map((s) => `${ARN}:iam::<AWS::AccountId>:role/${PREFIX}-${s}-sm-<AWS::Region>`);
    case 'proxy-function':
      return SERVICES.map((s) => `${ARN}:lambda:${REGIONAL}:function:${PREFIX}-${s}-proxy`);
    case 'parameter':
      return SERVICES.map((s) => `${ARN}:ssm:${REGIONAL}:parameter/${PREFIX}/${s}/${ref.name}`);
    case 'lock-table':
      return [`<${tableId}.Arn>`];
    case 'notification-topic':
      return [`<${topicId}>`];
    case 'distribution':
    case 'api-key-secret':
      // Granted by the serving stacks' managed policies, attached by name (see the IAM tests below).
      return [];
    case 'rollout-state-machine':
      return [`${ARN}:states:${REGIONAL}:stateMachine:${PREFIX}-rollout`];
    case 'rollout-executions':
      return [`${ARN}:states:${REGIONAL}:execution:${PREFIX}-rollout:*`];
    case 'any':
      return ['*'];
  }
}

/** Pairs left over on either side when matching expected `action resource` pairs to granted ones. */
function diffGrants(granted: string[], expected: { action: string; resource: string | RegExp }[]) {
  const remaining = [...granted];
  const missing: string[] = [];
  for (const e of expected) {
    const i = remaining.findIndex((g) => {
      const [action, ...rest] = g.split(' ');
      const resource = rest.join(' ');
      return (
        action === e.action &&
        (typeof e.resource === 'string' ? resource === e.resource : e.resource.test(resource))
      );
    });
    if (i === -1) missing.push(`${e.action} ${String(e.resource)}`);
    else remaining.splice(i, 1);
  }
  return { missing, unexpected: remaining };
}

describe('PipelineStack functions', () => {
  it.each(STEP_FUNCTIONS.map((f) => [f.id, f] as const))(
    'deploys %s with its catalog name, limits, runtime, tracing and exact environment',
    (_id, spec) => {
      const fn = resources[functionIdOf(spec.id)];
      const expectedEnv = Stack.of(pipeline).resolve(
        spec.environment({
          prefix: PREFIX,
          lockTableName: pipeline.lockTable.tableName,
          notificationTopicArn: pipeline.topic.topicArn,
          rolloutStateMachineArn: `arn:${Stack.of(pipeline).partition}:states:${Stack.of(pipeline).region}:${Stack.of(pipeline).account}:stateMachine:${PREFIX}-rollout`,
        }),
      ) as Record<string, unknown>;

      expect(fn?.Properties).toMatchObject({
        Timeout: spec.timeoutSeconds,
        MemorySize: spec.memoryMb,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Description: spec.description,
      });
      const env = (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env).sort()).toEqual(Object.keys(expectedEnv).sort());
      for (const [key, value] of Object.entries(expectedEnv)) expect(render(env[key])).toBe(render(value));
    },
  );

  it('gives every function its own log group with one month of retention', () => {
    for (const spec of STEP_FUNCTIONS) {
      const logGroup = render(
        (resources[functionIdOf(spec.id)]?.Properties?.LoggingConfig as { LogGroup: unknown }).LogGroup,
      );
      expect(resources[logGroup.slice(1, -1)]?.Properties?.RetentionInDays).toBe(30);
    }
  });

  it.each(STEP_FUNCTIONS.map((f) => [f.id, f] as const))(
    'grants %s exactly its catalog permissions, scoped to the project, plus its logs and X-Ray',
    (_id, spec) => {
      const fnId = functionIdOf(spec.id);
      const roleId = render(resources[fnId]?.Properties?.Role).replace(/^<(.*)\.Arn>$/, '$1');
      const logGroupId = render(
        (resources[fnId]?.Properties?.LoggingConfig as { LogGroup: unknown }).LogGroup,
      ).slice(1, -1);
      const expected = [
        { action: 'logs:CreateLogStream', resource: `<${logGroupId}.Arn>` },
        { action: 'logs:PutLogEvents', resource: `<${logGroupId}.Arn>` },
        { action: 'xray:PutTraceSegments', resource: '*' },
        { action: 'xray:PutTelemetryRecords', resource: '*' },
        ...spec.permissions.flatMap((p) =>
          p.actions.flatMap((action) =>
            expectedResources(p.resource).map((resource) => ({ action, resource })),
          ),
        ),
      ];

      const { missing, unexpected } = diffGrants(grantsOfRole(resources, roleId), expected);

      expect({ missing, unexpected }).toEqual({ missing: [], unexpected: [] });
    },
  );
});

describe('PipelineStack IAM', () => {
  const allowedStar = new Set([
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'sagemaker:ListEndpoints',
    'sagemaker:ListEndpointConfigs',
    'sagemaker:ListModels',
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ]);

  it('grants no wildcard action, and `*` resources only to actions without resource-level permissions', () => {
    const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    const grants = roles.flatMap(([id]) => grantsOfRole(resources, id));

    expect(grants.filter((g) => (g.split(' ')[0] ?? '').includes('*'))).toEqual([]);
    expect(grants.filter((g) => g.endsWith(' *') && !allowedStar.has(g.split(' ')[0] ?? ''))).toEqual([]);
  });

  it("attaches each serving stack's grant policy by its name to exactly the functions that need it", () => {
    const policiesOf = (stepId: string) => {
      const fnId = functionIdOf(stepId);
      const roleId = render(resources[fnId]?.Properties?.Role).replace(/^<(.*)\.Arn>$/, '$1');
      return ((resources[roleId]?.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? []).map(render);
    };
    const policy = (service: string, kind: string) =>
      `${ARN}:iam::<AWS::AccountId>:policy/${PREFIX}-${service}-<AWS::Region>-${kind}`;

    for (const spec of STEP_FUNCTIONS) {
      const kinds = new Set(spec.permissions.map((p) => p.resource.kind));
      const expected = [
        ...(kinds.has('distribution') ? SERVICES.map((s) => policy(s, 'distribution')) : []),
        // Only sentiment has an API key; ner's API is public (auth: 'none').
        ...(kinds.has('api-key-secret') ? [policy('sentiment', 'api-key-secret')] : []),
      ];
      expect({ fn: spec.id, policies: policiesOf(spec.id) }).toEqual({ fn: spec.id, policies: expected });
    }
    expect(policiesOf('refresh-cdn')).toHaveLength(2);
  });

  it('refers to no serving stack output, so a replaced distribution or secret never leaves a stale grant', () => {
    const text = JSON.stringify(template.toJSON());

    expect(text).not.toContain('Fn::GetStackOutput');
    expect(text).not.toContain('Fn::ImportValue');
    expect(pipeline.dependencies.map((d) => d.stackName).sort()).toEqual([]);
  });

  it("warns past IAM's default of 10 managed policies per role and refuses past its limit of 20", () => {
    const bindings = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        service: `svc${i}`,
        proxyFunctionName: `${PREFIX}-svc${i}-proxy`,
        hasApiKey: true,
      }));
    const build = (n: number) => {
      const stack = new PipelineStack(testApp(), 'HfRollout-Pipeline', {
        prefix: PREFIX,
        services: bindings(n),
        prebuiltBundlesDir: prebuiltBundles(),
      });
      return Annotations.fromStack(stack).findWarning(
        '*',
        Match.stringLikeRegexp('Managed policies per role'),
      );
    };

    expect(build(10)).toEqual([]);
    expect(build(11).length).toBeGreaterThan(0);
    expect(() => build(21)).toThrow(
      /21 serving grant policies .* hard limit of 20 managed policies per role/,
    );
  });

  it('passes the SageMaker roles to SageMaker only (iam:PassedToService)', () => {
    const passRole = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((st) => ([] as unknown[]).concat(st.Action).includes('iam:PassRole'));

    expect(passRole).toHaveLength(1);
    expect(passRole[0]).toMatchObject({
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
  });

  it('lets the state machines invoke exactly their own functions', () => {
    for (const [machine, name] of [
      ['rollout', `${PREFIX}-rollout`],
      ['health-check', `${PREFIX}-health-check`],
    ] as const) {
      const smId = logicalIdOf(
        resources,
        'AWS::StepFunctions::StateMachine',
        (p) => p.StateMachineName === name,
      );
      const roleId = render(resources[smId]?.Properties?.RoleArn).replace(/^<(.*)\.Arn>$/, '$1');
      const invokes = grantsOfRole(resources, roleId).filter((g) => g.startsWith('lambda:InvokeFunction '));
      const expected = STEP_FUNCTIONS.filter((f) => f.stateMachine === machine).flatMap((f) => {
        const arn = `<${functionIdOf(f.id)}.Arn>`;
        return [`lambda:InvokeFunction ${arn}`, `lambda:InvokeFunction ${arn}:*`];
      });

      expect(invokes).toEqual([...new Set(expected)].sort());
    }
  });
});

describe('PipelineStack state machines', () => {
  it.each([
    ['rollout', 'rollout.asl.json', `${PREFIX}-rollout`, 'STANDARD', false],
    ['health-check', 'health-check.asl.json', `${PREFIX}-health-check`, 'EXPRESS', true],
  ] as const)(
    'defines the %s state machine from %s with every placeholder substituted',
    (machine, file, name, type, includeExecutionData) => {
      const asl = readFileSync(join(__dirname, '../../statemachines', file), 'utf8');
      const smId = logicalIdOf(
        resources,
        'AWS::StepFunctions::StateMachine',
        (p) => p.StateMachineName === name,
      );
      const props = resources[smId]?.Properties ?? {};
      const substitutions = props.DefinitionSubstitutions as Record<string, unknown>;

      expect(Object.keys(substitutions).sort()).toEqual(aslPlaceholders(asl).sort());
      for (const spec of STEP_FUNCTIONS.filter((f) => f.stateMachine === machine)) {
        expect(render(substitutions[spec.placeholder])).toBe(`<${functionIdOf(spec.id)}.Arn>`);
      }
      expect(props).toMatchObject({
        StateMachineType: type,
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: includeExecutionData },
      });
      // DefinitionBody.fromFile ships the ASL as an asset, unchanged; Step Functions substitutes.
      const key = render((props.DefinitionS3Location as { Key: unknown }).Key);
      expect(readFileSync(join(app.synth().directory, `asset.${key}`), 'utf8')).toBe(asl);
    },
  );

  it.each([`${PREFIX}-rollout`, `${PREFIX}-health-check`])(
    'logs %s under /aws/vendedlogs/states/, named apart from any retained group of an earlier stack',
    (name) => {
      const smId = logicalIdOf(
        resources,
        'AWS::StepFunctions::StateMachine',
        (p) => p.StateMachineName === name,
      );
      const destinations = (
        resources[smId]?.Properties?.LoggingConfiguration as {
          Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
        }
      ).Destinations;
      const logGroupId = render(destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn).replace(
        /^<(.*)\.Arn>$/,
        '$1',
      );

      expect(destinations).toHaveLength(1);
      expect(resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId]?.Properties?.LogGroupName).toEqual({
        'Fn::Join': [
          '',
          [
            `/aws/vendedlogs/states/${name}-`,
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
          ],
        ],
      });
    },
  );

  it("matches each catalog function's states to ASL Task states using its placeholder", () => {
    for (const spec of STEP_FUNCTIONS) {
      const file = spec.stateMachine === 'rollout' ? 'rollout.asl.json' : 'health-check.asl.json';
      const asl = JSON.parse(readFileSync(join(__dirname, '../../statemachines', file), 'utf8')) as {
        States: Record<string, { Type: string; Resource?: string }>;
      };
      for (const state of spec.states) {
        expect(asl.States[state]).toMatchObject({ Type: 'Task', Resource: `\${${spec.placeholder}}` });
      }
    }
  });

  it('fails at synth when the ASL uses a placeholder no function fills', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asl-'));
    const file = join(dir, 'broken.asl.json');
    writeFileSync(
      file,
      JSON.stringify({
        StartAt: 'A',
        States: {
          A: { Type: 'Task', Resource: '${KnownFunctionArn}', Next: 'B' },
          B: { Type: 'Task', Resource: '${UnknownFunctionArn}', End: true },
        },
      }),
    );
    const stack = new Stack(testApp(), 'Broken');
    const fn = new LambdaFunction(stack, 'Fn', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => null;'),
    });

    expect(
      () =>
        new AslStateMachine(stack, 'Machine', {
          stateMachineName: 'broken',
          definitionFile: file,
          stateMachineType: StateMachineType.STANDARD,
          functions: { KnownFunctionArn: fn, ExtraFunctionArn: fn },
          logRetention: RetentionDays.ONE_DAY,
          includeExecutionData: false,
        }),
    ).toThrow(
      /placeholders without a function: \[UnknownFunctionArn\]; functions no placeholder uses: \[ExtraFunctionArn\]/,
    );
  });
});

describe('PipelineStack lock table, topic, schedules and alarms', () => {
  it('creates the lock table: key service, TTL expiresAt, on-demand, point-in-time recovery', () => {
    assertResource(template, 'AWS::DynamoDB::Table', {
      TableName: `${PREFIX}-locks`,
      KeySchema: [{ AttributeName: 'service', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'service', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('encrypts the topic with a rotated key that CloudWatch and the publishers may use, and refuses plain HTTP', () => {
    assertResource(template, 'AWS::SNS::Topic', {
      TopicName: `${PREFIX}-notifications`,
      KmsMasterKeyId: Match.anyValue(),
    });
    assertResource(template, 'AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
        ]),
      },
    });
    assertResource(template, 'AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it("lets CloudWatch publish to the topic, only for this account's health alarms", () => {
    const policyDoc = Object.values(resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy')?.Properties
      ?.PolicyDocument as { Statement: Record<string, unknown>[] };
    const allow = policyDoc.Statement.filter((st) => st.Effect === 'Allow');

    expect(allow).toHaveLength(1);
    expect(allow[0]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    const condition = allow[0]?.Condition as { ArnEquals: { 'aws:SourceArn': unknown[] } };
    expect(condition.ArnEquals['aws:SourceArn'].map(render)).toEqual(
      SERVICES.map((s) => `${ARN}:cloudwatch:${REGIONAL}:alarm:${PREFIX}-${s}-unhealthy`),
    );
    const alarmNames = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties?.AlarmName);
    expect(alarmNames.sort()).toEqual(SERVICES.map((s) => `${PREFIX}-${s}-unhealthy`).sort());
  });

  it.each(SERVICES)('schedules the health check of %s every 5 minutes with {"service": ...}', (service) => {
    const healthId = logicalIdOf(
      resources,
      'AWS::StepFunctions::StateMachine',
      (p) => p.StateMachineName === `${PREFIX}-health-check`,
    );
    assertResource(template, 'AWS::Scheduler::Schedule', {
      Name: `${PREFIX}-${service}-health`,
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Target: { Arn: { Ref: healthId }, Input: JSON.stringify({ service }) },
    });
  });

  it.each(SERVICES)('alarms when %s fails 2 health checks in a row and notifies the topic', (service) => {
    assertResource(template, 'AWS::CloudWatch::Alarm', {
      Namespace: 'HfRollout',
      MetricName: 'HealthCheckSuccess',
      Dimensions: [{ Name: 'Service', Value: service }],
      Statistic: 'Minimum',
      Period: 300,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
  });

  it('follows the schedule with the alarm period', () => {
    const { template: hourly } = synthPipeline({ healthCheckSchedule: 'rate(1 hour)' });

    assertResource(hourly, 'AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
    assertResource(hourly, 'AWS::CloudWatch::Alarm', { Period: 3600 });
  });

  it('outputs the state machines, the topic and the lock table', () => {
    expect(Object.keys(template.toJSON().Outputs as object).sort()).toEqual([
      'HealthCheckStateMachineArn',
      'LockTableName',
      'NotificationTopicArn',
      'RolloutStateMachineArn',
    ]);
  });
});

describe('CatalogFunction', () => {
  it('fails with the function id, the missing entry and the fix', () => {
    const stack = new Stack(testApp(), 'Missing');

    expect(
      () =>
        new CatalogFunction(stack, 'Nope', {
          catalogId: 'nope',
          functionName: 'nope',
          description: 'missing',
          entry: 'lambdas/nope/handler.ts',
          timeoutSeconds: 3,
          memoryMb: 128,
          environment: {},
        }),
    ).toThrow(
      'Function "nope": entry lambdas/nope/handler.ts (lambdas/catalog.ts) does not exist; create it, or pass prebuiltBundlesDir.',
    );
  });

  it('uses the log retention it is given', () => {
    const stack = new Stack(testApp(), 'Retention');
    const fn = new CatalogFunction(stack, 'Fn', {
      catalogId: 'validate-spec',
      functionName: 'x',
      description: 'x',
      entry: 'lambdas/validate-spec/handler.ts',
      timeoutSeconds: 3,
      memoryMb: 128,
      environment: {},
      logRetention: RetentionDays.ONE_WEEK,
      prebuiltBundlesDir: prebuiltBundles(),
    });

    expect(fn.logGroup).toBeInstanceOf(LogGroup);
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });
});
