import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { InvalidStepInputError } from '../shared/errors';
import { promote, readLivePointer, writeLivePointer } from '../shared/live-pointer';
import { switchTarget, type SwitchTargetOptions } from '../shared/switch-target';
import type { LiveTarget, RolloutState } from '../shared/types';

/** What Switch API Target needs from outside. */
export interface SwitchApiTargetDeps {
  readonly lambda: LambdaClient;
  readonly ssm: SSMClient;
  readonly prefix: string;
  readonly now: () => Date;
  readonly switchOptions: SwitchTargetOptions;
}

/**
 * Makes the target live: first the live pointer in SSM, then the proxy's ENDPOINT_NAME. SSM goes first
 * because it is the source of truth: a later `cdk deploy` re-applies the proxy's template environment
 * (which has no ENDPOINT_NAME) and the proxy then reads the pointer, so the pointer must never lag the
 * environment. If the step fails between the two, Roll Back sees the pointer naming this rollout's
 * target and restores both.
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
  // The lock was taken with pointerBefore; reading SSM only helps a first deployment's retried step.
  const before = state.pointerBefore ?? (await readLivePointer(deps.ssm, deps.prefix, service));
  const keep = keepCount(state);
  await writeLivePointer(deps.ssm, deps.prefix, service, promote(before, target, keep));
  await switchTarget(
    deps.lambda,
    state.service.proxyFunctionName,
    target.endpointName,
    { LIVE_ROLLOUT_ID: target.rolloutId, LIVE_MODEL_ID: target.modelId },
    deps.switchOptions,
  );
  return { ...state, target, switched: true };
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
