/**
 * Answers the inference proxy gives instead of the model's. Each class fixes the HTTP status and the
 * `error` code of the JSON body (`{"error": "<code>", "message": "<text>"}`); the message is written
 * for the caller and never contains a stack trace.
 */

/** Base of the proxy's answers-as-errors: keeps `cause`, carries status, code and extra headers. */
export abstract class ProxyError extends Error {
  abstract override readonly name: string;
  /** HTTP status of the answer. */
  abstract readonly status: number;
  /** `error` field of the JSON body. */
  abstract readonly code: string;
  /** Extra response headers, e.g. `Retry-After` or `Allow`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options: { cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.headers = options.headers ?? {};
  }
}

/** The request came around CloudFront (no or wrong `x-origin-verify`). */
export class ForbiddenError extends ProxyError {
  override readonly name = 'ForbiddenError';
  readonly status = 403;
  readonly code = 'Forbidden';
}

/** No such route. */
export class RouteNotFoundError extends ProxyError {
  override readonly name = 'RouteNotFoundError';
  readonly status = 404;
  readonly code = 'NotFound';
}

/** The route exists but not for this method; `Allow` lists the methods it has. */
export class MethodNotAllowedError extends ProxyError {
  override readonly name = 'MethodNotAllowedError';
  readonly status = 405;
  readonly code = 'MethodNotAllowed';
}

/** POST /predict without a body. */
export class MissingBodyError extends ProxyError {
  override readonly name = 'MissingBodyError';
  readonly status = 400;
  readonly code = 'MissingBody';
}

/** A JSON body that does not parse (the message says where). */
export class InvalidJsonError extends ProxyError {
  override readonly name = 'InvalidJsonError';
  readonly status = 400;
  readonly code = 'InvalidJson';
}

/** A text/JSON body whose bytes are not UTF-8. */
export class InvalidEncodingError extends ProxyError {
  override readonly name = 'InvalidEncodingError';
  readonly status = 400;
  readonly code = 'InvalidEncoding';
}

/**
 * A request header SageMaker InvokeEndpoint would refuse (Content-Type, Accept or
 * X-Amzn-SageMaker-Custom-Attributes over 1024 characters or not ASCII): refused before calling it.
 */
export class InvalidHeaderError extends ProxyError {
  override readonly name = 'InvalidHeaderError';
  readonly status = 400;
  readonly code = 'InvalidHeader';
}

/** SageMaker refused the request itself (ValidationError other than a missing endpoint). */
export class InvalidModelRequestError extends ProxyError {
  override readonly name = 'InvalidModelRequestError';
  readonly status = 400;
  readonly code = 'InvalidRequest';
}

/** The model container answered 4xx: the input is something the model rejects. */
export class ModelRejectedInputError extends ProxyError {
  override readonly name = 'ModelRejectedInputError';
  readonly status = 400;
  readonly code = 'ModelRejectedInput';
}

/** Body larger than the API or the endpoint accepts (see MAX_BODY_BYTES in request.ts). */
export class PayloadTooLargeError extends ProxyError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'PayloadTooLarge';
}

/** Content-Type outside the allow-list (see content-type.ts). */
export class UnsupportedMediaTypeError extends ProxyError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'UnsupportedMediaType';
}

/** SageMaker throttled the call or is briefly unavailable; `Retry-After` says when to try again. */
export class ThrottledError extends ProxyError {
  override readonly name = 'ThrottledError';
  readonly status = 429;
  readonly code = 'Throttled';
}

/** The model container failed (5xx or no status). */
export class ModelFailedError extends ProxyError {
  override readonly name = 'ModelFailedError';
  readonly status = 502;
  readonly code = 'ModelError';
}

/** SageMaker Runtime itself failed (InternalFailure, InternalDependencyException). */
export class UpstreamFailureError extends ProxyError {
  override readonly name = 'UpstreamFailureError';
  readonly status = 502;
  readonly code = 'UpstreamError';
}

/** The model's answer does not fit in a Lambda response. */
export class ResponseTooLargeError extends ProxyError {
  override readonly name = 'ResponseTooLargeError';
  readonly status = 502;
  readonly code = 'ResponseTooLarge';
}

/** Nothing was ever deployed for the service. */
export class NoDeploymentError extends ProxyError {
  override readonly name = 'NoDeploymentError';
  readonly status = 503;
  readonly code = 'NoDeployment';
}

/** The live pointer could not be read from SSM (and nothing usable is cached). */
export class LivePointerUnavailableError extends ProxyError {
  override readonly name = 'LivePointerUnavailableError';
  readonly status = 503;
  readonly code = 'LivePointerUnavailable';
}

/** The endpoint the proxy points at does not exist (deleted, or a stale pointer). */
export class EndpointNotFoundError extends ProxyError {
  override readonly name = 'EndpointNotFoundError';
  readonly status = 503;
  readonly code = 'EndpointNotFound';
}

/** The endpoint exists but its model is not ready to serve yet. */
export class ModelNotReadyError extends ProxyError {
  override readonly name = 'ModelNotReadyError';
  readonly status = 503;
  readonly code = 'ModelNotReady';
}

/** The model did not answer within the time the API can wait. */
export class UpstreamTimeoutError extends ProxyError {
  override readonly name = 'UpstreamTimeoutError';
  readonly status = 504;
  readonly code = 'UpstreamTimeout';
}
