import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { startDataPlane, eventually, tempDir, type DataPlaneHarness } from './data-plane-harness';

const IMAGE =
  '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04';
const ROLE = 'arn:aws:iam::000000000000:role/hf-rollout-sentiment-sagemaker';
const SST2 = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';

let h: DataPlaneHarness;
let sm: SageMakerClient;

beforeEach(async () => {
  h = await startDataPlane();
  sm = new SageMakerClient(h.client);
});

afterEach(async () => {
  sm.destroy();
  await h.stop();
});

async function createModel(
  name: string,
  environment: Record<string, string> = { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' },
  image = IMAGE,
): Promise<void> {
  await sm.send(
    new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: image, Environment: environment },
    }),
  );
}

async function createConfig(name: string, modelName: string, serverless = false): Promise<void> {
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [
        serverless
          ? {
              VariantName: 'AllTraffic',
              ModelName: modelName,
              ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 2 },
            }
          : {
              VariantName: 'AllTraffic',
              ModelName: modelName,
              InstanceType: 'ml.m5.xlarge',
              InitialInstanceCount: 1,
            },
      ],
    }),
  );
}

async function deploy(name: string, environment?: Record<string, string>, image?: string): Promise<void> {
  await createModel(name, environment, image);
  await createConfig(name, name);
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
}

function describe_(name: string): Promise<DescribeEndpointCommandOutput> {
  return sm.send(new DescribeEndpointCommand({ EndpointName: name }));
}

async function settled(name: string): Promise<DescribeEndpointCommandOutput> {
  return eventually(
    () => describe_(name),
    (d) => d.EndpointStatus !== 'Creating',
  );
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode === undefined ? {} : { status: e.$metadata.httpStatusCode }),
    };
  }
  throw new Error('expected the call to fail');
}

