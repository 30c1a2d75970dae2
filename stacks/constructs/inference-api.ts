import {
  AccessLogFormat,
  EndpointType,
  LambdaRestApi,
  LogGroupLogDestination,
  MethodLoggingLevel,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ApiAuth } from '../config';
import { acknowledge } from '../nag';

/** Stage name of every inference API (CloudFront's origin path). */
export const API_STAGE_NAME = 'prod';

/** Properties of a service's REST API in front of its proxy function. */
export interface InferenceApiProps {
  readonly restApiName: string;
  readonly handler: IFunction;
  readonly auth: ApiAuth;
  /** Steady-state requests per second (usage plan and stage). */
  readonly throttleRateLimit: number;
  /** Burst of requests (usage plan and stage). */
  readonly throttleBurstLimit: number;
  readonly logRetention: RetentionDays;
  /** Whether this stack sets the region's API Gateway CloudWatch Logs role (needed for its logs). */
  readonly cloudWatchRole: boolean;
}

/**
 * A REGIONAL REST API passing every path and method to the proxy function (payload v1), with all media
 * types treated as binary (bodies arrive base64, byte-exact), access and error logs, X-Ray, stage
 * throttling and, unless auth is 'none', a required API key from a generated secret with a usage plan.
 */
export class InferenceApi extends Construct {
  /** The REST API. */
  readonly api: LambdaRestApi;
  /** Secret holding the API key value; undefined when auth is 'none'. */
  readonly apiKeySecret: Secret | undefined;

  constructor(scope: Construct, id: string, props: InferenceApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.api = new LambdaRestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: 'Inference API: POST /predict, GET /model (behind CloudFront)',
      handler: props.handler,
      proxy: true,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: props.cloudWatchRole,
      defaultMethodOptions: { apiKeyRequired: props.auth === 'api-key' },
      deployOptions: {
        stageName: API_STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
      },
    });

    // The serving stack outputs the URL as ApiUrl; the construct's own "Endpoint" output would repeat it.
    this.api.node.tryRemoveChild('Endpoint');

    if (props.auth === 'api-key') {
      this.apiKeySecret = new Secret(this, 'ApiKeySecret', {
        description: `API key of ${props.restApiName}; send it as x-api-key`,
        generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
      });
      const key = this.api.addApiKey('ApiKey', {
        description: `Key of ${props.restApiName} (value in its Secrets Manager secret)`,
        value: this.apiKeySecret.secretValue.unsafeUnwrap(),
      });
      const plan = this.api.addUsagePlan('UsagePlan', {
        name: `${props.restApiName}-plan`,
        throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
        apiStages: [{ stage: this.api.deploymentStage }],
      });
      plan.addApiKey(key);
      acknowledge(
        this.apiKeySecret,
        'AwsSolutions-SMG4',
        'The API key value is copied into API Gateway at deploy time; rotating the secret alone would desynchronize them. Rotate by replacing the secret (cdk deploy).',
      );
    } else {
      this.apiKeySecret = undefined;
    }

    const authReason =
      props.auth === 'api-key'
        ? 'Callers authenticate with an API key (usage plan, throttled) and only through CloudFront (x-origin-verify); the inference API has no end-user identities to authorize.'
        : "auth: 'none' was chosen explicitly (public inference API); CloudFront's x-origin-verify and stage throttling still apply.";
    acknowledge(this.api, 'AwsSolutions-APIG4', authReason);
    acknowledge(this.api, 'AwsSolutions-COG4', authReason);
    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'Requests pass through to the proxy function, which validates body, size and content type and answers JSON errors (400/413/415).',
    );
    acknowledge(
      this.api,
      'AwsSolutions-APIG3',
      'WAF, when wanted, is attached to the CloudFront distribution in front (webAclArn); direct calls to this API are refused by the proxy.',
    );
    if (props.cloudWatchRole) {
      acknowledge(
        this.api,
        'AwsSolutions-IAM4',
        'API Gateway requires its account-level CloudWatch Logs role; AWS maintains the policy for exactly that purpose.',
        'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
      );
    }
  }
}
