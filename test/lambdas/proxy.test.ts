import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logger } from '../../lambdas/shared/logger';
import { createHandler, type ProxyHandler } from '../../lambdas/proxy/handler';
import type { RequestMetrics } from '../../lambdas/proxy/metrics';
import { LAMBDA_EVENT_LIMIT_BYTES, MAX_BODY_BYTES } from '../../lambdas/proxy/request';
import { FakeAwsHttp, okJson, wireError, type WireAnswer } from './support/fake-aws-http';

// SageMaker Runtime and SSM at the HTTP boundary: the proxy calls them through lambdas/shared/aws-http.ts.
let aws: FakeAwsHttp;
const pointerJson = readFileSync(join(__dirname, '../fixtures/live-pointer.json'), 'utf8');
const POINTER_ENDPOINT = 'sentiment-distilbert-base-20250220-090000-0f3c';
const ENDPOINT = 'sentiment-bert-20250301-101010-beef';
const SAVED_ENV = { ...process.env };

interface Setup {
  readonly handler: ProxyHandler;
  readonly clock: { now: number };
  readonly metrics: RequestMetrics[];
}

function setup(): Setup {
  const clock = { now: 1_700_000_000_000 };
  const metrics: RequestMetrics[] = [];
  const handler = createHandler({ now: () => clock.now, emitMetrics: (m) => metrics.push(m) });
  return { handler, clock, metrics };
}

