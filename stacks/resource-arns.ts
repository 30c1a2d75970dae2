import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { PermissionSpec, ResourceRef } from '../lambdas/catalog';
import {
  healthParameterName,
  liveParameterName,
  rolloutStateMachineName,
  serviceParameterName,
} from '../pipeline/names';

/**
 * Turns the catalog's symbolic permissions (lambdas/catalog.ts ResourceRef) into IAM statements scoped
 * to this project's resources: one ARN per service where the resource is per service, the project's
 * own table/topic/state machine otherwise, and `*` only for `any` (actions without resource-level
 * permissions, each with its reason in the catalog).
 */

/** What the pipeline knows about one service's serving stack. */
export interface ServiceBinding {
  readonly service: string;
  /** Name of the inference proxy Lambda (from pipeline/names.ts). */
  readonly proxyFunctionName: string;
  /** CloudFront distribution id (a reference to the serving stack). */
  readonly distributionId: string;
  /** ARN of the role SageMaker assumes (the pipeline passes it with iam:PassRole). */
  readonly sagemakerRoleArn: string;
  /** ARN of the secret holding the API key; null when the service's API has no key. */
  readonly apiKeySecretArn: string | null;
}

/** The project's resources a permission can name; absent ones make such a permission fail at synth. */
export interface ProjectResources {
  readonly prefix: string;
  readonly services: readonly ServiceBinding[];
  /**
   * ARN of the rollout lock table.
   * @default - none: a permission naming `lock-table` fails at synth
   */
  readonly lockTableArn?: string;
  /**
   * ARN of the notification topic.
   * @default - none: a permission naming `notification-topic` fails at synth
   */
  readonly notificationTopicArn?: string;
}

/** ARN of the rollout state machine, built from its name (so functions can name it without a cycle). */
export function rolloutStateMachineArn(scope: IConstruct, prefix: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: rolloutStateMachineName(prefix),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The ARNs a ResourceRef stands for in this project. */
export function resourceArns(scope: IConstruct, ref: ResourceRef, project: ProjectResources): string[] {
  const stack = Stack.of(scope);
  const perService = <T>(f: (s: ServiceBinding) => T): T[] => project.services.map(f);
  const parameterArn = (name: string): string =>
    stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
  switch (ref.kind) {
    case 'sagemaker':
      // SageMaker reports ARNs in lower case; every resource of a service is named `<service>-...`.
      return perService((s) =>
        stack.formatArn({
          service: 'sagemaker',
          resource: ref.type,
          resourceName: `${s.service.toLowerCase()}-*`,
        }),
      );
    case 'sagemaker-role':
      return perService((s) => s.sagemakerRoleArn);
    case 'proxy-function':
      return perService((s) =>
        stack.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: s.proxyFunctionName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
    case 'parameter': {
      const name = { service: serviceParameterName, live: liveParameterName, health: healthParameterName }[
        ref.name
      ];
      return perService((s) => parameterArn(name(project.prefix, s.service)));
    }
    case 'lock-table':
      return [required(project.lockTableArn, 'lock-table', 'lockTableArn')];
    case 'notification-topic':
      return [required(project.notificationTopicArn, 'notification-topic', 'notificationTopicArn')];
    case 'distribution':
      return perService((s) =>
        stack.formatArn({
          service: 'cloudfront',
          region: '',
          resource: 'distribution',
          resourceName: s.distributionId,
        }),
      );
    case 'api-key-secret':
      return project.services.flatMap((s) => (s.apiKeySecretArn === null ? [] : [s.apiKeySecretArn]));
    case 'rollout-state-machine':
      return [rolloutStateMachineArn(scope, project.prefix)];
    case 'rollout-executions':
      return [
        stack.formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${rolloutStateMachineName(project.prefix)}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ];
    case 'any':
      return ['*'];
  }
}

/** One IAM statement per catalog permission (none when it names no resource, e.g. no API keys). */
export function permissionStatements(
  scope: IConstruct,
  permissions: readonly PermissionSpec[],
  project: ProjectResources,
): PolicyStatement[] {
  return permissions.flatMap((p) => {
    if (p.actions.some((a) => a.includes('*'))) {
      throw new Error(
        `Catalog permission ${JSON.stringify(p.actions)} uses a wildcard action; list the actions one by one in lambdas/catalog.ts.`,
      );
    }
    const resources = resourceArns(scope, p.resource, project);
    return resources.length === 0 ? [] : [new PolicyStatement({ actions: [...p.actions], resources })];
  });
}

function required(value: string | undefined, kind: string, prop: string): string {
  if (value === undefined) {
    throw new Error(
      `A catalog permission names "${kind}", but this stack has no ${prop}; such functions belong in the pipeline stack.`,
    );
  }
  return value;
}
