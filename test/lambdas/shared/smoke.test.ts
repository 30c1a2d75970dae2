import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ValidationError,
  ServiceUnavailable,
  type InvokeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { SmokeTest } from '../../../pipeline/spec/schema';
import {
  checkModelInfo,
  checkSmokeTest,
  encodeSmokeBody,
  expectServedBy,
  httpInvoker,
  mapLimit,
  median,
  runSmokeTests,
  sageMakerInvoker,
  type InvokeAnswer,
  type Invoker,
} from '../../../lambdas/shared/smoke';
import { fixture, spec } from '../switch-health-fixtures';

function smokeTest(expect: Partial<SmokeTest['expect']> = {}, rest: Partial<SmokeTest> = {}): SmokeTest {
  return {
    name: 'positive review',
    body: { inputs: 'I love it' },
    contentType: 'application/json',
    accept: 'application/json',
    expect: { status: 200, jsonPaths: [], maxLatencyMs: 5000, ...expect },
    ...rest,
  };
}

function answer(body: unknown, overrides: Partial<InvokeAnswer> = {}): InvokeAnswer {
  return {
    status: 200,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    contentType: 'application/json',
    latencyMs: 120,
    ...overrides,
  };
}

const positive = fixture<unknown>('smoke-positive-answer.json');

describe('encodeSmokeBody', () => {
  it('sends a JSON body as JSON', () => {
    expect(encodeSmokeBody(smokeTest()).toString()).toBe('{"inputs":"I love it"}');
  });

  it('sends a string body as it is when the content type is not JSON', () => {
    expect(encodeSmokeBody({ body: 'a,b\n1,2', contentType: 'text/csv' }).toString()).toBe('a,b\n1,2');
  });

  it('JSON-encodes a string body when the content type is JSON', () => {
    expect(
      encodeSmokeBody({ body: 'hello', contentType: 'application/json; charset=utf-8' }).toString(),
    ).toBe('"hello"');
  });
});