function event(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/predict',
    resource: '/{proxy+}',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    body: Buffer.from('{"inputs":"I love it"}').toString('base64'),
    isBase64Encoded: true,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'api-req-1' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

function context(remainingMs = 29_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'hf-rollout-sentiment-proxy',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:hf-rollout-sentiment-proxy',
    memoryLimitInMB: '1024',
    awsRequestId: 'lambda-req-1',
    logGroupName: '/aws/lambda/hf-rollout-sentiment-proxy',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function post(body: Buffer, contentType: string | undefined, extraHeaders: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extraHeaders };
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  return event({ headers, body: body.toString('base64'), isBase64Encoded: true });
}

/** A model answer as SageMaker Runtime sends it. */
function modelAnswer(
  body: string | Uint8Array,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): WireAnswer {
  return {
    kind: 'ok',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  };
}

function answers(body: string | Uint8Array, contentType = 'application/json'): void {
  aws.invoke.resolves(modelAnswer(body, contentType));
}

function sentInvoke(index = 0) {
  const call = aws.invoke.calls[index];
  if (call === undefined) throw new Error(`InvokeEndpoint call ${index} was not made`);
  expect(call.signatureValid).toBe(true);
  return call;
}

function errorBody(result: APIGatewayProxyResult): { error: string; message: string } {
  expect(result.headers?.['Content-Type']).toBe('application/json');
  const parsed = JSON.parse(result.body) as { error: string; message: string };
  expect(Object.keys(parsed).sort()).toEqual(['error', 'message']);
  expect(result.body).not.toMatch(/\n\s+at /);
  return parsed;
}

const notFound = (): WireAnswer => wireError('ParameterNotFound', '', 400);

beforeAll(async () => {
  aws = await FakeAwsHttp.start();
});

beforeEach(() => {
  aws.reset();
  process.env = { ...SAVED_ENV, ...aws.env() };
  process.env.PROJECT_PREFIX = 'hf-rollout';
  process.env.SERVICE_NAME = 'sentiment';
  process.env.ENDPOINT_NAME = ENDPOINT;
  delete process.env.ORIGIN_VERIFY_SECRET;
  delete process.env.LIVE_MODEL_ID;
  delete process.env.LIVE_ROLLOUT_ID;
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  process.env = SAVED_ENV;
  await aws.close();
});

describe('POST /predict pass-through', () => {
  it('passes JSON bytes with non-ASCII text and the exact Content-Type to InvokeEndpoint unchanged', async () => {
    // Arrange
    const { handler } = setup();
    const raw = Buffer.from(
      '{"inputs": "J\'adore ce café ☕ — “vraiment”", "parameters": {"top_k": 2}}\n',
      'utf8',
    );
    answers('[{"label":"POSITIVE","score":0.99}]');

    // Act
    const result = await handler(post(raw, 'application/json; charset=utf-8'), context());

    // Assert
    expect(result.statusCode).toBe(200);
    const sent = sentInvoke();
    expect(sent.EndpointName).toBe(ENDPOINT);
    expect(Buffer.from(sent.Body).equals(raw)).toBe(true);
    expect(sent.ContentType).toBe('application/json; charset=utf-8');
    expect(sent.Accept).toBe('application/json');
  });

  it('passes binary bodies byte for byte and returns binary answers base64-encoded', async () => {
    const { handler } = setup();
    const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x1a, 0x80, 0x00]);
    const answer = Buffer.from([0x00, 0x01, 0xff, 0xc3, 0x28, 0x7f]);
    answers(answer, 'image/png');

    const result = await handler(post(image, 'image/png', { Accept: 'image/png' }), context());

    expect(result.statusCode).toBe(200);
    expect(Buffer.from(sentInvoke().Body).equals(image)).toBe(true);
    expect(sentInvoke().Accept).toBe('image/png');
    expect(result.isBase64Encoded).toBe(true);
    expect(result.headers?.['Content-Type']).toBe('image/png');
    expect(Buffer.from(result.body, 'base64').equals(answer)).toBe(true);
  });

  it('accepts a plain (not base64) body', async () => {
    const { handler } = setup();
    answers('[]');

    const result = await handler(
      event({
        body: '{"inputs":"naïve"}',
        isBase64Encoded: false,
        headers: { 'content-type': 'application/json' },
      }),
      context(),
    );

    expect(result.statusCode).toBe(200);
    expect(Buffer.from(sentInvoke().Body).toString('utf8')).toBe('{"inputs":"naïve"}');
  });

  it("returns the model's JSON answer as text with its content type, non-ASCII intact", async () => {
    const { handler } = setup();
    const answer = '[{"generated_text":"Très bien — ça marche ✓"}]';
    answers(answer, 'application/json; charset=utf-8');

    const result = await handler(event(), context());

    expect(result).toMatchObject({ statusCode: 200, body: answer, isBase64Encoded: false });
    expect(result.headers?.['Content-Type']).toBe('application/json; charset=utf-8');
    expect(result.headers?.['Cache-Control']).toBe('no-store');
  });

  it('base64-encodes a text answer whose bytes are not UTF-8, so no byte is lost', async () => {
    const { handler } = setup();
    const answer = Buffer.from([0x6f, 0x6b, 0xff, 0xfe]);
    answers(answer, 'text/plain');

    const result = await handler(event(), context());

    expect(result.isBase64Encoded).toBe(true);
    expect(Buffer.from(result.body, 'base64').equals(answer)).toBe(true);
  });

  it('sends application/json as Accept when the request accepts anything, and passes custom attributes both ways', async () => {
    const { handler } = setup();
    aws.invoke.resolves(
      modelAnswer('{}', 'application/json', {
        'x-amzn-sagemaker-custom-attributes': 'trace=abc',
        'x-amzn-invoked-production-variant': 'AllTraffic',
      }),
    );

    const result = await handler(
      event({
        headers: {
          'content-type': 'application/json',
          accept: '*/*',
          'X-Amzn-SageMaker-Custom-Attributes': 'user=42',
        },
      }),
      context(),
    );

    expect(sentInvoke().Accept).toBe('application/json');
    expect(sentInvoke().CustomAttributes).toBe('user=42');
    expect(result.headers?.['x-amzn-sagemaker-custom-attributes']).toBe('trace=abc');
    expect(result.headers?.['x-invoked-production-variant']).toBe('AllTraffic');
  });

  it('treats a request without Content-Type as JSON', async () => {
    const { handler } = setup();
    answers('[]');

    const result = await handler(post(Buffer.from('{"inputs":"x"}'), undefined), context());

    expect(result.statusCode).toBe(200);
    expect(sentInvoke().ContentType).toBe('application/json');
  });

  it.each([
    'text/csv',
    'text/plain; charset=utf-8',
    'application/octet-stream',
    'application/x-npy',
    'application/x-image',
    'image/jpeg',
    'audio/wav',
    'application/jsonlines',
    'application/vnd.example+json',
  ])('lets %s through', async (contentType) => {
    const { handler } = setup();
    answers('[]');
    const body = contentType.includes('json') ? Buffer.from('{"a":1}') : Buffer.from([1, 2, 3]);

    const result = await handler(post(body, contentType), context());

    expect(result.statusCode).toBe(200);
    expect(sentInvoke().ContentType).toBe(contentType);
  });

  it('accepts a body of exactly MAX_BODY_BYTES (4,500,000 bytes)', async () => {
    const { handler } = setup();
    answers('[]');

    const result = await handler(
      post(Buffer.alloc(MAX_BODY_BYTES, 7), 'application/octet-stream'),
      context(),
    );

    expect(result.statusCode).toBe(200);
    expect(sentInvoke().Body.length).toBe(MAX_BODY_BYTES);
  });

  it('emits ModelLatency and ProxyOverhead for an answered request', async () => {
    const { handler, metrics } = setup();
    answers('[]');

    await handler(event(), context());

    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ service: 'sentiment' });
    expect(metrics[0]?.modelLatencyMs).toBeGreaterThanOrEqual(0);
    expect(metrics[0]?.proxyOverheadMs).toBeGreaterThanOrEqual(0);
  });
});

