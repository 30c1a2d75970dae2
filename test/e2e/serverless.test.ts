import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startCloud, type E2eCloud, type StartedCloud } from './support/cloud';
import { exampleSpec, rolloutIdFor, type RawSpec } from './support/specs';

/**
 * A serverless rollout (examples/sentiment-serverless.json) end to end in the local cloud, under
 * serverless inference's strict limits: at most MaxConcurrency invocations at once (the rest get
 * ThrottlingException), bodies of at most 4 MB, and InvokeEndpoint's header limits. Each invocation
 * spends 150 ms in the container (a declared delay), so invocations sent together overlap.
 */

const SERVICE = 'sentiment';
const CONTAINER_DELAY = { operation: 'SageMakerRuntime.InvokeEndpoint', outcome: { delayMs: 150 } };

let started: StartedCloud | undefined;
let cloud: E2eCloud;

/** The serverless example with MaxConcurrency 1 and four smoke tests (more than it admits at once). */
function serverlessSpec(): RawSpec {
  const spec = exampleSpec('sentiment-serverless.json');
  spec.endpoint = { ...(spec.endpoint as Record<string, unknown>), maxConcurrency: 1 };
  const [first] = spec.smokeTests;
  if (first === undefined) throw new Error('the serverless example has no smoke test');
  spec.smokeTests = [1, 2, 3, 4].map((i) => ({ ...first, name: `positive review ${i}` }));
  return spec;
}

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
}, 60_000);

afterEach(async () => {
  await cloud.clearFaults();
});

afterAll(async () => {
  await started?.stop();
}, 60_000);

describe('a serverless rollout through the strict local cloud', () => {
  let endpointName: string;

  it('deploys through a late-visible config, with smoke tests run within MaxConcurrency 1, and switches the API to the serverless endpoint', async () => {
    const spec = serverlessSpec();
    const rolloutId = rolloutIdFor(spec);
    // SageMaker also reads the new config eventually consistently: the first two CreateEndpoint calls
    // do not see it (issue 9 item 6), and the Create Endpoint state retries.
    await cloud.addFaults(CONTAINER_DELAY, {
      operation: 'SageMaker.EndpointConfigVisibility',
      match: { EndpointConfigName: rolloutId },
      outcome: { invisibleCalls: 2 },
    });

    const outcome = await cloud.runRollout(spec, { rolloutId, timeoutMs: 180_000 });

    expect({ status: outcome.status, error: outcome.error, cause: outcome.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    endpointName = rolloutId;
    const described = await cloud.clients.sagemaker.send(
      new DescribeEndpointCommand({ EndpointName: rolloutId }),
    );
    expect(described.EndpointStatus).toBe('InService');
    expect(described.ProductionVariants?.[0]?.CurrentServerlessConfig).toEqual({
      MemorySizeInMB: 4096,
      MaxConcurrency: 1,
    });
    const detail = await cloud.rollout(outcome.executionArn);
    expect(detail.record?.smoke.map((r) => [r.name, r.passed])).toEqual([
      ['positive review 1', true],
      ['positive review 2', true],
      ['positive review 3', true],
      ['positive review 4', true],
    ]);
    expect(detail.steps.filter((s) => s.name === 'Create Endpoint').map((s) => s.attempts)).toEqual([3]);
    // Run Smoke Tests passed at its first attempt, and SageMaker throttled none of its invocations
    // (the SDK's own retries would hide a throttled one from the step).
    expect(detail.steps.filter((s) => s.name === 'Run Smoke Tests')).toHaveLength(1);
    const inventory = (await cloud.inventory()) as {
      sagemaker: { invocations: Record<string, { invocations: number; throttled?: number }> };
    };
    expect(inventory.sagemaker.invocations[rolloutId]).toMatchObject({ invocations: 5 }); // 4 smoke tests + Verify Public API
    expect(inventory.sagemaker.invocations[rolloutId]?.throttled).toBeUndefined();

    const answer = await cloud.callApi(SERVICE, { inputs: 'I love this product' });
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
      status: 200,
      servedBy: rolloutId,
    });
  }, 240_000);

  it('throttles callers past MaxConcurrency: the API answers 429 Throttled while another invocation holds the one slot', async () => {
    // A direct InvokeEndpoint holds the endpoint's only slot for 3 s (its own delay, matched by its custom attributes).
    await cloud.clearFaults();
    await cloud.addFaults({
      id: 'hold-the-slot',
      operation: 'SageMakerRuntime.InvokeEndpoint',
      match: { CustomAttributes: 'hold' },
      outcome: { delayMs: 3000 },
    });
    const runtime = new SageMakerRuntimeClient({
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
      maxAttempts: 1,
    });
    const holder = runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        Body: Buffer.from(JSON.stringify({ inputs: 'I love this product' })),
        ContentType: 'application/json',
        CustomAttributes: 'hold',
      }),
    );
    // The fault fires after admission: from then on the slot is taken.
    for (let i = 0; i < 200 && !(await cloud.faults()).fired.some((f) => f.id === 'hold-the-slot'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }

    const throttled = await cloud.callApi(SERVICE, { inputs: 'I love this product' });
    const held = await holder;
    runtime.destroy();

    expect(throttled.status).toBe(429);
    expect(JSON.parse(throttled.body)).toMatchObject({ error: 'Throttled' });
    expect(throttled.servedBy).toBe(endpointName);
    expect(held.ContentType).toBe('application/json');
    await cloud.clearFaults();
    // Once the slot is free, the API answers again.
    expect((await cloud.callApi(SERVICE, { inputs: 'I love this product' })).status).toBe(200);
  }, 60_000);

  it("refuses a body over the serverless 4 MB with 413, though the API's own limit is 4,500,000 bytes", async () => {
    const big = JSON.stringify({ inputs: 'x'.repeat(4 * 1024 * 1024) });

    const answer = await cloud.request(SERVICE, {
      headers: { 'content-type': 'application/json' },
      body: big,
    });

    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({
      error: 'PayloadTooLarge',
      message: expect.stringContaining('HTTP content length exceeded 4194304 bytes.') as unknown,
    });
  }, 60_000);

  it("refuses custom attributes SageMaker would refuse with the API's own 400 naming the header", async () => {
    const answer = await cloud.request(SERVICE, {
      headers: { 'content-type': 'application/json', 'x-amzn-sagemaker-custom-attributes': 'c'.repeat(1025) },
      body: JSON.stringify({ inputs: 'I love this product' }),
    });

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'InvalidHeader',
      message:
        'Header X-Amzn-SageMaker-Custom-Attributes is 1025 characters long; SageMaker accepts at most 1024. Send a shorter value.',
    });
  }, 60_000);
});
