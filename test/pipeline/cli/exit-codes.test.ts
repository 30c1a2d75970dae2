import { CommanderError } from 'commander';
import {
  InterruptedError,
  NotFoundError,
  RolloutBlockedError,
  RolloutFailedError,
  TargetError,
  UnknownServiceError,
  UsageError,
} from '../../../pipeline/errors';
import { EXIT, exitCodeOf } from '../../../pipeline/cli/exit-codes';
import { SpecInvalidError } from '../../../pipeline/spec';
import { SpecFileError } from '../../../pipeline/spec/read';
import { ImageNotFoundError } from '../../../pipeline/spec/image-uri';

/** Every error class the commands throw maps onto the README's exit code table. */

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4580`), { code });
}

describe('exitCodeOf', () => {
  it.each([
    ['a bad command line', new CommanderError(1, 'commander.unknownCommand', 'x'), EXIT.INVALID_INPUT],
    ['help', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.OK],
    ['an invalid spec', new SpecInvalidError([{ path: '$', received: 1, expected: 'an object' }]), 2],
    ['an unreadable spec file', new SpecFileError('no'), EXIT.INVALID_INPUT],
    ['a usage error', new UsageError('no'), EXIT.INVALID_INPUT],
    ['a region without a Hugging Face image', new ImageNotFoundError('no image in ap-southeast-5'), 2],
    ['an unknown service', new UnknownServiceError('no'), EXIT.INVALID_INPUT],
    ['an unknown rollout', new NotFoundError('no'), EXIT.INVALID_INPUT],
    ['a failed rollout', new RolloutFailedError('no'), EXIT.FAILED],
    ['a blocked rollout', new RolloutBlockedError('no'), EXIT.BLOCKED],
    ['an unreachable target', new TargetError('no'), EXIT.TARGET],
    ['a refused connection', socketError('ECONNREFUSED'), EXIT.TARGET],
    [
      'a refused connection inside fetch',
      new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') }),
      EXIT.TARGET,
    ],
    ['a reset connection', socketError('ECONNRESET'), EXIT.TARGET],
    ['Ctrl-C while following', new InterruptedError('stopped'), EXIT.INTERRUPTED],
    ['anything else', new TypeError('x is undefined'), EXIT.INTERNAL],
    ['a stack overflow', new RangeError('Maximum call stack size exceeded'), EXIT.INTERNAL],
  ])('maps %s to its exit code', (_what, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});
