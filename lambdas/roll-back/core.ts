import type { LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { errorMessage, isTransientAwsError } from '../shared/errors';
import { LivePointerCorruptError, pointerOf, readLiveRecord, writeLivePointer } from '../shared/live-pointer';
import { logger } from '../shared/logger';
import { isNotFound } from '../shared/sagemaker-errors';
import { readProxyServing } from '../shared/reconcile';
import { switchTarget, type SwitchTargetOptions } from '../shared/switch-target';
import type { LivePointer, LiveRecord, PollState, RolloutState } from '../shared/types';

/** What Roll Back needs from outside. */
export interface RollBackDeps {
  readonly lambda: LambdaClient;
  readonly ssm: SSMClient;
  readonly sagemaker: SageMakerClient;
  readonly prefix: string;
  readonly switchOptions: SwitchTargetOptions;
}

/** How Check Endpoint Deleted polls: every 10 s for up to 15 minutes (deleting takes a few minutes). */
export const DELETION_POLL = { pollIntervalSeconds: 10, maxAttempts: 90 } as const;

/**
 * Undoes a failed rollout. If the API was switched to this rollout's target (or the switch half
 * happened: the pointer is written before the proxy), restores exactly the pointer and ENDPOINT_NAME
 * from before the lock; then (deploy) starts deleting this rollout's endpoint. A restore that fails
 * throws: deleting an endpoint the API may still serve would turn a failed rollout into an outage.
 * Problems that do not endanger serving are collected in `rollback.problems` instead.
 */
export async function rollBackCore(state: RolloutState, deps: RollBackDeps): Promise<RolloutState> {
  const service = state.service.service;
  const problems: string[] = [...(state.rollback?.problems ?? [])];
  const stored = await readRecordForRollback(deps, service, problems);
  const live = stored === null ? null : pointerOf(stored);
  let restored = false;
  const pendingHere = stored?.pending?.rolloutId === state.rolloutId && stored.pending.kind !== 'restore';
  if (
    state.switched ||
    pointsAtThisRollout(state, live) ||
    pendingHere ||
    (await proxyServesTarget(state, deps))
  ) {
    await restore(state, stored, deps);
    restored = true;
    logger.info('API target restored', { endpointName: state.pointerBefore?.current.endpointName ?? null });
  } else if (
    live !== null &&
    state.target !== null &&
    live.current.endpointName === state.target.endpointName
  ) {
    problems.push(
      `The live pointer names ${live.current.endpointName} (rollout ${live.current.rolloutId}), the target, but not through this rollout; left as it is.`,
    );
  }

  const deletion = state.kind === 'deploy' ? await deleteOwnEndpoint(state, deps, problems) : deleted();
  return {
    ...state,
    deletion,
    rollback: { restored, deleted: state.rollback?.deleted ?? [], problems },
  };
}

/**
 * Returns the API to the pointer-before's current in the same three recoverable writes as a switch:
 * (1) declare the restore as pending, unless the pointer's current already names the restore target
 * (then current and this rollout's pending switch already cover both endpoints the proxy may serve);
 * (2) switch the proxy; (3) write exactly the pointer from before the lock.
 */
async function restore(state: RolloutState, stored: LiveRecord | null, deps: RollBackDeps): Promise<void> {
  const service = state.service.service;
  const previous = state.pointerBefore?.current ?? null;
  if (previous !== null && stored !== null && stored.current?.endpointName !== previous.endpointName) {
    await writeLivePointer(deps.ssm, deps.prefix, service, {
      current: stored.current,
      previous: stored.previous,
      pending: {
        target: previous,
        rolloutId: state.rolloutId,
        executionArn: state.executionArn,
        kind: 'restore',
        since: new Date().toISOString(),
      },
    });
  }
  await switchTarget(
    deps.lambda,
    state.service.proxyFunctionName,
    previous?.endpointName ?? null,
    previous === null ? {} : { LIVE_ROLLOUT_ID: previous.rolloutId, LIVE_MODEL_ID: previous.modelId },
    deps.switchOptions,
  );
  await writeLivePointer(deps.ssm, deps.prefix, service, state.pointerBefore);
}

/** True when the proxy's ENDPOINT_NAME names this rollout's target (and not what served before). */
async function proxyServesTarget(state: RolloutState, deps: RollBackDeps): Promise<boolean> {
  if (state.target === null || state.target.endpointName === state.pointerBefore?.current.endpointName) {
    return false;
  }
  const serving = await readProxyServing(deps.lambda, state.service.proxyFunctionName, deps.switchOptions);
  return serving.endpointName === state.target.endpointName;
}

async function readRecordForRollback(
  deps: RollBackDeps,
  service: string,
  problems: string[],
): Promise<LiveRecord | null> {
  try {
    return await readLiveRecord(deps.ssm, deps.prefix, service);
  } catch (error) {
    if (!(error instanceof LivePointerCorruptError)) throw error;
    // Unreadable: only state.switched and the proxy can tell whether to restore (which also rewrites it).
    problems.push(`The live pointer could not be read: ${error.message}`);
    return null;
  }
}

/**
 * True when the live pointer shows this rollout's switch: for a deploy, its own rollout id; for a
 * rollback, the chosen earlier target where something else was live before.
 */
function pointsAtThisRollout(state: RolloutState, live: LivePointer | null): boolean {
  if (live === null) return false;
  if (live.current.rolloutId === state.rolloutId) return true;
  return (
    state.kind === 'rollback' &&
    state.target !== null &&
    live.current.endpointName === state.target.endpointName &&
    state.pointerBefore?.current.endpointName !== state.target.endpointName
  );
}

async function deleteOwnEndpoint(
  state: RolloutState,
  deps: RollBackDeps,
  problems: string[],
): Promise<PollState> {
  const endpointName = state.resources?.endpointName ?? state.rolloutId;
  // Endpoints are named after their rollout; anything else was not made by this rollout.
  if (endpointName !== state.rolloutId) {
    problems.push(
      `Did not delete endpoint ${endpointName}: its name is not this rollout's id (${state.rolloutId}).`,
    );
    return deleted('not deleted: not named after this rollout');
  }
  try {
    await deps.sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
    return { ...DELETION_POLL, attempts: 0, status: 'Deleting' };
  } catch (error) {
    if (isNotFound(error, 'endpoint')) return deleted();
    if (isTransientAwsError(error)) throw error;
    // Serving is safe (restored above); the endpoint just keeps costing money until a person deletes it.
    problems.push(
      `Could not delete endpoint ${endpointName} (${error instanceof Error ? error.name : 'Error'}: ${errorMessage(error)}); delete it by hand.`,
    );
    return deleted('DeleteEndpoint failed; see rollback.problems');
  }
}

/**
 * Nothing of this rollout is left to wait for. When the endpoint could not be deleted, `failureReason`
 * says so: polling would only wait out the whole budget, since nothing deletes it meanwhile.
 */
function deleted(failureReason?: string): PollState {
  return {
    ...DELETION_POLL,
    attempts: 0,
    status: 'Deleted',
    ...(failureReason === undefined ? {} : { failureReason }),
  };
}
