import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { PROXY_FUNCTION } from '../lambdas/catalog';
import { proxyFunctionName, serviceParameterName, servingGrantPolicyName } from '../pipeline/names';
import { type ApiAuth, DEFAULT_ALLOW_HTTP, DEFAULT_AUTH } from './config';
import { CatalogFunction } from './constructs/catalog-function';
import { InferenceApi } from './constructs/inference-api';
import { InferenceCdn } from './constructs/inference-cdn';
import { SageMakerExecutionRole } from './constructs/sagemaker-execution-role';
import { acknowledge } from './nag';
import {
  permissionStatements,
  sagemakerRoleNameIn,
  type ServiceBinding,
  type ServingOwnedKind,
  servingOwnedActions,
} from './resource-arns';

/** Usage plan and stage steady-state rate when not given (requests per second). */
export const DEFAULT_THROTTLE_RATE_LIMIT = 50;
/** Usage plan and stage burst when not given (requests). */
export const DEFAULT_THROTTLE_BURST_LIMIT = 100;
/** Seconds CloudFront caches `GET /model` when not given (the proxy sends max-age=5). */
export const DEFAULT_MODEL_CACHE_TTL_SECONDS = 5;
/** Retention of the proxy's and the API's logs when not given. */
export const DEFAULT_SERVING_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** Properties of one service's serving stack. */
export interface ServingStackProps extends StackProps {
  /** Prefix of every physical name. */
  readonly prefix: string;
  /** Service name (`sentiment`). */
  readonly service: string;
  /**
   * How viewers authenticate: `api-key` requires `x-api-key` (value in a generated secret, usage plan);
   * `none` makes the inference API public (CloudFront-only and throttled all the same).
   * @default 'api-key'
   */
  readonly auth?: ApiAuth;
  /**
   * Let CloudFront answer plain HTTP viewers too (clients that cannot do TLS). The API key and the
   * payloads then travel in cleartext; never a redirect (clients do not reliably re-send a POST body).
   * @default false - HTTPS only
   */
  readonly allowHttp?: boolean;
  /**
   * Steady-state requests per second allowed (usage plan and stage).
   * @default 50
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests allowed (usage plan and stage).
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Most seconds CloudFront caches `GET /model`; the proxy answers with `Cache-Control: max-age=5`, and
   * CloudFront honours the smaller of the two (errors are never cached).
   * @default 5
   */
  readonly modelCacheTtlSeconds?: number;
  /**
   * Retention of the proxy's logs and the API's access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * ECR repositories the models' images may be pulled from.
   * @default - the HuggingFace DLC repository `huggingface-pytorch-inference` of the region
   */
  readonly imageRepositoryArns?: readonly string[];
  /**
   * WAF web ACL (scope CLOUDFRONT) for the distribution.
   * @default - none
   */
  readonly webAclArn?: string;
  /**
   * Set the region's API Gateway CloudWatch Logs role (an account-wide setting its logs need). Turn off
   * when the account already has one.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * Directory of prebuilt bundles (`proxy/index.js`) to deploy instead of bundling at synth.
   * @default - bundled from lambdas/proxy/handler.ts with the local esbuild
   */
  readonly prebuiltBundlesDir?: string;
}

/**
 * One service's inference API: the proxy function behind API Gateway behind CloudFront, the role
 * SageMaker assumes for the service's models, and the SSM registration the pipeline reads
 * (`/<prefix>/<service>/service`, a ServiceRegistration). The endpoint itself comes from rollouts.
 */
export class ServingStack extends Stack {
  /** What the pipeline stack needs to know about this service. */
  readonly binding: ServiceBinding;
  /** The inference proxy. */
  readonly proxy: CatalogFunction;
  /** The CDN in front of the API. */
  readonly cdn: InferenceCdn;
  /** The REST API. */
  readonly api: InferenceApi;
  private readonly prefix: string;
  private readonly service: string;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const { prefix, service } = props;
    this.prefix = prefix;
    this.service = service;
    const auth = props.auth ?? DEFAULT_AUTH;
    const throttleRateLimit = props.throttleRateLimit ?? DEFAULT_THROTTLE_RATE_LIMIT;
    const throttleBurstLimit = props.throttleBurstLimit ?? DEFAULT_THROTTLE_BURST_LIMIT;
    const modelCacheTtlSeconds = props.modelCacheTtlSeconds ?? DEFAULT_MODEL_CACHE_TTL_SECONDS;
    const logRetention = props.logRetention ?? DEFAULT_SERVING_LOG_RETENTION;
    validate(props, throttleRateLimit, throttleBurstLimit, modelCacheTtlSeconds);

    const sagemaker = new SageMakerExecutionRole(this, 'SageMakerRole', {
      roleName: sagemakerRoleNameIn(this, prefix, service),
      service,
      ...(props.imageRepositoryArns === undefined ? {} : { imageRepositoryArns: props.imageRepositoryArns }),
    });

    const originVerify = new Secret(this, 'OriginVerifySecret', {
      description: `Value CloudFront sends as x-origin-verify to the ${service} inference API`,
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
    });
    acknowledge(
      originVerify,
      'AwsSolutions-SMG4',
      'The value is copied into the distribution and the proxy environment at deploy time; rotate by replacing the secret (cdk deploy).',
    );
    // A dynamic reference: CloudFormation resolves it at deploy time, the template never holds the value.
    const originVerifyValue = originVerify.secretValue.unsafeUnwrap();

