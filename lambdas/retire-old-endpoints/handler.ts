import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix } from '../shared/env';
import { rolloutStep } from '../shared/step';
import { RETIRE_OLD_ENDPOINTS_STEP, retireOldEndpoints } from './core';

const sagemaker = new SageMakerClient({});
const ssm = new SSMClient({});
const lambda = new LambdaClient({});

/** Retire Old Endpoints: deletes the service's endpoints (and configs, models) neither serving nor kept. */
export const handler = rolloutStep(RETIRE_OLD_ENDPOINTS_STEP, (state) =>
  retireOldEndpoints(state, { sagemaker, ssm, lambda, prefix: projectPrefix() }),
);
