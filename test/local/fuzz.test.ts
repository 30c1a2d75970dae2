import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ListEndpointsCommand } from '@aws-sdk/client-sagemaker';
import { startCloud, type E2eCloud } from '../e2e/support/cloud';
import { rolloutIdFor, specVersion } from '../e2e/support/specs';
import { resolveTarget, type Target } from '../../pipeline/target';
import { startConsole, type ConsoleServer } from '../../pipeline/console/server';
import { serviceParameterName } from '../../pipeline/names';

/**
 * Hostile HTTP against every port of the local cloud (AWS APIs, edge) and the console: at least 10,000
 * generated raw requests per port (malformed request lines, targets and headers, bodies cut off or
 * declared larger than sent, oversized bodies and headers, requests written slowly in pieces), sent on
 * raw sockets. Every request that is not cut off by the client gets an answer, a malformed one a 4xx;
 * every 250 requests, real SDK, edge and console calls check that the answers are still right. Then a
 * 2 GB chunked body per port is refused without being buffered.
 */

const REQUESTS_PER_PORT = 10_000;
const CONCURRENCY = 16;
const SEED = 20261207;

/** One generated request: its bytes in pieces, and how the client behaves. */
interface RawRequest {
  readonly kind: 'malformed-line' | 'malformed-header' | 'aborted' | 'oversized' | 'slow' | 'random';
  readonly pieces: readonly Buffer[];
  /** Pause between pieces (real ms; 'slow' requests). */
  readonly pauseMs: number;
  /** After writing: 'destroy' (client vanishes), 'half-close' (EOF mid-body) or 'wait' for the answer. */
  readonly then: 'destroy' | 'half-close' | 'wait';
}

/** What came back. */
interface RawAnswer {
  readonly status: number | undefined;
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const junk = fc.string({ unit: 'binary', maxLength: 60 });
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), token);

