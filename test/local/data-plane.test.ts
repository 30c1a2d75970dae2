import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { readApiKey } from '../../lambdas/shared/api-key';
import { readRegistration } from '../../lambdas/shared/registration';
import { distributionIdFor } from '../../local/services/provisioning';
import { startDataPlane, tempDir, type DataPlaneHarness } from './data-plane-harness';
import { awsCli } from './support/aws-cli';

let h: DataPlaneHarness;

beforeEach(async () => {
  h = await startDataPlane();
});

afterEach(async () => {
  await h.stop();
});

describe('service provisioning', () => {
  it('creates the API key secret, a distribution and the SSM registration the pipeline reads', async () => {
    const resources = h.plane.provisionService(
      'sentiment',
      'http://127.0.0.1:4581/sentiment/',
      'hf-rollout-sentiment-proxy',
    );
    expect(resources).toEqual({
      service: 'sentiment',
      distributionId: distributionIdFor('sentiment'),
      apiKey: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) as unknown,
      apiKeySecretId: expect.stringMatching(
        /^arn:aws:secretsmanager:us-east-1:000000000000:secret:hf-rollout\/sentiment\/api-key-[A-Za-z0-9]{6}$/,
      ) as unknown,
      sagemakerRoleArn: 'arn:aws:iam::000000000000:role/hf-rollout-sentiment-sagemaker',
      publicUrl: 'http://127.0.0.1:4581/sentiment',
      originVerifySecret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) as unknown,
    });
    expect(resources.distributionId).toMatch(/^E[A-Z0-9]{13}$/);

    const ssm = new SSMClient(h.client);
    const secrets = new SecretsManagerClient(h.client);
    try {
      await expect(readRegistration(ssm, 'hf-rollout', 'sentiment')).resolves.toEqual({
        service: 'sentiment',
        proxyFunctionName: 'hf-rollout-sentiment-proxy',
        distributionId: resources.distributionId,
        publicUrl: 'http://127.0.0.1:4581/sentiment',
        apiKeySecretId: resources.apiKeySecretId,
        sagemakerRoleArn: resources.sagemakerRoleArn,
      });
      await expect(readApiKey(secrets, resources.apiKeySecretId)).resolves.toBe(resources.apiKey);
      const byName = await secrets.send(
        new GetSecretValueCommand({ SecretId: 'hf-rollout/sentiment/api-key' }),
      );
      expect(byName.SecretString).toBe(resources.apiKey);
    } finally {
      ssm.destroy();
      secrets.destroy();
    }
  });

  it('is idempotent: the same key, secret value and distribution, and no new SSM version', async () => {
    const first = h.plane.provisionService('sentiment', 'http://x/sentiment', 'p');
    const second = h.plane.provisionService('sentiment', 'http://x/sentiment', 'p');
    expect(second).toEqual(first);
    const ssm = new SSMClient(h.client);
    try {
      const parameter = await ssm.send(new GetParameterCommand({ Name: '/hf-rollout/sentiment/service' }));
      expect(parameter.Parameter?.Version).toBe(1);
    } finally {
      ssm.destroy();
    }
    expect(h.plane.provisionedServices().map((s) => s.service)).toEqual(['sentiment']);
  });

  it('keeps provisioned services across a restart on the same data folder', async () => {
    const tmp = tempDir();
    try {
      await h.stop();
      h = await startDataPlane({ dataDir: tmp.dir });
      const first = h.plane.provisionService('sentiment', 'http://x/sentiment', 'p');
      await h.stop();
      h = await startDataPlane({ dataDir: tmp.dir });
      expect(h.plane.provisionedServices()).toEqual([first]);
      expect(h.plane.provisionService('sentiment', 'http://x/sentiment', 'p')).toEqual(first);
    } finally {
      tmp.remove();
    }
  });
});

describe('inventory and reset', () => {
  it('shows what exists by kind, and reset empties everything but the topic and the lock table', async () => {
    const empty = h.plane.inventory();
    expect(empty).toMatchObject({
      sagemaker: { models: [], endpointConfigs: [], endpoints: [], invocations: {} },
      ssm: { parameters: [] },
      sns: { topics: ['arn:aws:sns:us-east-1:000000000000:hf-rollout-notifications'], messageCount: 0 },
      dynamodb: { tables: { 'hf-rollout-locks': [] } },
      secretsManager: { secrets: [] },
      cloudfront: { distributions: [], invalidations: [] },
      provisionedServices: [],
    });

    h.plane.provisionService('sentiment', 'http://x/sentiment', 'p');
    const sm = new SageMakerClient(h.client);
    const ssm = new SSMClient(h.client);
    try {
      await sm.send(
        new CreateModelCommand({
          ModelName: 'm',
          PrimaryContainer: {
            Image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-cpu',
            Environment: { HF_MODEL_ID: 'x', HF_TASK: 'fill-mask' },
          },
        }),
      );
      await sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'c',
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              ModelName: 'm',
              InstanceType: 'ml.m5.large',
              InitialInstanceCount: 1,
            },
          ],
        }),
      );
      await sm.send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c' }));
      await ssm.send(
        new PutParameterCommand({ Name: '/hf-rollout/sentiment/live', Value: '{}', Type: 'String' }),
      );
    } finally {
      sm.destroy();
      ssm.destroy();
    }
    const full = h.plane.inventory() as {
      sagemaker: { endpoints: { name: string; status: string }[] };
      ssm: { parameters: { name: string }[] };
      secretsManager: { secrets: unknown[] };
      cloudfront: { distributions: unknown[] };
    };
    expect(full.sagemaker.endpoints).toEqual([expect.objectContaining({ name: 'e', status: 'Creating' })]);
    expect(full.ssm.parameters.map((p) => p.name).sort()).toEqual([
      '/hf-rollout/sentiment/live',
      '/hf-rollout/sentiment/service',
    ]);
    expect(full.secretsManager.secrets).toHaveLength(1);
    expect(full.cloudfront.distributions).toHaveLength(1);

    h.plane.reset();
    expect(h.plane.inventory()).toEqual(empty);
  });
});

describe('the AWS CLI against the data plane', () => {
  it('lists endpoints with `aws sagemaker list-endpoints` and parses as JSON', async () => {
    const sm = new SageMakerClient(h.client);
    try {
      await sm.send(
        new CreateModelCommand({
          ModelName: 'cli-model',
          PrimaryContainer: {
            Image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-cpu',
            Environment: { HF_MODEL_ID: 'x', HF_TASK: 'fill-mask' },
          },
        }),
      );
      await sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'cli-config',
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              ModelName: 'cli-model',
              InstanceType: 'ml.m5.large',
              InitialInstanceCount: 1,
            },
          ],
        }),
      );
      await sm.send(
        new CreateEndpointCommand({ EndpointName: 'cli-endpoint', EndpointConfigName: 'cli-config' }),
      );
    } finally {
      sm.destroy();
    }
    const parsed = (await awsCli(h.endpoint, ['sagemaker', 'list-endpoints'])) as {
      Endpoints: { EndpointName: string; EndpointStatus: string; EndpointArn: string }[];
    };
    expect(parsed.Endpoints).toEqual([
      expect.objectContaining({
        EndpointName: 'cli-endpoint',
        EndpointArn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/cli-endpoint',
        EndpointStatus: expect.stringMatching(/^(Creating|InService)$/) as unknown,
      }),
    ]);
  });
});
