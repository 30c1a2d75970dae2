import { setTimeout as sleep } from 'node:timers/promises';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix } from '../shared/env';
import { rolloutStep } from '../shared/step';
import { rollBackCore } from './core';

const lambda = new LambdaClient({});
const ssm = new SSMClient({});
const sagemaker = new SageMakerClient({});

/** Roll Back: restores the API target if it was switched and starts deleting this rollout's endpoint. */
export const handler = rolloutStep('Roll Back', (state) =>
  rollBackCore(state, {
    lambda,
    ssm,
    sagemaker,
    prefix: projectPrefix(),
    switchOptions: { sleep: (ms) => sleep(ms), now: Date.now },
  }),
);
