import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Makes cfn-lint skip `rule` on the CloudFormation resource of `construct` (resource Metadata
 * `cfn-lint.config.ignore_checks`). Only for findings CDK itself causes and that are harmless; each call
 * site says why.
 */
export function ignoreCfnLintRule(construct: IConstruct, rule: string): void {
  const resource = construct.node.defaultChild;
  if (!CfnResource.isCfnResource(resource)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to attach cfn-lint metadata to.`);
  }
  const current = resource.getMetadata('cfn-lint') as { config?: { ignore_checks?: string[] } } | undefined;
  const checks = new Set(current?.config?.ignore_checks ?? []);
  checks.add(rule);
  resource.addMetadata('cfn-lint', { config: { ignore_checks: [...checks] } });
}
