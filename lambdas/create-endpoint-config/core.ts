import {
  CreateEndpointConfigCommand,
  DescribeEndpointConfigCommand,
  type ProductionVariant,
  type ProductionVariantInstanceType,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { RolloutResources, RolloutState } from '../shared/types';
import type { RolloutSpec } from '../../pipeline/spec/schema';
import { deployParts } from '../shared/deploy-state';
import { ResourceMismatchError } from '../shared/errors';
import { logger } from '../shared/logger';
import { isAlreadyExists } from '../shared/sagemaker-errors';
import { rolloutTags } from '../shared/tags';

/** What Create Endpoint Config needs besides the state. */
export interface CreateEndpointConfigDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CREATE_ENDPOINT_CONFIG_STEP = 'Create Endpoint Config';

/** The one variant, named as SageMaker names a single-variant endpoint's traffic. */
export const VARIANT_NAME = 'AllTraffic';

/** The production variant the spec's endpoint section asks for: instances, or serverless memory and concurrency. */
export function productionVariant(spec: RolloutSpec, resources: RolloutResources): ProductionVariant {
  const endpoint = spec.endpoint;
  return endpoint.type === 'serverless'
    ? {
        VariantName: VARIANT_NAME,
        ModelName: resources.modelName,
        ServerlessConfig: { MemorySizeInMB: endpoint.memorySizeMb, MaxConcurrency: endpoint.maxConcurrency },
      }
    : {
        VariantName: VARIANT_NAME,
        ModelName: resources.modelName,
        // The spec checks the ml.<family>.<size> shape; SageMaker itself knows which types exist.
        InstanceType: endpoint.instanceType as ProductionVariantInstanceType,
        InitialInstanceCount: endpoint.initialInstanceCount,
        InitialVariantWeight: 1,
      };
}

/**
 * Creates the endpoint config for this rollout's model. An existing config of the same name with the
 * same variant (a retried step) counts as created; one that differs is not ours to reuse.
 */
export async function createEndpointConfig(
  state: RolloutState,
  deps: CreateEndpointConfigDeps,
): Promise<RolloutState> {
  const { spec, resources } = deployParts(state, CREATE_ENDPOINT_CONFIG_STEP);
  const variant = productionVariant(spec, resources);
  try {
    await deps.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: resources.endpointConfigName,
        ProductionVariants: [variant],
        Tags: rolloutTags(state.service.service, state.rolloutId),
      }),
    );
    return state;
  } catch (error) {
    if (!isAlreadyExists(error, 'endpoint configuration')) throw error;
  }

  const existing = await deps.sagemaker.send(
    new DescribeEndpointConfigCommand({ EndpointConfigName: resources.endpointConfigName }),
  );
  const variants = existing.ProductionVariants ?? [];
  const differences =
    variants.length === 1 && variants[0] !== undefined
      ? diffVariant(variants[0], variant)
      : [`it has ${variants.length} production variants, expected 1`];
  if (differences.length > 0) {
    throw new ResourceMismatchError(
      `SageMaker endpoint config ${resources.endpointConfigName} already exists and differs from this rollout's spec: ` +
        `${differences.join('; ')}. It was not made by this rollout; start the rollout again with a new execution name.`,
    );
  }
  logger.info('Endpoint config already exists with the same variant (step retried); reusing it', {
    endpointConfigName: resources.endpointConfigName,
  });
  return state;
}

/** Differences that matter between an existing variant and the one the spec asks for. */
function diffVariant(actual: ProductionVariant, expected: ProductionVariant): string[] {
  const out: string[] = [];
  const compare = (label: string, a: string | number | undefined, e: string | number | undefined): void => {
    if (a !== e) out.push(`${label} is ${String(a ?? '(none)')}, expected ${String(e ?? '(none)')}`);
  };
  compare('model', actual.ModelName, expected.ModelName);
  compare('instance type', actual.InstanceType, expected.InstanceType);
  compare('instance count', actual.InitialInstanceCount, expected.InitialInstanceCount);
  compare(
    'serverless memory (MB)',
    actual.ServerlessConfig?.MemorySizeInMB,
    expected.ServerlessConfig?.MemorySizeInMB,
  );
  compare(
    'serverless max concurrency',
    actual.ServerlessConfig?.MaxConcurrency,
    expected.ServerlessConfig?.MaxConcurrency,
  );
  return out;
}
