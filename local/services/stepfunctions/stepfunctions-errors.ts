import { AwsError } from '../../protocol/errors';

/** Step Functions' errors, with the codes and message shapes the service answers. */

/** InvalidArn: not an ARN of the expected resource type. */
export function invalidArn(arn: string, why?: string): AwsError {
  return new AwsError('InvalidArn', `Invalid Arn: '${why ?? arn}'`);
}

/** StateMachineDoesNotExist. */
export function stateMachineDoesNotExist(arn: string): AwsError {
  return new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
}

/** ExecutionDoesNotExist. */
export function executionDoesNotExist(arn: string): AwsError {
  return new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
}

/** ExecutionAlreadyExists: same name, different input or no longer running. */
export function executionAlreadyExists(arn: string): AwsError {
  return new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
}

/** InvalidName: an execution name that breaks AWS's naming rules. */
export function invalidName(name: string): AwsError {
  return new AwsError('InvalidName', `Invalid Name: '${name}'`);
}

/** InvalidExecutionInput: the input is not JSON. */
export function invalidExecutionInput(reason: string): AwsError {
  return new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${reason}'`);
}

/**
 * ValidationException for an execution input over the `input` member's modelled length (bytes of
 * UTF-8). The member is sensitive, so the message leaves its value out.
 */
export function inputTooLarge(limitBytes: number): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${limitBytes}`,
  );
}

/** InvalidToken: a nextToken this service did not give. */
export function invalidToken(token: string): AwsError {
  return new AwsError('InvalidToken', `Invalid Token: '${token}'`);
}

/** StateMachineTypeNotSupported: an operation Express workflows do not have. */
export function typeNotSupported(operation: string): AwsError {
  return new AwsError(
    'StateMachineTypeNotSupported',
    `This operation (${operation}) is not supported by this type of state machine`,
  );
}

/** ValidationException in AWS's "1 validation error detected" form. */
export function validation(field: string, value: unknown, constraint: string): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value ${shown(value)} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function shown(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return `'${value}'`;
  return `'${JSON.stringify(value)}'`;
}
