import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix, requireEnv } from '../shared/env';
import { plainStep } from '../shared/step';
import { VALIDATE_SPEC_STEP, parseValidateSpecEvent, validateSpecCore } from './core';

const ssm = new SSMClient({});

/** Validate Spec: checks the execution input and returns the initial rollout state. */
export const handler = plainStep(VALIDATE_SPEC_STEP, parseValidateSpecEvent, (event) =>
  validateSpecCore(event, {
    ssm,
    prefix: projectPrefix(),
    region: requireEnv('AWS_REGION'),
    now: () => new Date(),
  }),
);
