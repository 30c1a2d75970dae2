import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EndpointDeletionTimeoutError, InvalidStepInputError } from '../shared/errors';
import { logger } from '../shared/logger';
import { isNotFound } from '../shared/sagemaker-errors';
import type { EndpointStatus, RolloutState } from '../shared/types';
import { deleteEndpointCommand, IN_PROGRESS_STATUSES, startEndpointDeletion } from './endpoint-deletion';

/** What Check Endpoint Deleted needs besides the state. */
export interface CheckEndpointDeletedDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CHECK_ENDPOINT_DELETED_STEP = 'Check Endpoint Deleted';

/**
 * One poll of the rolled-back endpoint: gone (SageMaker no longer knows it) ends the wait. An endpoint
 * SageMaker would not delete yet (Creating: a rollout that timed out waiting) is deleted as soon as it
 * has left that status; otherwise wait again until the bound set by Roll Back, whose end names what
 * is left and the command that removes it.
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
  if (status !== 'Deleted' && status !== 'Deleting' && !IN_PROGRESS_STATUSES.has(status)) {
    // Out of Creating (InService, Failed, ...): SageMaker accepts the deletion now. Deleting again
    // what is already being deleted is not needed; a refusal means it went back in progress.
    const started = await startEndpointDeletion(deps.sagemaker, name);
    logger.info('Endpoint left its in-progress status; deletion started', {
      endpointName: name,
      status,
      started,
    });
    status = started === 'gone' ? 'Deleted' : started === 'deleting' ? 'Deleting' : status;
  }
  if (status !== 'Deleted' && attempts >= deletion.maxAttempts) {
    const minutes = Math.round((attempts * deletion.pollIntervalSeconds) / 60);
    throw new EndpointDeletionTimeoutError(
      IN_PROGRESS_STATUSES.has(status)
        ? `Endpoint ${name} is still ${status} after ${attempts} checks (about ${minutes} min), and SageMaker ` +
            `refuses to delete an endpoint while it is ${status}. It will cost money once it is InService: ` +
            `delete it as soon as it leaves ${status} (${deleteEndpointCommand(name)}), then its endpoint config and model.`
        : `Endpoint ${name} is still ${status} after ${attempts} checks (about ${minutes} min) of waiting for its deletion. ` +
            `It costs money while it exists: check it in the SageMaker console and delete it by hand ` +
            `(${deleteEndpointCommand(name)}).`,
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
