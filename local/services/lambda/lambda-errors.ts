import { AwsError } from '../../protocol/errors';

/** Lambda's errors, with the codes, statuses and messages Lambda answers. */

/** ResourceNotFoundException: no such function (or qualifier). */
export function functionNotFound(arn: string): AwsError {
  return new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
}

/** PreconditionFailedException: the RevisionId given is not the latest. */
export function revisionMismatch(): AwsError {
  return new AwsError(
    'PreconditionFailedException',
    'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    412,
  );
}

/** ResourceConflictException: a configuration update is still InProgress. */
export function updateInProgress(arn: string): AwsError {
  return new AwsError(
    'ResourceConflictException',
    `The operation cannot be performed at this time. An update is in progress for resource: ${arn}`,
    409,
  );
}

/** TooManyRequestsException: the function is at its concurrency limit. */
export function throttled(): AwsError {
  return new AwsError('TooManyRequestsException', 'Rate Exceeded.', 429, {
    Reason: 'ConcurrentInvocationLimitExceeded',
  });
}

/** InvalidParameterValueException with Lambda's wording. */
export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterValueException', message, 400);
}

/** InvalidRequestContentException: the Invoke payload is not JSON. */
export function invalidRequestContent(message: string): AwsError {
  return new AwsError('InvalidRequestContentException', message, 400);
}

/** RequestTooLargeException: the Invoke payload is over the limit. */
export function requestTooLarge(limitBytes: number): AwsError {
  return new AwsError(
    'RequestTooLargeException',
    `Request must be smaller than ${limitBytes} bytes for the InvokeFunction operation`,
    413,
  );
}

/** ValidationException for a malformed parameter, in AWS's "1 validation error detected" form. */
export function validationError(field: string, value: unknown, constraint: string): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}
