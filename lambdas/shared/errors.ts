/**
 * Errors the step handlers throw. Their `name`s are the contract with the state machine's Retry and
 * Catch (`ErrorEquals`): a test checks that every name the ASL matches is declared here (or is a
 * `States.*` / `Lambda.*` name), so rename only on purpose.
 */
export { SpecInvalidError } from '../../pipeline/spec/errors';
export { ImageNotFoundError } from '../../pipeline/spec/image-uri';

/** Base of the project's errors: keeps `cause` and fixes `name` to the subclass's declared name. */
export abstract class RolloutError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A required environment variable is missing (a deployment/configuration problem, not a user one). */
export class MissingEnvironmentError extends RolloutError {
  override readonly name = 'MissingEnvironmentError';
}

/** The step's input is not a rollout state this handler understands (the ASL and handler disagree). */
export class InvalidStepInputError extends RolloutError {
  override readonly name = 'InvalidStepInputError';
}

/**
 * An AWS call failed in a way worth retrying (throttling, 5xx, network) after the SDK's own retries.
 * Every Task retries it with backoff.
 */
export class AwsTransientError extends RolloutError {
  override readonly name = 'AwsTransientError';
}

/** The spec names a service that has no serving stack (no registration parameter). */
export class ServiceNotFoundError extends RolloutError {
  override readonly name = 'ServiceNotFoundError';
}

/** Another rollout of the same service holds the lock; this one created nothing. */
export class RolloutInProgressError extends RolloutError {
  override readonly name = 'RolloutInProgressError';
}

/** A rollback was asked for, but there is no earlier deployment to return to. */
export class NoPreviousDeploymentError extends RolloutError {
  override readonly name = 'NoPreviousDeploymentError';
}

/** A resource with this rollout's name exists but was not made by this rollout (or differs from the spec). */
export class ResourceMismatchError extends RolloutError {
  override readonly name = 'ResourceMismatchError';
}

/** The new endpoint reached `Failed`; carries SageMaker's FailureReason. */
export class EndpointFailedError extends RolloutError {
  override readonly name = 'EndpointFailedError';
}

/** The new endpoint was not InService within the spec's maximum wait. */
export class EndpointWaitTimeoutError extends RolloutError {
  override readonly name = 'EndpointWaitTimeoutError';
}

/** The endpoint being deleted during rollback still exists after the bounded wait. */
export class EndpointDeletionTimeoutError extends RolloutError {
  override readonly name = 'EndpointDeletionTimeoutError';
}

/** At least one smoke test did not get the answer it expects. */
export class SmokeTestFailedError extends RolloutError {
  override readonly name = 'SmokeTestFailedError';
}

/** The proxy Lambda's configuration update is still blocked by another update (ResourceConflictException). */
export class ApiUpdateConflictError extends RolloutError {
  override readonly name = 'ApiUpdateConflictError';
}

/** The proxy Lambda's configuration update ended `Failed`. */
export class ApiUpdateFailedError extends RolloutError {
  override readonly name = 'ApiUpdateFailedError';
}

/** The endpoint a switch would point the API at is gone or not InService; nothing was changed. */
export class TargetNotInServiceError extends RolloutError {
  override readonly name = 'TargetNotInServiceError';
}

/** The public URL did not answer from the expected endpoint. */
export class PublicApiCheckFailedError extends RolloutError {
  override readonly name = 'PublicApiCheckFailedError';
}

/** Error names the state machine may match besides `States.*` and `Lambda.*`: the handlers' contract. */
export const HANDLER_ERROR_NAMES = [
  'SpecInvalidError',
  'ImageNotFoundError',
  'MissingEnvironmentError',
  'InvalidStepInputError',
  'AwsTransientError',
  'ServiceNotFoundError',
  'RolloutInProgressError',
  'NoPreviousDeploymentError',
  'ResourceMismatchError',
  'EndpointFailedError',
  'EndpointWaitTimeoutError',
  'EndpointDeletionTimeoutError',
  'SmokeTestFailedError',
  'ApiUpdateConflictError',
  'ApiUpdateFailedError',
  'TargetNotInServiceError',
  'PublicApiCheckFailedError',
] as const;

const TRANSIENT_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
]);

/** True for AWS SDK errors worth retrying: throttling, 5xx, timeouts and dropped connections. */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (e.$retryable !== undefined) return true;
  if (TRANSIENT_CODES.has(e.name) || (e.code !== undefined && TRANSIENT_CODES.has(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** Error name as AWS SDK v3 reports it (`ValidationException`, ...), or the class name. */
export function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
