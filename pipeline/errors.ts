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

/** A rollout was refused because another rollout of the service is in progress. */
export class RolloutBlockedError extends Error {
  override readonly name = 'RolloutBlockedError';
}

/** A rollout, rollback or health check ran and failed. */
export class RolloutFailedError extends Error {
  override readonly name = 'RolloutFailedError';
}

/** The user interrupted the command (Ctrl-C); the message says what goes on without the CLI. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}
