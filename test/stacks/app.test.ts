import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { STEP_FUNCTIONS } from '../../lambdas/catalog';
import { readAppConfig } from '../../stacks/config';
import { defineApp } from '../../stacks/define-app';
import { prebuiltBundles, testApp } from './support';

function buildApp(context: Record<string, unknown>) {
  const app = testApp({ prebuiltBundlesDir: prebuiltBundles(), ...context });
  const stacks = defineApp(app, readAppConfig(app.node));
  app.synth();
  return { app, stacks };
}

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('defineApp', () => {
  it('makes HfRollout-<service> per service and HfRollout-Pipeline, deployed after them', () => {
    const { stacks } = buildApp({ services: 'sentiment,ner' });

    expect(stacks.serving.map((s) => s.stackName)).toEqual(['HfRollout-sentiment', 'HfRollout-ner']);
    expect(stacks.pipeline.stackName).toBe('HfRollout-Pipeline');
    expect(stacks.pipeline.dependencies.map((s: Stack) => s.stackName).sort()).toEqual([
      'HfRollout-ner',
      'HfRollout-sentiment',
    ]);
  });

  it('reports no CDK warning or error on any stack', () => {
    const { stacks } = buildApp({ services: 'sentiment,ner' });

    for (const stack of [...stacks.serving, stacks.pipeline]) {
      const annotations = Annotations.fromStack(stack);
      expect([
        ...annotations.findWarning('*', Match.anyValue()),
        ...annotations.findError('*', Match.anyValue()),
      ]).toEqual([]);
    }
  });

  it('deploys the bundles of context prebuiltBundlesDir instead of bundling', () => {
    const { app, stacks } = buildApp({ services: 'sentiment' });

    const functions = Template.fromStack(stacks.pipeline).findResources('AWS::Lambda::Function');
    const shipped = Object.values(functions).map((f) => {
      const key = String((f.Properties as { Code: { S3Key: string } }).Code.S3Key).replace(/\.zip$/, '');
      return readFileSync(join(app.synth().directory, `asset.${key}`, 'index.js'), 'utf8');
    });
    expect(shipped).toEqual(STEP_FUNCTIONS.map((f) => expect.stringContaining(`stub: "${f.id}"`) as unknown));
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['API keys (default)', { services: 'sentiment,ner' }],
    ["auth 'none'", { services: 'sentiment', auth: 'none' }],
  ])('finds no unacknowledged error or warning with %s', (_name, context) => {
    const { app } = buildApp(context);

    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);

    expect(
      report.violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges each finding narrowly, with a concrete reason', () => {
    const { app } = buildApp({ services: 'sentiment' });
    const acks = acknowledgments(app);

    expect(acks.length).toBeGreaterThan(0);
    expect(acks.filter((a) => !/^AwsSolutions-[A-Z]+\d+/.test(a.id))).toEqual([]);
    // Wildcard findings are acknowledged one resource at a time, never the whole rule.
    const iam5 = acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5'));
    expect(iam5.filter((a) => !/^AwsSolutions-IAM5\[Resource::.+\]$/.test(a.id))).toEqual([]);
    expect(acks.filter((a) => a.reason.length < 40)).toEqual([]);
    // No acknowledgment at stack or app level: each sits on the construct it excuses.
    expect(acks.filter((a) => !a.path.includes('/'))).toEqual([]);
  });
});