describe('POST /predict request errors', () => {
  it.each([
    ['no body', event({ body: null, isBase64Encoded: false })],
    ['an empty body', event({ body: '', isBase64Encoded: false })],
    ['an empty base64 body', event({ body: '', isBase64Encoded: true })],
  ])('rejects %s with 400 MissingBody', async (_name, request) => {
    const { handler } = setup();

    const result = await handler(request, context());

    expect(result.statusCode).toBe(400);
    expect(errorBody(result).error).toBe('MissingBody');
    expect(aws.invoke.calls).toHaveLength(0);
  });

  it('rejects invalid JSON with 400 and says where parsing failed', async () => {
    const { handler } = setup();

    const result = await handler(
      post(Buffer.from('{\n  "inputs": "ok",\n  "parameters": {"top_k": }\n}'), 'application/json'),
      context(),
    );

    expect(result.statusCode).toBe(400);
    const body = errorBody(result);
    expect(body.error).toBe('InvalidJson');
    expect(body.message).toContain('line 3, column 27');
    expect(body.message).toContain(`near 'ameters": {"top_k": }\\n}'`);
    expect(body.message).toContain('expected a value');
    expect(aws.invoke.calls).toHaveLength(0);
  });

  it('rejects a JSON body that is not UTF-8 with 400', async () => {
    const { handler } = setup();

    const result = await handler(
      post(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'application/json'),
      context(),
    );

    expect(result.statusCode).toBe(400);
    expect(errorBody(result).error).toBe('InvalidEncoding');
  });

  it('does not check bodies that are not JSON', async () => {
    const { handler } = setup();
    answers('[]');

    const result = await handler(post(Buffer.from('{not json'), 'text/plain'), context());

    expect(result.statusCode).toBe(200);
  });

  it('rejects form-encoded bodies with 415 and a hint about curl -d', async () => {
    const { handler } = setup();

    const result = await handler(
      post(Buffer.from('{"inputs":"x"}'), 'application/x-www-form-urlencoded'),
      context(),
    );

    expect(result.statusCode).toBe(415);
    const body = errorBody(result);
    expect(body.error).toBe('UnsupportedMediaType');
    expect(body.message).toContain('Content-Type: application/json');
  });

  it.each(['multipart/form-data; boundary=x', 'application/xml', 'video/mp4'])(
    'rejects %s with 415',
    async (contentType) => {
      const { handler } = setup();

      const result = await handler(post(Buffer.from('x'), contentType), context());

      expect(result.statusCode).toBe(415);
      expect(errorBody(result).message).toContain(contentType);
    },
  );

  it('accepts a 4.3 MB body, which fits a Lambda event once base64-encoded', async () => {
    const { handler } = setup();
    answers('[]');

    const result = await handler(post(Buffer.alloc(4_300_000, 7), 'application/octet-stream'), context());

    expect(result.statusCode).toBe(200);
    expect(sentInvoke().Body.length).toBe(4_300_000);
  });

  it('refuses a 5 MB body with 413 naming the limit and why (base64 in a 6 MB Lambda event)', async () => {
    const { handler } = setup();
    const size = 5 * 1024 * 1024;

    const result = await handler(post(Buffer.alloc(size, 7), 'application/octet-stream'), context());

    expect(result.statusCode).toBe(413);
    const body = errorBody(result);
    expect(body.error).toBe('PayloadTooLarge');
    expect(body.message).toContain(`The body is ${size} bytes`);
    expect(body.message).toContain('at most 4500000 bytes');
    expect(body.message).toContain('4194304 bytes on a serverless endpoint');
    expect(body.message).toContain(String(LAMBDA_EVENT_LIMIT_BYTES));
    expect(aws.invoke.calls).toHaveLength(0);
  });

  it('keeps MAX_BODY_BYTES base64-encoded at least 256 KB under the Lambda event limit', () => {
    const base64Length = 4 * Math.ceil(MAX_BODY_BYTES / 3);

    expect(LAMBDA_EVENT_LIMIT_BYTES - base64Length).toBeGreaterThanOrEqual(256 * 1024);
  });

  it('rejects a body over MAX_BODY_BYTES (after base64 decoding) with 413', async () => {
    const { handler } = setup();

    const result = await handler(
      post(Buffer.alloc(MAX_BODY_BYTES + 1), 'application/octet-stream'),
      context(),
    );

    expect(result.statusCode).toBe(413);
    const body = errorBody(result);
    expect(body.error).toBe('PayloadTooLarge');
    expect(body.message).toContain(String(MAX_BODY_BYTES + 1));
    expect(aws.invoke.calls).toHaveLength(0);
  });
});

