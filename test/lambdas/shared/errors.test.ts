import * as errors from '../../../lambdas/shared/errors';
import {
  HANDLER_ERROR_NAMES,
  RolloutError,
  SpecInvalidError,
  isTransientAwsError,
} from '../../../lambdas/shared/errors';
import { awsError } from '../step-fixtures';

type ErrorClass = new (...args: never[]) => Error;

/** Every Error subclass lambdas/shared/errors.ts exports, except the abstract base. */
const ERROR_CLASSES: [string, ErrorClass][] = Object.entries(errors as Record<string, unknown>).flatMap(
  ([name, value]): [string, ErrorClass][] =>
    typeof value === 'function' && value.prototype instanceof Error && value !== RolloutError
      ? [[name, value as ErrorClass]]
      : [],
);

function instantiate(cls: ErrorClass): Error {
  // SpecInvalidError takes its issues; every other error takes a message.
  const make = cls as unknown as new (arg: unknown) => Error;
  return cls === (SpecInvalidError as unknown) ? new make([]) : new make('message');
}

describe('lambdas/shared/errors.ts', () => {
  it('exports the error classes', () => {
    // Assert
    expect(ERROR_CLASSES.length).toBeGreaterThanOrEqual(HANDLER_ERROR_NAMES.length);
  });

  it.each(ERROR_CLASSES)('%s has its class name as name, which Retry and Catch match', (exported, cls) => {
    // Act
    const error = instantiate(cls);

    // Assert
    expect(error.name).toBe(exported);
    expect(error.name).toBe(cls.name);
    expect(error).toBeInstanceOf(Error);
  });

  it('lists every error class in HANDLER_ERROR_NAMES and nothing else', () => {
    // Act
    const names = ERROR_CLASSES.map(([name]) => name).sort();

    // Assert
    expect([...HANDLER_ERROR_NAMES].sort()).toEqual(names);
  });

  it('keeps the cause it was given', () => {
    // Arrange
    const cause = new Error('root');

    // Act
    const error = new errors.EndpointFailedError('wrapped', { cause });

    // Assert
    expect(error.cause).toBe(cause);
  });
});

describe('isTransientAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['TooManyRequestsException', 429],
    ['InternalFailure', 500],
    ['SomethingNew', 503],
  ])('retries %s (HTTP %i)', (name, status) => {
    // Act / Assert
    expect(isTransientAwsError(awsError(name, 'x', status))).toBe(true);
  });

  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['ConditionalCheckFailedException', 400],
  ])('does not retry %s (HTTP %i)', (name, status) => {
    // Act / Assert
    expect(isTransientAwsError(awsError(name, 'x', status))).toBe(false);
  });
});
