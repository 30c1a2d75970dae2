import { CreateModelCommand, DescribeModelCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { deployParts } from '../shared/deploy-state';
import { ResourceMismatchError } from '../shared/errors';
import { logger } from '../shared/logger';
import { isAlreadyExists } from '../shared/sagemaker-errors';
import { rolloutTags } from '../shared/tags';
import type { RolloutState } from '../shared/types';

/** What Create Model needs besides the state. */
export interface CreateModelDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CREATE_MODEL_STEP = 'Create Model';

/** The container environment: the spec's extra variables plus the three the HuggingFace toolkit reads. */
export function modelEnvironment(state: RolloutState): Record<string, string> {
  const { spec } = deployParts(state, CREATE_MODEL_STEP);
  return {
    ...spec.model.env,
    HF_MODEL_ID: spec.model.id,
    HF_TASK: spec.model.task,
    HF_MODEL_REVISION: spec.model.revision,
  };
}

/**
 * Creates the SageMaker model: the HuggingFace inference container with the model id, task and
 * revision. A model of the same name and content (a retried step) counts as created; one that
 * differs is not ours to reuse.
 */
export async function createModel(state: RolloutState, deps: CreateModelDeps): Promise<RolloutState> {
  const { resources } = deployParts(state, CREATE_MODEL_STEP);
  const environment = modelEnvironment(state);
  try {
    await deps.sagemaker.send(
      new CreateModelCommand({
        ModelName: resources.modelName,
        PrimaryContainer: { Image: resources.imageUri, Environment: environment },
        ExecutionRoleArn: resources.executionRoleArn,
        Tags: rolloutTags(state.service.service, state.rolloutId),
      }),
    );
    return state;
  } catch (error) {
    if (!isAlreadyExists(error, 'model')) throw error;
  }

  const existing = await deps.sagemaker.send(new DescribeModelCommand({ ModelName: resources.modelName }));
  const container = existing.PrimaryContainer ?? existing.Containers?.[0];
  const differences: string[] = [];
  if (container?.Image !== resources.imageUri) {
    differences.push(`image is ${container?.Image ?? '(none)'}, expected ${resources.imageUri}`);
  }
  const envDiff = diffEnvironment(container?.Environment ?? {}, environment);
  if (envDiff.length > 0) differences.push(`environment differs in ${envDiff.join(', ')}`);
  if (differences.length > 0) {
    throw new ResourceMismatchError(
      `SageMaker model ${resources.modelName} already exists and differs from this rollout's spec: ${differences.join('; ')}. ` +
        'It was not made by this rollout; start the rollout again with a new execution name (`rollout deploy` makes one).',
    );
  }
  logger.info('Model already exists with the same image and environment (step retried); reusing it', {
    modelName: resources.modelName,
  });
  return state;
}

/** Names of variables whose values differ between the two environments, sorted. */
export function diffEnvironment(
  actual: Readonly<Record<string, string>>,
  expected: Readonly<Record<string, string>>,
): string[] {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...keys].filter((k) => actual[k] !== expected[k]).sort();
}
