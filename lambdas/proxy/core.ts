import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { SERVED_BY_HEADER, type LivePointer, type LiveTarget } from '../shared/types';
import {
  DEFAULT_ACCEPT,
  DEFAULT_CONTENT_TYPE,
  isAllowedMediaType,
  isJsonMediaType,
  isTextMediaType,
  mediaType,
} from './content-type';
import {
  ForbiddenError,
  InvalidEncodingError,
  InvalidHeaderError,
  InvalidJsonError,
  MethodNotAllowedError,
  NoDeploymentError,
  ProxyError,
  ResponseTooLargeError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
} from './errors';
import { InvokeDeadlineError, invokeErrorToProxyError } from './invoke-errors';
import { findJsonSyntaxError } from './json-syntax';
import { LivePointerCache } from './live-endpoint';
import type { RequestMetrics } from './metrics';
import { type ProxyRequest, requestBodyBytes } from './request';

/**
 * The inference API: `POST /predict` passes the body and its Content-Type to SageMaker InvokeEndpoint
 * unchanged and returns the model's answer as is; `GET /model` tells what is live. Every answer
 * carries `x-served-by-endpoint`; every error is `{"error": "<Code>", "message": "<text>"}`.
 */

/** Request header CloudFront adds; must equal ORIGIN_VERIFY_SECRET when that is set. */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';
/** SageMaker's custom-attributes header, passed through both ways. */
export const CUSTOM_ATTRIBUTES_HEADER = 'x-amzn-sagemaker-custom-attributes';
/** Time kept back from the Lambda deadline to answer 504 before API Gateway gives up. */
export const RESPONSE_MARGIN_MS = 1500;
/** Longest InvokeEndpoint wait: API Gateway REST ends integrations at 29 s. */
export const MAX_INVOKE_MS = 27_500;
/** Longest Content-Type, Accept and custom-attributes value InvokeEndpoint accepts (InvokeEndpoint reference). */
export const MAX_INVOKE_HEADER_CHARS = 1024;
/** Cache-Control of `GET /model` (CloudFront's /model behaviour honours it). */
export const MODEL_CACHE_CONTROL = 'max-age=5';
/** Lambda's response payload limit, less room for the status and headers. */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 8 * 1024;

/** The proxy's settings, read from its environment on every invocation. */
export interface ProxyConfig {
  readonly prefix: string;
  /** SERVICE_NAME: needed for the SSM fallback and `GET /model`. */
  readonly service: string | undefined;
  /** ENDPOINT_NAME, set by the rollout's Switch API Target; unset after a `cdk deploy` (then SSM is read). */
  readonly endpointName: string | undefined;
  /** LIVE_MODEL_ID / LIVE_ROLLOUT_ID, optionally set next to ENDPOINT_NAME, for `GET /model`. */
  readonly liveModelId: string | undefined;
  readonly liveRolloutId: string | undefined;
  /** ORIGIN_VERIFY_SECRET: when set, requests must carry it as `x-origin-verify` (CloudFront adds it). */
  readonly originVerifySecret: string | undefined;
}

/** Reads the proxy's settings from an environment (empty values count as unset). */
export function readProxyConfig(env: Readonly<Record<string, string | undefined>>): ProxyConfig {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    prefix: get('PROJECT_PREFIX') ?? 'hf-rollout',
    service: get('SERVICE_NAME'),
    endpointName: get('ENDPOINT_NAME'),
    liveModelId: get('LIVE_MODEL_ID'),
    liveRolloutId: get('LIVE_ROLLOUT_ID'),
    originVerifySecret: get('ORIGIN_VERIFY_SECRET'),
  };
}

/** One InvokeEndpoint call. */
export interface InvokeInput {
  readonly endpointName: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly accept: string;
  readonly customAttributes: string | undefined;
  readonly abortSignal: AbortSignal;
}

/** What InvokeEndpoint answered. */
export interface InvokeOutput {
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
  readonly invokedProductionVariant: string | undefined;
  readonly customAttributes: string | undefined;
}

