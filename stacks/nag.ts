import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Helpers for acknowledging cdk-nag (v3) findings one by one. cdk-nag names a wildcard resource of an
 * IAM statement by flattening its intrinsics (`<Logical.Arn>`, `<AWS::Region>`); `nagResource` renders an
 * ARN the same way, so an acknowledgment names exactly the resource the code granted, nothing broader.
 */

/** Finding id of an IAM5 wildcard resource, e.g. `Resource::arn:<AWS::Partition>:sagemaker:...:endpoint/x-*`. */
export function nagResource(scope: IConstruct, arn: string): string {
  return `Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}`;
}

/** Acknowledges one rule (or one finding of it) on a construct and everything under it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string, finding?: string): void {
  Validations.of(scope).acknowledge({ id: finding === undefined ? rule : `${rule}[${finding}]`, reason });
}

/** Acknowledges AwsSolutions-IAM5 for each wildcard resource ARN in `arns`, with one reason. */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  arns: readonly string[],
  reason: string,
): void {
  for (const arn of new Set(arns.map((a) => nagResource(scope, a)))) {
    if (arn.includes('*')) acknowledge(scope, 'AwsSolutions-IAM5', reason, arn);
  }
}

/** The flattening cdk-nag applies to CloudFormation references (utils/flatten-cfn-reference in cdk-nag). */
export function flattenCfnReference(reference: unknown): string {
  if (reference === undefined) return '';
  if (typeof reference === 'string') return reference.replace(/\${/g, '<').replace(/}/g, '>');
  if (typeof reference === 'object' && reference !== null) {
    const r = reference as Record<string, unknown>;
    const join = r['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(flattenCfnReference).join(join[0]);
    }
    if (r['Fn::Sub'] !== undefined) return flattenCfnReference(r['Fn::Sub']);
    const getAtt = r['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenCfnReference(getAtt[0])}.${flattenCfnReference(getAtt[1])}>`;
    if (r['Fn::ImportValue'] !== undefined) return flattenCfnReference(r['Fn::ImportValue']);
    if (r.Ref !== undefined) return `<${flattenCfnReference(r.Ref)}>`;
  }
  return JSON.stringify(reference);
}