    const functionName = proxyFunctionName(prefix, service);
    this.proxy = new CatalogFunction(this, 'Proxy', {
      catalogId: PROXY_FUNCTION.id,
      functionName,
      description: PROXY_FUNCTION.description,
      entry: PROXY_FUNCTION.entry,
      timeoutSeconds: PROXY_FUNCTION.timeoutSeconds,
      memoryMb: PROXY_FUNCTION.memoryMb,
      // ENDPOINT_NAME is deliberately absent: rollouts set it, and a later deploy that drops it makes the
      // proxy read the live pointer from SSM instead of reverting to an old endpoint.
      environment: PROXY_FUNCTION.environment({ prefix, service, originVerifySecret: originVerifyValue }),
      logRetention,
      ...(props.prebuiltBundlesDir === undefined ? {} : { prebuiltBundlesDir: props.prebuiltBundlesDir }),
    });

    this.api = new InferenceApi(this, 'Api', {
      restApiName: `${prefix}-${service}`,
      handler: this.proxy.function,
      auth,
      throttleRateLimit,
      throttleBurstLimit,
      logRetention,
      cloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
    });

    this.cdn = new InferenceCdn(this, 'Cdn', {
      api: this.api.api,
      originVerifyValue,
      modelCacheTtlSeconds,
      apiKeyInCacheKey: auth === 'api-key',
      allowHttp: props.allowHttp ?? DEFAULT_ALLOW_HTTP,
      comment: `${prefix} ${service} inference API`,
      ...(props.webAclArn === undefined ? {} : { webAclArn: props.webAclArn }),
    });

    const publicUrl = `https://${this.cdn.distribution.distributionDomainName}`;
    const apiKeySecretArn = this.api.apiKeySecret?.secretArn ?? null;
    new StringParameter(this, 'Registration', {
      parameterName: serviceParameterName(prefix, service),
      description: `How the ${service} service is reached (ServiceRegistration, read by the rollout pipeline)`,
      stringValue: this.toJsonString({
        service,
        proxyFunctionName: functionName,
        distributionId: this.cdn.distribution.distributionId,
        publicUrl,
        apiKeySecretId: apiKeySecretArn,
        sagemakerRoleArn: sagemaker.roleArn,
      }),
    });

    // What the pipeline's functions need of the distribution and the API key secret, granted here where
    // their ids are known and kept current by same-stack references; the pipeline attaches these
    // policies by name (resource-arns.ts servingGrantPolicyArns), so no cross-stack reference goes stale.
    this.grantToPipeline('distribution', [
      this.formatArn({
        service: 'cloudfront',
        region: '',
        resource: 'distribution',
        resourceName: this.cdn.distribution.distributionId,
      }),
    ]);
    if (apiKeySecretArn !== null) this.grantToPipeline('api-key-secret', [apiKeySecretArn]);

    this.binding = { service, proxyFunctionName: functionName, hasApiKey: apiKeySecretArn !== null };
    this.proxy.grantCatalogPermissions(
      permissionStatements(this, PROXY_FUNCTION.permissions, { prefix, services: [this.binding] }),
    );

    new CfnOutput(this, 'CloudFrontUrl', {
      value: publicUrl,
      description: 'Public URL: POST /predict, GET /model',
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.api.api.url,
      description: 'API Gateway URL (refuses calls that bypass CloudFront)',
    });
    new CfnOutput(this, 'ApiKeySecretArn', {
      value: apiKeySecretArn ?? 'none (auth: none)',
      description:
        apiKeySecretArn === null
          ? 'The API has no key'
          : 'API key: aws secretsmanager get-secret-value --secret-id <this ARN> --query SecretString --output text',
    });
    new CfnOutput(this, 'ProxyFunctionName', { value: functionName });
  }

  /** The customer managed policy through which pipeline functions reach `resources` of `kind`. */
  private grantToPipeline(kind: ServingOwnedKind, resources: string[]): void {
    const actions = servingOwnedActions(kind);
    if (actions.length === 0) return;
    const id = kind === 'distribution' ? 'PipelineDistributionGrant' : 'PipelineApiKeyGrant';
    new ManagedPolicy(this, id, {
      managedPolicyName: servingGrantPolicyName(this.prefix, this.service, kind, this.region),
      description: `${actions.join(', ')} on the ${this.service} service's ${kind}: attached by name to the ${this.prefix} pipeline's functions (and a CI role, docs/ci-cd.md)`,
      statements: [new PolicyStatement({ actions, resources })],
    });
  }
}

function validate(props: ServingStackProps, rate: number, burst: number, ttl: number): void {
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new Error(
      `throttleRateLimit is ${rate}; give a positive number of requests per second (default 50).`,
    );
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new Error(
      `throttleBurstLimit is ${burst}; give a whole number of requests of at least 1 (default 100).`,
    );
  }
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) {
    throw new Error(`modelCacheTtlSeconds is ${ttl}; give whole seconds between 0 and 3600 (default 5).`);
  }
  if (props.auth !== undefined && props.auth !== 'api-key' && props.auth !== 'none') {
    throw new Error(`auth is "${String(props.auth)}"; use "api-key" (default) or "none".`);
  }
}