/** Structured log the proxy writes to (Powertools Logger in Lambda). */
export interface ProxyLog {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/** What the proxy needs from the outside world. */
export interface ProxyDeps {
  readonly invokeEndpoint: (input: InvokeInput) => Promise<InvokeOutput>;
  /** Reads a service's live pointer from SSM (null: nothing deployed). */
  readonly readLivePointer: (prefix: string, service: string) => Promise<LivePointer | null>;
  readonly emitMetrics: (metrics: RequestMetrics) => void;
  readonly now: () => number;
  readonly log: ProxyLog;
}

/** Per-invocation facts from the Lambda context. */
export interface InvocationContext {
  readonly config: ProxyConfig;
  /** Lambda request id, quoted in 500 answers so a caller can report it. */
  readonly requestId: string;
  /** Milliseconds before Lambda ends this invocation. */
  readonly remainingMs: () => number;
}

/** Handles one request; keeps the SSM live-pointer cache between calls (one per container). */
export type Proxy = (request: ProxyRequest, context: InvocationContext) => Promise<APIGatewayProxyResult>;

interface Resolved {
  readonly endpointName: string;
  readonly source: 'environment' | 'live-pointer';
  readonly target: LiveTarget | null;
}

interface Trace {
  servedBy: string;
  modelLatencyMs: number | undefined;
}

type Headers = Record<string, string>;

const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/predict': ['POST', 'OPTIONS'],
  '/model': ['GET', 'HEAD', 'OPTIONS'],
};

/** Creates the proxy over its dependencies. */
export function createProxy(deps: ProxyDeps): Proxy {
  let cache: { readonly key: string; readonly pointers: LivePointerCache } | undefined;
  const pointerCache = (prefix: string, service: string): LivePointerCache => {
    const key = `${prefix}/${service}`;
    if (cache?.key !== key) {
      const pointers = new LivePointerCache({
        read: () => deps.readLivePointer(prefix, service),
        now: deps.now,
        onStale: (error) =>
          deps.log.warn('SSM read failed; serving the previous live pointer', { error: describe(error) }),
      });
      cache = { key, pointers };
    }
    return cache.pointers;
  };

  const serviceOf = (config: ProxyConfig): string => {
    if (config.service === undefined) {
      throw new Error(
        'SERVICE_NAME is not set; the serving stack sets it (lambdas/catalog.ts PROXY_FUNCTION).',
      );
    }
    return config.service;
  };

  const resolve = async (config: ProxyConfig): Promise<Resolved> => {
    if (config.endpointName !== undefined) {
      return { endpointName: config.endpointName, source: 'environment', target: null };
    }
    const service = serviceOf(config);
    const pointer = await pointerCache(config.prefix, service).get();
    if (pointer === null) {
      throw new NoDeploymentError(
        `No model is deployed for service ${service} yet; run \`rollout deploy <spec>\`.`,
      );
    }
    return { endpointName: pointer.current.endpointName, source: 'live-pointer', target: pointer.current };
  };

  // The endpoint known without any call: for the header of answers given before resolving.
  const knownEndpoint = (config: ProxyConfig): string => {
    if (config.endpointName !== undefined) return config.endpointName;
    if (config.service === undefined) return 'none';
    return pointerCache(config.prefix, config.service).peek()?.current.endpointName ?? 'none';
  };

  const predict = async (
    request: ProxyRequest,
    ctx: InvocationContext,
    trace: Trace,
  ): Promise<APIGatewayProxyResult> => {
    checkForwardedHeaders(request);
    const body = requestBodyBytes(request);
    const contentType = request.headers['content-type'] ?? DEFAULT_CONTENT_TYPE;
    const type = mediaType(contentType);
    if (!isAllowedMediaType(type)) throw unsupportedMediaType(contentType, type);
    if (isJsonMediaType(type)) checkJson(body);

    const endpoint = await resolve(ctx.config);
    trace.servedBy = endpoint.endpointName;
    const acceptHeader = request.headers.accept?.trim();
    const accept =
      acceptHeader === undefined || acceptHeader === '' || acceptHeader === '*/*'
        ? DEFAULT_ACCEPT
        : acceptHeader;
    const budgetMs = Math.min(ctx.remainingMs() - RESPONSE_MARGIN_MS, MAX_INVOKE_MS);

    const started = deps.now();
    let output: InvokeOutput;
    try {
      output = await withDeadline(budgetMs, (abortSignal) =>
        deps.invokeEndpoint({
          endpointName: endpoint.endpointName,
          body,
          contentType,
          accept,
          customAttributes: request.headers[CUSTOM_ATTRIBUTES_HEADER],
          abortSignal,
        }),
      );
    } catch (error) {
      trace.modelLatencyMs = deps.now() - started;
      const mapped = invokeErrorToProxyError(error, endpoint.endpointName);
      // A pointer naming a deleted endpoint: read SSM again on the next request.
      if (
        mapped?.code === 'EndpointNotFound' &&
        endpoint.source === 'live-pointer' &&
        ctx.config.service !== undefined
      ) {
        pointerCache(ctx.config.prefix, ctx.config.service).invalidate();
      }
      throw mapped ?? error;
    }
    trace.modelLatencyMs = deps.now() - started;
    return modelAnswer(output);
  };

  const model = async (
    ctx: InvocationContext,
    trace: Trace,
    head: boolean,
  ): Promise<APIGatewayProxyResult> => {
    const config = ctx.config;
    const service = serviceOf(config);
    const endpoint = await resolve(config);
    trace.servedBy = endpoint.endpointName;
    let target = endpoint.target;
    if (target === null) {
      // ENDPOINT_NAME tells which endpoint; the live pointer (when it agrees) tells the rest.
      try {
        const current = (await pointerCache(config.prefix, service).get())?.current;
        if (current?.endpointName === endpoint.endpointName) target = current;
      } catch (error) {
        deps.log.warn('GET /model: live pointer unavailable; answering from the environment', {
          error: describe(error),
        });
      }
    }
    const live = {
      service,
      endpointName: endpoint.endpointName,
      rolloutId: config.liveRolloutId ?? target?.rolloutId ?? endpoint.endpointName,
      modelId: config.liveModelId ?? target?.modelId ?? null,
      modelRevision: target?.modelRevision ?? null,
      task: target?.task ?? null,
      since: target?.since ?? null,
      source: endpoint.source,
    };
    return json(200, live, { 'Cache-Control': MODEL_CACHE_CONTROL }, head);
  };

  const route = async (
    request: ProxyRequest,
    ctx: InvocationContext,
    trace: Trace,
  ): Promise<APIGatewayProxyResult> => {
    const allowed = ROUTES[request.path];
    if (allowed === undefined) {
      throw new RouteNotFoundError(
        `No route ${request.method} ${request.path}; the API has POST /predict and GET /model.`,
      );
    }
    if (!allowed.includes(request.method)) {
      throw new MethodNotAllowedError(
        `${request.path} does not accept ${request.method}; use ${allowed.join(', ')}.`,
        {
          headers: { Allow: allowed.join(', ') },
        },
      );
    }
    if (request.method === 'OPTIONS') {
      return { statusCode: 204, headers: { Allow: allowed.join(', ') }, body: '' };
    }
    return request.path === '/predict'
      ? predict(request, ctx, trace)
      : model(ctx, trace, request.method === 'HEAD');
  };

  return async (request, ctx) => {
    const started = deps.now();
    const trace: Trace = { servedBy: knownEndpoint(ctx.config), modelLatencyMs: undefined };
    let result: APIGatewayProxyResult;
    try {
      verifyOrigin(request, ctx.config);
      result = await route(request, ctx, trace);
    } catch (error) {
      result = errorAnswer(error, ctx.requestId, request.method === 'HEAD', deps.log, trace.servedBy);
    }
    result = { ...result, headers: { ...result.headers, [SERVED_BY_HEADER]: trace.servedBy } };
    const totalMs = deps.now() - started;
    if (trace.modelLatencyMs !== undefined && ctx.config.service !== undefined) {
      deps.emitMetrics({
        service: ctx.config.service,
        modelLatencyMs: trace.modelLatencyMs,
        proxyOverheadMs: Math.max(0, totalMs - trace.modelLatencyMs),
      });
    }
    deps.log.info('request', {
      method: request.method,
      path: request.path,
      status: result.statusCode,
      endpointName: trace.servedBy,
      durationMs: totalMs,
      modelLatencyMs: trace.modelLatencyMs,
      apiRequestId: request.apiRequestId,
    });
    return result;
  };
}

