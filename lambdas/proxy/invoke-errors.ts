import {
  EndpointNotFoundError,
  InvalidModelRequestError,
  ModelFailedError,
  ModelNotReadyError,
  ModelRejectedInputError,
  PayloadTooLargeError,
  type ProxyError,
  ThrottledError,
  UpstreamFailureError,
  UpstreamTimeoutError,
} from './errors';
import { MAX_BODY_BYTES, SERVERLESS_MAX_BODY_BYTES } from './request';

/** Longest part of a container's message repeated to the caller. */
const MAX_ORIGINAL_MESSAGE = 1000;

/** InvokeEndpoint was abandoned because the API's own deadline came first. */
export class InvokeDeadlineError extends Error {
  override readonly name = 'InvokeDeadlineError';
  constructor(readonly budgetMs: number) {
    super(`InvokeEndpoint did not answer within ${budgetMs} ms`);
  }
}

const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
const TIMED_OUT = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);
/** Connection failures before SageMaker answered. */
const UNREACHABLE = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const SAGEMAKER_FAILED = new Set(['InternalFailure', 'InternalDependencyException', 'InternalStreamFailure']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly OriginalStatusCode?: unknown;
  readonly OriginalMessage?: unknown;
}

/**
 * Maps an InvokeEndpoint failure to the answer the caller gets; null for anything unexpected (the
 * caller answers 500 and logs it). A ModelError whose container status is 4xx becomes 400: the
 * client sent something the model rejects, so retrying the same request cannot help.
 */
export function invokeErrorToProxyError(error: unknown, endpointName: string): ProxyError | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const httpStatus = e.$metadata?.httpStatusCode;

  if (error instanceof InvokeDeadlineError) {
    return new UpstreamTimeoutError(
      `The model did not answer within ${Math.round(error.budgetMs / 1000)} s, the most the API can wait (API Gateway allows 29 s). Send a smaller input or use an asynchronous endpoint.`,
      { cause: error },
    );
  }
  if (TIMED_OUT.has(name) || e.code === 'ETIMEDOUT') {
    return new UpstreamTimeoutError('SageMaker Runtime did not answer in time; try again.', { cause: error });
  }
  if (name === 'ModelError') return modelError(e, error);
  if (name === 'ModelNotReadyException') {
    return new ModelNotReadyError(
      `Endpoint ${endpointName} is not ready to serve yet (${message || 'ModelNotReadyException'}); try again shortly.`,
      { cause: error, headers: { 'Retry-After': '10' } },
    );
  }
  if (name === 'ValidationError') {
    if (/endpoint .* not found/i.test(message)) {
      return new EndpointNotFoundError(
        `Endpoint ${endpointName}, which this API serves, does not exist. Run \`rollout status\` and \`rollout deploy <spec>\` (or \`rollout rollback\`) to point the API at a live endpoint.`,
        { cause: error },
      );
    }
    return new InvalidModelRequestError(`SageMaker refused the request: ${message}`, { cause: error });
  }
  if (httpStatus === 413) {
    // SageMaker's front end answers an oversized body without an error code; a serverless endpoint's
    // limit (4 MB) is below the MAX_BODY_BYTES the proxy checks itself (see request.ts).
    return new PayloadTooLargeError(
      `SageMaker refused the body as too large for endpoint ${endpointName} (${message || 'HTTP 413'}); serverless endpoints accept at most ${SERVERLESS_MAX_BODY_BYTES} bytes (4 MB), this API at most ${MAX_BODY_BYTES} bytes otherwise. Send a smaller input.`,
      { cause: error },
    );
  }
  if (THROTTLED.has(name) || httpStatus === 429) {
    return new ThrottledError(
      `SageMaker is throttling or briefly unavailable for endpoint ${endpointName} (${name}); retry after a second.`,
      { cause: error, headers: { 'Retry-After': '1' } },
    );
  }
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) {
    return new UpstreamFailureError(`SageMaker Runtime could not be reached (${e.code}); try again.`, {
      cause: error,
    });
  }
  if (SAGEMAKER_FAILED.has(name) || (httpStatus !== undefined && httpStatus >= 500)) {
    return new UpstreamFailureError(`SageMaker Runtime failed (${name || httpStatus}); try again.`, {
      cause: error,
    });
  }
  return null;
}

function modelError(e: SdkErrorShape, cause: unknown): ProxyError {
  const status = typeof e.OriginalStatusCode === 'number' ? e.OriginalStatusCode : undefined;
  const original = truncate(
    typeof e.OriginalMessage === 'string' && e.OriginalMessage !== ''
      ? e.OriginalMessage
      : typeof e.message === 'string'
        ? e.message
        : '',
  );
  if (status !== undefined && status >= 400 && status < 500) {
    return new ModelRejectedInputError(
      `The model rejected the input (container status ${status}): ${original}`,
      {
        cause,
      },
    );
  }
  if (/timed out/i.test(original)) {
    return new UpstreamTimeoutError(`The model container timed out: ${original}`, { cause });
  }
  return new ModelFailedError(`The model container failed (status ${status ?? 'unknown'}): ${original}`, {
    cause,
  });
}

function truncate(text: string): string {
  return text.length > MAX_ORIGINAL_MESSAGE ? `${text.slice(0, MAX_ORIGINAL_MESSAGE)}…` : text;
}
