import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalCloud } from '../local/cloud';
import { SPEC_DEFAULTS, resolveImageUri } from '../pipeline/spec';
import { proxyFunctionName, DEFAULT_PREFIX } from '../pipeline/names';
import type { LocalServiceResources } from '../local/planes';

/** The model every proxy benchmark calls: the emulated HuggingFace container's text classifier. */
export const BENCH_MODEL_ID = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';

/** The answer the stub model gives to every request (the text classifier's shape). */
export const STUB_MODEL_ANSWER = '[{"label":"POSITIVE","score":0.9998}]';

/** A local cloud with InService SageMaker endpoints, shared by every proxy variant. */
export interface LocalEndpoint {
  readonly cloud: LocalCloud;
  /** Served by the emulated HuggingFace container (text-classification on the request's text). */
  readonly endpointName: string;
  /**
   * Served by a stub model that answers at once whatever the input (the model's environment names
   * it as LOCAL_INFERENCE_URL): an endpoint whose own time is as small as the local cloud allows, so
   * that a handler's overhead is not lost in the model's time (a 1 MB text takes the emulated
   * container hundreds of milliseconds).
   */
  readonly stubEndpointName: string;
  /** AWS API port of the cloud (SageMaker Runtime answers there). */
  readonly awsEndpoint: string;
  /** Environment that points an AWS SDK (JavaScript or boto3) at the cloud, dummy credentials. */
  readonly clientEnv: Readonly<Record<string, string>>;
}

/** Starts an in-memory local cloud, the stub model, and an InService endpoint for each. */
export async function startLocalEndpoint(): Promise<LocalEndpoint & { stop(): Promise<void> }> {
  const cloud = await LocalCloud.start({ dataDir: null, port: 0, edgePort: 0, timeScale: 0.001 });
  const stub = await startStubModel();
  const clientEnv = cloud.clientEnv();
  const sagemaker = new SageMakerClient(sdkConfig(cloud));
  const endpointName = 'bench-proxy-endpoint';
  const stubEndpointName = 'bench-stub-endpoint';
  try {
    await createEndpoint(sagemaker, endpointName);
    await createEndpoint(sagemaker, stubEndpointName, { LOCAL_INFERENCE_URL: stub.url });
  } finally {
    sagemaker.destroy();
  }
  return {
    cloud,
    endpointName,
    stubEndpointName,
    awsEndpoint: cloud.endpoint,
    clientEnv,
    stop: async () => {
      await cloud.stop();
      await new Promise<void>((resolve) => stub.server.close(() => resolve()));
    },
  };
}

/** An HTTP server that answers every POST with STUB_MODEL_ANSWER once the body is read. */
async function startStubModel(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(STUB_MODEL_ANSWER);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/invocations` };
}

/** SDK client configuration for a local cloud. */
export function sdkConfig(cloud: LocalCloud): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: cloud.endpoint,
    region: cloud.ctx.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/** Creates model, config and endpoint (the emulated text classifier) and waits until InService. */
export async function createEndpoint(
  sagemaker: SageMakerClient,
  name: string,
  extraEnvironment: Readonly<Record<string, string>> = {},
): Promise<void> {
  const region = await sagemaker.config.region();
  await sagemaker.send(
    new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/bench-sagemaker',
      PrimaryContainer: {
        Image: resolveImageUri(SPEC_DEFAULTS.image, region),
        Environment: { HF_MODEL_ID: BENCH_MODEL_ID, HF_TASK: 'text-classification', ...extraEnvironment },
      },
    }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: name,
          InstanceType: SPEC_DEFAULTS.endpoint.instanceType,
          InitialInstanceCount: 1,
        },
      ],
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const out = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    if (out.EndpointStatus === 'InService') return;
    if (out.EndpointStatus === 'Failed' || Date.now() > deadline) {
      throw new Error(
        `Benchmark endpoint ${name} is ${out.EndpointStatus ?? 'unknown'} (${out.FailureReason ?? 'no reason'}); the local cloud's SageMaker emulator should make it InService in 240 AWS seconds x timeScale.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Provisions a service (proxy function, API key, edge route) and points its proxy at an endpoint, as
 * Switch API Target does (read, merge, write the environment; wait until the update is Successful).
 */
export async function serveThroughEdge(
  local: LocalEndpoint,
  service: string,
): Promise<{ resources: LocalServiceResources; url: string; functionName: string }> {
  const resources = await local.cloud.compute.provisionService(service);
  const lambda = new LambdaClient(sdkConfig(local.cloud));
  const functionName = proxyFunctionName(DEFAULT_PREFIX, service);
  try {
    const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionName,
        Environment: {
          Variables: { ...(current.Environment?.Variables ?? {}), ENDPOINT_NAME: local.endpointName },
        },
        ...(current.RevisionId === undefined ? {} : { RevisionId: current.RevisionId }),
      }),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      if (out.LastUpdateStatus === 'Successful') break;
      if (out.LastUpdateStatus === 'Failed' || Date.now() > deadline) {
        throw new Error(
          `Proxy ${functionName} configuration update ended ${out.LastUpdateStatus ?? 'unknown'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    lambda.destroy();
  }
  return { resources, url: resources.publicUrl, functionName };
}