function verifyOrigin(request: ProxyRequest, config: ProxyConfig): void {
  const expected = config.originVerifySecret;
  if (expected === undefined) return;
  const given = request.headers[ORIGIN_VERIFY_HEADER];
  // Compare digests so the check takes the same time whatever the header holds.
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  if (given === undefined || !timingSafeEqual(digest(given), digest(expected))) {
    throw new ForbiddenError('Call the API through its CloudFront URL.');
  }
}

/** The caller's headers the proxy passes to InvokeEndpoint, as the caller names them. */
const FORWARDED_HEADERS = [
  ['content-type', 'Content-Type'],
  ['accept', 'Accept'],
  [CUSTOM_ATTRIBUTES_HEADER, 'X-Amzn-SageMaker-Custom-Attributes'],
] as const;

/**
 * Refuses, with a 400 naming the header and the limit, what SageMaker would refuse with a
 * ValidationError (InvokeEndpoint reference: ContentType, Accept and CustomAttributes are at most
 * 1024 characters, pattern `\p{ASCII}*`), so the caller learns which header to fix.
 */
function checkForwardedHeaders(request: ProxyRequest): void {
  for (const [key, name] of FORWARDED_HEADERS) {
    const value = request.headers[key];
    if (value === undefined) continue;
    if (value.length > MAX_INVOKE_HEADER_CHARS) {
      throw new InvalidHeaderError(
        `Header ${name} is ${value.length} characters long; SageMaker accepts at most ${MAX_INVOKE_HEADER_CHARS}. Send a shorter value.`,
      );
    }
    // eslint-disable-next-line no-control-regex -- ASCII is exactly what SageMaker allows, controls included
    const nonAscii = /[^\x00-\x7f]/.exec(value);
    if (nonAscii !== null) {
      throw new InvalidHeaderError(
        `Header ${name} has a non-ASCII character at position ${nonAscii.index + 1}; SageMaker accepts only ASCII characters (at most ${MAX_INVOKE_HEADER_CHARS}) there. Encode the value, e.g. percent-encode or base64 it.`,
      );
    }
  }
}

