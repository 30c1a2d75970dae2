import {
  CreateEndpointCommand,
  DescribeEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deployParts } from '../shared/deploy-state';
import {
  EndpointConfigNotVisibleError,
  InvalidStepInputError,
  ResourceMismatchError,
} from '../shared/errors';
import { logger } from '../shared/logger';
import { isAlreadyExists, isNotFound } from '../shared/sagemaker-errors';
import { rolloutTags } from '../shared/tags';
import type { RolloutState } from '../shared/types';

/** What Create Endpoint needs besides the state. */
export interface CreateEndpointDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CREATE_ENDPOINT_STEP = 'Create Endpoint';

/**
 * Creates this rollout's new endpoint (never an update of the live one, so the API keeps serving
 * meanwhile) and starts the wait. An existing endpoint of the same name on the same config (a retried
 * step) counts as created.
 */
export async function createEndpoint(state: RolloutState, deps: CreateEndpointDeps): Promise<RolloutState> {
  const { resources } = deployParts(state, CREATE_ENDPOINT_STEP);
  if (state.wait === null) {
    throw new InvalidStepInputError(
      `${CREATE_ENDPOINT_STEP} needs state.wait (set by Validate Spec); it is null.`,
    );
  }
  try {
    await deps.sagemaker.send(
      new CreateEndpointCommand({
        EndpointName: resources.endpointName,
        EndpointConfigName: resources.endpointConfigName,
        Tags: rolloutTags(state.service.service, state.rolloutId),
      }),
    );
  } catch (error) {
    if (isNotFound(error, 'endpoint configuration')) {
      // Create Endpoint Config made it moments ago (state.resources says so); SageMaker may not see it
      // yet. The state machine retries this error with backoff (Create Endpoint's Retry).
      throw new EndpointConfigNotVisibleError(
        `CreateEndpoint could not find endpoint config ${resources.endpointConfigName}, which this rollout ` +
          'created in the step before: SageMaker reads a new config eventually consistently, so the step ' +
          'is retried. If this persists, the config was deleted meanwhile; start the rollout again.',
        { cause: error },
      );
    }
    if (!isAlreadyExists(error, 'endpoint')) throw error;
    const existing = await deps.sagemaker.send(
      new DescribeEndpointCommand({ EndpointName: resources.endpointName }),
    );
    if (existing.EndpointConfigName !== resources.endpointConfigName) {
      throw new ResourceMismatchError(
        `SageMaker endpoint ${resources.endpointName} already exists with endpoint config ` +
          `${existing.EndpointConfigName ?? '(none)'}, not ${resources.endpointConfigName}. It was not made by this rollout; ` +
          'start the rollout again with a new execution name (`rollout deploy` makes one).',
        { cause: error },
      );
    }
    logger.info('Endpoint already exists on this config (step retried); waiting for it', {
      endpointName: resources.endpointName,
      status: existing.EndpointStatus,
    });
  }
  return { ...state, wait: { ...state.wait, status: 'Creating' } };
}
