import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DEFAULT_PREFIX, proxyFunctionName } from '../../pipeline/names';
import { SpecInvalidError, validateSpec } from '../../pipeline/spec';
import { startCloud, type E2eCloud } from './support/cloud';
import { resourcesOf } from './support/inventory';
import { invalidSpec, type InvalidSpec } from './support/invalid-specs';
import { describeRequest, malformedRequest, type MalformedRequest } from './support/malformed-requests';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * Bad input, generated: at least 1,000 invalid specs, each rejected by `validateSpec` and by the state
 * machine's first step before anything is created, with a message naming the field; and at least
 * 1,000 malformed requests to the edge, each answered 4xx with a JSON error, with the proxy still
 * serving afterwards.
 */

const SERVICE = 'sentiment';
const SPEC_RUNS = 1000;
/** Malformed requests are sent in batches of this many at once; RUNS batches in all. */
const REQUEST_BATCH = 8;
const REQUEST_RUNS = 125;
/** StartExecutions in flight at once. */
const EXECUTION_CONCURRENCY = 24;

let cloud: E2eCloud;
let stop: () => Promise<void>;
let liveEndpoint: string;

beforeAll(async () => {
  ({ cloud, stop } = await startCloud());
  const spec = specVersion(1);
  liveEndpoint = (await cloud.deploy(spec, { rolloutId: rolloutIdFor(spec) })).rolloutId;
  await cloud.apiKey(SERVICE);
}, 120_000);

afterAll(async () => {
  await stop();
});

/** The proxy's line in the inventory's `functions`. */
interface ProxyWorkers {
  readonly name: string;
  readonly endpointName: string | null;
  readonly lastUpdateStatus: string;
  readonly inFlight: number;
  readonly busyWorkers: number;
}

/** The issue line of a spec error that names `path` (`<path>: got ...; expected ...`). */
function namesPath(message: string, path: string): boolean {
  return message.split('\n').some((line) => line.trim().startsWith(`${path}: `));
}

/** `errorMessage` of a Lambda error envelope (`{"errorType", "errorMessage", "trace"}`), or the text itself. */
function errorMessageOf(cause: string | undefined): string {
  try {
    const envelope = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    return typeof envelope.errorMessage === 'string' ? envelope.errorMessage : (cause ?? '');
  } catch {
    return cause ?? '';
  }
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of results. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('invalid specs', () => {
  const generated: InvalidSpec[] = [];

  it('are all rejected by validateSpec with a SpecInvalidError naming the JSON path of the problem', () => {
    fc.assert(
      fc.property(invalidSpec, (invalid) => {
        generated.push(invalid);
        let thrown: unknown;
        try {
          validateSpec(invalid.spec);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(SpecInvalidError);
        const message = (thrown as SpecInvalidError).message;
        if (!namesPath(message, invalid.path)) {
          throw new Error(`${invalid.kind}: expected the message to name ${invalid.path}; got:\n${message}`);
        }
      }),
      { numRuns: SPEC_RUNS },
    );
    expect(generated).toHaveLength(SPEC_RUNS);
  });

  it('are all rejected by the state machine at Validate Spec, naming the path, before anything is created', async () => {
    expect(generated).toHaveLength(SPEC_RUNS);
    const before = resourcesOf(await cloud.inventory());
    const run = randomBytes(3).toString('hex');

    const problems = await mapLimit(generated, EXECUTION_CONCURRENCY, async (invalid, i) => {
      const { executionArn } = await cloud.startRollout(invalid.spec, {
        rolloutId: `sentiment-invalid-${run}-${i}`,
      });
      const outcome = await cloud.waitForEnd(executionArn, 60_000);
      // The cause is the Lambda error envelope; its errorMessage keeps one issue per line.
      const message = errorMessageOf(outcome.cause);
      const detail = await cloud.rollout(executionArn);
      const tasks = detail.steps.filter((s) => s.type === 'Task').map((s) => s.name);
      const ok =
        outcome.status === 'FAILED' &&
        outcome.error === 'SpecInvalidError' &&
        detail.failure?.step === 'Validate Spec' &&
        tasks.length === 1 &&
        tasks[0] === 'Validate Spec' &&
        namesPath(message, invalid.path);
      return ok
        ? null
        : `${invalid.kind} at ${invalid.path}: ${outcome.status} ${outcome.error ?? ''} at ${detail.failure?.step ?? '?'} after ${tasks.join(' > ')}: ${message.slice(0, 300)}`;
    });

    expect(problems.filter((p) => p !== null)).toEqual([]);
    expect(resourcesOf(await cloud.inventory())).toEqual(before);
    expect((await cloud.livePointer(SERVICE))?.current.endpointName).toBe(liveEndpoint);
  }, 240_000);
});

describe('malformed requests to the edge', () => {
  const sent: MalformedRequest[] = [];

  it('all get a 4xx answer with a JSON error, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(malformedRequest, { minLength: REQUEST_BATCH, maxLength: REQUEST_BATCH }),
        async (batch) => {
          sent.push(...batch);
          const answers = await Promise.all(
            batch.map((request) =>
              cloud.request(SERVICE, {
                method: request.method,
                path: request.path,
                headers: request.headers,
                ...(request.body === undefined ? {} : { body: request.body }),
              }),
            ),
          );
          const wrong = answers.flatMap((answer, i) => {
            const request = batch[i];
            if (request === undefined) return [];
            let error: unknown;
            try {
              error = JSON.parse(answer.body) as unknown;
            } catch {
              error = undefined;
            }
            const isJsonError =
              error !== null &&
              typeof error === 'object' &&
              typeof (error as { message?: unknown }).message === 'string';
            const statusOk =
              request.status === undefined
                ? answer.status >= 400 && answer.status < 500
                : answer.status === request.status;
            return statusOk && isJsonError
              ? []
              : [`${describeRequest(request)} -> ${answer.status} ${answer.body.slice(0, 200)}`];
          });
          expect(wrong).toEqual([]);
        },
      ),
      { numRuns: REQUEST_RUNS },
    );
    expect(sent.length).toBeGreaterThanOrEqual(REQUEST_RUNS * REQUEST_BATCH);
  }, 240_000);

  it('leave the proxy serving: a valid request still succeeds and no invocation is stuck', async () => {
    const answer = await cloud.callApi(SERVICE, { inputs: 'Still here and still great' });

    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
      status: 200,
      servedBy: liveEndpoint,
    });
    const config = await cloud.clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: proxyFunctionName(DEFAULT_PREFIX, SERVICE) }),
    );
    expect({ state: config.State, update: config.LastUpdateStatus }).toEqual({
      state: 'Active',
      update: 'Successful',
    });
    const proxy = ((await cloud.inventory()).functions as ProxyWorkers[]).find(
      (f) => f.name === proxyFunctionName(DEFAULT_PREFIX, SERVICE),
    );
    expect(proxy).toMatchObject({
      endpointName: liveEndpoint,
      lastUpdateStatus: 'Successful',
      inFlight: 0,
      busyWorkers: 0,
    });
  }, 60_000);
});
