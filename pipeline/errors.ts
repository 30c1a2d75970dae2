/** The rollout library's errors; the CLI maps each to an exit code (pipeline/cli/exit-codes.ts). */

/** The target (local cloud or AWS stack) cannot be reached or is not set up. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** Bad command-line input (not a spec problem: those are SpecInvalidError). */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** A command named a service that does not exist (a typo, or one never deployed); nothing was changed. */
export class UnknownServiceError extends UsageError {
  override readonly name = 'UnknownServiceError';
}

/** A command named a rollout that does not exist, or a history page token that is not one. */
export class NotFoundError extends UsageError {
  override readonly name = 'NotFoundError';
}

/** Options of the errors of a command that ran: what it found, for `--json`. */
export interface OutcomeErrorOptions extends ErrorOptions {
  /** The command's result (the rollout or the health check), printed inside the `--json` error object. */
  readonly result?: unknown;
}

/** A rollout was refused because another rollout of the service is in progress. */
export class RolloutBlockedError extends Error {
  override readonly name = 'RolloutBlockedError';
  readonly result: unknown;

  constructor(message: string, options: OutcomeErrorOptions = {}) {
    super(message, options);
    this.result = options.result;
  }
}

/** A rollout, rollback or health check ran and failed. */
export class RolloutFailedError extends Error {
  override readonly name = 'RolloutFailedError';
  readonly result: unknown;

  constructor(message: string, options: OutcomeErrorOptions = {}) {
    super(message, options);
    this.result = options.result;
  }
}

/** The user interrupted the command (Ctrl-C); the message says what goes on without the CLI. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}
