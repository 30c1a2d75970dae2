import { UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { EdgeCache } from '../../local/services/edge-cache';
import {
  PROXY_FIXTURE_ENTRY,
  eventually,
  startCompute,
  type ComputeHarness,
} from './support/compute-harness';

const SERVICE = 'sentiment';
const FUNCTION = 'edge-proxy-fixture';
const API_KEY = 'key-123';
const SECRET = 'origin-secret-1';
const DISTRIBUTION = 'EDIST123';

let h: ComputeHarness;
let base: string;

beforeAll(async () => {
  h = await startCompute({
    integrationTimeoutMs: 400,
    extraFunctions: [
      {
        name: FUNCTION,
        entry: PROXY_FIXTURE_ENTRY,
        environment: { ORIGIN_VERIFY_SECRET: SECRET, ENDPOINT_NAME: 'endpoint-a' },
      },
    ],
  });
  h.plane.edge.addRoute({
    service: SERVICE,
    functionName: FUNCTION,
    apiKey: API_KEY,
    originVerifySecret: SECRET,
    distributionId: DISTRIBUTION,
  });
  base = `${h.plane.edgeUrl}/${SERVICE}`;
});

afterAll(async () => {
  await h.stop();
});

afterEach(() => {
  h.faults.clear();
});

async function call(
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Response> {
  const key = init.key === undefined ? API_KEY : init.key;
  return fetch(`${path.startsWith('http') ? '' : base}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(key === null ? {} : { 'x-api-key': key }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

describe('edge: API Gateway proxy integration', () => {
  it('builds the REST proxy event with the path below the service, query maps and request context', async () => {
    const res = await call('/echo?a=1&a=2&b=x', { headers: { 'User-Agent': 'edge-test' } });

    expect(res.status).toBe(200);
    const event = (await res.json()) as Record<string, unknown> & { requestContext: Record<string, unknown> };
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/echo',
      httpMethod: 'GET',
      pathParameters: { proxy: 'echo' },
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      body: null,
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({
      stage: 'prod',
      path: '/prod/echo',
      resourcePath: '/{proxy+}',
      httpMethod: 'GET',
      accountId: '000000000000',
      identity: { sourceIp: '127.0.0.1', apiKey: API_KEY, userAgent: 'edge-test' },
    });
    expect(typeof event.requestContext.requestId).toBe('string');
    expect(typeof event.requestContext.requestTimeEpoch).toBe('number');
    expect(res.headers.get('x-amzn-requestid')).toBe(event.requestContext.requestId);
  });

  it('passes CloudFront headers and the origin secret, and replaces the viewer Host', async () => {
    const res = await call('/echo');

    const event = (await res.json()) as {
      headers: Record<string, string>;
      multiValueHeaders: Record<string, string[]>;
    };
    const headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(headers['x-origin-verify']).toBe(SECRET);
    expect(headers.host).toMatch(/^[0-9a-f]{10}\.execute-api\.us-east-1\.amazonaws\.com$/);
    expect(headers.via).toMatch(/^1\.1 [0-9a-f]+\.cloudfront\.net \(CloudFront\)$/);
    expect(headers['x-amz-cf-id']).toBeDefined();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(res.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(res.headers.get('via')).toMatch(/cloudfront\.net/);
  });

  it('sends every body base64-encoded (binaryMediaTypes */*)', async () => {
    const res = await call('/echo', {
      method: 'POST',
      body: '{"inputs":"I love it"}',
      headers: { 'content-type': 'application/json' },
    });

    const event = (await res.json()) as { body: string; isBase64Encoded: boolean; httpMethod: string };
    expect(event.httpMethod).toBe('POST');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64').toString('utf8')).toBe('{"inputs":"I love it"}');
  });

  it('maps the proxy result: status, headers, multi-value headers and a base64 body', async () => {
    const binary = await call('/binary');
    const multi = await call('/multi');

    expect(binary.status).toBe(200);
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    expect(multi.status).toBe(201);
    expect(multi.headers.get('x-multi')).toBe('a, b');
    expect(await multi.text()).toBe('created');
  });

  it('refuses a missing or wrong API key with 403 Forbidden', async () => {
    const missing = await call('/echo', { key: null });
    const wrong = await call('/echo', { key: 'nope' });

    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual({ message: 'Forbidden' });
    expect(wrong.status).toBe(403);
  });

  it('adds the origin header only through CloudFront: a direct API Gateway call lacks it', async () => {
    const viaCdn = await call('/origin');
    const direct = await call(`${h.plane.edgeUrl}/_direct/${SERVICE}/origin`);

    expect(viaCdn.status).toBe(200);
    expect(direct.status).toBe(403);
    expect(direct.headers.get('x-cache')).toBeNull();
  });

  it('answers 502 for a function error and for a malformed result', async () => {
    const failed = await call('/error');
    const malformed = await call('/malformed');

    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ message: 'Internal server error' });
    expect(malformed.status).toBe(502);
    expect(await malformed.json()).toEqual({ message: 'Internal server error' });
  });

  it('answers 504 when the function outlasts the integration timeout', async () => {
    const res = await call('/slow?ms=1500');

    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ message: 'Endpoint request timed out' });
  });

  it('answers 429 when Lambda throttles the invocation', async () => {
    h.faults.add({
      operation: 'Lambda.Invoke',
      match: { FunctionName: FUNCTION },
      outcome: { error: 'TooManyRequestsException' },
      count: 1,
    });

    const res = await call('/echo');

    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ message: 'Too Many Requests' });
  });

  it('refuses a body over 10 MB with 413', async () => {
    const res = await call('/echo', { method: 'POST', body: 'a'.repeat(10 * 1024 * 1024 + 1) });

    expect(res.status).toBe(413);
  });

  it("refuses, before the proxy runs, a 5 MB body whose base64 event exceeds Lambda's 6,291,456 bytes", async () => {
    // Straight to API Gateway: CloudFront's cached behaviour for /model takes no POST.
    const model = `${h.plane.edgeUrl}/_direct/${SERVICE}/model`;
    const reads = async (): Promise<number> => {
      const res = await call(model, { method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
      return ((await res.json()) as { reads: number }).reads;
    };
    const before = await reads();

    const refused = await call(model, { method: 'POST', body: 'a'.repeat(5 * 1024 * 1024) });
    const accepted = await call(model, { method: 'POST', body: 'a'.repeat(4_300_000) });

    expect(refused.status).toBe(413);
    expect(refused.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(await refused.json()).toEqual({ message: 'Request Too Long' });
    expect(accepted.status).toBe(200);
    // The 4.3 MB request ran the proxy once; the 5 MB one never reached it.
    expect(((await accepted.json()) as { reads: number }).reads).toBe(before + 1);
  });

  it('answers 404 for an unknown service, naming the known ones', async () => {
    const res = await call(`${h.plane.edgeUrl}/nope/predict`);

    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ knownServices: [SERVICE] });
  });
});

describe('edge: CloudFront cache', () => {
  it('caches GET /model, serves hits with age, and clears them on invalidation', async () => {
    h.data.invalidate(DISTRIBUTION, ['/*']);
    const first = await call('/model');
    const second = await call('/model');

    const firstBody = (await first.json()) as { reads: number };

    expect(first.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(second.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(second.headers.get('age')).toMatch(/^\d+$/);
    expect(await second.json()).toEqual(firstBody);

    h.data.invalidate(DISTRIBUTION, ['/model']);
    const third = await call('/model');

    expect(third.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(((await third.json()) as { reads: number }).reads).toBe(firstBody.reads + 1);
  });

  it('keys the cache on path and API key, not the query string', async () => {
    h.data.invalidate(DISTRIBUTION, ['/model']);
    await call('/model');

    const withQuery = await call('/model?fresh=1');
    const otherKeyHolder = await call('/model', { key: 'another-key' });

    expect(withQuery.headers.get('x-cache')).toBe('Hit from cloudfront');
    // A different key is a different cache entry (and API Gateway refuses it).
    expect(otherKeyHolder.status).toBe(403);
    expect(otherKeyHolder.headers.get('x-cache')).toBe('Error from cloudfront');
  });

  it('refuses methods other than GET, HEAD and OPTIONS on the cached behaviour, and caches nothing else', async () => {
    const post = await call('/model', { method: 'POST', body: '{}' });
    const echoes = [await call('/echo'), await call('/echo')];

    expect(post.status).toBe(403);
    expect(post.headers.get('x-cache')).toBe('Error from cloudfront');
    expect(await post.text()).toContain('not configured to allow the HTTP request method');
    expect(echoes.map((r) => r.headers.get('x-cache'))).toEqual([
      'Miss from cloudfront',
      'Miss from cloudfront',
    ]);
  });

  it('serves the new configuration after a config update once the cache is invalidated', async () => {
    h.data.invalidate(DISTRIBUTION, ['/model']);
    await call('/model');
    await h.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FUNCTION,
        Environment: { Variables: { ORIGIN_VERIFY_SECRET: SECRET, ENDPOINT_NAME: 'endpoint-b' } },
      }),
    );
    await eventually(async () => {
      const res = await call('/echo');
      return res.headers.get('x-served-by') === 'endpoint-b' ? true : undefined;
    });

    const stale = (await (await call('/model')).json()) as { endpoint: string };
    h.data.invalidate(DISTRIBUTION, ['/model']);
    const fresh = (await (await call('/model')).json()) as { endpoint: string };

    expect(stale.endpoint).toBe('endpoint-a');
    expect(fresh.endpoint).toBe('endpoint-b');
  });
});

describe('EdgeCache', () => {
  const ok = (cacheControl?: string) => ({
    status: 200,
    headers: cacheControl === undefined ? {} : { 'cache-control': [cacheControl] },
    body: Buffer.from('x'),
  });

  it('keeps an answer for the default TTL of 5 s', () => {
    const cache = new EdgeCache();

    cache.put('k', 's', '/model', ok(), 1000);

    expect(cache.get('k', 5999)).toBeDefined();
    expect(cache.get('k', 6000)).toBeUndefined();
  });

  it('honours Cache-Control within the policy bounds and refuses no-store and errors', () => {
    const cache = new EdgeCache();

    expect(cache.put('a', 's', '/model', ok('max-age=1'), 0)).toBe(true);
    expect(cache.put('b', 's', '/model', ok('max-age=600'), 0)).toBe(true);
    expect(cache.put('c', 's', '/model', ok('no-store'), 0)).toBe(false);
    expect(cache.put('d', 's', '/model', { ...ok(), status: 500 }, 0)).toBe(false);
    expect(cache.get('a', 1000)).toBeUndefined();
    expect(cache.get('b', 4999)).toBeDefined();
    expect(cache.get('b', 5000)).toBeUndefined();
  });

  it('invalidates by exact path or trailing wildcard, per service', () => {
    const cache = new EdgeCache();
    cache.put('1', 'a', '/model', ok(), 0);
    cache.put('2', 'a', '/models/x', ok(), 0);
    cache.put('3', 'b', '/model', ok(), 0);

    expect(cache.invalidate('a', ['/model'])).toBe(1);
    expect(cache.invalidate('a', ['/mod*'])).toBe(1);
    expect(cache.get('3', 1)).toBeDefined();
  });
});
