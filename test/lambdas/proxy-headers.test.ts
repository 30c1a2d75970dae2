import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  createProxy,
  MAX_INVOKE_HEADER_CHARS,
  readProxyConfig,
  type InvokeInput,
  type InvokeOutput,
  type ProxyDeps,
} from '../../lambdas/proxy/core';
import type { ProxyRequest } from '../../lambdas/proxy/request';
import { startDataPlane, type DataPlaneHarness } from '../local/data-plane-harness';

/**
 * Issue 9 item 11: the proxy refuses caller headers SageMaker InvokeEndpoint would refuse
 * (Content-Type, Accept, X-Amzn-SageMaker-Custom-Attributes over 1024 characters or not ASCII) with a
 * 400 of its own naming the header and the limit, and still maps SageMaker's ValidationError to a
 * 400 if one comes back.
 */

const ENDPOINT = 'sentiment-bert-20250301-101010-beef';

function proxyWith(invoke: (input: InvokeInput) => Promise<InvokeOutput>): {
  readonly call: (headers: Record<string, string>) => ReturnType<ReturnType<typeof createProxy>>;
  readonly invoked: InvokeInput[];
} {
  const invoked: InvokeInput[] = [];
  const deps: ProxyDeps = {
    invokeEndpoint: (input) => {
      invoked.push(input);
      return invoke(input);
    },
    readLivePointer: () => Promise.resolve(null),
    emitMetrics: () => undefined,
    now: () => 0,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  const proxy = createProxy(deps);
  const call = (headers: Record<string, string>) => {
    const request: ProxyRequest = {
      method: 'POST',
      path: '/predict',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"inputs":"I love it"}',
      isBase64Encoded: false,
      apiRequestId: 'api-1',
    };
    return proxy(request, {
      config: readProxyConfig({ SERVICE_NAME: 'sentiment', ENDPOINT_NAME: ENDPOINT }),
      requestId: 'req-1',
      remainingMs: () => 29_000,
    });
  };
  return { call, invoked };
}

const modelAnswers = (): Promise<InvokeOutput> =>
  Promise.resolve({
    body: Buffer.from('[{"label":"POSITIVE","score":0.9}]'),
    contentType: 'application/json',
    invokedProductionVariant: 'AllTraffic',
    customAttributes: undefined,
  });

function errorOf(result: { statusCode: number; body: string }): { error: string; message: string } {
  return JSON.parse(result.body) as { error: string; message: string };
}

describe('the proxy refuses headers SageMaker would refuse', () => {
  const tooLong = 'a'.repeat(MAX_INVOKE_HEADER_CHARS - 'application/json; x='.length + 1);
  it.each([
    ['Content-Type', 'content-type', `application/json; x=${tooLong}`],
    ['Accept', 'accept', `application/json; x=${tooLong}`],
    ['X-Amzn-SageMaker-Custom-Attributes', 'x-amzn-sagemaker-custom-attributes', 'c'.repeat(1025)],
  ])(
    'answers 400 InvalidHeader for %s over 1024 characters, without calling SageMaker',
    async (name, key, value) => {
      // Arrange
      const { call, invoked } = proxyWith(modelAnswers);

      // Act
      const result = await call({ [key]: value });

      // Assert
      expect(value.length).toBe(1025);
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toEqual({
        error: 'InvalidHeader',
        message: `Header ${name} is 1025 characters long; SageMaker accepts at most 1024. Send a shorter value.`,
      });
      expect(invoked).toEqual([]);
    },
  );

  it('answers 400 InvalidHeader for non-ASCII custom attributes, naming the position', async () => {
    // Arrange
    const { call, invoked } = proxyWith(modelAnswers);

    // Act
    const result = await call({ 'x-amzn-sagemaker-custom-attributes': 'trace=café' });

    // Assert
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).error).toBe('InvalidHeader');
    expect(errorOf(result).message).toContain(
      'Header X-Amzn-SageMaker-Custom-Attributes has a non-ASCII character at position 10',
    );
    expect(invoked).toEqual([]);
  });

  it('passes custom attributes of exactly 1024 ASCII characters through', async () => {
    // Arrange
    const { call, invoked } = proxyWith(modelAnswers);
    const attributes = 'c'.repeat(1024);

    // Act
    const result = await call({ 'x-amzn-sagemaker-custom-attributes': attributes });

    // Assert
    expect(result.statusCode).toBe(200);
    expect(invoked[0]?.customAttributes).toBe(attributes);
  });
});

describe("the proxy maps the local cloud's strict InvokeEndpoint ValidationError", () => {
  let h: DataPlaneHarness;
  beforeAll(async () => {
    h = await startDataPlane();
  });
  afterAll(async () => {
    await h.stop();
  });

  it("answers 400 InvalidRequest with SageMaker's message when SageMaker refuses a header", async () => {
    // Arrange: the error SageMaker Runtime really sends (over the wire, parsed by the SDK).
    const runtime = new SageMakerRuntimeClient(h.client);
    const refused = await runtime
      .send(
        new InvokeEndpointCommand({
          EndpointName: ENDPOINT,
          Body: Buffer.from('{"inputs":"x"}'),
          ContentType: 'application/json',
          CustomAttributes: 'c'.repeat(1025),
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    runtime.destroy();
    if (!(refused instanceof Error)) throw new Error('expected SageMaker Runtime to refuse the header');
    expect(refused.name).toBe('ValidationError');
    const { call } = proxyWith(() => Promise.reject(refused));

    // Act
    const result = await call({});

    // Assert
    expect(result.statusCode).toBe(400);
    expect(errorOf(result)).toEqual({
      error: 'InvalidRequest',
      message:
        "SageMaker refused the request: 1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024",
    });
  });

  it("answers 413 PayloadTooLarge when SageMaker refuses a body over a serverless endpoint's 4 MB", async () => {
    // Arrange: SageMaker's 413 as the SDK parses it (a 6 MB + 1 body here; a serverless endpoint
    // answers the same over 4 MB, which the proxy's own 4.5 MB check lets through; see serverless.test.ts).
    const runtime = new SageMakerRuntimeClient(h.client);
    const refused = await runtime
      .send(
        new InvokeEndpointCommand({
          EndpointName: ENDPOINT,
          Body: Buffer.alloc(6 * 1024 * 1024 + 1, 'x'),
          ContentType: 'application/json',
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    runtime.destroy();
    if (!(refused instanceof Error)) throw new Error('expected SageMaker Runtime to refuse the body');
    const { call } = proxyWith(() => Promise.reject(refused));

    // Act
    const result = await call({});

    // Assert
    expect(result.statusCode).toBe(413);
    expect(errorOf(result).error).toBe('PayloadTooLarge');
    expect(errorOf(result).message).toContain('HTTP content length exceeded 6291456 bytes.');
    expect(errorOf(result).message).toContain('serverless endpoints accept at most 4194304 bytes');
  });
});
