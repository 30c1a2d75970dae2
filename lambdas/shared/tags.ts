import type { Tag } from '@aws-sdk/client-sagemaker';

/** Tag naming the service a SageMaker resource belongs to; Retire Old Endpoints trusts only tagged endpoints. */
export const SERVICE_TAG = 'hf-rollout:service';
/** Tag naming the rollout (execution) that created a SageMaker resource. */
export const ROLLOUT_ID_TAG = 'hf-rollout:rollout-id';

/** Tags every SageMaker resource of a rollout carries, so its owner can be proven before deleting it. */
export function rolloutTags(service: string, rolloutId: string): Tag[] {
  return [
    { Key: SERVICE_TAG, Value: service },
    { Key: ROLLOUT_ID_TAG, Value: rolloutId },
  ];
}