function requestArbitrary(host: string, paths: readonly string[]): fc.Arbitrary<RawRequest> {
  const path = fc.oneof(
    fc.constantFrom(...paths),
    fc.constantFrom(
      'http://[',
      '//',
      '/%zz',
      '/%',
      '/a/%E0%A4%A',
      '*',
      'http://evil.example/x',
      '/../../etc/passwd',
    ),
    fc.string({ maxLength: 40 }).map((s) => `/${encodeURI(s)}`),
  );
  const goodHeaders = fc.constant(`Host: ${host}\r\nConnection: close\r\n`);
  const badHeaderLine = fc.oneof(
    fc.constantFrom(
      'Bad Header: x',
      'NoColon',
      ': empty-name',
      'Content-Length: -1',
      'Content-Length: 1e3',
      'Content-Length: 5\r\nContent-Length: 6',
      'Transfer-Encoding: chunked\r\nContent-Length: 3',
      'Transfer-Encoding: gzip, chunked, identity',
      'X-Null: a\u0000b',
      'Host: [',
      'Host: evil.example',
      'Origin: http://evil.example',
      'Sec-Fetch-Site: cross-site',
      'Expect: 100-continue',
    ),
    fc.tuple(junk, junk).map(([n, v]) => `${n}: ${v}`),
    fc.integer({ min: 17_000, max: 40_000 }).map((n) => `X-Huge: ${'a'.repeat(n)}`),
  );
  const malformedLine = fc
    .oneof(
      junk,
      fc.tuple(method, path).map(([m, p]) => `${m} ${p}`),
      fc.tuple(method, path, junk).map(([m, p, v]) => `${m} ${p} ${v}`),
      fc.tuple(method, path).map(([m, p]) => `${m}  ${p}  HTTP/1.1`),
      fc.tuple(method, path).map(([m, p]) => `${m} ${p} HTTP/9.9`),
    )
    .map((line): RawRequest => ({
      kind: 'malformed-line',
      pieces: [Buffer.from(`${line}\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 'latin1')],
      pauseMs: 0,
      then: 'wait',
    }));
  const malformedHeader = fc.tuple(method, path, badHeaderLine).map(([m, p, h]): RawRequest => ({
    kind: 'malformed-header',
    pieces: [
      Buffer.from(`${m} ${p} HTTP/1.1\r\nHost: ${host}\r\n${h}\r\nConnection: close\r\n\r\n`, 'latin1'),
    ],
    pauseMs: 0,
    then: 'wait',
  }));
  const aborted = fc
    .tuple(
      fc.constantFrom(...paths),
      fc.integer({ min: 10, max: 10_000 }),
      fc.constantFrom<'destroy' | 'half-close'>('destroy', 'half-close'),
      fc.boolean(),
    )
    .map(([p, declared, then, chunked]): RawRequest => ({
      kind: 'aborted',
      pieces: [
        Buffer.from(
          `POST ${p} HTTP/1.1\r\nHost: ${host}\r\n` +
            (chunked
              ? 'Transfer-Encoding: chunked\r\n\r\n10\r\nabc'
              : `Content-Length: ${declared}\r\n\r\nabc`),
        ),
      ],
      pauseMs: 0,
      then,
    }));
  const oversized = fc
    .tuple(fc.constantFrom(...paths), fc.integer({ min: 20_000_000, max: 2_000_000_000 }))
    .map(([p, declared]): RawRequest => ({
      kind: 'oversized',
      pieces: [
        Buffer.from(
          `POST ${p} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-amz-json-1.1\r\n` +
            `X-Amz-Target: AmazonSSM.GetParameter\r\nContent-Length: ${declared}\r\nConnection: close\r\n\r\n{"Name":`,
        ),
      ],
      pauseMs: 0,
      then: 'wait',
    }));
  const slow = fc
    .tuple(fc.constantFrom(...paths), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 4 }))
    .map(([p, parts, pauseMs]): RawRequest => {
      const body = '{"Name":"/nothing"}';
      const text =
        `POST ${p} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-amz-json-1.1\r\n` +
        `X-Amz-Target: AmazonSSM.GetParameter\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
      const size = Math.ceil(text.length / parts);
      const pieces: Buffer[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(Buffer.from(text.slice(i, i + size)));
      return { kind: 'slow', pieces, pauseMs, then: 'wait' };
    });
  const random = fc
    .tuple(method, fc.constantFrom(...paths), goodHeaders, fc.string({ maxLength: 200 }))
    .map(([m, p, h, body]): RawRequest => ({
      kind: 'random',
      pieces: [
        Buffer.from(
          `${m} ${p} HTTP/1.1\r\n${h}X-Amz-Target: ${['SageMaker.ListEndpoints', 'AmazonSSM.GetParameter', 'secretsmanager.GetSecretValue', 'Nope.Nope'][body.length % 4] ?? ''}\r\n` +
            `Content-Type: application/x-amz-json-1.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        ),
      ],
      pauseMs: 0,
      then: 'wait',
    }));
  return fc.oneof(malformedLine, malformedHeader, aborted, oversized, slow, random);
}

/** Sends one raw request; resolves with the status line's code, if any came. */
function sendRaw(port: number, request: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let text = '';
    let done = false;
    const socket = connect(port, '127.0.0.1');
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status) });
    };
    // A generous bound: a request without answer after this is reported as such (status undefined).
    const timer = setTimeout(finish, 30_000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.length > 200) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      void (async () => {
        for (const [i, piece] of request.pieces.entries()) {
          if (done) return;
          socket.write(piece);
          if (request.pauseMs > 0 && i < request.pieces.length - 1) await sleep(request.pauseMs);
        }
        if (request.then === 'destroy') finish();
        else if (request.then === 'half-close') socket.end();
      })();
    });
  });
}

/** Counts per kind and per answer class, printed for the record. */
type Counts = Record<string, Record<string, number>>;

async function expectPortSurvives(
  name: string,
  port: number,
  host: string,
  paths: readonly string[],
  check: () => Promise<void>,
): Promise<Counts> {
  const requests = fc.sample(requestArbitrary(host, paths), { numRuns: REQUESTS_PER_PORT, seed: SEED });
  const counts: Counts = {};
  const failures: string[] = [];
  let next = 0;
  let checks = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < requests.length; i = next++) {
      const request = requests[i];
      if (request === undefined) continue;
      const answer = await sendRaw(port, request);
      const cls = answer.status === undefined ? 'none' : `${String(answer.status).slice(0, 1)}xx`;
      const perKind = (counts[request.kind] ??= {});
      perKind[cls] = (perKind[cls] ?? 0) + 1;
      const cutOff = request.then !== 'wait';
      if (!cutOff && answer.status === undefined) failures.push(`${request.kind} #${i}: no answer`);
      if (
        ['malformed-line', 'malformed-header', 'oversized'].includes(request.kind) &&
        answer.status !== undefined &&
        answer.status >= 500
      ) {
        failures.push(
          `${request.kind} #${i}: ${answer.status} for ${JSON.stringify(request.pieces[0]?.toString('latin1').slice(0, 120))}`,
        );
      }
      if (i % 250 === 0) {
        await check();
        checks++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await check();
  const total = Object.values(counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
  console.log(
    `${name} port: ${total} raw requests, ${checks + 1} correctness checks; ${JSON.stringify(counts)}`,
  );
  expect(failures.slice(0, 10)).toEqual([]);
  expect(total).toBeGreaterThanOrEqual(REQUESTS_PER_PORT);
  return counts;
}

/** Streams a chunked body of up to 2 GiB; resolves with what the server answered and how much it took. */
function chunkedFlood(
  port: number,
  host: string,
  path: string,
): Promise<{ status: number | undefined; sentBytes: number }> {
  const limit = 2 * 1024 ** 3;
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  return new Promise((resolve) => {
    let sent = 0;
    let text = '';
    let done = false;
    const socket = connect(port, '127.0.0.1');
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), sentBytes: sent });
    };
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(text)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    const pump = (): void => {
      while (!done && sent < limit) {
        sent += chunk.length;
        if (!socket.write(framed)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (!done) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-amz-json-1.1\r\n` +
          `X-Amz-Target: AmazonSSM.GetParameter\r\n\r\n`,
      );
      pump();
    });
  });
}

let cloud: E2eCloud;
let stopCloud: () => Promise<void>;
let target: Target;
let web: ConsoleServer;
let apiKey: string | null;
let registration: string | undefined;

function portOf(url: string): number {
  return Number(new URL(url).port);
}

beforeAll(async () => {
  ({ cloud, stop: stopCloud } = await startCloud());
  const spec = specVersion(1);
  await cloud.deploy(spec, { rolloutId: rolloutIdFor(spec) });
  apiKey = await cloud.apiKey('sentiment');
  registration = (
    await cloud.clients.ssm.send(
      new GetParameterCommand({ Name: serviceParameterName('hf-rollout', 'sentiment') }),
    )
  ).Parameter?.Value;
  target = await resolveTarget({ endpoint: cloud.endpoint, aws: false });
  web = await startConsole(target, { port: 0 });
}, 180_000);

afterAll(async () => {
  await web.close();
  await target.close();
  await stopCloud();
});

/** Real calls whose answers must not change while the fuzz runs. */
async function checkAwsPort(): Promise<void> {
  const parameter = await cloud.clients.ssm.send(
    new GetParameterCommand({ Name: serviceParameterName('hf-rollout', 'sentiment') }),
  );
  expect(parameter.Parameter?.Value).toBe(registration);
  const endpoints = await cloud.clients.sagemaker.send(new ListEndpointsCommand({}));
  expect(endpoints.Endpoints?.map((e) => e.EndpointStatus)).toContain('InService');
  const inventory = await cloud.inventory();
  expect(Object.keys(inventory)).toContain('functions');
}

async function checkEdge(): Promise<void> {
  const answer = await cloud.callApi('sentiment', { inputs: 'I love this' });
  expect(answer.status).toBe(200);
  expect(answer.servedBy).toMatch(/^sentiment-/);
  const labels = JSON.parse(answer.body) as { label?: unknown; score?: unknown }[];
  expect(labels.map((l) => [typeof l.label, typeof l.score])).toEqual([['string', 'number']]);
}

async function checkConsole(): Promise<void> {
  const res = await fetch(`${web.url}/api/info`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ kind: 'local' });
  const services = await fetch(`${web.url}/api/services`);
  expect(services.status).toBe(200);
  expect(JSON.stringify(await services.json())).toContain('sentiment');
}

describe('hostile HTTP against the local cloud', () => {
  it('keeps the AWS API port answering correctly through 10,000 generated raw requests', async () => {
    const host = `127.0.0.1:${portOf(cloud.endpoint)}`;
    await expectPortSurvives(
      'AWS API',
      portOf(cloud.endpoint),
      host,
      [
        '/',
        '/_local/health',
        '/_local/reset',
        '/_local/faults',
        '/2015-03-31/functions/x/invocations',
        '/endpoints/x/invocations',
      ],
      checkAwsPort,
    );
    expect(apiKey).toEqual(await cloud.apiKey('sentiment'));
  }, 900_000);

  it('keeps the edge port answering correctly through 10,000 generated raw requests', async () => {
    const host = `127.0.0.1:${portOf(cloud.edgeUrl)}`;
    await expectPortSurvives(
      'edge',
      portOf(cloud.edgeUrl),
      host,
      ['/', '/nope/predict', '/sentiment/model', '/_direct/nope', '/sentiment/%zz'],
      checkEdge,
    );
  }, 900_000);

  it('keeps the console port answering correctly through 10,000 generated raw requests', async () => {
    const host = `127.0.0.1:${portOf(web.url)}`;
    await expectPortSurvives(
      'console',
      portOf(web.url),
      host,
      ['/', '/api/info', '/api/rollouts/x', '/api/nope', '/app.css'],
      checkConsole,
    );
  }, 900_000);

  it.each([
    ['AWS API', (): string => cloud.endpoint, '/', 413],
    ['edge', (): string => cloud.edgeUrl, '/sentiment/predict', 413],
    ['console', (): string => web.url, '/api/info', 405],
  ])(
    'refuses a 2 GB chunked body on the %s port without buffering it',
    async (_name, url, path, status) => {
      const port = portOf(url());
      const rssBefore = process.memoryUsage().rss;
      const answer = await chunkedFlood(port, `127.0.0.1:${port}`, path);
      expect(answer.status).toBe(status);
      // Answered long before the end: the rest of the 2 GiB was never read into memory.
      expect(answer.sentBytes).toBeLessThan(512 * 1024 ** 2);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 ** 2);
      await checkAwsPort();
      await checkEdge();
      await checkConsole();
    },
    300_000,
  );
});
