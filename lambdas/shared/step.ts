import { logger } from './logger';
import { AwsTransientError, InvalidStepInputError, errorMessage, isTransientAwsError } from './errors';
import { addTiming, boundState } from './state-bounds';
import type { RolloutState } from './types';

/**
 * Wraps a step's core as a Lambda handler: checks the input is a rollout state, adds log context,
 * adds the step's wall time to its entry in `timings` (one per step, however often it runs), keeps the
 * state within its bounds (state-bounds.ts), and turns transient AWS failures into `AwsTransientError`
 * (which every Task retries). Other errors pass through with their names: those names are what the
 * ASL's Retry and Catch match.
 */
export function rolloutStep(
  step: string,
  core: (state: RolloutState) => Promise<RolloutState>,
): (event: unknown) => Promise<RolloutState> {
  return async (event: unknown) => {
    const state = asRolloutState(event, step);
    logger.resetKeys();
    logger.appendKeys({ step, rolloutId: state.rolloutId, serviceName: state.service.service });
    const started = Date.now();
    try {
      const next = await core(state);
      const durationMs = Date.now() - started;
      logger.info(`${step} done`, { durationMs });
      return boundState({
        ...next,
        timings: addTiming(next.timings, step, new Date(started).toISOString(), durationMs),
      });
    } catch (error) {
      throw translateError(step, error);
    }
  };
}

/** Same as rolloutStep for handlers whose input is not a rollout state (Validate Spec, health checks). */
export function plainStep<I, O>(
  step: string,
  parse: (event: unknown) => I,
  core: (input: I) => Promise<O>,
): (event: unknown) => Promise<O> {
  return async (event: unknown) => {
    const input = parse(event);
    logger.resetKeys();
    logger.appendKeys({ step });
    try {
      return await core(input);
    } catch (error) {
      throw translateError(step, error);
    }
  };
}

function translateError(step: string, error: unknown): unknown {
  if (isTransientAwsError(error)) {
    logger.warn(`${step}: transient AWS error`, { error: errorMessage(error) });
    return new AwsTransientError(
      `${step}: AWS call failed transiently (${(error as Error).name}): ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  logger.error(`${step} failed`, error as Error);
  return error;
}

/** Narrows an event to a rollout state, or fails naming what is missing. */
export function asRolloutState(event: unknown, step: string): RolloutState {
  if (
    event === null ||
    typeof event !== 'object' ||
    typeof (event as { rolloutId?: unknown }).rolloutId !== 'string' ||
    typeof (event as { service?: { service?: unknown } }).service?.service !== 'string' ||
    !Array.isArray((event as { timings?: unknown }).timings)
  ) {
    throw new InvalidStepInputError(
      `${step} expects the rollout state (with rolloutId, service and timings) produced by Validate Spec; got ${JSON.stringify(event)?.slice(0, 200)}`,
    );
  }
  return event as RolloutState;
}
