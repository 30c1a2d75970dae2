import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { AwsTransientError, InvalidStepInputError, SmokeTestFailedError } from '../shared/errors';
import {
  runSmokeTests,
  sageMakerInvoker,
  smokeConcurrency,
  type Clock,
  type SmokeResultWithAnswer,
} from '../shared/smoke';
import type { RolloutState } from '../shared/types';

/** What Run Smoke Tests needs from outside. */
export interface RunSmokeTestsDeps {
  readonly runtime: SageMakerRuntimeClient;
  readonly clock: Clock;
  /** Most invocations at once. @default 4, and never more than a serverless endpoint's maxConcurrency */
  readonly concurrency?: number;
}

/** Longest SmokeTestFailedError message: it becomes the execution's cause, which people read whole. */
const MAX_MESSAGE_CHARS = 4000;

/**
 * Invokes the new endpoint with every smoke test of the spec and records the results in `smoke`. Any
 * failed test fails the step (SmokeTestFailedError → Roll Back); an invocation that failed transiently
 * (throttling, AWS 5xx) fails it with AwsTransientError instead, so the state machine retries the step
 * rather than rolling back a model that may be fine.
 */
export async function runSmokeTestsCore(state: RolloutState, deps: RunSmokeTestsDeps): Promise<RolloutState> {
  if (state.spec === null || state.resources === null) {
    throw new InvalidStepInputError(
      `Run Smoke Tests needs a deploy rollout with a spec and resources; rollout ${state.rolloutId} (kind ${state.kind}) has none.`,
    );
  }
  const endpointName = state.resources.endpointName;
  const invoker = sageMakerInvoker(deps.runtime, endpointName, deps.clock);
  const outcomes = await runSmokeTests(
    state.spec.smokeTests,
    invoker,
    smokeConcurrency(state.spec.endpoint, 1, deps.concurrency),
  );
  const transient = outcomes.filter((o) => o.answer.transient === true);
  if (transient.length > 0) {
    throw new AwsTransientError(
      `${transient.length} smoke invocation(s) of endpoint ${endpointName} failed transiently: ` +
        transient.map((o) => `"${o.result.name}": ${o.answer.error ?? 'no answer'}`).join('; '),
    );
  }
  const results = outcomes.map((o) => o.result);
  if (results.some((r) => !r.passed)) {
    throw new SmokeTestFailedError(smokeFailureMessage(endpointName, outcomes));
  }
  return { ...state, smoke: results };
}

/**
 * A message that stands on its own (the results themselves are lost with the failed step's output):
 * a summary line, then each failing test with its status, latency and first failure.
 */
export function smokeFailureMessage(
  endpointName: string,
  outcomes: readonly SmokeResultWithAnswer[],
): string {
  const results = outcomes.map((o) => o.result);
  const failed = results.filter((r) => !r.passed);
  const passed = results.filter((r) => r.passed);
  const lines = [
    `${failed.length} of ${results.length} smoke tests failed on endpoint ${endpointName}, so the API was not switched to it.`,
    ...failed.map(
      (r) =>
        `- "${r.name}" (status ${r.status ?? 'none'}, ${r.latencyMs} ms): ${r.failures[0] ?? 'failed'}` +
        (r.failures.length > 1 ? ` (+${r.failures.length - 1} more)` : ''),
    ),
  ];
  if (passed.length > 0) lines.push(`Passed: ${passed.map((r) => `"${r.name}"`).join(', ')}.`);
  const message = lines.join('\n');
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 3)}...` : message;
}