describe('POST /predict SageMaker errors', () => {
  const cases: [string, () => WireAnswer, number, string, string | undefined][] = [
    [
      'a ModelError with a 5xx container status',
      () =>
        wireError('ModelError', 'Received server error (500) from primary', 424, {
          OriginalStatusCode: 500,
          OriginalMessage: 'CUDA out of memory',
        }),
      502,
      'ModelError',
      undefined,
    ],
    [
      'a ModelError with a 4xx container status',
      () =>
        wireError('ModelError', 'Received client error (400) from primary', 424, {
          OriginalStatusCode: 400,
          OriginalMessage: '{"code":400,"type":"InternalServerException","message":"\'inputs\' is required"}',
        }),
      400,
      'ModelRejectedInput',
      undefined,
    ],
    [
      'a ModelError for a container timeout',
      () =>
        wireError('ModelError', 'Received server error (0) from primary', 424, {
          OriginalStatusCode: 0,
          OriginalMessage: 'Your invocation timed out while waiting for a response from container primary.',
        }),
      504,
      'UpstreamTimeout',
      undefined,
    ],
    [
      'a ValidationError for a missing endpoint',
      () => wireError('ValidationError', `Endpoint ${ENDPOINT} of account 123456789012 not found.`, 400),
      503,
      'EndpointNotFound',
      undefined,
    ],
    [
      'another ValidationError',
      () => wireError('ValidationError', 'Model input is too large', 400),
      400,
      'InvalidRequest',
      undefined,
    ],
    [
      'a ThrottlingException',
      () => wireError('ThrottlingException', 'Rate exceeded', 400),
      429,
      'Throttled',
      '1',
    ],
    [
      'ServiceUnavailable',
      () => wireError('ServiceUnavailable', 'Service unavailable', 503),
      429,
      'Throttled',
      '1',
    ],
    ['an HTTP 429', () => wireError(undefined, 'Too many requests', 429), 429, 'Throttled', '1'],
    [
      'ModelNotReadyException',
      () => wireError('ModelNotReadyException', 'Model not ready', 429),
      503,
      'ModelNotReady',
      '10',
    ],
    ['a dropped connection', (): WireAnswer => ({ kind: 'drop' }), 502, 'UpstreamError', undefined],
    [
      'InternalFailure',
      () => wireError('InternalFailure', 'Internal failure', 500),
      502,
      'UpstreamError',
      undefined,
    ],
  ];

  it.each(cases)('answers %s with %i %s', async (_name, makeError, status, code, retryAfter) => {
    const { handler } = setup();
    aws.invoke.rejects(makeError());

    const result = await handler(event(), context());

    expect(result.statusCode).toBe(status);
    expect(errorBody(result).error).toBe(code);
    expect(result.headers?.['Retry-After']).toBe(retryAfter);
    expect(result.headers?.['x-served-by-endpoint']).toBe(ENDPOINT);
  });

  it("puts the container's status and message in a ModelError answer", async () => {
    const { handler } = setup();
    aws.invoke.rejects(
      wireError('ModelError', 'Received server error (503) from primary', 424, {
        OriginalStatusCode: 503,
        OriginalMessage: 'worker died',
        LogStreamArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/x',
      }),
    );

    const result = await handler(event(), context());

    const body = errorBody(result);
    expect(body.message).toContain('503');
    expect(body.message).toContain('worker died');
    expect(body.message).not.toContain('123456789012');
  });

  it("answers a 4xx ModelError with 400 and the container's message", async () => {
    const { handler } = setup();
    aws.invoke.rejects(
      wireError('ModelError', 'Received client error (422)', 424, {
        OriginalStatusCode: 422,
        OriginalMessage: 'inputs must be a string',
      }),
    );

    const result = await handler(event(), context());

    expect(result.statusCode).toBe(400);
    expect(errorBody(result).message).toContain('422');
    expect(errorBody(result).message).toContain('inputs must be a string');
  });

  it('answers 504 itself before the Lambda deadline when the model is too slow', async () => {
    const { handler } = setup();
    let timer: NodeJS.Timeout | undefined;
    aws.invoke.callsFake(
      () =>
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(modelAnswer('[]')), 5_000);
        }),
    );
    const started = Date.now();

    const result = await handler(event(), context(1_600));
    clearTimeout(timer);

    expect(result.statusCode).toBe(504);
    expect(errorBody(result).error).toBe('UpstreamTimeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers anything unexpected with 500, a generic message and the error logged', async () => {
    const { handler } = setup();
    const denied = wireError(
      'AccessDeniedException',
      'not authorized to perform sagemaker:InvokeEndpoint',
      403,
    );
    aws.invoke.rejects(denied);

    const result = await handler(event(), context());

    expect(result.statusCode).toBe(500);
    const body = errorBody(result);
    expect(body).toEqual({
      error: 'InternalError',
      message: 'The inference API failed unexpectedly; the error is logged with request id lambda-req-1.',
    });
    expect(logger.error).toHaveBeenCalledWith(
      'unexpected error',
      expect.objectContaining({ error: expect.stringContaining('AccessDeniedException') as unknown }),
    );
  });
});

