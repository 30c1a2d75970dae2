import { CommanderError } from 'commander';
import { SpecInvalidError } from '../spec/errors';
import { SpecFileError } from '../spec/read';
import {
  InterruptedError,
  RolloutBlockedError,
  RolloutFailedError,
  TargetError,
  UsageError,
} from '../errors';

/** The CLI's exit codes (documented in the README and `rollout --help`). */
export const EXIT = {
  /** Done: the rollout, rollback or check succeeded. */
  OK: 0,
  /** The rollout, rollback or health check ran and failed (the API still serves the previous deployment). */
  FAILED: 1,
  /** Invalid input: the spec or the command line (nothing was started). */
  INVALID_INPUT: 2,
  /** Another rollout of the service is in progress (this one created nothing). */
  BLOCKED: 3,
  /** The target cannot be reached or is not set up (local cloud, AWS stack, service). */
  TARGET: 4,
  /** An unexpected error (a bug: run again with --debug and report it). */
  INTERNAL: 5,
  /** Interrupted (Ctrl-C): a started rollout goes on without you. */
  INTERRUPTED: 130,
} as const;

/** Socket errors that mean the target is not there (or stopped answering), not that the CLI is wrong. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The socket error code behind an error (SDK clients and fetch wrap it in `cause`), if any. */
export function unreachableCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code !== undefined && UNREACHABLE_CODES.has(code)) return code;
    if (current.name === 'TimeoutError' && depth === 0) return 'ETIMEDOUT';
    current = current.cause;
  }
  return undefined;
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.INVALID_INPUT;
  if (error instanceof SpecInvalidError || error instanceof SpecFileError || error instanceof UsageError)
    return EXIT.INVALID_INPUT;
  if (error instanceof RolloutBlockedError) return EXIT.BLOCKED;
  if (error instanceof RolloutFailedError) return EXIT.FAILED;
  if (error instanceof TargetError) return EXIT.TARGET;
  if (error instanceof InterruptedError) return EXIT.INTERRUPTED;
  if (error instanceof Error && error.name === 'AbortError') return EXIT.INTERRUPTED;
  if (error instanceof Error && error.name === 'ServiceNotFoundError') return EXIT.TARGET;
  // No Hugging Face image for the spec's region or versions: the input (spec or region) is what to change.
  if (error instanceof Error && error.name === 'ImageNotFoundError') return EXIT.INVALID_INPUT;
  if (unreachableCode(error) !== undefined) return EXIT.TARGET;
  return EXIT.INTERNAL;
}

/** Help text listing the exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    done (rollout/rollback/health check succeeded)
  1    the rollout, rollback or health check failed (the API still serves what it served before)
  2    invalid input: spec or command line (nothing was started, nothing was changed)
  3    another rollout of the service is in progress (this one created nothing)
  4    target unreachable or not set up (local cloud, AWS stack, service)
  5    unexpected error (run with --debug and report it)
  130  interrupted (a started rollout goes on; follow it with \`npx rollout status <id> --follow\`)`;
