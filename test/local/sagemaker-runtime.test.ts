import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { eventually, startDataPlane, type DataPlaneHarness } from './data-plane-harness';

const IMAGE =
  '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04';
const SST2 = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';

let h: DataPlaneHarness;
let sm: SageMakerClient;
let runtime: SageMakerRuntimeClient;

beforeEach(async () => {
  h = await startDataPlane();
  sm = new SageMakerClient(h.client);
  runtime = new SageMakerRuntimeClient(h.client);
});

afterEach(async () => {
  sm.destroy();
  runtime.destroy();
  await h.stop();
});

async function deploy(
  name: string,
  environment: Record<string, string>,
  wait = true,
  serverless?: { MemorySizeInMB: number; MaxConcurrency: number },
): Promise<void> {
  await sm.send(
    new CreateModelCommand({
      ModelName: name,
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/r',
      PrimaryContainer: { Image: IMAGE, Environment: environment },
    }),
  );
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [
        serverless === undefined
          ? {
              VariantName: 'AllTraffic',
              ModelName: name,
              InstanceType: 'ml.m5.xlarge',
              InitialInstanceCount: 1,
            }
          : { VariantName: 'AllTraffic', ModelName: name, ServerlessConfig: serverless },
      ],
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  if (wait) {
    await eventually(
      () => sm.send(new DescribeEndpointCommand({ EndpointName: name })),
      (d) => d.EndpointStatus === 'InService',
    );
  }
}

