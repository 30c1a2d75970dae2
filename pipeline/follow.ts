import { setTimeout as delay } from 'node:timers/promises';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { fullHistory, getRollout, type LiveLookup, type RolloutDetail } from './history';
import { timelineFromHistory, type StepRun } from './timeline';

/** What `followRollout` reports while a rollout runs. */
export interface FollowListener {
  /** A step visit finished (in order; each visit once). */
  onStepDone?(step: StepRun): void;
  /** The step now running changed or progressed (for a live status line). */
  onProgress?(current: StepRun | undefined, doneCount: number): void;
}

/** Options of `followRollout`. */
export interface FollowOptions {
  /** Milliseconds between polls. @default 500 */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Tells what the proxy serves, so the ended rollout's `live` and `outcome` are true (see history.ts). */
  readonly live?: LiveLookup;
}

/**
 * Follows an execution until it ends, reporting each finished step, then returns the rollout with its
 * Deployment record. Polls DescribeExecution and GetExecutionHistory (Step Functions has no push API).
 */
export async function followRollout(
  sfn: SFNClient,
  executionArn: string,
  listener: FollowListener,
  options: FollowOptions = {},
): Promise<RolloutDetail> {
  const pollMs = options.pollMs ?? 500;
  let reported = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const ended = described.status !== 'RUNNING';
    const steps = timelineFromHistory(await fullHistory(sfn, executionArn), ended);
    // A visit is finished once a later one started, or once the execution ended.
    const finished = ended ? steps.length : Math.max(0, steps.length - 1);
    for (; reported < finished; reported++) {
      const step = steps[reported];
      if (step !== undefined) listener.onStepDone?.(step);
    }
    if (ended) return getRollout(sfn, executionArn, options.live === undefined ? {} : { live: options.live });
    listener.onProgress?.(steps[steps.length - 1], reported);
    await delay(pollMs, undefined, options.signal === undefined ? {} : { signal: options.signal });
  }
}