describe('live endpoint from SSM when ENDPOINT_NAME is unset', () => {
  beforeEach(() => {
    delete process.env.ENDPOINT_NAME;
  });

  it('invokes the endpoint of the live pointer', async () => {
    const { handler } = setup();
    aws.ssm.resolves(okJson({ Parameter: { Value: pointerJson } }));
    answers('[]');

    const result = await handler(event(), context());

    expect(result.statusCode).toBe(200);
    expect(sentInvoke().EndpointName).toBe(POINTER_ENDPOINT);
    expect(result.headers?.['x-served-by-endpoint']).toBe(POINTER_ENDPOINT);
    expect(aws.ssm.calls[0]?.signatureValid).toBe(true);
    expect(aws.ssm.calls[0]?.input).toEqual({
      Name: '/hf-rollout/sentiment/live',
    });
  });

  it('reads SSM once per 30 seconds, not per request', async () => {
    const { handler, clock } = setup();
    aws.ssm.resolves(okJson({ Parameter: { Value: pointerJson } }));
    answers('[]');

    await handler(event(), context());
    clock.now += 29_000;
    await handler(event(), context());
    expect(aws.ssm.calls).toHaveLength(1);

    clock.now += 2_000;
    await handler(event(), context());
    expect(aws.ssm.calls).toHaveLength(2);
  });

  it('answers 503 NoDeployment when nothing was ever deployed', async () => {
    const { handler } = setup();
    aws.ssm.rejects(notFound());

    const result = await handler(event(), context());

    expect(result.statusCode).toBe(503);
    expect(errorBody(result)).toEqual({
      error: 'NoDeployment',
      message: 'No model is deployed for service sentiment yet; run `rollout deploy <spec>`.',
    });
    expect(result.headers?.['x-served-by-endpoint']).toBe('none');
    expect(aws.invoke.calls).toHaveLength(0);
  });

  it('answers 503 when SSM fails and nothing is cached', async () => {
    const { handler } = setup();
    aws.ssm.rejects(wireError('ThrottlingException', 'Rate exceeded', 400));

    const result = await handler(event(), context());

    expect(result.statusCode).toBe(503);
    expect(errorBody(result).error).toBe('LivePointerUnavailable');
  });

  it('keeps serving the last pointer when SSM fails after it expired', async () => {
    const { handler, clock } = setup();
    aws.ssm
      .resolvesOnce(okJson({ Parameter: { Value: pointerJson } }))
      .rejects(wireError('InternalServerError', 'boom', 500));
    answers('[]');

    await handler(event(), context());
    clock.now += 31_000;
    const result = await handler(event(), context());

    expect(result.statusCode).toBe(200);
    expect(sentInvoke(1).EndpointName).toBe(POINTER_ENDPOINT);
  });

  it('reads SSM again after the pointed-at endpoint turned out to be gone', async () => {
    const { handler } = setup();
    aws.ssm.resolves(okJson({ Parameter: { Value: pointerJson } }));
    aws.invoke
      .rejectsOnce(wireError('ValidationError', `Endpoint ${POINTER_ENDPOINT} of account 1 not found.`, 400))
      .resolves(modelAnswer('[]'));

    const first = await handler(event(), context());
    const second = await handler(event(), context());

    expect(first.statusCode).toBe(503);
    expect(second.statusCode).toBe(200);
    expect(aws.ssm.calls).toHaveLength(2);
  });

  it('does not call SSM for predictions when ENDPOINT_NAME is set', async () => {
    process.env.ENDPOINT_NAME = ENDPOINT;
    const { handler } = setup();
    answers('[]');

    await handler(event(), context());

    expect(aws.ssm.calls).toHaveLength(0);
  });
});

