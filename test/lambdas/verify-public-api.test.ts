import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PublicApiCheckFailedError } from '../../lambdas/shared/errors';
import { verifyPublicApiCore, type VerifyPublicApiDeps } from '../../lambdas/verify-public-api/core';
import { handler } from '../../lambdas/verify-public-api/handler';
import { deployState, fakeTime, fixture, registration, rollbackState, spec } from './switch-health-fixtures';

const secretsMock = mockClient(SecretsManagerClient);
const sfnMock = mockClient(SFNClient);
const NEW_ENDPOINT = 'sentiment-distilbert-base-20250102-030405-abcd';
const OLD_ENDPOINT = 'sentiment-distilbert-base-20250101-090000-1111';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that answers from a list (the last answer repeats) and records the requests. */
function fakeFetch(...answers: { status?: number; servedBy?: string; body?: unknown }[]) {
  const calls: Call[] = [];
  const impl = (url: string, init: RequestInit): Promise<Response> => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const body = init.body instanceof Uint8Array ? Buffer.from(init.body).toString() : '';
    calls.push({ url, method: init.method ?? 'GET', headers, body });
    const a = answers.length > 1 ? (answers.shift() ?? {}) : (answers[0] ?? {});
    const responseHeaders: Record<string, string> = { 'content-type': 'application/json' };
    if (a.servedBy !== undefined) responseHeaders['x-served-by-endpoint'] = a.servedBy;
    return Promise.resolve(
      new Response(JSON.stringify(a.body ?? [{ label: 'POSITIVE', score: 0.99 }]), {
        status: a.status ?? 200,
        headers: responseHeaders,
      }),
    );
  };
  return { fetch: impl, calls };
}

function deps(fetchImpl: VerifyPublicApiDeps['fetch'], overrides: Partial<VerifyPublicApiDeps> = {}) {
  const time = fakeTime();
  return {
    time,
    deps: {
      secrets: new SecretsManagerClient({}),
      fetch: fetchImpl,
      clock: time.now,
      sleep: time.sleep,
      ...overrides,
      sfn: overrides.sfn ?? new SFNClient({}),
    },
  };
}

beforeEach(() => {
  sfnMock.reset();
  // The rollback target was deployed by an execution whose input holds the smoke-spec fixture.
  sfnMock
    .on(DescribeExecutionCommand)
    .resolves({ input: JSON.stringify({ spec: fixture<unknown>('smoke-spec.json') }) });
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'k-123' });
});

