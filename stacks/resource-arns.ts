import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { type PermissionSpec, type ResourceRef, STEP_FUNCTIONS } from '../lambdas/catalog';
import {
  healthParameterName,
  liveParameterName,
  MAX_REGION_NAME_LENGTH,
  rolloutStateMachineName,
  sagemakerRoleName,
  serviceParameterName,
  serviceResourcePrefix,
  servingGrantPolicyName,
} from '../pipeline/names';

/**
 * Turns the catalog's symbolic permissions (lambdas/catalog.ts ResourceRef) into IAM statements scoped
 * to this project's resources: one ARN per service where the resource is per service, the project's
 * own table/topic/state machine otherwise, and `*` only for `any` (actions without resource-level
 * permissions, each with its reason in the catalog).
 *
 * Every ARN the pipeline grants is built from names it knows (pipeline/names.ts), never from a
 * cross-stack reference: a weak reference (Fn::GetStackOutput) is resolved only when the pipeline's
 * template changes, so a replaced resource would leave its grant stale. Resources whose ids only
 * CloudFormation knows (the distribution, the API key secret) are granted by the serving stack itself in
 * a customer managed policy with a known name (SERVING_OWNED_KINDS), kept current by same-stack
 * references, and attached by that name to the pipeline functions that need them.
 */

/** What the pipeline knows about one service's serving stack: names and settings only, no references. */
export interface ServiceBinding {
  readonly service: string;
  /** Name of the inference proxy Lambda (from pipeline/names.ts). */
  readonly proxyFunctionName: string;
  /** Whether the service's API has a key (auth 'api-key'), so its secret's grant policy exists. */
  readonly hasApiKey: boolean;
}

/** Resource kinds the pipeline reaches through a serving stack's grant policy (ids only that stack knows). */
export const SERVING_OWNED_KINDS = ['distribution', 'api-key-secret'] as const;
/** One of SERVING_OWNED_KINDS. */
export type ServingOwnedKind = (typeof SERVING_OWNED_KINDS)[number];

/** True when the pipeline reaches `ref` through a serving stack's grant policy. */
export function isServingOwned(ref: ResourceRef): ref is { readonly kind: ServingOwnedKind } {
  return (SERVING_OWNED_KINDS as readonly string[]).includes(ref.kind);
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

/** Name of the role SageMaker assumes for `service` in this stack's region (account-wide, so region-safe). */
export function sagemakerRoleNameIn(scope: IConstruct, prefix: string, service: string): string {
  const stack = Stack.of(scope);
  const name = sagemakerRoleName(prefix, service, stack.region);
  const longest = sagemakerRoleName(prefix, service, 'x'.repeat(MAX_REGION_NAME_LENGTH));
  const length = Token.isUnresolved(stack.region) ? longest.length : name.length;
  if (length > 64) {
    throw new Error(
      `SageMaker role name "${sagemakerRoleName(prefix, service, '<region>')}" can be ${length} characters, over IAM's 64; shorten the prefix or the service name.`,
    );
  }
  return name;
}

/** ARN of the role SageMaker assumes for `service`, built from its name. */
export function sagemakerRoleArn(scope: IConstruct, prefix: string, service: string): string {
  return Stack.of(scope).formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: sagemakerRoleNameIn(scope, prefix, service),
  });
}

/** ARN of a serving stack's grant policy for `kind`, built from its name. */
export function servingGrantPolicyArn(
  scope: IConstruct,
  prefix: string,
  service: string,
  kind: ServingOwnedKind,
): string {
  const stack = Stack.of(scope);
  return stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'policy',
    resourceName: servingGrantPolicyName(prefix, service, kind, stack.region),
  });
}

/**
 * The actions the pipeline's functions need on a serving-owned resource kind, from the catalog. Every
 * function that names the kind must name the same actions, since they share the one grant policy.
 */
export function servingOwnedActions(kind: ServingOwnedKind): string[] {
  const sets = STEP_FUNCTIONS.flatMap((f) =>
    f.permissions.filter((p) => p.resource.kind === kind).map((p) => [...p.actions].sort().join(',')),
  );
  const distinct = [...new Set(sets)];
  if (distinct.length > 1) {
    throw new Error(
      `lambdas/catalog.ts grants different actions on "${kind}" (${distinct.join(' / ')}); the serving stack's one grant policy would give every such function all of them. Give them the same actions, or split the grant policy.`,
    );
  }
  return distinct[0] === undefined ? [] : distinct[0].split(',');
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
      // SageMaker reports ARNs in lower case; every resource of a service is named `<service>--...`, and
      // no other service's name starts so (service names have no `--`): `sentiment--*` never covers
      // `sentiment-v2--*`.
      return perService((s) =>
        stack.formatArn({
          service: 'sagemaker',
          resource: ref.type,
          resourceName: `${serviceResourcePrefix(s.service.toLowerCase())}*`,
        }),
      );
    case 'sagemaker-role':
      return perService((s) => sagemakerRoleArn(scope, project.prefix, s.service));
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
    case 'api-key-secret':
      throw new Error(
        `A catalog permission names "${ref.kind}", whose id only the serving stack knows; grant it with servingGrantPolicyArns (the serving stack's grant policy), not by ARN.`,
      );
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

/** The one service that may receive a role passed by the pipeline: SageMaker (CreateModel). */
export const PASS_ROLE_CONDITION = { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } };

/**
 * One IAM statement per catalog permission (none when it names no resource); `iam:PassRole` in a
 * statement of its own, limited to passing the role to SageMaker. Serving-owned kinds are left to
 * servingGrantPolicyArns.
 */
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
    if (isServingOwned(p.resource)) return [];
    const resources = resourceArns(scope, p.resource, project);
    if (resources.length === 0) return [];
    const passRole = p.actions.filter((a) => a === 'iam:PassRole');
    const others = p.actions.filter((a) => a !== 'iam:PassRole');
    return [
      ...(others.length === 0 ? [] : [new PolicyStatement({ actions: others, resources })]),
      ...(passRole.length === 0
        ? []
        : [new PolicyStatement({ actions: passRole, resources, conditions: PASS_ROLE_CONDITION })]),
    ];
  });
}

/**
 * ARNs of the serving stacks' grant policies a function with `permissions` attaches: one per service
 * and serving-owned kind it names (none for the API key of a service without one).
 */
export function servingGrantPolicyArns(
  scope: IConstruct,
  permissions: readonly PermissionSpec[],
  project: ProjectResources,
): string[] {
  const kinds = new Set(
    permissions
      .map((p) => p.resource)
      .filter(isServingOwned)
      .map((r) => r.kind),
  );
  return [...kinds].flatMap((kind) =>
    project.services
      .filter((s) => kind !== 'api-key-secret' || s.hasApiKey)
      .map((s) => servingGrantPolicyArn(scope, project.prefix, s.service, kind)),
  );
}

function required(value: string | undefined, kind: string, prop: string): string {
  if (value === undefined) {
    throw new Error(
      `A catalog permission names "${kind}", but this stack has no ${prop}; such functions belong in the pipeline stack.`,
    );
  }
  return value;
}
