/**
 * Reading Step Functions failures for people. A Catch puts `{Error, Cause}` in the state; for a Lambda
 * error the Cause is the runtime's JSON envelope `{"errorType", "errorMessage", "trace"}`, for
 * `States.*` errors it is plain text (sometimes empty), so both forms are handled here.
 */

/** What a Cause says, without the envelope. */
export interface ParsedCause {
  /** `errorType` of a Lambda envelope; null for plain text. */
  readonly errorType: string | null;
  /** The message on one line, at most MAX_CAUSE_MESSAGE_LENGTH characters; '' when the cause is empty. */
  readonly message: string;
}

/** Longest message taken from a cause; the execution's Cause (where the summary ends up) allows 32 KiB. */
export const MAX_CAUSE_MESSAGE_LENGTH = 1500;

/** What the error names of Step Functions and Lambda mean when they come without a cause. */
const KNOWN_ERRORS: Readonly<Record<string, string>> = {
  'States.Timeout': 'the step ran longer than its TimeoutSeconds',
  'States.HeartbeatTimeout': 'the step stopped sending heartbeats',
  'States.TaskFailed': 'the task failed',
  'States.Permissions': 'Step Functions was not allowed to run the step (check the state machine role)',
  'States.Runtime':
    "the state machine could not process the step's input or output (a JSONPath did not match)",
  'States.DataLimitExceeded': "the step's input or output exceeded the 256 KiB payload limit",
  'States.ResultPathMatchFailure': "the step's ResultPath does not fit its input",
  'States.ParameterPathFailure': "a path in the step's Parameters does not match its input",
  'States.IntrinsicFailure': 'an intrinsic function in the state machine failed',
  'States.NoChoiceMatched': 'no Choice rule matched',
  'Lambda.Unknown': 'the function failed without an error type (it may have run out of memory or time)',
  'Sandbox.Timedout': 'the function ran out of time',
};

/** Parses a Cause in either form into its error type and a one-line message. */
export function parseCause(cause: string | null | undefined): ParsedCause {
  const text = (cause ?? '').trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') {
        const envelope = parsed as Record<string, unknown>;
        const message = firstString(
          envelope.errorMessage,
          envelope.message,
          envelope.Message,
          envelope.Cause,
        );
        if (message !== undefined) {
          return {
            errorType: firstString(envelope.errorType, envelope.Error) ?? null,
            message: oneLine(message),
          };
        }
      }
    } catch {
      // Not JSON after all: fall through and treat it as text.
    }
  }
  return { errorType: null, message: oneLine(text) };
}

/** The message of a failure, falling back on what its error name means when the cause says nothing. */
export function failureMessage(error: string, cause: string | null | undefined): string {
  const { message } = parseCause(cause);
  if (message !== '') return message;
  return KNOWN_ERRORS[error] ?? 'no cause was given';
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** Collapses line breaks and runs of spaces, so the summary stays one paragraph, and caps the length. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_CAUSE_MESSAGE_LENGTH ? `${flat.slice(0, MAX_CAUSE_MESSAGE_LENGTH - 1)}…` : flat;
}

/** What a Catch with `ResultPath` puts in the state: the error name and its raw cause. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** Fields the ASL's Catches add to the rollout state besides `failure` (see statemachines/rollout.asl.json). */
export type CaughtErrorField = 'rollbackFailure' | 'cleanUpFailure' | 'retireFailure' | 'releaseFailure';

/** Reads a caught error the ASL put in the state under `field`, or undefined when there is none. */
export function caughtError(state: object, field: CaughtErrorField): CaughtError | undefined {
  const value = (state as Partial<Record<CaughtErrorField, unknown>>)[field];
  if (value === null || typeof value !== 'object') return undefined;
  const { Error: error, Cause: cause } = value as { Error?: unknown; Cause?: unknown };
  if (typeof error !== 'string') return undefined;
  return typeof cause === 'string' ? { Error: error, Cause: cause } : { Error: error };
}

/** "<Error>: <message>" of a caught error, on one line. */
export function describeCaught(caught: CaughtError): string {
  return `${caught.Error}: ${failureMessage(caught.Error, caught.Cause)}`;
}