describe('SageMaker models and endpoint configs', () => {
  it('creates, describes, lists and deletes a model with a lower-cased ARN', async () => {
    await createModel('Sentiment-1');
    const model = await sm.send(new DescribeModelCommand({ ModelName: 'Sentiment-1' }));
    expect(model.ModelArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:model/sentiment-1');
    expect(model.ModelName).toBe('Sentiment-1');
    expect(model.PrimaryContainer?.Environment?.HF_TASK).toBe('text-classification');
    expect(model.ExecutionRoleArn).toBe(ROLE);
    expect(model.CreationTime).toBeInstanceOf(Date);
    const list = await sm.send(new ListModelsCommand({}));
    expect(list.Models?.map((m) => m.ModelName)).toEqual(['Sentiment-1']);
    await sm.send(new DeleteModelCommand({ ModelName: 'Sentiment-1' }));
    expect((await sm.send(new ListModelsCommand({}))).Models).toEqual([]);
  });

  it('rejects a model that already exists, naming its ARN', async () => {
    await createModel('m1');
    await expect(rejection(createModel('m1'))).resolves.toEqual({
      name: 'ValidationException',
      message: 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:000000000000:model/m1".',
      status: 400,
    });
  });

  it('rejects describing and deleting missing resources with SageMaker messages', async () => {
    await expect(rejection(sm.send(new DescribeModelCommand({ ModelName: 'nope' })))).resolves.toMatchObject({
      name: 'ValidationException',
      message: 'Could not find model "nope".',
    });
    await expect(rejection(sm.send(new DeleteModelCommand({ ModelName: 'nope' })))).resolves.toMatchObject({
      message: 'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/nope".',
    });
    await expect(
      rejection(sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'nope' }))),
    ).resolves.toMatchObject({
      name: 'ValidationException',
      message: 'Could not find endpoint configuration "nope".',
    });
    await expect(
      rejection(sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'nope' }))),
    ).resolves.toMatchObject({
      message:
        'Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/nope".',
    });
    await expect(rejection(describe_('nope'))).resolves.toEqual({
      name: 'ValidationException',
      message: 'Could not find endpoint "nope".',
      status: 400,
    });
    await expect(
      rejection(sm.send(new DeleteEndpointCommand({ EndpointName: 'nope' }))),
    ).resolves.toMatchObject({
      message: 'Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/nope".',
    });
  });

  it('rejects names that break the pattern or the length limit', async () => {
    await expect(
      rejection(sm.send(new CreateEndpointCommand({ EndpointName: 'bad_name', EndpointConfigName: 'c' }))),
    ).resolves.toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
      status: 400,
    });
    const long = 'a'.repeat(64);
    const tooLong = await rejection(createModel(long));
    expect(tooLong.message).toBe(
      `2 validation errors detected: Value '${long}' at 'modelName' failed to satisfy constraint: Member must have length less than or equal to 63; ` +
        `Value '${long}' at 'modelName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
    );
  });

  it('rejects a config that references a missing model and an endpoint that references a missing config', async () => {
    await expect(rejection(createConfig('c1', 'ghost'))).resolves.toMatchObject({
      name: 'ValidationException',
      message: 'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/ghost".',
    });
    await expect(
      rejection(sm.send(new CreateEndpointCommand({ EndpointName: 'e1', EndpointConfigName: 'ghost' }))),
    ).resolves.toMatchObject({
      name: 'ValidationException',
      message:
        'Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/ghost".',
    });
  });

  it('describes a config with its production variants and rejects a duplicate', async () => {
    await createModel('m1');
    await createConfig('c1', 'm1', true);
    const config = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'c1' }));
    expect(config.EndpointConfigArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/c1');
    expect(config.ProductionVariants?.[0]).toMatchObject({
      ModelName: 'm1',
      ServerlessConfig: { MemorySizeInMB: 2048 },
    });
    await expect(rejection(createConfig('c1', 'm1'))).resolves.toMatchObject({
      message:
        'Cannot create already existing endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/c1".',
    });
    expect(
      (await sm.send(new ListEndpointConfigsCommand({}))).EndpointConfigs?.map((c) => c.EndpointConfigName),
    ).toEqual(['c1']);
  });
});

describe('SageMaker endpoint lifecycle', () => {
  it('goes Creating then InService, with deployed images, and rejects a second endpoint of the same name', async () => {
    await deploy('sentiment-a');
    const first = await describe_('sentiment-a');
    expect(first.EndpointStatus).toBe('Creating');
    expect(first.ProductionVariants).toBeUndefined();
    const done = await settled('sentiment-a');
    expect(done.EndpointStatus).toBe('InService');
    expect(done.FailureReason).toBeUndefined();
    expect(done.ProductionVariants?.[0]).toMatchObject({
      VariantName: 'AllTraffic',
      CurrentInstanceCount: 1,
      DeployedImages: [expect.objectContaining({ SpecifiedImage: IMAGE })],
    });
    expect(done.LastModifiedTime?.getTime()).toBeGreaterThanOrEqual(done.CreationTime?.getTime() ?? Infinity);
    await expect(
      rejection(
        sm.send(
          new CreateEndpointCommand({ EndpointName: 'sentiment-a', EndpointConfigName: 'sentiment-a' }),
        ),
      ),
    ).resolves.toMatchObject({
      message:
        'Cannot create already existing endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/sentiment-a".',
    });
  });

  it('takes the emulated creation time, scaled by the clock', async () => {
    await h.stop();
    h = await startDataPlane({ timeScale: 0.003 }); // 240 AWS s → 720 ms
    sm = new SageMakerClient(h.client);
    const started = Date.now();
    await deploy('slow');
    await settled('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('fails an endpoint whose HF_TASK the container cannot serve, with the ping health check reason', async () => {
    await deploy('vision', { HF_MODEL_ID: 'google/vit-base-patch16-224', HF_TASK: 'image-classification' });
    const done = await settled('vision');
    expect(done.EndpointStatus).toBe('Failed');
    expect(done.FailureReason).toBe(
      'The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.',
    );
  });

  it('fails an endpoint whose model has no HF_MODEL_ID', async () => {
    await deploy('no-model-id', { HF_TASK: 'text-classification' });
    await expect(settled('no-model-id')).resolves.toMatchObject({ EndpointStatus: 'Failed' });
  });

  it('fails an endpoint whose image is not an ECR image', async () => {
    await deploy('dockerhub', undefined, 'huggingface/transformers-pytorch-cpu:latest');
    const done = await settled('dockerhub');
    expect(done.EndpointStatus).toBe('Failed');
    expect(done.FailureReason).toMatch(
      /^Failed to pull image "huggingface\/transformers-pytorch-cpu:latest"/,
    );
  });

  it('deletes an endpoint: Deleting, then gone', async () => {
    await deploy('short-lived');
    await settled('short-lived');
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'short-lived' }));
    expect((await describe_('short-lived')).EndpointStatus).toBe('Deleting');
    await eventually(
      () =>
        describe_('short-lived').then(
          (d) => d.EndpointStatus ?? '',
          (e: Error) => e.message,
        ),
      (outcome) => outcome === 'Could not find endpoint "short-lived".',
    );
    expect((await sm.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
  });

  it('keeps serving a deleted model and config: endpoints deploy what they were created with', async () => {
    await deploy('keeps');
    await sm.send(new DeleteModelCommand({ ModelName: 'keeps' }));
    await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'keeps' }));
    await expect(settled('keeps')).resolves.toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'keeps',
    });
  });
});

describe('SageMaker ListEndpoints', () => {
  it('filters by name and status, sorts, and pages with NextToken', async () => {
    for (const name of ['svc-b', 'svc-a', 'other-c']) await deploy(name);
    await deploy('svc-broken', { HF_MODEL_ID: SST2, HF_TASK: 'translation_en_to_fr' });
    await settled('svc-broken');
    await settled('svc-a');
    const byName = await sm.send(
      new ListEndpointsCommand({ NameContains: 'SVC', SortBy: 'Name', SortOrder: 'Ascending' }),
    );
    expect(byName.Endpoints?.map((e) => e.EndpointName)).toEqual(['svc-a', 'svc-b', 'svc-broken']);
    const failed = await sm.send(new ListEndpointsCommand({ StatusEquals: 'Failed' }));
    expect(failed.Endpoints?.map((e) => [e.EndpointName, e.EndpointStatus])).toEqual([
      ['svc-broken', 'Failed'],
    ]);
    const newestFirst = await sm.send(new ListEndpointsCommand({}));
    expect(newestFirst.Endpoints?.[0]?.EndpointName).toBe('svc-broken');

    const page1 = await sm.send(
      new ListEndpointsCommand({ SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 3 }),
    );
    expect(page1.Endpoints?.map((e) => e.EndpointName)).toEqual(['other-c', 'svc-a', 'svc-b']);
    expect(page1.NextToken).toEqual(expect.any(String));
    const page2 = await sm.send(
      new ListEndpointsCommand({
        SortBy: 'Name',
        SortOrder: 'Ascending',
        MaxResults: 3,
        NextToken: page1.NextToken,
      }),
    );
    expect(page2.Endpoints?.map((e) => e.EndpointName)).toEqual(['svc-broken']);
    expect(page2.NextToken).toBeUndefined();
  });

  it('rejects a MaxResults over 100 and an unknown SortBy', async () => {
    await expect(rejection(sm.send(new ListEndpointsCommand({ MaxResults: 101 })))).resolves.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    });
    await expect(
      rejection(sm.send(new ListEndpointsCommand({ SortBy: 'Size' as never }))),
    ).resolves.toMatchObject({
      message: expect.stringContaining(
        'Member must satisfy enum value set: [Name, CreationTime, Status]',
      ) as unknown,
    });
  });
});

describe('SageMaker tags', () => {
  it('adds, lists and deletes tags on an endpoint by ARN', async () => {
    await deploy('tagged');
    const arn = 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/tagged';
    await sm.send(
      new AddTagsCommand({
        ResourceArn: arn,
        Tags: [
          { Key: 'rollout', Value: 'r1' },
          { Key: 'service', Value: 's' },
        ],
      }),
    );
    await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'rollout', Value: 'r2' }] }));
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'rollout', Value: 'r2' },
      { Key: 'service', Value: 's' },
    ]);
    await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['service'] }));
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'rollout', Value: 'r2' },
    ]);
  });
});

describe('SageMaker faults', () => {
  it('answers a declared generic fault on an operation, only as often as declared', async () => {
    h.faults.add({ operation: 'SageMaker.CreateModel', outcome: { error: 'ThrottlingException' }, count: 1 });
    await expect(rejection(createModel('m1'))).resolves.toEqual({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      status: 400,
    });
    await createModel('m1');
  });

  it('fails a matching endpoint by an EndpointLifecycle fault, with the declared reason', async () => {
    h.faults.add({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: 'doomed-*' },
      outcome: {
        endpointStatus: 'Failed',
        failureReason: 'CapacityError: Unable to provision requested ML compute capacity.',
      },
    });
    await deploy('doomed-1');
    await deploy('fine-1');
    await expect(settled('doomed-1')).resolves.toMatchObject({
      EndpointStatus: 'Failed',
      FailureReason: 'CapacityError: Unable to provision requested ML compute capacity.',
    });
    await expect(settled('fine-1')).resolves.toMatchObject({ EndpointStatus: 'InService' });
  });

  it('keeps an endpoint Creating forever by a stuck fault, and refuses to delete it as SageMaker does', async () => {
    h.faults.add({ operation: 'SageMaker.EndpointLifecycle', outcome: { endpointStatus: 'Creating' } });
    await deploy('stuck');
    await new Promise((r) => setTimeout(r, 400)); // longer than the 240 ms creation time
    expect((await describe_('stuck')).EndpointStatus).toBe('Creating');
    await expect(rejection(sm.send(new DeleteEndpointCommand({ EndpointName: 'stuck' })))).resolves.toEqual({
      name: 'ValidationException',
      message:
        'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/stuck".',
      status: 400,
    });
    expect((await describe_('stuck')).EndpointStatus).toBe('Creating');
  });

  it('refuses DeleteEndpoint while the endpoint is Creating, and deletes it once it is InService', async () => {
    h.faults.add({ operation: 'SageMaker.EndpointLifecycle', outcome: { creationSeconds: 600 } });
    await deploy('Busy-One');
    const refused = await rejection(sm.send(new DeleteEndpointCommand({ EndpointName: 'Busy-One' })));
    expect(refused).toEqual({
      name: 'ValidationException',
      message:
        'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/busy-one".',
      status: 400,
    });
    expect((await describe_('Busy-One')).EndpointStatus).toBe('Creating');
    await expect(settled('Busy-One')).resolves.toMatchObject({ EndpointStatus: 'InService' });
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'Busy-One' }));
    expect((await describe_('Busy-One')).EndpointStatus).toBe('Deleting');
  });

  it('deletes a Failed endpoint (the only operation SageMaker allows on it)', async () => {
    h.faults.add({ operation: 'SageMaker.EndpointLifecycle', outcome: { endpointStatus: 'Failed' } });
    await deploy('broken');
    await expect(settled('broken')).resolves.toMatchObject({ EndpointStatus: 'Failed' });
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'broken' }));
    expect((await describe_('broken')).EndpointStatus).toBe('Deleting');
  });

  it('hides a new endpoint config from CreateEndpoint for a while by an EndpointConfigVisibility fault', async () => {
    h.faults.add({
      operation: 'SageMaker.EndpointConfigVisibility',
      match: { EndpointConfigName: 'late-*' },
      outcome: { invisibleSeconds: 300 },
    });
    await createModel('late-model');
    await createConfig('late-config', 'late-model');
    await createConfig('other-config', 'late-model');
    const refused = await rejection(
      sm.send(new CreateEndpointCommand({ EndpointName: 'late', EndpointConfigName: 'late-config' })),
    );
    expect(refused).toEqual({
      name: 'ValidationException',
      message:
        'Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/late-config".',
      status: 400,
    });
    // Only CreateEndpoint reads it late; other configs are visible at once.
    await expect(
      sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'late-config' })),
    ).resolves.toMatchObject({ EndpointConfigName: 'late-config' });
    await sm.send(new CreateEndpointCommand({ EndpointName: 'other', EndpointConfigName: 'other-config' }));
    // 300 AWS seconds are 300 ms at this scale: a retry after that succeeds.
    await eventually(
      () =>
        sm.send(new CreateEndpointCommand({ EndpointName: 'late', EndpointConfigName: 'late-config' })).then(
          () => 'created',
          (e: Error) => e.message,
        ),
      (outcome) => outcome === 'created',
    );
    expect((await describe_('late')).EndpointConfigName).toBe('late-config');
  });

  it('hides a new endpoint config from a number of CreateEndpoint calls by invisibleCalls', async () => {
    h.faults.add({
      operation: 'SageMaker.EndpointConfigVisibility',
      outcome: { invisibleCalls: 2 },
      count: 1,
    });
    await createModel('m2');
    await createConfig('c2', 'm2');
    const attempt = () =>
      sm.send(new CreateEndpointCommand({ EndpointName: 'e2', EndpointConfigName: 'c2' })).then(
        () => 'created',
        (e: Error) => e.message,
      );
    const notFound =
      'Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/c2".';
    expect([await attempt(), await attempt(), await attempt()]).toEqual([notFound, notFound, 'created']);
  });

  it('rejects CreateEndpointConfig when a visibility fault has no valid invisibleSeconds', async () => {
    h.faults.add({ operation: 'SageMaker.EndpointConfigVisibility', outcome: { invisibleSeconds: -1 } });
    await createModel('m');
    const error = await rejection(
      sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'c',
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              ModelName: 'm',
              InstanceType: 'ml.m5.xlarge',
              InitialInstanceCount: 1,
            },
          ],
        }),
      ),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('SageMaker.EndpointConfigVisibility: invisibleSeconds must be a number');
  });

  it('stretches the creation time by a creationSeconds fault', async () => {
    h.faults.add({ operation: 'SageMaker.EndpointLifecycle', outcome: { creationSeconds: 800 } });
    const started = Date.now();
    await deploy('long');
    await settled('long');
    expect(Date.now() - started).toBeGreaterThanOrEqual(780);
  });

  it('rejects CreateEndpoint when a lifecycle fault has an effect it cannot apply', async () => {
    h.faults.add({ operation: 'SageMaker.EndpointLifecycle', outcome: { endpointStatus: 'Exploded' } });
    await createModel('m');
    await createConfig('c', 'm');
    const error = await rejection(
      sm.send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'c' })),
    );
    expect(error.message).toContain('endpointStatus must be "Failed", "Creating" (stuck) or "InService"');
  });
});

describe('SageMaker persistence', () => {
  it('keeps resources and the lifecycle across a restart on the same data folder', async () => {
    const tmp = tempDir();
    try {
      await h.stop();
      h = await startDataPlane({ dataDir: tmp.dir, timeScale: 0.002 });
      sm = new SageMakerClient(h.client);
      await deploy('durable');
      expect((await describe_('durable')).EndpointStatus).toBe('Creating');
      await h.stop();
      sm.destroy();

      h = await startDataPlane({ dataDir: tmp.dir, timeScale: 0.002 });
      sm = new SageMakerClient(h.client);
      expect((await sm.send(new DescribeModelCommand({ ModelName: 'durable' }))).ModelName).toBe('durable');
      await expect(settled('durable')).resolves.toMatchObject({ EndpointStatus: 'InService' });
    } finally {
      tmp.remove();
    }
  });
});
