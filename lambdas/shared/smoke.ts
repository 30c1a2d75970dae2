import { isDeepStrictEqual } from 'node:util';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { JSONPath } from 'jsonpath-plus';
import type { JsonPathCheck, RolloutSpec, SmokeTest } from '../../pipeline/spec/schema';
import { errorMessage, isTransientAwsError } from './errors';
import { SERVED_BY_HEADER, type SmokeResult } from './types';

/**
 * The smoke-test runner shared by Run Smoke Tests (straight to the new endpoint), Verify Public API and
 * the health probe (through the public URL): how a request is sent (an `Invoker`) is kept apart from
 * how its answer is judged (`checkSmokeTest`), so all three judge answers the same way.
 */

/** One answer to a smoke invocation, whatever carried it. */
export interface InvokeAnswer {
  /** HTTP-like status: 200 for a successful InvokeEndpoint, the container's status for ModelError, null if nothing answered. */
  readonly status: number | null;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly latencyMs: number;
  /** Endpoint that answered (the public API's `x-served-by-endpoint` header, or the endpoint invoked). */
  readonly servedBy?: string;
  /** Why nothing (or an error) came back, e.g. "ValidationException: Endpoint x not found". */
  readonly error?: string;
  /** The call failed in a way worth retrying (throttling, 5xx from AWS, dropped connection). */
  readonly transient?: boolean;
}

/** Sends one request body somewhere a model answers. */
export interface Invoker {
  invoke(body: Buffer, contentType: string, accept: string): Promise<InvokeAnswer>;
}

/** The part of `fetch` the HTTP invoker uses (the global fetch fits; tests pass their own). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Milliseconds clock; injected so tests can make latency whatever they need. */
export type Clock = () => number;

/** Longest answer preview kept in a SmokeResult. */
export const RESPONSE_PREVIEW_CHARS = 512;

/** How many smoke invocations run at once by default: enough to be quick, few enough not to trip throttling. */
export const DEFAULT_SMOKE_CONCURRENCY = 4;

/**
 * How many smoke invocations may run at once against an endpoint: a serverless endpoint throttles
 * whatever exceeds its MaxConcurrency (ThrottlingException), which would read as a failed smoke test,
 * so never more than that. `share` leaves room for live traffic: a health probe of the live endpoint
 * takes at most that part of it (at least one).
 */
export function smokeConcurrency(
  endpoint: RolloutSpec['endpoint'] | null | undefined,
  share = 1,
  fallback: number = DEFAULT_SMOKE_CONCURRENCY,
): number {
  if (endpoint?.type !== 'serverless') return fallback;
  return Math.max(1, Math.min(fallback, Math.floor(endpoint.maxConcurrency * share)));
}

/** Invokes a SageMaker endpoint directly with InvokeEndpoint. */
export function sageMakerInvoker(
  runtime: SageMakerRuntimeClient,
  endpointName: string,
  clock: Clock = Date.now,
): Invoker {
  return {
    async invoke(body, contentType, accept) {
      const started = clock();
      try {
        const out = await runtime.send(
          new InvokeEndpointCommand({
            EndpointName: endpointName,
            Body: body,
            ContentType: contentType,
            Accept: accept,
          }),
        );
        return {
          status: 200,
          body: Buffer.from(out.Body ?? new Uint8Array()),
          ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
          latencyMs: clock() - started,
          servedBy: endpointName,
        };
      } catch (error) {
        const latencyMs = clock() - started;
        if (error instanceof Error && error.name === 'ModelError') {
          // The container answered, with an error: its own status and message are what a user would see.
          const modelError = error as Error & { OriginalStatusCode?: number; OriginalMessage?: string };
          const message = modelError.OriginalMessage ?? error.message;
          return {
            status: modelError.OriginalStatusCode ?? null,
            body: Buffer.from(message),
            latencyMs,
            servedBy: endpointName,
            error: `ModelError: ${message}`,
          };
        }
        const message = `${error instanceof Error ? error.name : 'Error'}: ${errorMessage(error)}`;
        return {
          status: null,
          body: Buffer.from(message),
          latencyMs,
          error: message,
          transient: isTransientAwsError(error),
        };
      }
    },
  };
}

