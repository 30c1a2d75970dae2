import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { PROXY_FUNCTION, STEP_FUNCTIONS } from '../../lambdas/catalog';

/** Helpers shared by the stack tests: a fast App and a flattening of CloudFormation values. */

const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** An App with cdk.json's context (feature flags) and bundling turned off, so a synth takes a second. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
}

let bundles: string | undefined;

/**
 * A directory of stand-in bundles (`<id>/index.js`) for every catalog function, so stack tests do not
 * depend on the handlers' sources (the stacks deploy such a directory through `prebuiltBundlesDir`).
 */
export function prebuiltBundles(): string {
  if (bundles !== undefined) return bundles;
  const dir = mkdtempSync(join(tmpdir(), 'hf-rollout-bundles-'));
  for (const id of [...STEP_FUNCTIONS.map((f) => f.id), PROXY_FUNCTION.id]) {
    mkdirSync(join(dir, id));
    writeFileSync(
      join(dir, id, 'index.js'),
      `exports.handler = async () => ({ stub: ${JSON.stringify(id)} });\n`,
    );
  }
  bundles = dir;
  return dir;
}

/** A CloudFormation value as text: `<Logical.Attr>` for GetAtt, `<Logical>` for Ref, `<Stack.Output>` for GetStackOutput. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    const join = v['Fn::Join'] as [string, unknown[]] | undefined;
    if (join !== undefined) return join[1].map(render).join(join[0]);
    const getAtt = v['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt !== undefined) return `<${getAtt[0]}.${getAtt[1]}>`;
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    const output = v['Fn::GetStackOutput'] as { StackName: string; OutputName: string } | undefined;
    if (output !== undefined) return `<${output.StackName}.${output.OutputName}>`;
  }
  return JSON.stringify(value);
}

/** CloudFormation resources of a template, by logical id. */
export type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }
>;

/** Every `action resource` pair an IAM role is granted through its inline and attached policies. */
export function grantsOfRole(resources: Resources, roleLogicalId: string): string[] {
  const pairs: string[] = [];
  const add = (document: unknown): void => {
    const statements = (document as { Statement: Record<string, unknown>[] }).Statement;
    for (const s of statements) {
      if (s.Effect !== 'Allow') continue;
      const actions = ([] as unknown[]).concat(s.Action);
      const targets = ([] as unknown[]).concat(s.Resource);
      for (const a of actions) for (const r of targets) pairs.push(`${String(a)} ${render(r)}`);
    }
  };
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties?.Roles as unknown[] | undefined) ?? [];
    if (roles.some((x) => render(x) === `<${roleLogicalId}>`)) add(r.Properties?.PolicyDocument);
  }
  const role = resources[roleLogicalId];
  for (const p of (role?.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? [])
    add(p.PolicyDocument);
  return pairs.sort();
}

/** Logical id of the one resource of `type` whose properties match `predicate`. */
export function logicalIdOf(
  resources: Resources,
  type: string,
  predicate: (props: Record<string, unknown>) => boolean = () => true,
): string {
  const ids = Object.entries(resources)
    .filter(([, r]) => r.Type === type && predicate(r.Properties ?? {}))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0] as string;
}

/** Asserts the template has a resource of `type` whose properties match `props` (assertions' objectLike). */
export function assertResource(template: Template, type: string, props: Record<string, unknown>): void {
  template.hasResourceProperties(type, props);
}

/** Asserts the template has an output `id` matching `props`. */
export function assertOutput(template: Template, id: string, props: Record<string, unknown>): void {
  template.hasOutput(id, props);
}
