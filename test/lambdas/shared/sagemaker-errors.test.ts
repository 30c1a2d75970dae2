import { isAlreadyExists, isNotFound } from '../../../lambdas/shared/sagemaker-errors';
import { alreadyExists, awsError, notFound } from '../step-fixtures';

describe('isNotFound', () => {
  it.each(['model', 'endpoint configuration', 'endpoint'] as const)('recognises a missing %s', (kind) => {
    // Act / Assert
    expect(isNotFound(notFound(kind, 'x'), kind)).toBe(true);
    expect(isNotFound(notFound(kind, 'x'))).toBe(true);
  });

  it('does not take a missing endpoint configuration for a missing endpoint', () => {
    // Act / Assert
    expect(isNotFound(notFound('endpoint configuration', 'x'), 'endpoint')).toBe(false);
    expect(isNotFound(notFound('endpoint', 'x'), 'endpoint configuration')).toBe(false);
  });

  it('rejects other validation errors and other error names', () => {
    // Act / Assert
    expect(
      isNotFound(awsError('ValidationException', 'Value at endpointName failed to satisfy constraint')),
    ).toBe(false);
    expect(isNotFound(awsError('AccessDeniedException', 'Could not find model "x".'))).toBe(false);
    expect(isNotFound('Could not find model')).toBe(false);
  });

  it('accepts the modeled ResourceNotFound of other operations', () => {
    // Act / Assert
    expect(isNotFound(awsError('ResourceNotFound', 'Resource not found'))).toBe(true);
  });
});

describe('isAlreadyExists', () => {
  it.each(['model', 'endpoint configuration', 'endpoint'] as const)('recognises a duplicate %s', (kind) => {
    // Act / Assert
    expect(isAlreadyExists(alreadyExists(kind, 'x'), kind)).toBe(true);
  });

  it('keeps the resource kinds apart', () => {
    // Act / Assert
    expect(isAlreadyExists(alreadyExists('endpoint configuration', 'x'), 'endpoint')).toBe(false);
    expect(isAlreadyExists(alreadyExists('model', 'x'), 'endpoint configuration')).toBe(false);
  });

  it('rejects a "not found" error', () => {
    // Act / Assert
    expect(isAlreadyExists(notFound('model', 'x'))).toBe(false);
  });
});
