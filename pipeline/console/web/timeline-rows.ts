import type { StepRun, StepStatus } from '../../timeline';

/**
 * The rows of a rollout's timeline: one per state, in the order states were first entered. Polling loops
 * (Wait For Endpoint ⟲ Check Endpoint) visit the same states many times; one row each with the count
 * reads better than forty near-identical rows. Choice states are routing, not work, and are left out.
 */

/** One state of the timeline, over all its visits. */
export interface TimelineRow {
  readonly name: string;
  /** Task, Wait, Pass, Succeed, Fail, … */
  readonly type: string;
  /** First entered (ISO 8601). */
  readonly enteredAt: string;
  /** Last exited; null while a visit runs. */
  readonly exitedAt: string | null;
  readonly visits: number;
  /** Time spent in the state over all visits; null while a visit runs. */
  readonly durationMs: number | null;
  /** Lambda retries over all visits (attempts beyond the first of each visit). */
  readonly retries: number;
  /** How the last visit ended. */
  readonly status: StepStatus;
  /** The execution ended (crash, stop, timeout) while the last visit was open. */
  readonly interrupted: boolean;
  /** The last error any visit met (a retried one too), with its cause. */
  readonly error: string | null;
  readonly cause: string | null;
}

/** Groups step runs (as `timelineFromHistory` gives them) into timeline rows. */
export function timelineRows(steps: readonly StepRun[]): TimelineRow[] {
  const rows = new Map<string, TimelineRow>();
  for (const s of steps) {
    if (s.type === 'Choice') continue;
    const before = rows.get(s.name);
    if (before === undefined) {
      rows.set(s.name, {
        name: s.name,
        type: s.type,
        enteredAt: s.enteredAt,
        exitedAt: s.exitedAt,
        visits: 1,
        durationMs: s.durationMs,
        retries: Math.max(0, s.attempts - 1),
        status: s.status,
        interrupted: s.interrupted === true,
        error: s.error,
        cause: s.cause,
      });
      continue;
    }
    rows.set(s.name, {
      ...before,
      exitedAt: s.exitedAt,
      visits: before.visits + 1,
      durationMs:
        before.durationMs === null || s.durationMs === null ? null : before.durationMs + s.durationMs,
      retries: before.retries + Math.max(0, s.attempts - 1),
      status: s.status,
      interrupted: s.interrupted === true,
      error: s.error ?? before.error,
      cause: s.error === null ? before.cause : s.cause,
    });
  }
  return [...rows.values()];
}
