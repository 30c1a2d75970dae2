import { logger } from '../../lambdas/shared/logger';

/** Unit tests run the handlers with their logger silent: a passing run prints no expected errors. */

describe('logs in unit tests', () => {
  it('keeps the handlers’ logger silent, so an expected failure prints nothing', () => {
    const stdout = jest.spyOn(process.stdout, 'write');
    const stderr = jest.spyOn(process.stderr, 'write');
    try {
      logger.error('Create Model failed', new Error('an expected failure of a unit test'));
      logger.warn('Refresh CDN: transient AWS error');

      expect(logger.getLevelName()).toBe('SILENT');
      expect([...stdout.mock.calls, ...stderr.mock.calls]).toEqual([]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
