import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { InvalidStepInputError, TargetNotInServiceError } from '../shared/errors';
import { promote, recordOf, withPending, writeLivePointer } from '../shared/live-pointer';
import { endpointStatus } from '../shared/reconcile';
import { switchTarget, type SwitchTargetOptions } from '../shared/switch-target';
import type { LiveTarget, RolloutState } from '../shared/types';

/** What Switch API Target needs from outside. */
export interface SwitchApiTargetDeps {
  readonly lambda: LambdaClient;
  readonly ssm: SSMClient;
  readonly sagemaker: SageMakerClient;
  readonly prefix: string;
  readonly now: () => Date;
  readonly switchOptions: SwitchTargetOptions;
}

/**
 * Makes the target live in three writes, each recoverable if the process dies after it
 * (docs/live-state.md): (1) the live pointer declares the switch (`pending`; `current` unchanged, so
 * the proxy's fallback still reads what serves); (2) the proxy's ENDPOINT_NAME is switched and the
 * update waited for; (3) the pointer records the target as current and clears `pending`. Before any
 * write the target endpoint must be InService: a rollback to an endpoint deleted since it was kept
 * fails here having changed nothing.
 */
export async function switchApiTargetCore(
  state: RolloutState,
  deps: SwitchApiTargetDeps,
): Promise<RolloutState> {
  if (state.target === null) {
    throw new InvalidStepInputError(
      `Switch API Target needs state.target (set by Validate Spec or Acquire Lock); rollout ${state.rolloutId} has none.`,
    );
  }
  const service = state.service.service;
  const target: LiveTarget = { ...state.target, since: deps.now().toISOString() };
  await requireInService(state, target, deps);
  // Acquire Lock reconciled and snapshotted the pointer under the lock: nobody else changed it since.
  const before = state.pointerBefore;
  const keep = keepCount(state);
  await writeLivePointer(
    deps.ssm,
    deps.prefix,
    service,
    withPending(recordOf(before), {
      target,
      rolloutId: state.rolloutId,
      executionArn: state.executionArn,
      kind: state.kind,
      since: target.since,
    }),
  );
  await switchTarget(
    deps.lambda,
    state.service.proxyFunctionName,
    target.endpointName,
    { LIVE_ROLLOUT_ID: target.rolloutId, LIVE_MODEL_ID: target.modelId },
    deps.switchOptions,
  );
  await writeLivePointer(deps.ssm, deps.prefix, service, promote(before, target, keep));
  return { ...state, target, switched: true };
}

async function requireInService(
  state: RolloutState,
  target: LiveTarget,
  deps: SwitchApiTargetDeps,
): Promise<void> {
  const status = await endpointStatus(deps.sagemaker, target.endpointName);
  if (status === 'InService') return;
  const live = state.pointerBefore?.current;
  const what = state.kind === 'rollback' ? `Rollback ${state.rolloutId}` : `Rollout ${state.rolloutId}`;
  throw new TargetNotInServiceError(
    `${what} cannot switch the API to endpoint ${target.endpointName} (rollout ${target.rolloutId}): it ` +
      `${status === 'Deleted' ? 'no longer exists' : `is ${status ?? 'unreadable'}, not InService`}. ` +
      `Nothing was changed: the API still serves ${live === undefined ? 'what it served before' : `${live.endpointName} (rollout ${live.rolloutId})`}. ` +
      (state.kind === 'rollback'
        ? 'Roll back to another kept deployment, or redeploy its spec with `rollout deploy`.'
        : 'Run the rollout again.'),
  );
}

/** How many earlier deployments the pointer keeps: the spec's setting, or (rollback) as many as before. */
function keepCount(state: RolloutState): number {
  if (state.kind === 'deploy') {
    if (state.spec === null) {
      throw new InvalidStepInputError(`Switch API Target: deploy rollout ${state.rolloutId} has no spec.`);
    }
    return state.spec.rollout.keepPreviousEndpoints;
  }
  return state.pointerBefore?.previous.length ?? 0;
}
