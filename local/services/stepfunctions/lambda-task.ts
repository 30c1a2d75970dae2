import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/**
 * A Task failure as Step Functions reports it: `name` is the Error the ASL's Retry and Catch match,
 * `message` the Cause (the engine passes `error.message` to Catch). No `cause` property is set, since
 * the engine would prefer it over the message in history events.
 */
export class LambdaTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Step Functions' payload quota: an execution's, a state's or a task's input or output, in UTF-8 bytes. */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/** The UTF-8 size of a value as Step Functions passes it on (JSON text). */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/**
 * `States.DataLimitExceeded`: a payload over `PAYLOAD_LIMIT_BYTES`. A terminal error: the engine
 * neither retries nor catches it (it reads `isRetryable` / `isCatchable`), so no Catch, not even
 * `States.ALL`, runs and the execution fails, as AWS's error-handling guide describes it.
 */
export class DataLimitExceededError extends LambdaTaskError {
  constructor(cause: string) {
    super('States.DataLimitExceeded', cause);
  }

  /** Read by aws-local-stepfunctions' Retry matching. */
  get isRetryable(): boolean {
    return false;
  }

  /** Read by aws-local-stepfunctions' Catch matching. */
  get isCatchable(): boolean {
    return false;
  }
}

/** AWS's cause for a result over the quota; `subject` is the state name, or the function ARN for a Lambda result. */
export function resultTooLargeCause(subject: string): string {
  return `The state/task '${subject}' returned a result with a size exceeding the maximum number of bytes service limit.`;
}

/**
 * The one Lambda client Step Functions uses to run Task states, pointed at the local AWS port. Retries
 * are off: Step Functions makes one Invoke per attempt and leaves retrying to the state's Retry.
 */
export function createTaskLambdaClient(endpoint: string, region: string): LambdaClient {
  return new LambdaClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/**
 * Invokes a Task's Lambda function over the wire and returns its result, or throws the error Step
 * Functions would record:
 * - a function error: Error = the payload's errorType, Cause = the payload itself
 *   (`{"errorType":…,"errorMessage":…,"trace":[…]}`), as AWS passes Lambda errors on;
 * - an error of the Invoke API itself: `Lambda.<ExceptionName>` (e.g. Lambda.TooManyRequestsException)
 *   with AWS's `(Service: AWSLambda; Status Code: …)` cause;
 * - no answer at all: `Lambda.SdkClientException`.
 */
export async function invokeLambdaTask(
  client: LambdaClient,
  resource: string,
  input: unknown,
): Promise<unknown> {
  let response;
  try {
    response = await client.send(
      new InvokeCommand({ FunctionName: resource, Payload: Buffer.from(JSON.stringify(input ?? null)) }),
    );
  } catch (error) {
    throw lambdaApiError(error);
  }
  const text = response.Payload === undefined ? 'null' : Buffer.from(response.Payload).toString('utf8');
  if (response.FunctionError !== undefined) {
    let errorType = 'Lambda.Unknown';
    try {
      const parsed = JSON.parse(text) as { errorType?: unknown };
      if (typeof parsed.errorType === 'string' && parsed.errorType !== '') errorType = parsed.errorType;
    } catch {
      // Not JSON: the name stays Lambda.Unknown and the text is the cause.
    }
    throw new LambdaTaskError(errorType, text);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LambdaTaskError(
      'States.Runtime',
      `The Lambda function's result is not valid JSON: ${text.slice(0, 200)}`,
    );
  }
}

/** Names an Invoke API failure the way Step Functions does. */
export function lambdaApiError(error: unknown): LambdaTaskError {
  const e = error as {
    name?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;
  if (typeof status !== 'number') {
    return new LambdaTaskError('Lambda.SdkClientException', `Unable to execute HTTP request: ${message}`);
  }
  const code =
    typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'UnknownError'
      ? e.name
      : 'AWSLambdaException';
  const requestId = typeof e.$metadata?.requestId === 'string' ? e.$metadata.requestId : 'null';
  return new LambdaTaskError(
    `Lambda.${code}`,
    `${message} (Service: AWSLambda; Status Code: ${status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`,
  );
}
