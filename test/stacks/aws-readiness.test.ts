import type { Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { newRollbackId, newRolloutId } from '../../pipeline/names';
import { readAppConfig } from '../../stacks/config';
import { defineApp } from '../../stacks/define-app';
import { prebuiltBundles, render, type Resources, testApp } from './support';

/**
 * Issue 10's "must show" for a real account, checked on whole apps as `cdk synth` builds them: cdk-nag
 * clean for the defaults, two regions of one account side by side, auth none, allowHttp, and two
 * services where one name prefixes the other; no account-global name shared between regions; no IAM
 * resource pattern that covers two services' resources.
 */

const ACCOUNT = '123456789012';

function buildApp(context: Record<string, unknown>, env?: Environment) {
  const app = testApp({ prebuiltBundlesDir: prebuiltBundles(), ...context });
  const stacks = defineApp(app, readAppConfig(app.node), env);
  app.synth();
  const templates = [...stacks.serving, stacks.pipeline].map(
    (s) => Template.fromStack(s).toJSON() as { Resources: Resources },
  );
  return { app, stacks, templates };
}

/** cdk-nag AwsSolutions findings left unacknowledged, as `rule at path` lines. */
function nagViolations(app: ReturnType<typeof buildApp>['app']): string[] {
  const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
  return report.violations.map(
    (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

/** Resource types whose names are unique per account across all regions, and where each keeps its name. */
const ACCOUNT_GLOBAL_NAMES: Readonly<Record<string, (p: Record<string, unknown>) => unknown>> = {
  'AWS::IAM::Role': (p) => p.RoleName,
  'AWS::IAM::ManagedPolicy': (p) => p.ManagedPolicyName,
  'AWS::IAM::InstanceProfile': (p) => p.InstanceProfileName,
  'AWS::IAM::User': (p) => p.UserName,
  'AWS::IAM::Group': (p) => p.GroupName,
  'AWS::S3::Bucket': (p) => p.BucketName,
  'AWS::CloudFront::CachePolicy': (p) => (p.CachePolicyConfig as { Name?: unknown }).Name,
  'AWS::CloudFront::OriginRequestPolicy': (p) => (p.OriginRequestPolicyConfig as { Name?: unknown }).Name,
  'AWS::CloudFront::ResponseHeadersPolicy': (p) => (p.ResponseHeadersPolicyConfig as { Name?: unknown }).Name,
  'AWS::CloudFront::Function': (p) => p.Name,
  'AWS::CloudFront::OriginAccessControl': (p) => (p.OriginAccessControlConfig as { Name?: unknown }).Name,
};

/** A rendered value as deployed in `region` of ACCOUNT (pseudo parameters filled in). */
function inRegion(rendered: string, region: string): string {
  return rendered
    .replaceAll('<AWS::Region>', region)
    .replaceAll('<AWS::AccountId>', ACCOUNT)
    .replaceAll('<AWS::Partition>', 'aws')
    .replaceAll('<AWS::URLSuffix>', 'amazonaws.com');
}

/** `type name` of every explicitly named account-global resource (unnamed ones get unique generated names). */
function accountGlobalNames(templates: { Resources: Resources }[], region: string): string[] {
  return templates.flatMap((t) =>
    Object.values(t.Resources).flatMap((r) => {
      const nameOf = ACCOUNT_GLOBAL_NAMES[r.Type];
      const name = nameOf === undefined ? undefined : nameOf(r.Properties ?? {});
      return name === undefined ? [] : [`${r.Type} ${inRegion(render(name), region)}`];
    }),
  );
}

/** Every resource pattern of an Allow statement in the templates' IAM policies (inline and managed). */
function grantedResources(templates: { Resources: Resources }[]): string[] {
  const out: string[] = [];
  for (const t of templates) {
    for (const r of Object.values(t.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const statements = (r.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      for (const s of statements.filter((st) => st.Effect === 'Allow')) {
        out.push(...([] as unknown[]).concat(s.Resource).map(render));
      }
    }
  }
  return [...new Set(out)];
}

/** IAM's ARN matching: `*` any run of characters, `?` one character, case-sensitive. */
function iamMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(arn);
}

describe('cdk-nag AwsSolutions on the apps a real account runs', () => {
  it.each([
    ['the defaults', {}],
    ["auth 'none'", { auth: 'none' }],
    ['allowHttp=true', { allowHttp: 'true' }],
    ['two services where one name prefixes the other', { services: 'sentiment,sentiment-v2' }],
  ])('finds no unacknowledged error or warning with %s', (_name, context) => {
    expect(nagViolations(buildApp(context).app)).toEqual([]);
  });

  it('finds none in two regions of one account side by side, which share no account-global name', () => {
    const east = buildApp({}, { account: ACCOUNT, region: 'us-east-1' });
    const zurich = buildApp({}, { account: ACCOUNT, region: 'eu-central-2' });

    expect(nagViolations(east.app)).toEqual([]);
    expect(nagViolations(zurich.app)).toEqual([]);
    const eastNames = accountGlobalNames(east.templates, 'us-east-1');
    const zurichNames = accountGlobalNames(zurich.templates, 'eu-central-2');
    expect(eastNames.filter((n) => zurichNames.includes(n))).toEqual([]);
    expect(zurichNames.filter((n) => !n.includes('eu-central-2'))).toEqual([]);
    // Not vacuous: the SageMaker role, the grant policies and the /model cache policy are named.
    expect(eastNames.filter((n) => n.startsWith('AWS::IAM::Role ')).length).toBeGreaterThan(0);
    expect(eastNames.filter((n) => n.startsWith('AWS::IAM::ManagedPolicy ')).length).toBeGreaterThan(0);
  });

  it('keeps every account-global name within its limit in the longest region names', () => {
    const { templates } = buildApp(
      { prefix: 'a'.repeat(20), services: ['b'.repeat(20)] },
      { account: ACCOUNT, region: 'ap-southeast-4' },
    );
    const limits: Record<string, number> = {
      'AWS::IAM::Role': 64,
      'AWS::IAM::ManagedPolicy': 128,
      'AWS::CloudFront::CachePolicy': 128,
    };

    const tooLong = accountGlobalNames(templates, 'ap-southeast-4').filter((n) => {
      const [type = '', name = ''] = n.split(' ');
      return name.length > (limits[type] ?? 64);
    });
    expect(tooLong).toEqual([]);
  });
});

describe('IAM patterns with two services where one name prefixes the other', () => {
  const env = { account: ACCOUNT, region: 'eu-central-2' };
  // Environment-agnostic, as `cdk synth` builds it; the patterns are read as deployed in env.
  const { templates } = buildApp({ services: 'sentiment,sentiment-v2' });
  const patterns = grantedResources(templates)
    .map((p) => inRegion(p, env.region))
    .filter((p) => p !== '*' && p.includes('*'));

  /** ARNs of resources one service's rollouts create (SageMaker and the endpoints' log groups). */
  function resourcesOf(service: string): string[] {
    const ids = [
      newRolloutId(service, 'distilbert/distilbert-base-uncased-finetuned-sst-2-english'),
      newRolloutId(service, 'v2-model/x'),
      newRollbackId(service),
    ];
    const arn = (svc: string, resource: string) => `arn:aws:${svc}:${env.region}:${env.account}:${resource}`;
    return ids.flatMap((id) => [
      ...['endpoint', 'endpoint-config', 'model'].map((type) => arn('sagemaker', `${type}/${id}`)),
      arn('logs', `log-group:/aws/sagemaker/Endpoints/${id}`),
      arn('logs', `log-group:/aws/sagemaker/Endpoints/${id}:log-stream:AllTraffic/i-0123`),
    ]);
  }

  const sentiment = resourcesOf('sentiment');
  const sentimentV2 = resourcesOf('sentiment-v2');

  it('grants per-service wildcard patterns at all (the check below is not vacuous)', () => {
    expect(patterns.filter((p) => sentiment.some((r) => iamMatches(p, r))).length).toBeGreaterThan(3);
    expect(patterns.filter((p) => sentimentV2.some((r) => iamMatches(p, r))).length).toBeGreaterThan(3);
  });

  it('has no resource pattern that covers resources of both services', () => {
    const shared = patterns.filter(
      (p) => sentiment.some((r) => iamMatches(p, r)) && sentimentV2.some((r) => iamMatches(p, r)),
    );

    expect(shared).toEqual([]);
  });
});
