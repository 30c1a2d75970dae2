import {
  MAX_CAUSE_MESSAGE_LENGTH,
  caughtError,
  describeCaught,
  failureMessage,
  parseCause,
} from '../../../lambdas/shared/failure';

describe('parseCause', () => {
  it("reads the Lambda runtime's JSON envelope", () => {
    // Arrange
    const cause = JSON.stringify({
      errorType: 'EndpointFailedError',
      errorMessage: 'Endpoint x failed: ping health check',
      trace: ['EndpointFailedError: Endpoint x failed', '    at checkEndpoint (/var/task/index.js:1:1)'],
    });

    // Act
    const parsed = parseCause(cause);

    // Assert
    expect(parsed).toEqual({
      errorType: 'EndpointFailedError',
      message: 'Endpoint x failed: ping health check',
    });
  });

  it('takes plain text as it is', () => {
    // Act
    const parsed = parseCause('Task timed out after 40.00 seconds');

    // Assert
    expect(parsed).toEqual({ errorType: null, message: 'Task timed out after 40.00 seconds' });
  });

  it('takes text that only looks like JSON as text', () => {
    // Act
    const parsed = parseCause('{not json');

    // Assert
    expect(parsed.message).toBe('{not json');
  });

  it('puts a multi-line message on one line', () => {
    // Arrange
    const cause = JSON.stringify({
      errorType: 'SpecInvalidError',
      errorMessage: 'The rollout spec is invalid (2 problems).\n  $.a: missing\n  $.b: missing',
    });

    // Act
    const parsed = parseCause(cause);

    // Assert
    expect(parsed.message).toBe('The rollout spec is invalid (2 problems). $.a: missing $.b: missing');
  });

  it('caps a very long message', () => {
    // Act
    const parsed = parseCause('x'.repeat(MAX_CAUSE_MESSAGE_LENGTH * 2));

    // Assert
    expect(parsed.message).toHaveLength(MAX_CAUSE_MESSAGE_LENGTH);
    expect(parsed.message.endsWith('…')).toBe(true);
  });

  it('returns an empty message for a missing cause', () => {
    // Act / Assert
    expect(parseCause(undefined)).toEqual({ errorType: null, message: '' });
  });
});

describe('failureMessage', () => {
  it('explains a States.Timeout that came without a cause', () => {
    // Act
    const message = failureMessage('States.Timeout', '');

    // Assert
    expect(message).toBe('the step ran longer than its TimeoutSeconds');
  });

  it("prefers the cause's own message over the generic meaning", () => {
    // Act
    const message = failureMessage('States.Timeout', 'Task timed out after 40.00 seconds');

    // Assert
    expect(message).toBe('Task timed out after 40.00 seconds');
  });

  it('says so when an unknown error has no cause', () => {
    // Act / Assert
    expect(failureMessage('SomethingNew', undefined)).toBe('no cause was given');
  });
});

describe('caughtError', () => {
  it('reads what a Catch put in the state', () => {
    // Arrange
    const state = { rollbackFailure: { Error: 'States.Timeout', Cause: '' } };

    // Act
    const caught = caughtError(state, 'rollbackFailure');

    // Assert
    expect(caught).toEqual({ Error: 'States.Timeout', Cause: '' });
    expect(caught === undefined ? '' : describeCaught(caught)).toBe(
      'States.Timeout: the step ran longer than its TimeoutSeconds',
    );
  });

  it('ignores a field that is missing or not a caught error', () => {
    // Act / Assert
    expect(caughtError({}, 'rollbackFailure')).toBeUndefined();
    expect(caughtError({ retireFailure: 'oops' }, 'retireFailure')).toBeUndefined();
  });
});