/** Options of the HTTP invoker. */
export interface HttpInvokerOptions {
  /** The service's public base URL, without a trailing slash. */
  readonly publicUrl: string;
  /** @default '/predict' */
  readonly path?: string;
  /** GET ignores the body (for `GET /model`). @default 'POST' */
  readonly method?: 'POST' | 'GET';
  /** Sent as `x-api-key`; null when the API has no key. */
  readonly apiKey: string | null;
  readonly fetch: FetchLike;
  readonly clock?: Clock;
  /** Per-request timeout; the edge gives up after 30 s anyway. @default 30000 */
  readonly timeoutMs?: number;
}

/** Calls the public inference API over HTTP, as a user would. */
export function httpInvoker(options: HttpInvokerOptions): Invoker {
  const clock = options.clock ?? Date.now;
  const method = options.method ?? 'POST';
  const url = `${options.publicUrl}${options.path ?? '/predict'}`;
  return {
    async invoke(body, contentType, accept) {
      const headers: Record<string, string> = { accept };
      if (method === 'POST') headers['content-type'] = contentType;
      if (options.apiKey !== null) headers['x-api-key'] = options.apiKey;
      const started = clock();
      try {
        const response = await options.fetch(url, {
          method,
          headers,
          // A copy: a Buffer may view a shared pool, which fetch's body type does not accept.
          ...(method === 'POST' ? { body: new Uint8Array(body) } : {}),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        const answer = Buffer.from(await response.arrayBuffer());
        const responseType = response.headers.get('content-type');
        const servedBy = response.headers.get(SERVED_BY_HEADER);
        return {
          status: response.status,
          body: answer,
          ...(responseType === null ? {} : { contentType: responseType }),
          latencyMs: clock() - started,
          ...(servedBy === null || servedBy === '' ? {} : { servedBy }),
        };
      } catch (error) {
        // fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. Duck-typed: undici's errors
        // come from Node's own realm, where `instanceof Error` can be false (e.g. under jest).
        const e = (typeof error === 'object' && error !== null ? error : {}) as {
          name?: unknown;
          message?: unknown;
          cause?: { code?: unknown; message?: unknown };
        };
        const detail = [e.cause?.code, e.cause?.message].find((d) => typeof d === 'string');
        const what = typeof e.message === 'string' ? e.message : String(error);
        const message = `${method} ${url} failed: ${what}${detail === undefined ? '' : ` (${String(detail)})`}`;
        return { status: null, body: Buffer.from(message), latencyMs: clock() - started, error: message };
      }
    },
  };
}

/** True for JSON media types (`application/json`, `application/problem+json`, with parameters or not). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json') || media === 'text/json';
}

/** The bytes a smoke test sends: JSON for JSON content types; a string body as is otherwise. */
export function encodeSmokeBody(test: Pick<SmokeTest, 'body' | 'contentType'>): Buffer {
  if (typeof test.body === 'string' && !isJsonContentType(test.contentType)) return Buffer.from(test.body);
  return Buffer.from(JSON.stringify(test.body));
}

/** Sends one smoke test with an invoker and judges the answer. */
export async function runSmokeTest(test: SmokeTest, invoker: Invoker): Promise<SmokeResultWithAnswer> {
  const answer = await invoker.invoke(encodeSmokeBody(test), test.contentType, test.accept);
  return { result: checkSmokeTest(test, answer), answer };
}

/** A judged smoke test with the raw answer (for callers that need more than the result, e.g. transient errors). */
export interface SmokeResultWithAnswer {
  readonly result: SmokeResult;
  readonly answer: InvokeAnswer;
}

/** Runs smoke tests with at most `concurrency` in flight; results come back in the tests' order. */
export async function runSmokeTests(
  tests: readonly SmokeTest[],
  invoker: Invoker,
  concurrency = DEFAULT_SMOKE_CONCURRENCY,
): Promise<SmokeResultWithAnswer[]> {
  return mapLimit(tests, concurrency, (test) => runSmokeTest(test, invoker));
}

/** Maps with at most `limit` promises pending, keeping the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Judges an answer against a smoke test's expectations: status, JSON paths, labels and latency. Each
 * unmet expectation is one line naming the check, what was expected and what came back. Content checks
 * are skipped when the status is already wrong (an error body would fail them all, burying the cause).
 */
export function checkSmokeTest(test: SmokeTest, answer: InvokeAnswer): SmokeResult {
  const failures: string[] = [];
  const expect = test.expect;
  if (answer.status !== expect.status) {
    const got =
      answer.status === null
        ? `no answer (${answer.error ?? 'unknown error'})`
        : `${answer.status}${answer.body.length > 0 ? `: ${oneLine(answer.body.toString('utf8'), 200)}` : ''}`;
    failures.push(`status: expected ${expect.status}, got ${got}`);
  } else if (expect.jsonPaths.length > 0 || expect.labels !== undefined) {
    failures.push(...checkContent(expect.jsonPaths, expect.labels, answer));
  }
  if (answer.status !== null && answer.latencyMs > expect.maxLatencyMs) {
    failures.push(`latency: expected at most ${expect.maxLatencyMs} ms, took ${answer.latencyMs} ms`);
  }
  return {
    name: test.name,
    passed: failures.length === 0,
    status: answer.status,
    latencyMs: answer.latencyMs,
    failures,
    responsePreview: preview(answer),
    ...(answer.contentType === undefined ? {} : { contentType: answer.contentType }),
    ...(answer.servedBy === undefined ? {} : { servedBy: answer.servedBy }),
  };
}

function checkContent(
  jsonPaths: readonly JsonPathCheck[],
  labels: readonly string[] | undefined,
  answer: InvokeAnswer,
): string[] {
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return [
      `json: expected a JSON answer to check ${jsonPaths.length + (labels === undefined ? 0 : 1)} expectation(s), got ${answer.contentType ?? 'no content type'}: ${oneLine(answer.body.toString('utf8'), 80)}`,
    ];
  }
  const failures: string[] = [];
  for (const check of jsonPaths) failures.push(...checkJsonPath(check, json));
  if (labels !== undefined) failures.push(...checkLabels(labels, json));
  return failures;
}

/**
 * One JSON-path expectation. A path matching one value checks that value; a path matching several
 * (wildcards, `..`) compares the array of matches for `equals` and checks each match for the rest.
 */
function checkJsonPath(check: JsonPathCheck, json: unknown): string[] {
  let matches: unknown[];
  try {
    matches = query(check.path, json);
  } catch (error) {
    return [`${check.path}: could not evaluate the path (${errorMessage(error)})`];
  }
  const failures: string[] = [];
  const found = matches.length > 0;
  const value = matches.length === 1 ? matches[0] : matches;
  const got = found ? show(value) : 'nothing';
  if (check.exists !== undefined && check.exists !== found) {
    failures.push(`${check.path} exists: expected ${check.exists ? 'a value' : 'no value'}, got ${got}`);
  }
  if ('equals' in check && !(found && isDeepStrictEqual(value, check.equals))) {
    failures.push(`${check.path} equals: expected ${show(check.equals)}, got ${got}`);
  }
  if (check.oneOf !== undefined) {
    const allowed = check.oneOf;
    if (!found || !matches.every((m) => allowed.some((a) => isDeepStrictEqual(m, a)))) {
      failures.push(`${check.path} oneOf: expected one of ${show(allowed)}, got ${got}`);
    }
  }
  if (check.matches !== undefined) {
    const pattern = new RegExp(check.matches);
    if (!found || !matches.every((m) => pattern.test(String(m)))) {
      failures.push(`${check.path} matches: expected a match for /${check.matches}/, got ${got}`);
    }
  }
  if (check.min !== undefined) {
    const min = check.min;
    if (!found || !matches.every((m) => typeof m === 'number' && m >= min)) {
      failures.push(`${check.path} min: expected a number >= ${min}, got ${got}`);
    }
  }
  if (check.max !== undefined) {
    const max = check.max;
    if (!found || !matches.every((m) => typeof m === 'number' && m <= max)) {
      failures.push(`${check.path} max: expected a number <= ${max}, got ${got}`);
    }
  }
  return failures;
}

/** Every `label` anywhere in the answer must be an expected one, and at least one must be there. */
function checkLabels(expected: readonly string[], json: unknown): string[] {
  const found = query('$..label', json);
  if (found.length === 0) {
    return [`labels: expected at least one "label" among ${show(expected)}, found none`];
  }
  const unexpected = [
    ...new Set(found.filter((l) => typeof l !== 'string' || !expected.includes(l)).map(show)),
  ];
  return unexpected.length === 0
    ? []
    : [`labels: expected only ${show(expected)}, got ${unexpected.join(', ')}`];
}

function query(path: string, json: unknown): unknown[] {
  // jsonpath-plus refuses null/primitive documents outright; they simply match nothing.
  if (json === null || typeof json !== 'object') return [];
  return JSONPath<unknown[]>({ path, json, wrap: true, resultType: 'value' });
}

function preview(answer: InvokeAnswer): string {
  if (answer.contentType !== undefined && !isTextual(answer.contentType)) {
    return `<${answer.body.length} bytes of ${answer.contentType}>`;
  }
  return answer.body.toString('utf8').slice(0, RESPONSE_PREVIEW_CHARS);
}

function isTextual(contentType: string): boolean {
  return /json|text|xml|csv|javascript|x-www-form-urlencoded/i.test(contentType);
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** Median of some numbers (0 for none), for latency summaries. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : Math.round(((sorted[mid - 1] ?? hi) + hi) / 2);
}

/**
 * Adds the "answered by the right endpoint" expectation to a result judged from the public URL (the
 * proxy names the endpoint in a header; a stale Lambda container or CDN still shows the old one).
 */
export function expectServedBy(result: SmokeResult, endpointName: string): SmokeResult {
  if (result.servedBy === endpointName) return result;
  const failure = `servedBy: expected ${endpointName}, got ${result.servedBy ?? `no ${SERVED_BY_HEADER} header`}`;
  return { ...result, passed: false, failures: [...result.failures, failure] };
}

/**
 * Calls `GET /model` on the public API and judges the answer with `checkModelInfo`: the check used where
 * no smoke test is at hand (a rollback, a health check of a service without smoke tests).
 */
export async function probeModelInfo(
  options: Omit<HttpInvokerOptions, 'path' | 'method'>,
  endpointName: string,
): Promise<SmokeResult> {
  const invoker = httpInvoker({ ...options, path: '/model', method: 'GET' });
  return checkModelInfo(await invoker.invoke(Buffer.alloc(0), '', 'application/json'), endpointName);
}

/** Name of the check `checkModelInfo` records. */
export const MODEL_INFO_CHECK_NAME = 'GET /model';

/**
 * Judges a `GET /model` answer: status 200, served by `endpointName` (header, or the body's
 * `endpointName` when a cache stripped the header). Used where no smoke test is at hand.
 */
export function checkModelInfo(answer: InvokeAnswer, endpointName: string): SmokeResult {
  const failures: string[] = [];
  if (answer.status !== 200) {
    const got =
      answer.status === null ? `no answer (${answer.error ?? 'unknown error'})` : String(answer.status);
    failures.push(`status: expected 200, got ${got}`);
  }
  let servedBy = answer.servedBy;
  if (servedBy === undefined && answer.status === 200) {
    try {
      const body = JSON.parse(answer.body.toString('utf8')) as { endpointName?: unknown };
      if (typeof body.endpointName === 'string') servedBy = body.endpointName;
    } catch {
      // No JSON: the missing header is reported below.
    }
  }
  const result: SmokeResult = {
    name: MODEL_INFO_CHECK_NAME,
    passed: failures.length === 0,
    status: answer.status,
    latencyMs: answer.latencyMs,
    failures,
    responsePreview: preview(answer),
    ...(answer.contentType === undefined ? {} : { contentType: answer.contentType }),
    ...(servedBy === undefined ? {} : { servedBy }),
  };
  return answer.status === null ? result : expectServedBy(result, endpointName);
}
