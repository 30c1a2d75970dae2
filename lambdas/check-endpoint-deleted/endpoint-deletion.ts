import { DeleteEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isNotFound } from '../shared/sagemaker-errors';
import type { EndpointStatus } from '../shared/types';

/**
 * Deleting a failed rollout's endpoint, shared by Roll Back (first attempt) and Check Endpoint
 * Deleted (later attempts). SageMaker refuses DeleteEndpoint while a CreateEndpoint or UpdateEndpoint
 * runs ("Cannot update in-progress endpoint"), so a timed-out rollout's endpoint is waited out of
 * Creating and deleted then, and its config and model stay until it is gone (the CreateEndpoint
 * reference: do not delete them while the endpoint is being created).
 */

/** Statuses in which SageMaker refuses DeleteEndpoint: wait until the endpoint leaves them. */
export const IN_PROGRESS_STATUSES: ReadonlySet<EndpointStatus> = new Set<EndpointStatus>([
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
]);

/**
 * How Roll Back waits for an endpoint SageMaker will not delete yet: every 30 s for up to 2 hours
 * (a rollout gives up after its maximum wait, 60 minutes by default, while creation may go on; then
 * deleting takes a few minutes). The deadline of the whole wait is `maxAttempts × pollIntervalSeconds`.
 */
export const IN_PROGRESS_POLL = { pollIntervalSeconds: 30, maxAttempts: 240 } as const;

/** What a DeleteEndpoint attempt found. */
export type DeletionStart =
  /** SageMaker accepted the deletion: the endpoint is Deleting. */
  | 'deleting'
  /** SageMaker no longer knows the endpoint. */
  | 'gone'
  /** Refused while in progress (Creating, Updating, ...): try again once it has left that status. */
  | 'in-progress';

/** True for SageMaker's refusal to delete an endpoint whose creation or update is still running. */
export function isInProgressRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationException' &&
    /Cannot update in-progress endpoint/i.test(error.message)
  );
}

/** Asks SageMaker to delete the endpoint; other errors are the caller's to classify. */
export async function startEndpointDeletion(
  sagemaker: SageMakerClient,
  endpointName: string,
): Promise<DeletionStart> {
  try {
    await sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
    return 'deleting';
  } catch (error) {
    if (isNotFound(error, 'endpoint')) return 'gone';
    if (isInProgressRefusal(error)) return 'in-progress';
    throw error;
  }
}

/** The AWS CLI command that deletes an endpoint, for messages a person acts on. */
export function deleteEndpointCommand(endpointName: string): string {
  return `aws sagemaker delete-endpoint --endpoint-name ${endpointName}`;
}
