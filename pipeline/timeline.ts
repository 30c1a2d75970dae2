import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * Turns a Step Functions execution history into the steps people read: each state entered, when, for
 * how long, how many Lambda attempts (retries), and how it ended. Works on AWS's history and the local
 * cloud's alike (both emit the same event types).
 */

/** How one visit of a state ended. */
export type StepStatus = 'succeeded' | 'failed' | 'running';

/** One visit of a state (a loop visits Check Endpoint many times: one StepRun each). */
export interface StepRun {
  readonly name: string;
  /** Task, Choice, Wait, Pass, Succeed, Fail. */
  readonly type: string;
  readonly enteredAt: string;
  readonly exitedAt: string | null;
  readonly durationMs: number | null;
  /** Lambda invocations in this visit (1 + retries); 0 for non-Task states. */
  readonly attempts: number;
  readonly status: StepStatus;
  /** The last error of the visit (the one caught, or the one that ended the execution). */
  readonly error: string | null;
  readonly cause: string | null;
  /** The state's output (when history includes execution data). */
  readonly output: unknown;
  /** The state's input (when history includes execution data). */
  readonly input: unknown;
  /**
   * The execution ended (crashed, was stopped or timed out) while this visit was still open: the visit
   * shows as failed with the execution's error and cause. Absent otherwise.
   */
  readonly interrupted?: true;
}

interface OpenRun {
  name: string;
  type: string;
  enteredAt: Date;
  exitedAt: Date | null;
  attempts: number;
  failedAttempt: boolean;
  interrupted: boolean;
  error: string | null;
  cause: string | null;
  input: unknown;
  output: unknown;
}

/** Builds the step runs of a history (events in chronological order). */
export function timelineFromHistory(events: readonly HistoryEvent[], executionEnded: boolean): StepRun[] {
  const runs: OpenRun[] = [];
  let open: OpenRun | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp instanceof Date ? event.timestamp : new Date(event.timestamp ?? 0);
    if (type.endsWith('StateEntered')) {
      if (open !== undefined && open.exitedAt === null) open.exitedAt = at;
      const details = event.stateEnteredEventDetails;
      open = {
        name: details?.name ?? '?',
        type: type.replace('StateEntered', ''),
        enteredAt: at,
        exitedAt: null,
        attempts: 0,
        failedAttempt: false,
        interrupted: false,
        error: null,
        cause: null,
        input: parseJson(details?.input),
        output: undefined,
      };
      runs.push(open);
      if (open.type === 'Fail' || open.type === 'Succeed') open.exitedAt = at;
      continue;
    }
    if (open === undefined) continue;
    if (type.endsWith('StateExited')) {
      open.exitedAt = at;
      open.output = parseJson(event.stateExitedEventDetails?.output);
    } else if (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') {
      open.attempts += 1;
      open.failedAttempt = false;
    } else if (type === 'LambdaFunctionSucceeded' || type === 'TaskSucceeded') {
      open.failedAttempt = false;
    } else if (type === 'LambdaFunctionFailed' || type === 'TaskFailed') {
      const d = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
      open.failedAttempt = true;
      open.error = d?.error ?? 'Error';
      open.cause = d?.cause ?? null;
    } else if (type === 'LambdaFunctionTimedOut' || type === 'TaskTimedOut') {
      const d = event.lambdaFunctionTimedOutEventDetails ?? event.taskTimedOutEventDetails;
      open.failedAttempt = true;
      open.error = d?.error ?? 'States.Timeout';
      open.cause = d?.cause ?? null;
    } else if (type === 'LambdaFunctionScheduleFailed' || type === 'LambdaFunctionStartFailed') {
      const d = event.lambdaFunctionScheduleFailedEventDetails ?? event.lambdaFunctionStartFailedEventDetails;
      open.failedAttempt = true;
      open.error = d?.error ?? 'Lambda.Unknown';
      open.cause = d?.cause ?? null;
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      // The execution ended while this visit was open (a crash, a stop, a timeout, or an error the visit
      // did not catch): the visit did not succeed, and the execution's error is why it ended.
      if (open.exitedAt === null) {
        open.exitedAt = at;
        if (!open.failedAttempt) {
          const d =
            event.executionFailedEventDetails ??
            event.executionTimedOutEventDetails ??
            event.executionAbortedEventDetails;
          open.failedAttempt = true;
          open.interrupted = true;
          open.error =
            d?.error ??
            (type === 'ExecutionTimedOut'
              ? 'States.Timeout'
              : type === 'ExecutionAborted'
                ? 'ExecutionAborted'
                : 'States.Runtime');
          open.cause = d?.cause ?? null;
        }
      }
    }
  }
  return runs.map((r) => {
    const ended = r.exitedAt !== null || executionEnded;
    const status: StepStatus =
      r.failedAttempt || r.type === 'Fail' ? 'failed' : ended ? 'succeeded' : 'running';
    return {
      name: r.name,
      type: r.type,
      enteredAt: r.enteredAt.toISOString(),
      exitedAt: r.exitedAt?.toISOString() ?? null,
      durationMs: r.exitedAt === null ? null : r.exitedAt.getTime() - r.enteredAt.getTime(),
      attempts: r.attempts,
      status,
      error: r.error,
      cause: r.cause,
      input: r.input,
      output: r.output,
      ...(r.interrupted ? { interrupted: true as const } : {}),
    };
  });
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