function invoke(name: string, body: unknown, contentType = 'application/json', accept?: string) {
  return runtime.send(
    new InvokeEndpointCommand({
      EndpointName: name,
      Body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      ContentType: contentType,
      ...(accept === undefined ? {} : { Accept: accept }),
    }),
  );
}

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('SageMaker Runtime InvokeEndpoint', () => {
  it('returns the container body, its content type and the invoked variant', async () => {
    await deploy('sentiment', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    const out = await invoke('sentiment', { inputs: 'I love this product, it works great!' });
    expect(out.ContentType).toBe('application/json');
    expect(out.InvokedProductionVariant).toBe('AllTraffic');
    const parsed = JSON.parse(Buffer.from(out.Body).toString('utf8')) as { label: string; score: number }[];
    expect(parsed).toEqual([{ label: 'POSITIVE', score: expect.any(Number) as unknown }]);
    const negative = await invoke('sentiment', { inputs: 'This is terrible, I hate it and want a refund.' });
    expect(JSON.parse(Buffer.from(negative.Body).toString('utf8'))).toEqual([
      { label: 'NEGATIVE', score: expect.any(Number) as unknown },
    ]);
  });

  it('answers CSV when asked by Accept', async () => {
    await deploy('csv', { HF_MODEL_ID: SST2, HF_TASK: 'sentiment-analysis' });
    const out = await invoke(
      'csv',
      { inputs: ['What a wonderful day', 'The service was awful'] },
      'application/json',
      'text/csv',
    );
    expect(out.ContentType).toBe('text/csv');
    expect(Buffer.from(out.Body).toString('utf8')).toMatch(
      /^label,score\r\nPOSITIVE,0\.\d+\r\nNEGATIVE,0\.\d+\r\n$/,
    );
  });

  it('fails with ValidationError for a missing endpoint and one still Creating', async () => {
    const missing = await failure(invoke('ghost', { inputs: 'x' }));
    expect(missing.name).toBe('ValidationError');
    expect(missing.message).toBe('Endpoint ghost of account 000000000000 not found.');
    expect((missing.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);

    await deploy('young', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' }, false);
    const creating = await failure(invoke('young', { inputs: 'x' }));
    expect(creating.name).toBe('ValidationError');
    expect(creating.message).toBe('Endpoint young of account 000000000000 not found.');
  });

  it('turns a container error into ModelError with the original status and message, as the SDK parses it', async () => {
    await deploy('masked', { HF_MODEL_ID: 'bert-base-uncased', HF_TASK: 'fill-mask' });
    const error = await failure(invoke('masked', { inputs: 'no mask here' }));
    expect(error).toBeInstanceOf(ModelError);
    expect(error.name).toBe('ModelError');
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(424);
    expect(error.OriginalStatusCode).toBe(400);
    expect(JSON.parse(String(error.OriginalMessage))).toEqual({
      code: 400,
      type: 'InternalServerException',
      message: 'No mask_token ([MASK]) found on the input',
    });
    expect(error.LogStreamArn).toBe(
      'arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints/masked',
    );
    expect(error.message).toMatch(
      /^Received client error \(400\) from primary with message "\{\n {4}"code": 400,[\s\S]*"\. See https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#logEventViewer:group=\/aws\/sagemaker\/Endpoints\/masked in account 000000000000 for more information\.$/,
    );
  });

  it('refuses a content type the toolkit does not decode, as the toolkit does', async () => {
    await deploy('plain', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    const error = await failure(invoke('plain', 'I love it', 'text/plain'));
    expect(error.name).toBe('ModelError');
    expect(error.OriginalStatusCode).toBe(400);
    expect(String(error.OriginalMessage)).toContain(
      'Content type text/plain is not supported by this framework.',
    );
  });

  it('refuses a body over 6 MB with the 413 SageMaker answers', async () => {
    await deploy('big', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    const error = await failure(invoke('big', JSON.stringify({ inputs: 'x'.repeat(6 * 1024 * 1024) })));
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(413);
    expect(error.message).toBe('HTTP content length exceeded 6291456 bytes.');
  });

  it('refuses a body over 4 MB on a serverless endpoint with the same 413 and the serverless limit', async () => {
    await deploy('small', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' }, true, {
      MemorySizeInMB: 2048,
      MaxConcurrency: 2,
    });
    const error = await failure(invoke('small', JSON.stringify({ inputs: 'x'.repeat(4 * 1024 * 1024) })));
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(413);
    expect(error.message).toBe('HTTP content length exceeded 4194304 bytes.');
    // Just under the limit is accepted (the container answers).
    const fits = JSON.stringify({ inputs: 'x'.repeat(4 * 1024 * 1024 - 20) });
    await expect(invoke('small', fits)).resolves.toMatchObject({ ContentType: 'application/json' });
  });

  it('refuses Content-Type, Accept and CustomAttributes over 1024 characters with ValidationError', async () => {
    await deploy('headers', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    const long = `application/json; x=${'a'.repeat(1010)}`;
    const contentType = await failure(invoke('headers', { inputs: 'x' }, long));
    expect(contentType.name).toBe('ValidationError');
    expect(contentType.message).toBe(
      `1 validation error detected: Value '${long}' at 'contentType' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    );
    const accept = await failure(invoke('headers', { inputs: 'x' }, 'application/json', long));
    expect(accept.message).toContain(
      `at 'accept' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    );
    const attributes = await failure(
      runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'headers',
          Body: Buffer.from('{"inputs":"x"}'),
          ContentType: 'application/json',
          CustomAttributes: 'c'.repeat(1025),
        }),
      ),
    );
    expect(attributes.name).toBe('ValidationError');
    // CustomAttributes is a sensitive member: SageMaker does not echo its value.
    expect(attributes.message).toBe(
      "1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024",
    );
    await expect(
      runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'headers',
          Body: Buffer.from('{"inputs":"x"}'),
          ContentType: 'application/json',
          CustomAttributes: 'c'.repeat(1024),
        }),
      ),
    ).resolves.toMatchObject({ ContentType: 'application/json' });
  });

  it('refuses non-ASCII custom attributes with ValidationError naming the pattern', async () => {
    await deploy('ascii', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    // Raw HTTP: SDKs refuse to send such a header, but any HTTP client can.
    const answer = await fetch(`${h.endpoint}/endpoints/ascii/invocations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amzn-sagemaker-custom-attributes': 'caf\u00e9',
      },
      body: '{"inputs":"x"}',
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-errortype')).toBe('ValidationError');
    expect(((await answer.json()) as { message: string }).message).toBe(
      "1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{ASCII}*",
    );
  });

  it('throttles a serverless endpoint past its MaxConcurrency and admits again once one finishes', async () => {
    await deploy('one-at-a-time', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' }, true, {
      MemorySizeInMB: 2048,
      MaxConcurrency: 2,
    });
    // Each invocation spends 300 ms in the container, so three sent together overlap.
    h.faults.add({ operation: 'SageMakerRuntime.InvokeEndpoint', outcome: { delayMs: 300 } });
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => invoke('one-at-a-time', { inputs: 'x' })));
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    const throttled = rejected[0]?.reason as Record<string, unknown>;
    expect(throttled.name).toBe('ThrottlingException');
    expect((throttled.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    // Sequential invocations never exceed the limit.
    for (let i = 0; i < 3; i++) await invoke('one-at-a-time', { inputs: 'x' });
    const inventory = h.plane.inventory() as { sagemaker: { invocations: Record<string, unknown> } };
    expect(inventory.sagemaker.invocations['one-at-a-time']).toMatchObject({ invocations: 5, throttled: 1 });
  });

  it('does not limit the concurrency of an instance-backed endpoint', async () => {
    await deploy('instances', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    h.faults.add({ operation: 'SageMakerRuntime.InvokeEndpoint', outcome: { delayMs: 200 } });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => invoke('instances', { inputs: 'x' })));
    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
  });

  it('applies a declared ModelError fault with the fields SageMaker sends', async () => {
    await deploy('flaky', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    h.faults.add({
      operation: 'SageMakerRuntime.InvokeEndpoint',
      match: { EndpointName: 'flaky' },
      outcome: {
        error: 'ModelError',
        fields: { OriginalStatusCode: 500, OriginalMessage: 'CUDA out of memory' },
      },
      count: 1,
    });
    const error = await failure(invoke('flaky', { inputs: 'x' }));
    expect(error.name).toBe('ModelError');
    expect(error.OriginalStatusCode).toBe(500);
    expect(error.OriginalMessage).toBe('CUDA out of memory');
    expect(error.message).toMatch(
      /^Received server error \(500\) from primary with message "CUDA out of memory"/,
    );
    await expect(invoke('flaky', { inputs: 'x' })).resolves.toMatchObject({
      ContentType: 'application/json',
    });
  });

  it('applies a declared throttling fault and a delay', async () => {
    await deploy('busy', { HF_MODEL_ID: SST2, HF_TASK: 'text-classification' });
    h.faults.add({
      operation: 'SageMakerRuntime.InvokeEndpoint',
      outcome: { error: 'ThrottlingException', status: 429 },
      count: 1,
    });
    const throttled = await failure(invoke('busy', { inputs: 'x' }));
    expect(throttled.name).toBe('ThrottlingException');
    expect((throttled.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(429);
    h.faults.add({ operation: 'SageMakerRuntime.InvokeEndpoint', outcome: { delayMs: 200 }, count: 1 });
    const started = Date.now();
    await invoke('busy', { inputs: 'x' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('counts invocations per endpoint in the inventory', async () => {
    await deploy('counted', { HF_MODEL_ID: 'bert-base-uncased', HF_TASK: 'fill-mask' });
    await invoke('counted', { inputs: 'Paris is the [MASK] of France.' });
    await failure(invoke('counted', { inputs: 'no mask' }));
    const inventory = h.plane.inventory() as { sagemaker: { invocations: Record<string, unknown> } };
    expect(inventory.sagemaker.invocations.counted).toMatchObject({ invocations: 2, modelErrors: 1 });
  });
});

describe('SageMaker Runtime forwarding to a real inference server', () => {
  let upstream: Server;
  let url: string;
  const seen: { contentType?: string; accept?: string; body: string }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({
          ...(req.headers['content-type'] === undefined ? {} : { contentType: req.headers['content-type'] }),
          ...(req.headers.accept === undefined ? {} : { accept: req.headers.accept }),
          body,
        });
        if (body.includes('fail')) {
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end('model is warming up');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ label: 'REAL', score: 1 }]));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/invocations`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it('forwards body, content type and accept to LOCAL_INFERENCE_URL and returns its answer', async () => {
    await deploy('forwarded', {
      HF_MODEL_ID: 'my/custom',
      HF_TASK: 'image-classification',
      LOCAL_INFERENCE_URL: url,
    });
    const out = await invoke('forwarded', { inputs: 'hello' }, 'application/json', 'application/json');
    expect(JSON.parse(Buffer.from(out.Body).toString('utf8'))).toEqual([{ label: 'REAL', score: 1 }]);
    expect(seen).toEqual([
      { contentType: 'application/json', accept: 'application/json', body: '{"inputs":"hello"}' },
    ]);
  });

  it('turns an error answer of the real server into ModelError', async () => {
    await deploy('forwarded-error', {
      HF_MODEL_ID: 'my/custom',
      HF_TASK: 'text-classification',
      LOCAL_INFERENCE_URL: url,
    });
    const error = await failure(invoke('forwarded-error', { inputs: 'fail please' }));
    expect(error.name).toBe('ModelError');
    expect(error.OriginalStatusCode).toBe(503);
    expect(error.OriginalMessage).toBe('model is warming up');
  });
});
