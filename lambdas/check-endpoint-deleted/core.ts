import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EndpointDeletionTimeoutError, InvalidStepInputError } from '../shared/errors';
import { isNotFound } from '../shared/sagemaker-errors';
import type { EndpointStatus, RolloutState } from '../shared/types';

/** What Check Endpoint Deleted needs besides the state. */
export interface CheckEndpointDeletedDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CHECK_ENDPOINT_DELETED_STEP = 'Check Endpoint Deleted';

/**
 * One poll of the rolled-back endpoint: gone (SageMaker no longer knows it) ends the wait; otherwise
 * wait again until the bound set by Roll Back.
 */
export async function checkEndpointDeleted(
  state: RolloutState,
  deps: CheckEndpointDeletedDeps,
): Promise<RolloutState> {
  const deletion = state.deletion;
  if (deletion === null) {
    throw new InvalidStepInputError(
      `${CHECK_ENDPOINT_DELETED_STEP} needs state.deletion (set by Roll Back); it is null.`,
    );
  }
  const attempts = deletion.attempts + 1;
  // Roll Back sets Deleted when there is nothing to wait for (no endpoint of this rollout, already
  // gone, or a delete it could not start, see deletion.failureReason): polling would only use up the budget.
  const name = state.resources?.endpointName;
  if (deletion.status === 'Deleted' || name === undefined) {
    return { ...state, deletion: { ...deletion, attempts, status: 'Deleted' } };
  }

  let status: EndpointStatus;
  try {
    const out = await deps.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    status = out.EndpointStatus ?? 'Deleting';
  } catch (error) {
    if (!isNotFound(error, 'endpoint')) throw error;
    status = 'Deleted';
  }
  if (status !== 'Deleted' && attempts >= deletion.maxAttempts) {
    throw new EndpointDeletionTimeoutError(
      `Endpoint ${name} is still ${status} after ${attempts} checks (about ` +
        `${Math.round((attempts * deletion.pollIntervalSeconds) / 60)} min) of waiting for its deletion. ` +
        `It costs money while it exists: check it in the SageMaker console and delete it by hand ` +
        `(aws sagemaker delete-endpoint --endpoint-name ${name}).`,
    );
  }
  if (status === 'Deleted' && state.rollback !== undefined) {
    // The endpoint existed until now: this is the deletion Roll Back started, so report it.
    const entry = `endpoint ${name}`;
    const deleted = state.rollback.deleted.includes(entry)
      ? state.rollback.deleted
      : [...state.rollback.deleted, entry];
    return {
      ...state,
      deletion: { ...deletion, attempts, status },
      rollback: { ...state.rollback, deleted },
    };
  }
  return { ...state, deletion: { ...deletion, attempts, status } };
}
