import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix } from '../shared/env';
import { plainStep } from '../shared/step';
import { healthReadTargetCore, parseHealthCheckInput } from './core';

const ssm = new SSMClient({});
const sagemaker = new SageMakerClient({});
const sfn = new SFNClient({});

/** Read Live Target: what a service serves now, and the smoke tests of that deployment. */
export const handler = plainStep('Read Live Target', parseHealthCheckInput, (input) =>
  healthReadTargetCore(input, { ssm, sagemaker, sfn, prefix: projectPrefix() }),
);
