import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { healthProbeCore, parseHealthState } from '../../lambdas/health-probe/core';
import { handler } from '../../lambdas/health-probe/handler';
import { InvalidStepInputError } from '../../lambdas/shared/errors';
import type { FetchLike } from '../../lambdas/shared/smoke';
import { fakeTime, healthState, registration } from './switch-health-fixtures';

const secretsMock = mockClient(SecretsManagerClient);
const LIVE_ENDPOINT = 'sentiment-distilbert-base-20250101-090000-1111';

/** Answers like the sentiment model behind the proxy; each request takes `latencies` ms in turn. */
function modelLikeFetch(servedBy = LIVE_ENDPOINT, advance?: (ms: number) => void, latencies: number[] = []) {
  const urls: string[] = [];
  const fetchImpl: FetchLike = (url, init) => {
    urls.push(`${init.method ?? 'GET'} ${url}`);
    advance?.(latencies.shift() ?? 0);
    const headers = { 'content-type': 'application/json', 'x-served-by-endpoint': servedBy };
    if (init.method === 'GET') {
      return Promise.resolve(
        new Response(JSON.stringify({ endpointName: servedBy }), { status: 200, headers }),
      );
    }
    const { inputs } = JSON.parse(Buffer.from(init.body as Uint8Array).toString()) as {
      inputs: string | string[];
    };
    const label = (t: string) => ({
      label: /hate|terrible|awful/.test(t) ? 'NEGATIVE' : 'POSITIVE',
      score: 0.97,
    });
    const answer = Array.isArray(inputs) ? inputs.map(label) : [label(inputs)];
    return Promise.resolve(new Response(JSON.stringify(answer), { status: 200, headers }));
  };
  return { fetchImpl, urls };
}

beforeEach(() => {
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'k-123' });
});

describe('healthProbeCore', () => {
  it('runs the smoke tests through the public URL and reports the median latency and serving endpoint', async () => {
    // Arrange
    const time = fakeTime();
    const { fetchImpl, urls } = modelLikeFetch(LIVE_ENDPOINT, time.advance, [100, 300, 200]);

    // Act
    const out = await healthProbeCore(healthState(), {
      secrets: new SecretsManagerClient({}),
      fetch: fetchImpl,
      clock: time.now,
      concurrency: 1,
    });

    // Assert
    expect(out.probe).toMatchObject({ passed: true, latencyMs: 200, servedBy: LIVE_ENDPOINT });
    expect(out.probe.results.map((r) => r.name)).toEqual([
      'positive review',
      'negative review',
      'batch of two',
    ]);
    expect(urls).toEqual(Array(3).fill('POST https://d111111abcdef8.cloudfront.net/predict'));
    expect(out.service).toBe('sentiment');
  });

  it('fails the probe when another endpoint answers than the live pointer names', async () => {
    const { fetchImpl } = modelLikeFetch('sentiment-somewhere-else');

    const out = await healthProbeCore(healthState(), {
      secrets: new SecretsManagerClient({}),
      fetch: fetchImpl,
      clock: () => 0,
    });

    expect(out.probe.passed).toBe(false);
    expect(out.probe.results[0]?.failures).toEqual([
      `servedBy: expected ${LIVE_ENDPOINT}, got sentiment-somewhere-else`,
    ]);
  });

  it('checks GET /model when the smoke tests are unknown', async () => {
    const { fetchImpl, urls } = modelLikeFetch();

    const out = await healthProbeCore(healthState({ smokeTests: null }), {
      secrets: new SecretsManagerClient({}),
      fetch: fetchImpl,
      clock: () => 0,
    });

    expect(urls).toEqual(['GET https://d111111abcdef8.cloudfront.net/model']);
    expect(out.probe).toMatchObject({ passed: true, results: [{ name: 'GET /model', status: 200 }] });
  });

  it('records a failing answer as a failed probe rather than an error', async () => {
    const fetchImpl: FetchLike = () =>
      Promise.resolve(new Response('{"error":"ServiceUnavailable"}', { status: 503 }));

    const out = await healthProbeCore(healthState(), {
      secrets: new SecretsManagerClient({}),
      fetch: fetchImpl,
      clock: () => 0,
    });

    expect(out.probe.passed).toBe(false);
    expect(out.probe.servedBy).toBeNull();
    expect(out.probe.results.every((r) => r.status === 503)).toBe(true);
  });
});

describe('parseHealthState', () => {
  it("rejects input that is not Read Live Target's output", () => {
    expect(() => parseHealthState({ service: 'sentiment', live: null })).toThrow(InvalidStepInputError);
  });
});

describe('health-probe handler', () => {
  it('probes a real HTTP server on loopback with the API key', async () => {
    // Arrange
    const keys: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      keys.push(req.headers['x-api-key'] as string | undefined);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-served-by-endpoint': LIVE_ENDPOINT });
        res.end(JSON.stringify({ endpointName: LIVE_ENDPOINT }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    try {
      // Act
      const out = await handler(healthState({ smokeTests: null, registration: registration({ publicUrl }) }));

      // Assert
      expect(out.probe.passed).toBe(true);
      expect(keys).toEqual(['k-123']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
