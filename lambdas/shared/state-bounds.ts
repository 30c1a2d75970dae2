import type { RolloutState, SmokeResult, StepTiming } from './types';

/**
 * Keeps the rollout state bounded: Step Functions fails an execution whose state passes 256 KiB with
 * `States.DataLimitExceeded`, which no Catch sees, so the rollout would die without Roll Back or lock
 * release. Timings are kept per step, not per run, and what a smoke answer left in a result (preview,
 * failure lines, headers) is clipped to a fixed number of bytes of JSON. The spec itself is capped by
 * the schema (pipeline/spec/defaults.ts SPEC_LIMITS).
 */

/** Byte budgets of one smoke result in the state, as UTF-8 JSON (quotes and escapes included). */
export const SMOKE_RESULT_LIMITS = {
  /** The answer preview (the runner keeps 512 characters; the state keeps this many bytes). */
  previewBytes: 256,
  /** Failure lines kept; further ones are counted in one more line. */
  failureLines: 3,
  /** Each failure line. */
  failureLineBytes: 256,
  /** The content type and served-by header values. */
  headerBytes: 128,
} as const;

/** Adds one run of a step to the per-step timings (a new entry the first time the step runs). */
export function addTiming(
  timings: readonly StepTiming[],
  step: string,
  startedAt: string,
  durationMs: number,
): StepTiming[] {
  const index = timings.findIndex((t) => t.step === step);
  const seen = timings[index];
  if (seen === undefined) return [...timings, { step, startedAt, durationMs, runs: 1 }];
  const merged: StepTiming = {
    step,
    startedAt: seen.startedAt,
    durationMs: seen.durationMs + durationMs,
    runs: (seen.runs ?? 1) + 1,
  };
  return timings.map((t, i) => (i === index ? merged : t));
}

/** The state with its smoke results clipped to SMOKE_RESULT_LIMITS. */
export function boundState(state: RolloutState): RolloutState {
  return {
    ...state,
    smoke: state.smoke.map(boundSmokeResult),
    publicCheck: state.publicCheck === null ? null : boundSmokeResult(state.publicCheck),
  };
}

/** One smoke result clipped to SMOKE_RESULT_LIMITS (same fields, shorter texts). */
export function boundSmokeResult(result: SmokeResult): SmokeResult {
  const { failureLines, failureLineBytes, previewBytes, headerBytes } = SMOKE_RESULT_LIMITS;
  const kept = result.failures.slice(0, failureLines).map((line) => clipJson(line, failureLineBytes));
  const more = result.failures.length - kept.length;
  return {
    ...result,
    failures: more > 0 ? [...kept, `(+${more} more failure${more === 1 ? '' : 's'})`] : kept,
    responsePreview: clipJson(result.responsePreview, previewBytes),
    ...(result.contentType === undefined ? {} : { contentType: clipJson(result.contentType, headerBytes) }),
    ...(result.servedBy === undefined ? {} : { servedBy: clipJson(result.servedBy, headerBytes) }),
  };
}

/**
 * `text` cut so that it takes at most `maxBytes` as a JSON string (quotes and escapes counted, as
 * Step Functions counts them), ending with "…" when cut. Cuts between code points.
 */
export function clipJson(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  // Room for the characters kept: the whole budget less the quotes and the ellipsis ('"…"').
  const budget = maxBytes - jsonBytes('…');
  let used = 0;
  let out = '';
  for (const ch of text) {
    const cost = jsonBytes(ch) - 2;
    if (used + cost > budget) break;
    used += cost;
    out += ch;
  }
  return `${out}…`;
}

function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}
