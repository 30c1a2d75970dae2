/**
 * An error answered the way AWS answers it: its code (`ValidationException`), HTTP status and message
 * are what the SDK turns into a named exception, so handler code sees what it would see on AWS.
 */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra top-level fields some errors carry (e.g. ModelError's OriginalStatusCode). */
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** Default HTTP status for an AWS error code, when a fault rule gives none. */
export function defaultStatusFor(code: string): number {
  if (/^(ServiceUnavailable|ServiceUnavailableException)$/.test(code)) return 503;
  if (
    /^(InternalFailure|InternalServerError|InternalServerException|ServiceException|InternalError)$/.test(
      code,
    )
  )
    return 500;
  if (/^(TooManyRequestsException)$/.test(code)) return 429;
  if (/^(ResourceConflictException)$/.test(code)) return 409;
  if (/^(ResourceNotFoundException)$/.test(code)) return 404;
  if (/^(PreconditionFailedException)$/.test(code)) return 412;
  if (/^(ModelError)$/.test(code)) return 424;
  return 400;
}