describe('GET /model', () => {
  it('describes the live deployment from the environment and the agreeing pointer, cacheable for 5 s', async () => {
    process.env.ENDPOINT_NAME = POINTER_ENDPOINT;
    process.env.LIVE_MODEL_ID = 'distilbert/distilbert-base-uncased-finetuned-sst-2-english';
    const { handler } = setup();
    aws.ssm.resolves(okJson({ Parameter: { Value: pointerJson } }));

    const result = await handler(event({ httpMethod: 'GET', path: '/model', body: null }), context());

    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Cache-Control']).toBe('max-age=5');
    expect(result.headers?.['x-served-by-endpoint']).toBe(POINTER_ENDPOINT);
    expect(JSON.parse(result.body)).toEqual({
      service: 'sentiment',
      endpointName: POINTER_ENDPOINT,
      rolloutId: POINTER_ENDPOINT,
      modelId: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
      modelRevision: 'main',
      task: 'text-classification',
      since: '2025-02-20T09:12:00.000Z',
      source: 'environment',
    });
  });

  it('answers from the environment alone when SSM is unavailable', async () => {
    process.env.LIVE_MODEL_ID = 'org/model';
    process.env.LIVE_ROLLOUT_ID = 'rollout-1';
    const { handler } = setup();
    aws.ssm.rejects(wireError('InternalServerError', 'boom', 500));

    const result = await handler(event({ httpMethod: 'GET', path: '/model', body: null }), context());

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      endpointName: ENDPOINT,
      rolloutId: 'rollout-1',
      modelId: 'org/model',
    });
  });

  it('describes the live pointer when ENDPOINT_NAME is unset', async () => {
    delete process.env.ENDPOINT_NAME;
    const { handler } = setup();
    aws.ssm.resolves(okJson({ Parameter: { Value: pointerJson } }));

    const result = await handler(event({ httpMethod: 'GET', path: '/model', body: null }), context());

    expect(JSON.parse(result.body)).toMatchObject({
      endpointName: POINTER_ENDPOINT,
      modelId: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
      source: 'live-pointer',
    });
  });

  it('answers HEAD with the headers and no body', async () => {
    const { handler } = setup();
    aws.ssm.rejects(notFound());

    const result = await handler(event({ httpMethod: 'HEAD', path: '/model', body: null }), context());

    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
    expect(result.headers?.['x-served-by-endpoint']).toBe(ENDPOINT);
  });

  it('answers 503 NoDeployment when nothing is live', async () => {
    delete process.env.ENDPOINT_NAME;
    const { handler } = setup();
    aws.ssm.rejects(notFound());

    const result = await handler(event({ httpMethod: 'GET', path: '/model', body: null }), context());

    expect(result.statusCode).toBe(503);
    expect(errorBody(result).error).toBe('NoDeployment');
  });
});

