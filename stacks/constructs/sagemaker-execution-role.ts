import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { serviceResourcePrefix } from '../../pipeline/names';
import { acknowledge, acknowledgeWildcardResources } from '../nag';

/** ECR repository of the HuggingFace PyTorch inference DLC (pipeline/spec/image-uri.ts). */
export const HF_DLC_REPOSITORY = 'huggingface-pytorch-inference';

/** Properties of a service's SageMaker execution role. */
export interface SageMakerExecutionRoleProps {
  /**
   * Role name; fixed so the pipeline can name it for iam:PassRole without a cross-stack reference, and
   * carrying the region (IAM names are account-wide; see pipeline/names.ts sagemakerRoleName).
   */
  readonly roleName: string;
  /** Service whose endpoints (`<service>--*`) log with this role. */
  readonly service: string;
  /**
   * ECR repositories the models' images are pulled from.
   * @default - the HuggingFace DLC repository `huggingface-pytorch-inference` in this region, in any
   * account (the DLC registry account differs by region; see pipeline/spec/image-uri.ts)
   */
  readonly imageRepositoryArns?: readonly string[];
}

/**
 * The role SageMaker assumes for a service's models: pull the inference image from ECR, write the
 * endpoint's logs under /aws/sagemaker/Endpoints/<service>--*, publish the container's metrics. Nothing else.
 */
export class SageMakerExecutionRole extends Construct {
  /** The role. */
  readonly role: Role;
  /** Its ARN, built from the fixed name. */
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(props.roleName) && props.roleName.length > 64) {
      throw new Error(
        `SageMaker role name "${props.roleName}" is longer than IAM's 64 characters; shorten the prefix or service name.`,
      );
    }
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Assumed by SageMaker for the ${props.service} service's models and endpoints`,
    });
    this.roleArn = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: props.roleName,
    });

    const repositories = props.imageRepositoryArns ?? [
      stack.formatArn({
        service: 'ecr',
        account: '*',
        resource: 'repository',
        resourceName: HF_DLC_REPOSITORY,
      }),
    ];
    const logGroup = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      // `<service>--` cannot start another service's endpoint names (pipeline/names.ts).
      resourceName: `/aws/sagemaker/Endpoints/${serviceResourcePrefix(props.service)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const logStreams = `${logGroup}:log-stream:*`;

    // GetAuthorizationToken issues a registry login token; ECR has no resource to scope it to.
    this.role.addToPolicy(new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [...repositories],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:DescribeLogStreams',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
        ],
        resources: [logGroup, logStreams],
      }),
    );
    // PutMetricData has no resource; the namespace condition keeps it to SageMaker's own namespaces.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );

    acknowledge(
      this.role,
      'AwsSolutions-IAM5',
      'ecr:GetAuthorizationToken (registry login) and cloudwatch:PutMetricData (limited to /aws/sagemaker/* namespaces by condition) support no resource-level permissions.',
      'Resource::*',
    );
    acknowledgeWildcardResources(
      this.role,
      repositories,
      'The HuggingFace DLC registry account differs by region (pipeline/spec/image-uri.ts); the grant is limited to the one DLC repository name, pull actions only.',
    );
    acknowledgeWildcardResources(
      this.role,
      [logGroup, logStreams],
      'SageMaker names endpoint log groups /aws/sagemaker/Endpoints/<endpoint>; endpoints of this service are named <service>--<model slug>-<time>, a prefix no other service shares.',
    );
  }
}
