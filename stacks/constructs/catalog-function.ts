import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Runtime, RuntimeFamily, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLING, LAMBDA_RUNTIME } from '../../lambdas/catalog';
import { ignoreCfnLintRule } from '../cfn-lint';
import { acknowledge, acknowledgeWildcardResources } from '../nag';

/** Repository root; catalog entry paths are relative to it. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Log retention of every function when not given. */
export const DEFAULT_FUNCTION_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** One function of lambdas/catalog.ts (a pipeline step or a service's proxy). */
export interface CatalogFunctionProps {
  /** Catalog id, e.g. `create-model` or `proxy`. */
  readonly catalogId: string;
  readonly functionName: string;
  readonly description: string;
  /** Entry file relative to the repository root. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Log group retention.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Directory holding `<catalogId>/index.js` bundles built with the catalog's BUNDLING (for example by
   * the local cloud), deployed as they are so AWS runs the very bundle tested locally.
   * @default - the entry is bundled with the local esbuild at synth (no Docker)
   */
  readonly prebuiltBundlesDir?: string;
}

/**
 * A catalog function as deployed: Node.js on ARM, bundled by esbuild with the catalog's BUNDLING, its
 * own role (only the catalog's statements, its log group and X-Ray), a log group with retention and
 * active tracing.
 */
export class CatalogFunction extends Construct {
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** Its execution role. */
  readonly role: Role;
  /** Where it logs. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: CatalogFunctionProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName} (permissions from lambdas/catalog.ts)`,
    });
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? DEFAULT_FUNCTION_LOG_RETENTION,
    });
    this.logGroup.grantWrite(this.role);

    const common = {
      functionName: props.functionName,
      description: props.description,
      runtime: new Runtime(LAMBDA_RUNTIME, RuntimeFamily.NODEJS, { supportsInlineCode: true }),
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(props.timeoutSeconds),
      memorySize: props.memoryMb,
      environment: { ...props.environment },
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
    };
    if (props.prebuiltBundlesDir !== undefined) {
      const dir = resolve(props.prebuiltBundlesDir, props.catalogId);
      if (!existsSync(join(dir, 'index.js'))) {
        throw new Error(
          `Function "${props.catalogId}": no prebuilt bundle at ${join(dir, 'index.js')}; build it with the catalog's BUNDLING or omit prebuiltBundlesDir to bundle at synth.`,
        );
      }
      this.function = new NodejsFunction(this, 'Function', {
        ...common,
        code: Code.fromAsset(dir),
        handler: 'index.handler',
      });
    } else {
      const entry = join(REPO_ROOT, props.entry);
      if (!existsSync(entry)) {
        throw new Error(
          `Function "${props.catalogId}": entry ${props.entry} (lambdas/catalog.ts) does not exist; create it, or pass prebuiltBundlesDir.`,
        );
      }
      this.function = new NodejsFunction(this, 'Function', {
        ...common,
        entry,
        handler: 'handler',
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
        bundling: {
          format: BUNDLING.format === 'cjs' ? OutputFormat.CJS : OutputFormat.ESM,
          target: BUNDLING.target,
          minify: BUNDLING.minify,
          sourceMap: BUNDLING.sourcemap,
          bundleAwsSDK: BUNDLING.bundleAwsSdk,
          mainFields: [...BUNDLING.mainFields],
          forceDockerBundling: false,
        },
      });
    }

    // CDK makes the function DependsOn its role and the role's policy; the policy entry matters (no run
    // before the permissions exist), the role entry repeats the GetAtt (cfn-lint W3005).
    ignoreCfnLintRule(this.function, 'W3005');
    acknowledge(
      this.role,
      'AwsSolutions-IAM5',
      'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions.',
      'Resource::*',
    );
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      `lambdas/catalog.ts pins ${LAMBDA_RUNTIME} (LAMBDA_RUNTIME) so AWS runs the Node major the bundles target (${BUNDLING.target}) and the local cloud runs; upgrade it there, for every function at once.`,
    );
  }

  /**
   * Grants the function its catalog permissions (scoped by resource-arns.ts). `anyReasons` are the
   * catalog's reasons for `*` resources, recorded in the cdk-nag acknowledgment.
   */
  grantCatalogPermissions(statements: readonly PolicyStatement[], anyReasons: readonly string[] = []): void {
    for (const statement of statements) this.role.addToPolicy(statement);
    if (anyReasons.length > 0) {
      acknowledge(
        this.role,
        'AwsSolutions-IAM5',
        `xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions; ${anyReasons.join('; ')}.`,
        'Resource::*',
      );
    }
    acknowledgeWildcardResources(
      this.role,
      statements.flatMap((s) => s.resources).filter((r) => r !== '*'),
      "Scoped to this project's names (lambdas/catalog.ts ResourceRef): SageMaker resources are named <service>--<rollout id> (a prefix no other service shares) and executions <state machine>:<name>, so a name prefix is the narrowest grant.",
    );
  }
}