describe('routes and origin verification', () => {
  it.each([
    ['GET', '/predict', 405, 'MethodNotAllowed', 'POST, OPTIONS'],
    ['DELETE', '/model', 405, 'MethodNotAllowed', 'GET, HEAD, OPTIONS'],
    ['GET', '/', 404, 'NotFound', undefined],
    ['POST', '/predictions', 404, 'NotFound', undefined],
  ])('answers %s %s with %i', async (method, path, status, code, allow) => {
    const { handler } = setup();

    const result = await handler(event({ httpMethod: method, path }), context());

    expect(result.statusCode).toBe(status);
    expect(errorBody(result).error).toBe(code);
    expect(result.headers?.Allow).toBe(allow);
  });

  it('answers OPTIONS with 204 and the allowed methods', async () => {
    const { handler } = setup();

    const result = await handler(event({ httpMethod: 'OPTIONS', body: null }), context());

    expect(result.statusCode).toBe(204);
    expect(result.headers?.Allow).toBe('POST, OPTIONS');
  });

  it('serves /predict/ like /predict', async () => {
    const { handler } = setup();
    answers('[]');

    const result = await handler(event({ path: '/predict/' }), context());

    expect(result.statusCode).toBe(200);
  });

  it.each([
    ['no header', {}],
    ['a wrong value', { 'x-origin-verify': 'guess' }],
  ])(
    'refuses a request with %s when ORIGIN_VERIFY_SECRET is set',
    async (_name, headers: Record<string, string>) => {
      process.env.ORIGIN_VERIFY_SECRET = 's3cret-value';
      const { handler } = setup();

      const result = await handler(
        event({ headers: { 'content-type': 'application/json', ...headers } }),
        context(),
      );

      expect(result.statusCode).toBe(403);
      expect(errorBody(result)).toEqual({
        error: 'Forbidden',
        message: 'Call the API through its CloudFront URL.',
      });
      expect(aws.invoke.calls).toHaveLength(0);
    },
  );

  it('lets a request with the right x-origin-verify through, whatever the header-name case', async () => {
    process.env.ORIGIN_VERIFY_SECRET = 's3cret-value';
    const { handler } = setup();
    answers('[]');

    const result = await handler(
      event({ headers: { 'Content-Type': 'application/json', 'X-Origin-Verify': 's3cret-value' } }),
      context(),
    );

    expect(result.statusCode).toBe(200);
  });

  it('puts x-served-by-endpoint on every answer', async () => {
    process.env.ORIGIN_VERIFY_SECRET = 'v';
    const { handler } = setup();
    answers('[]');
    const ok = { 'content-type': 'application/json', 'x-origin-verify': 'v' };
    const requests = [
      event({ headers: ok }),
      event({ headers: { 'content-type': 'application/json' } }),
      event({ headers: { ...ok, 'content-type': 'application/x-www-form-urlencoded' } }),
      event({ headers: ok, body: null }),
      event({ headers: ok, httpMethod: 'GET', path: '/nowhere' }),
      event({ headers: ok, httpMethod: 'PUT' }),
      event({ headers: ok, httpMethod: 'OPTIONS' }),
      event({ headers: ok, httpMethod: 'GET', path: '/model' }),
    ];

    const results = await Promise.all(requests.map((r) => handler(r, context())));

    expect(results.map((r) => r.headers?.['x-served-by-endpoint'])).toEqual(requests.map(() => ENDPOINT));
  });

  it('says "none" in x-served-by-endpoint when no endpoint is known', async () => {
    delete process.env.ENDPOINT_NAME;
    const { handler } = setup();

    const result = await handler(event({ httpMethod: 'GET', path: '/nowhere' }), context());

    expect(result.headers?.['x-served-by-endpoint']).toBe('none');
  });
});
