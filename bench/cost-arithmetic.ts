import { HOURS_PER_MONTH, PRICES } from './prices';

/**
 * The cost model's arithmetic, kept pure so that a test can check it: how Step Functions and Lambda
 * turn counted transitions, requests and durations into dollars.
 */

/** One Lambda invocation to bill. */
export interface LambdaUsage {
  readonly memoryMb: number;
  /** Billed duration: Lambda rounds up to the millisecond (INIT included on cold starts since 2025-08). */
  readonly billedMs: number;
}

/** Dollars and the quantities behind them. */
export interface LambdaCost {
  readonly requests: number;
  readonly gbSeconds: number;
  readonly usd: number;
}

/** Lambda's bill for some invocations: requests plus GB-seconds at a price per GB-second. */
export function lambdaCost(
  invocations: readonly LambdaUsage[],
  gbSecondPrice: number = PRICES.lambdaGbSecondX86,
): LambdaCost {
  const gbSeconds = invocations.reduce(
    (sum, i) => sum + (i.memoryMb / 1024) * (Math.ceil(Math.max(0, i.billedMs)) / 1000),
    0,
  );
  return {
    requests: invocations.length,
    gbSeconds,
    usd: invocations.length * PRICES.lambdaRequest + gbSeconds * gbSecondPrice,
  };
}

/** Standard workflow: transitions times the transition price. */
export function standardWorkflowCost(transitions: number): number {
  return transitions * PRICES.standardTransition;
}

/** What Express bills one execution for: duration up to 100 ms steps (at least 100 ms), memory up to 64 MB steps. */
export function expressBilling(
  durationMs: number,
  memoryMb: number,
): { readonly billedMs: number; readonly billedMb: number } {
  const step = PRICES.expressDurationStepMs;
  const billedMs = Math.max(step, Math.ceil(durationMs / step) * step);
  const mbStep = PRICES.expressMemoryStepMb;
  const billedMb = Math.max(mbStep, Math.ceil(memoryMb / mbStep) * mbStep);
  return { billedMs, billedMb };
}

/** Express workflow: one request plus its billed GB-seconds. */
export function expressWorkflowCost(durationMs: number, memoryMb: number): number {
  const { billedMs, billedMb } = expressBilling(durationMs, memoryMb);
  return PRICES.expressRequest + (billedMb / 1024) * (billedMs / 1000) * PRICES.expressGbSecond;
}

/** Runs a month of a schedule that fires every `intervalMinutes` (730-hour month). */
export function runsPerMonth(intervalMinutes: number): number {
  if (!(intervalMinutes > 0))
    throw new Error(`runsPerMonth: interval must be positive, got ${intervalMinutes}`);
  return (HOURS_PER_MONTH * 60) / intervalMinutes;
}

/** How many times a poll loop checks an endpoint that takes `creationSeconds` to be InService. */
export function pollsUntilInService(creationSeconds: number, pollIntervalSeconds: number): number {
  return Math.max(1, Math.ceil(creationSeconds / pollIntervalSeconds));
}