describe('checkSmokeTest', () => {
  it('passes an answer with the expected status and records its preview', () => {
    // Arrange
    const test = smokeTest();

    // Act
    const result = checkSmokeTest(test, answer(positive, { servedBy: 'ep-1' }));

    // Assert
    expect(result).toEqual({
      name: 'positive review',
      passed: true,
      status: 200,
      latencyMs: 120,
      failures: [],
      responsePreview: '[{"label":"POSITIVE","score":0.9998}]',
      contentType: 'application/json',
      servedBy: 'ep-1',
    });
  });

  it('fails a different status, naming the expected and received status and the body', () => {
    const result = checkSmokeTest(
      smokeTest({ jsonPaths: [{ path: '$[0].label', equals: 'POSITIVE' }] }),
      answer({ message: 'model crashed' }, { status: 500 }),
    );

    expect(result.passed).toBe(false);
    // Content checks are skipped: an error body would fail them all and bury the cause.
    expect(result.failures).toEqual(['status: expected 200, got 500: {"message":"model crashed"}']);
  });

  it('fails when nothing answered, with the error', () => {
    const result = checkSmokeTest(
      smokeTest(),
      answer('', { status: null, error: 'ValidationException: Endpoint x not found', latencyMs: 99999 }),
    );

    // No latency failure either: there was no answer to time.
    expect(result.failures).toEqual([
      'status: expected 200, got no answer (ValidationException: Endpoint x not found)',
    ]);
    expect(result.status).toBeNull();
  });

  it('passes an expected non-200 status', () => {
    expect(checkSmokeTest(smokeTest({ status: 400 }), answer({ error: 'bad' }, { status: 400 })).passed).toBe(
      true,
    );
  });

  it.each([
    ['equals', { path: '$[0].label', equals: 'POSITIVE' }],
    ['equals on an object', { path: '$[0]', equals: { label: 'POSITIVE', score: 0.9998 } }],
    ['oneOf', { path: '$[0].label', oneOf: ['POSITIVE', 'NEUTRAL'] }],
    ['matches', { path: '$[0].score', matches: '^0\\.99' }],
    ['exists', { path: '$[0].score', exists: true }],
    ['exists false', { path: '$[0].explanation', exists: false }],
    ['min', { path: '$[0].score', min: 0.5 }],
    ['max', { path: '$[0].score', max: 1 }],
    ['array length', { path: '$.length', equals: 1 }],
  ])('passes a met %s expectation', (_kind, check) => {
    const result = checkSmokeTest(smokeTest({ jsonPaths: [check] }), answer(positive));

    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it.each([
    [
      'equals',
      { path: '$[0].label', equals: 'NEGATIVE' },
      '$[0].label equals: expected "NEGATIVE", got "POSITIVE"',
    ],
    [
      'equals on a missing value',
      { path: '$[0].text', equals: 'x' },
      '$[0].text equals: expected "x", got nothing',
    ],
    [
      'oneOf',
      { path: '$[0].label', oneOf: ['NEGATIVE', 'NEUTRAL'] },
      '$[0].label oneOf: expected one of ["NEGATIVE","NEUTRAL"], got "POSITIVE"',
    ],
    [
      'matches',
      { path: '$[0].label', matches: '^NEG' },
      '$[0].label matches: expected a match for /^NEG/, got "POSITIVE"',
    ],
    [
      'exists',
      { path: '$[0].explanation', exists: true },
      '$[0].explanation exists: expected a value, got nothing',
    ],
    [
      'exists false',
      { path: '$[0].label', exists: false },
      '$[0].label exists: expected no value, got "POSITIVE"',
    ],
    ['min', { path: '$[0].score', min: 0.99999 }, '$[0].score min: expected a number >= 0.99999, got 0.9998'],
    ['max', { path: '$[0].score', max: 0.5 }, '$[0].score max: expected a number <= 0.5, got 0.9998'],
    [
      'min on a string',
      { path: '$[0].label', min: 0 },
      '$[0].label min: expected a number >= 0, got "POSITIVE"',
    ],
  ])('fails an unmet %s expectation with one line naming it', (_kind, check, line) => {
    const result = checkSmokeTest(smokeTest({ jsonPaths: [check] }), answer(positive));

    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([line]);
  });

  it('compares the array of matches for equals and checks each match for the others', () => {
    const batch = [
      { label: 'POSITIVE', score: 0.99 },
      { label: 'NEGATIVE', score: 0.4 },
    ];

    const result = checkSmokeTest(
      smokeTest({
        jsonPaths: [
          { path: '$[*].label', equals: ['POSITIVE', 'NEGATIVE'] },
          { path: '$[*].label', oneOf: ['POSITIVE', 'NEGATIVE'] },
          { path: '$[*].score', min: 0.5 },
        ],
      }),
      answer(batch),
    );

    expect(result.failures).toEqual(['$[*].score min: expected a number >= 0.5, got [0.99,0.4]']);
  });

  it('fails JSON checks on an answer that is not JSON', () => {
    const result = checkSmokeTest(
      smokeTest({ jsonPaths: [{ path: '$[0].label', exists: true }] }),
      answer('<html>oops</html>', { contentType: 'text/html' }),
    );

    expect(result.failures).toEqual([
      'json: expected a JSON answer to check 1 expectation(s), got text/html: <html>oops</html>',
    ]);
  });

  it('passes when every label found is an expected one', () => {
    const nested = { predictions: [{ label: 'POSITIVE' }, { entities: [{ label: 'NEGATIVE' }] }] };

    expect(checkSmokeTest(smokeTest({ labels: ['POSITIVE', 'NEGATIVE'] }), answer(nested)).failures).toEqual(
      [],
    );
  });

  it('fails a label the test does not allow', () => {
    const result = checkSmokeTest(
      smokeTest({ labels: ['POSITIVE', 'NEGATIVE'] }),
      answer([{ label: 'LABEL_1', score: 0.7 }, { label: 'POSITIVE' }]),
    );

    expect(result.failures).toEqual(['labels: expected only ["POSITIVE","NEGATIVE"], got "LABEL_1"']);
  });

  it('fails an answer with no label at all when labels are expected', () => {
    const result = checkSmokeTest(smokeTest({ labels: ['POSITIVE'] }), answer({ generated_text: 'hi' }));

    expect(result.failures).toEqual(['labels: expected at least one "label" among ["POSITIVE"], found none']);
  });

  it('passes an answer within the latency budget', () => {
    expect(
      checkSmokeTest(smokeTest({ maxLatencyMs: 3000 }), answer(positive, { latencyMs: 3000 })).passed,
    ).toBe(true);
  });

  it('fails an answer over the latency budget even when the content is right', () => {
    const result = checkSmokeTest(smokeTest({ maxLatencyMs: 3000 }), answer(positive, { latencyMs: 3001 }));

    expect(result.failures).toEqual(['latency: expected at most 3000 ms, took 3001 ms']);
  });

  it('fails a path jsonpath cannot evaluate instead of throwing', () => {
    const result = checkSmokeTest(smokeTest({ jsonPaths: [{ path: '$', equals: 1 }] }), answer('null'));

    expect(result.failures).toEqual(['$ equals: expected 1, got nothing']);
  });

  it('keeps the first 512 characters of a long answer', () => {
    const result = checkSmokeTest(smokeTest(), answer({ generated_text: 'x'.repeat(2000) }));

    expect(result.responsePreview).toHaveLength(512);
  });

  it('describes a binary answer instead of previewing its bytes', () => {
    const result = checkSmokeTest(
      smokeTest(),
      answer('', { body: Buffer.alloc(2048, 7), contentType: 'audio/wav' }),
    );

    expect(result.responsePreview).toBe('<2048 bytes of audio/wav>');
  });
});

describe('sageMakerInvoker', () => {
  const runtime = mockClient(SageMakerRuntimeClient);
  beforeEach(() => runtime.reset());

  function ticking(...times: number[]): () => number {
    return () => times.shift() ?? 0;
  }

  it('returns status 200 with the body, content type and latency measured around the call', async () => {
    // Arrange
    runtime.on(InvokeEndpointCommand).resolves({
      Body: Buffer.from('[{"label":"POSITIVE"}]') as unknown as InvokeEndpointCommandOutput['Body'],
      ContentType: 'application/json',
    });
    const invoker = sageMakerInvoker(new SageMakerRuntimeClient({}), 'ep-new', ticking(1000, 1250));

    // Act
    const got = await invoker.invoke(Buffer.from('{"inputs":"hi"}'), 'application/json', 'application/json');

    // Assert
    expect(got).toEqual({
      status: 200,
      body: Buffer.from('[{"label":"POSITIVE"}]'),
      contentType: 'application/json',
      latencyMs: 250,
      servedBy: 'ep-new',
    });
    expect(runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, {
      EndpointName: 'ep-new',
      ContentType: 'application/json',
      Accept: 'application/json',
    });
  });

  it("maps ModelError to the container's original status and message", async () => {
    runtime.on(InvokeEndpointCommand).rejects(
      new ModelError({
        $metadata: { httpStatusCode: 424 },
        message: 'Received client error (400) from primary with message "bad input"',
        OriginalStatusCode: 400,
        OriginalMessage: '{"code":400,"message":"bad input"}',
      }),
    );

    const got = await sageMakerInvoker(new SageMakerRuntimeClient({}), 'ep-new', ticking(0, 40)).invoke(
      Buffer.from('{}'),
      'application/json',
      'application/json',
    );

    expect(got.status).toBe(400);
    expect(got.body.toString()).toBe('{"code":400,"message":"bad input"}');
    expect(got.latencyMs).toBe(40);
    expect(got.transient).toBeUndefined();
  });

  it('maps any other error to no status with its message', async () => {
    runtime.on(InvokeEndpointCommand).rejects(
      new ValidationError({
        $metadata: { httpStatusCode: 400 },
        message: 'Endpoint ep-new of account 1 not found.',
      }),
    );

    const got = await sageMakerInvoker(new SageMakerRuntimeClient({}), 'ep-new').invoke(
      Buffer.from('{}'),
      'application/json',
      'application/json',
    );

    expect(got.status).toBeNull();
    expect(got.error).toBe('ValidationError: Endpoint ep-new of account 1 not found.');
    expect(got.transient).toBe(false);
  });

  it('marks a 5xx from SageMaker as transient', async () => {
    runtime
      .on(InvokeEndpointCommand)
      .rejects(new ServiceUnavailable({ $metadata: { httpStatusCode: 503 }, message: 'try later' }));

    const got = await sageMakerInvoker(new SageMakerRuntimeClient({}), 'ep-new').invoke(
      Buffer.from('{}'),
      'application/json',
      'application/json',
    );

    expect(got.status).toBeNull();
    expect(got.transient).toBe(true);
  });
});

describe('httpInvoker', () => {
  let server: Server;
  let publicUrl: string;
  const seen: {
    method: string | undefined;
    url: string | undefined;
    headers: IncomingMessage['headers'];
    body: string;
  }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-served-by-endpoint', 'ep-live');
        res.end('[{"label":"POSITIVE","score":0.9}]');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('posts the body to /predict with the API key and reads the serving endpoint from the header', async () => {
    const invoker = httpInvoker({ publicUrl, apiKey: 'k-123', fetch });

    const got = await invoker.invoke(Buffer.from('{"inputs":"hi"}'), 'application/json', 'application/json');

    expect(got.status).toBe(200);
    expect(got.servedBy).toBe('ep-live');
    expect(got.contentType).toBe('application/json');
    expect(got.body.toString()).toBe('[{"label":"POSITIVE","score":0.9}]');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/predict',
      body: '{"inputs":"hi"}',
      headers: { 'x-api-key': 'k-123', 'content-type': 'application/json', accept: 'application/json' },
    });
  });

  it('sends no x-api-key when the API has no key', async () => {
    await httpInvoker({ publicUrl, apiKey: null, fetch }).invoke(
      Buffer.from('{}'),
      'application/json',
      '*/*',
    );

    expect(seen[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('gets /model without a body', async () => {
    await httpInvoker({ publicUrl, path: '/model', method: 'GET', apiKey: null, fetch }).invoke(
      Buffer.from('ignored'),
      '',
      'application/json',
    );

    expect(seen[0]).toMatchObject({ method: 'GET', url: '/model', body: '' });
  });

  it('reports a refused connection as no status with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const got = await httpInvoker({ publicUrl: `http://127.0.0.1:${port}`, apiKey: null, fetch }).invoke(
      Buffer.from('{}'),
      'application/json',
      'application/json',
    );

    expect(got.status).toBeNull();
    expect(got.error).toContain('ECONNREFUSED');
  });
});

describe('runSmokeTests', () => {
  it('runs at most four tests at once and returns results in the order of the tests', async () => {
    // Arrange
    let inFlight = 0;
    let most = 0;
    const invoker: Invoker = {
      async invoke(body) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        return answer(JSON.parse(body.toString()) as unknown);
      },
    };
    const tests = Array.from({ length: 10 }, (_, i) => smokeTest({}, { name: `t${i}`, body: { i } }));

    // Act
    const outcomes = await runSmokeTests(tests, invoker);

    // Assert
    expect(most).toBe(4);
    expect(outcomes.map((o) => o.result.name)).toEqual(tests.map((t) => t.name));
    expect(outcomes.map((o) => o.result.responsePreview)).toEqual(tests.map((t) => JSON.stringify(t.body)));
  });

  it('judges the spec fixture against a positive answer', async () => {
    const invoker: Invoker = { invoke: () => Promise.resolve(answer(positive)) };

    const outcomes = await runSmokeTests(spec().smokeTests, invoker);

    expect(outcomes.map((o) => [o.result.name, o.result.passed])).toEqual([
      ['positive review', true],
      ['negative review', false],
      ['batch of two', false],
    ]);
  });
});

describe('mapLimit', () => {
  it('handles no items', async () => {
    await expect(mapLimit([], 4, () => Promise.resolve(1))).resolves.toEqual([]);
  });
});

describe('expectServedBy', () => {
  it('keeps a result served by the expected endpoint', () => {
    const result = checkSmokeTest(smokeTest(), answer(positive, { servedBy: 'ep-new' }));

    expect(expectServedBy(result, 'ep-new')).toBe(result);
  });

  it('fails a result served by another endpoint', () => {
    const result = checkSmokeTest(smokeTest(), answer(positive, { servedBy: 'ep-old' }));

    expect(expectServedBy(result, 'ep-new')).toMatchObject({
      passed: false,
      failures: ['servedBy: expected ep-new, got ep-old'],
    });
  });
});

describe('checkModelInfo', () => {
  it('passes GET /model served by the expected endpoint', () => {
    expect(checkModelInfo(answer({ endpointName: 'ep-1' }, { servedBy: 'ep-1' }), 'ep-1').passed).toBe(true);
  });

  it("falls back to the body's endpointName when the header is missing", () => {
    expect(checkModelInfo(answer({ endpointName: 'ep-1' }), 'ep-1')).toMatchObject({
      passed: true,
      servedBy: 'ep-1',
    });
  });

  it('fails a 503 "no deployment" answer', () => {
    const result = checkModelInfo(answer({ message: 'no deployment' }, { status: 503 }), 'ep-1');

    expect(result.failures).toEqual([
      'status: expected 200, got 503',
      'servedBy: expected ep-1, got no x-served-by-endpoint header',
    ]);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([30, 10, 20])).toBe(20);
    expect(median([10, 40, 20, 30])).toBe(25);
    expect(median([])).toBe(0);
  });
});