function unsupportedMediaType(contentType: string, type: string): UnsupportedMediaTypeError {
  const hint =
    type === 'application/x-www-form-urlencoded'
      ? ' (curl -d sends this by default; add -H "Content-Type: application/json")'
      : '';
  return new UnsupportedMediaTypeError(
    `Content-Type ${contentType} is not supported${hint}. Use application/json (or application/*+json, JSON lines), text/*, application/octet-stream, application/x-npy, application/x-image, image/* or audio/*.`,
  );
}

function checkJson(body: Buffer): void {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (error) {
    throw new InvalidEncodingError('The body is declared as JSON but is not valid UTF-8.', { cause: error });
  }
  try {
    JSON.parse(text);
  } catch (error) {
    const issue = findJsonSyntaxError(text);
    if (issue === null) {
      throw new InvalidJsonError(`The body is not valid JSON: ${describe(error).slice(0, 200)}`, {
        cause: error,
      });
    }
    const near = text.slice(Math.max(0, issue.offset - 20), issue.offset + 20);
    throw new InvalidJsonError(
      `The body is not valid JSON: ${issue.problem} at line ${issue.line}, column ${issue.column} (character ${issue.offset}), near '${near.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}'.`,
      { cause: error },
    );
  }
}

async function withDeadline<T>(budgetMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (budgetMs <= 0) throw new InvokeDeadlineError(0);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new InvokeDeadlineError(budgetMs));
    }, budgetMs);
  });
  try {
    return await Promise.race([run(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function modelAnswer(output: InvokeOutput): APIGatewayProxyResult {
  const contentType = output.contentType ?? 'application/octet-stream';
  const bytes = Buffer.from(output.body.buffer, output.body.byteOffset, output.body.byteLength);
  const text = isTextMediaType(mediaType(contentType)) ? utf8OrNull(bytes) : null;
  const body = text ?? bytes.toString('base64');
  const headers: Headers = { 'Content-Type': contentType, 'Cache-Control': 'no-store' };
  if (output.invokedProductionVariant !== undefined) {
    headers['x-invoked-production-variant'] = output.invokedProductionVariant;
  }
  if (output.customAttributes !== undefined) headers[CUSTOM_ATTRIBUTES_HEADER] = output.customAttributes;
  const result = { statusCode: 200, headers, body, isBase64Encoded: text === null };
  // JSON escaping can grow a text body; measure exactly only when it could matter.
  if (
    body.length > MAX_RESPONSE_BYTES / 2 &&
    Buffer.byteLength(JSON.stringify(result)) > MAX_RESPONSE_BYTES
  ) {
    throw new ResponseTooLargeError(
      `The model answered ${bytes.length} bytes (${contentType}), more than a Lambda response can carry (6 MB after encoding). Ask for a smaller output.`,
    );
  }
  return result;
}

function utf8OrNull(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

function json(status: number, value: unknown, headers: Headers = {}, head = false): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: head ? '' : JSON.stringify(value),
  };
}

function errorAnswer(
  error: unknown,
  requestId: string,
  head: boolean,
  log: ProxyLog,
  endpointName: string,
): APIGatewayProxyResult {
  if (error instanceof ProxyError) {
    if (error.status >= 500) {
      log.warn(`answered ${error.status} ${error.code}`, {
        endpointName,
        message: error.message,
        cause: describe(error.cause),
      });
    }
    return json(
      error.status,
      { error: error.code, message: error.message },
      { 'Cache-Control': 'no-store', ...error.headers },
      head,
    );
  }
  log.error('unexpected error', {
    endpointName,
    error: describe(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return json(
    500,
    {
      error: 'InternalError',
      message: `The inference API failed unexpectedly; the error is logged with request id ${requestId}.`,
    },
    { 'Cache-Control': 'no-store' },
    head,
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