describe('verifyPublicApiCore', () => {
  it('sends the first smoke test to the public /predict with the API key and records the passing check', async () => {
    // Arrange
    const { fetch, calls } = fakeFetch({ servedBy: NEW_ENDPOINT });
    const { deps: d } = deps(fetch);

    // Act
    const next = await verifyPublicApiCore(deployState({ switched: true }), d);

    // Assert
    expect(next.publicCheck).toMatchObject({ name: 'positive review', passed: true, servedBy: NEW_ENDPOINT });
    expect(calls).toEqual([
      {
        url: 'https://d111111abcdef8.cloudfront.net/predict',
        method: 'POST',
        headers: expect.objectContaining({
          'x-api-key': 'k-123',
          'content-type': 'application/json',
        }) as unknown,
        body: JSON.stringify(spec().smokeTests[0]?.body),
      },
    ]);
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: registration().apiKeySecretId ?? '',
    });
  });

  it('retries while old containers still answer from the previous endpoint, then passes', async () => {
    const { fetch, calls } = fakeFetch(
      { servedBy: OLD_ENDPOINT },
      { servedBy: OLD_ENDPOINT },
      { servedBy: NEW_ENDPOINT },
    );
    const { deps: d, time } = deps(fetch);

    const next = await verifyPublicApiCore(deployState(), d);

    expect(calls).toHaveLength(3);
    expect(time.slept).toEqual([2000, 4000]);
    expect(next.publicCheck?.servedBy).toBe(NEW_ENDPOINT);
  });

  it('fails with PublicApiCheckFailedError saying what came back after its tries', async () => {
    // Arrange
    const { fetch, calls } = fakeFetch({ servedBy: OLD_ENDPOINT });
    const { deps: d, time } = deps(fetch, { maxAttempts: 4 });

    // Act
    const attempt = verifyPublicApiCore(deployState(), d);

    // Assert
    await expect(attempt).rejects.toThrow(PublicApiCheckFailedError);
    await expect(attempt).rejects.toThrow(
      `POST https://d111111abcdef8.cloudfront.net/predict did not pass its check against endpoint ${NEW_ENDPOINT} after 4 tries over 14 s. ` +
        `Last answer: status 200, served by ${OLD_ENDPOINT}; servedBy: expected ${NEW_ENDPOINT}, got ${OLD_ENDPOINT}.`,
    );
    expect(calls).toHaveLength(4);
    expect(time.slept).toEqual([2000, 4000, 8000]);
  });

  it('stops trying when the time budget is spent', async () => {
    const { fetch, calls } = fakeFetch({ status: 502, body: { message: 'bad gateway' } });
    const { deps: d } = deps(fetch, { timeoutMs: 10_000 });

    await expect(verifyPublicApiCore(deployState(), d)).rejects.toThrow(/after 3 tries over 6 s/);
    expect(calls).toHaveLength(3);
  });

  it('fails an answer from the target that does not pass the smoke test', async () => {
    const { fetch } = fakeFetch({ servedBy: NEW_ENDPOINT, body: [{ label: 'NEGATIVE', score: 0.9 }] });
    const { deps: d } = deps(fetch, { maxAttempts: 1 });

    await expect(verifyPublicApiCore(deployState(), d)).rejects.toThrow(
      '$[0].label equals: expected "POSITIVE", got "NEGATIVE"',
    );
  });

  it('calls the API without a key when the service has none', async () => {
    const { fetch, calls } = fakeFetch({ servedBy: NEW_ENDPOINT });
    const { deps: d } = deps(fetch);

    await verifyPublicApiCore(deployState({ service: registration({ apiKeySecretId: null }) }), d);

    expect(secretsMock).not.toHaveReceivedAnyCommand();
    expect(calls[0]?.headers).not.toHaveProperty('x-api-key');
  });

  it('skips the check with a warning when the spec turns it off', async () => {
    const { fetch, calls } = fakeFetch();
    const { deps: d } = deps(fetch);
    const off = { ...spec(), rollout: { ...spec().rollout, verifyPublicUrl: false } };

    const next = await verifyPublicApiCore(deployState({ spec: off }), d);

    expect(calls).toHaveLength(0);
    expect(next.publicCheck).toBeNull();
    expect(next.warnings).toEqual([
      'Verify Public API skipped: rollout.verifyPublicUrl is false, so https://d111111abcdef8.cloudfront.net was not checked.',
    ]);
  });

  it("sends the rollback target's own first smoke test through POST /predict, expecting the target", async () => {
    // Arrange
    const target = 'sentiment-roberta-20241201-080000-0000';
    const { fetch, calls } = fakeFetch({ servedBy: target });
    const { deps: d } = deps(fetch);
    const state = rollbackState({ switched: true });

    // Act
    const next = await verifyPublicApiCore(state, d);

    // Assert
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: state.target?.executionArn ?? '',
    });
    expect(calls[0]).toMatchObject({ url: 'https://d111111abcdef8.cloudfront.net/predict', method: 'POST' });
    expect(calls[0]?.body).toContain('I love this');
    expect(next.publicCheck).toMatchObject({
      name: spec().smokeTests[0]?.name,
      passed: true,
      servedBy: target,
    });
  });

  it('fails a rollback whose API answers GET /model from its environment but 503 to predictions (issue 1)', async () => {
    // Arrange: the kept endpoint was deleted; the proxy still names it on GET /model.
    const target = 'sentiment-roberta-20241201-080000-0000';
    const calls: string[] = [];
    const fetchImpl = (url: string, init: RequestInit): Promise<Response> => {
      calls.push(`${init.method ?? 'GET'} ${url}`);
      const headers = { 'content-type': 'application/json', 'x-served-by-endpoint': target };
      return Promise.resolve(
        init.method === 'POST'
          ? new Response(JSON.stringify({ error: 'EndpointNotFound', message: 'gone' }), {
              status: 503,
              headers,
            })
          : new Response(JSON.stringify({ endpointName: target }), { status: 200, headers }),
      );
    };
    const { deps: d } = deps(fetchImpl, { maxAttempts: 2 });

    // Act / Assert
    await expect(verifyPublicApiCore(rollbackState({ switched: true }), d)).rejects.toThrow(
      /POST https:\/\/d111111abcdef8.cloudfront.net\/predict did not pass its check against endpoint sentiment-roberta-20241201-080000-0000 after 2 tries.*status 503/,
    );
    expect(calls.every((c) => c.startsWith('POST '))).toBe(true);
  });

  it("checks GET /model, with a warning, when the rollback target's spec cannot be read", async () => {
    const target = 'sentiment-roberta-20241201-080000-0000';
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    const { fetch, calls } = fakeFetch({ servedBy: target, body: { endpointName: target } });
    const { deps: d } = deps(fetch);

    const next = await verifyPublicApiCore(rollbackState({ switched: true }), d);

    expect(calls[0]).toMatchObject({ url: 'https://d111111abcdef8.cloudfront.net/model', method: 'GET' });
    expect(next.publicCheck).toMatchObject({ name: 'GET /model', passed: true, servedBy: target });
    expect(next.warnings.at(-1)).toContain('could not be read');
  });

  it('fails a rollback whose public API still serves the endpoint it left', async () => {
    const { fetch } = fakeFetch({ servedBy: OLD_ENDPOINT });
    const { deps: d } = deps(fetch, { maxAttempts: 2 });

    await expect(verifyPublicApiCore(rollbackState(), d)).rejects.toThrow(
      /POST https:\/\/d111111abcdef8.cloudfront.net\/predict did not pass its check against endpoint sentiment-roberta-20241201-080000-0000 after 2 tries/,
    );
  });
});

describe('verify-public-api handler', () => {
  it('checks a real HTTP server on loopback, as the public URL, with the key from Secrets Manager', async () => {
    // Arrange
    const keys: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      keys.push(req.headers['x-api-key'] as string | undefined);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-served-by-endpoint': NEW_ENDPOINT });
        res.end('[{"label":"POSITIVE","score":0.98}]');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    try {
      // Act
      const next = await handler(deployState({ service: registration({ publicUrl }) }));

      // Assert
      expect(next.publicCheck).toMatchObject({ passed: true, servedBy: NEW_ENDPOINT });
      expect(keys).toEqual(['k-123']);
      expect(next.timings.at(-1)?.step).toBe('Verify Public API');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
