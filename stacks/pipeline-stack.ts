import { join } from 'node:path';
import { Annotations, ArnFormat, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { type CatalogContext, type FunctionSpec, STEP_FUNCTIONS, stepFunction } from '../lambdas/catalog';
import {
  healthCheckStateMachineName,
  lockTableName,
  notificationTopicName,
  rolloutStateMachineName,
  stepFunctionName,
} from '../pipeline/names';
import { DEFAULT_ALARM_CONSECUTIVE_FAILURES, healthAlarmName } from '../pipeline/health-schedule';
import { DEFAULT_HEALTH_CHECK_SCHEDULE, scheduleRateMinutes } from './config';
import { AslStateMachine } from './constructs/asl-state-machine';
import { CatalogFunction, REPO_ROOT } from './constructs/catalog-function';
import { ServiceHealthCheck } from './constructs/service-health-check';
import {
  permissionStatements,
  rolloutStateMachineArn,
  type ServiceBinding,
  servingGrantPolicyArns,
} from './resource-arns';

/** Failed health checks in a row that raise a service's alarm, when not given (shared with the local cloud). */
export { DEFAULT_ALARM_CONSECUTIVE_FAILURES };
/** Retention of the pipeline's function and state machine logs, when not given. */
export const DEFAULT_PIPELINE_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** Properties of the pipeline stack. */
export interface PipelineStackProps extends StackProps {
  /** Prefix of every physical name. */
  readonly prefix: string;
  /** The services the pipeline may roll out (one serving stack each). */
  readonly services: readonly ServiceBinding[];
  /**
   * EventBridge Scheduler rate expression of each service's health check; also the alarm period.
   * @default 'rate(5 minutes)'
   */
  readonly healthCheckSchedule?: string;
  /**
   * Failed health checks in a row that raise a service's alarm.
   * @default 2
   */
  readonly alarmConsecutiveFailures?: number;
  /**
   * Retention of the step functions' and state machines' logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Directory of prebuilt bundles (`<function id>/index.js`) to deploy instead of bundling at synth.
   * @default - each step is bundled from its lambdas/<id>/handler.ts with the local esbuild
   */
  readonly prebuiltBundlesDir?: string;
}

/**
 * The rollout pipeline: one function per step of lambdas/catalog.ts, the rollout (Standard) and
 * health-check (Express) state machines from statemachines/*.asl.json, the per-service lock table, the
 * notification topic, and per service a health-check schedule with its alarm.
 */
export class PipelineStack extends Stack {
  /** Step functions by catalog id. */
  readonly functions: ReadonlyMap<string, CatalogFunction>;
  /** The rollout state machine. */
  readonly rollout: AslStateMachine;
  /** The health-check state machine. */
  readonly healthCheck: AslStateMachine;
  /** The rollout lock table. */
  readonly lockTable: Table;
  /** Rollout and health notifications. */
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { prefix, services } = props;
    if (services.length === 0) {
      throw new Error("PipelineStack needs at least one service binding; pass the serving stacks' bindings.");
    }
    const logRetention = props.logRetention ?? DEFAULT_PIPELINE_LOG_RETENTION;
    const intervalMinutes = scheduleRateMinutes(props.healthCheckSchedule ?? DEFAULT_HEALTH_CHECK_SCHEDULE);
    const consecutiveFailures = props.alarmConsecutiveFailures ?? DEFAULT_ALARM_CONSECUTIVE_FAILURES;
    if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 1) {
      throw new Error(
        `alarmConsecutiveFailures is ${consecutiveFailures}; give a whole number of at least 1 (default 2).`,
      );
    }

    this.lockTable = new Table(this, 'LockTable', {
      tableName: lockTableName(prefix),
      partitionKey: { name: 'service', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Locks live minutes; nothing worth keeping after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const key = new Key(this, 'NotificationKey', {
      description: `Encrypts the ${notificationTopicName(prefix)} topic`,
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the topic; an AWS managed SNS key would not let them.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'NotificationTopic', {
      topicName: notificationTopicName(prefix),
      displayName: 'HF rollout notifications',
      masterKey: key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, so without this statement CloudWatch may not publish
    // and alarm notifications are silently dropped ("not authorized to perform: SNS:Publish"). Only
    // this account's health alarms of these services may.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowHealthAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnEquals: {
            'aws:SourceArn': services.map((s) =>
              this.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: healthAlarmName(prefix, s.service),
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ),
          },
        },
      }),
    );

    const ctx: CatalogContext = {
      prefix,
      lockTableName: this.lockTable.tableName,
      notificationTopicArn: this.topic.topicArn,
      rolloutStateMachineArn: rolloutStateMachineArn(this, prefix),
    };
    const project = {
      prefix,
      services,
      lockTableArn: this.lockTable.tableArn,
      notificationTopicArn: this.topic.topicArn,
    };
    const functions = new Map<string, CatalogFunction>();
    const placeholders: Record<FunctionSpec['stateMachine'], Record<string, IFunction>> = {
      rollout: {},
      'health-check': {},
    };
    for (const spec of STEP_FUNCTIONS) {
      const fn = new CatalogFunction(this, constructIdOf(spec), {
        catalogId: spec.id,
        functionName: stepFunctionName(prefix, spec.id),
        description: spec.description,
        entry: spec.entry,
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
        environment: spec.environment(ctx),
        logRetention,
        ...(props.prebuiltBundlesDir === undefined ? {} : { prebuiltBundlesDir: props.prebuiltBundlesDir }),
      });
      const grantPolicies = servingGrantPolicyArns(this, spec.permissions, project);
      checkManagedPolicyQuota(fn, spec.id, grantPolicies.length);
      grantPolicies.forEach((arn, i) =>
        fn.role.addManagedPolicy(ManagedPolicy.fromManagedPolicyArn(fn, `ServingGrant${i}`, arn)),
      );
      fn.grantCatalogPermissions(
        permissionStatements(this, spec.permissions, project),
        spec.permissions.flatMap((p) =>
          p.resource.kind === 'any' ? [`${p.actions.join(', ')}: ${p.resource.why}`] : [],
        ),
      );
      if (
        spec.permissions.some(
          (p) => p.resource.kind === 'notification-topic' && p.actions.includes('sns:Publish'),
        )
      ) {
        // Publishing to an encrypted topic needs the key; granted in the key policy, via SNS only.
        key.addToResourcePolicy(
          new PolicyStatement({
            principals: [fn.role],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.${this.urlSuffix}` } },
          }),
        );
      }
      functions.set(spec.id, fn);
      placeholders[spec.stateMachine][spec.placeholder] = fn.function;
    }
    this.functions = functions;

    this.rollout = new AslStateMachine(this, 'RolloutStateMachine', {
      stateMachineName: rolloutStateMachineName(prefix),
      definitionFile: join(REPO_ROOT, 'statemachines', 'rollout.asl.json'),
      stateMachineType: StateMachineType.STANDARD,
      functions: placeholders.rollout,
      logRetention,
      // Standard workflows keep each state's input and output in their execution history.
      includeExecutionData: false,
    });
    this.healthCheck = new AslStateMachine(this, 'HealthCheckStateMachine', {
      stateMachineName: healthCheckStateMachineName(prefix),
      definitionFile: join(REPO_ROOT, 'statemachines', 'health-check.asl.json'),
      stateMachineType: StateMachineType.EXPRESS,
      functions: placeholders['health-check'],
      logRetention,
      // Express workflows have no execution history: the log is the only record.
      includeExecutionData: true,
    });

    const metricNamespace = stepFunction('health-record').environment(ctx).POWERTOOLS_METRICS_NAMESPACE;
    if (metricNamespace === undefined) {
      throw new Error(
        'lambdas/catalog.ts gives health-record no POWERTOOLS_METRICS_NAMESPACE; the health alarm needs it.',
      );
    }
    for (const binding of services) {
      new ServiceHealthCheck(this, `HealthCheck-${binding.service}`, {
        prefix,
        service: binding.service,
        stateMachine: this.healthCheck.stateMachine,
        intervalMinutes,
        metricNamespace,
        consecutiveFailures,
        topic: this.topic,
      });
    }

    new CfnOutput(this, 'RolloutStateMachineArn', { value: this.rollout.stateMachine.stateMachineArn });
    new CfnOutput(this, 'HealthCheckStateMachineArn', {
      value: this.healthCheck.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'NotificationTopicArn', {
      value: this.topic.topicArn,
      description: 'Subscribe to get rollout and health notifications',
    });
    new CfnOutput(this, 'LockTableName', { value: this.lockTable.tableName });
  }
}

/** IAM's default quota of managed policies attached to one role, and the most it can be raised to. */
export const MANAGED_POLICIES_PER_ROLE = { default: 10, max: 20 } as const;

/**
 * A function attaches one serving grant policy per service: refuse what IAM can never attach, and warn
 * where the account needs its quota raised first (Service Quotas, "Managed policies per role").
 */
function checkManagedPolicyQuota(fn: CatalogFunction, stepId: string, count: number): void {
  if (count > MANAGED_POLICIES_PER_ROLE.max) {
    throw new Error(
      `Function ${stepId} would attach ${count} serving grant policies (one per service), over IAM's hard limit of ${MANAGED_POLICIES_PER_ROLE.max} managed policies per role; split the services between two apps with different prefixes.`,
    );
  }
  if (count > MANAGED_POLICIES_PER_ROLE.default) {
    Annotations.of(fn).addWarningV2(
      'hf-rollout:managedPoliciesPerRole',
      `Function ${stepId} attaches ${count} serving grant policies (one per service); IAM allows ${MANAGED_POLICIES_PER_ROLE.default} per role unless the account's "Managed policies per role" quota is raised (up to ${MANAGED_POLICIES_PER_ROLE.max}).`,
    );
  }
}

/** Construct id of a step function: its placeholder without `FunctionArn` (`CreateModel`); a contract. */
export function constructIdOf(spec: FunctionSpec): string {
  return spec.placeholder.replace(/FunctionArn$/, '');
}
