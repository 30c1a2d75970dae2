import { setTimeout as sleep } from 'node:timers/promises';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix } from '../shared/env';
import { rolloutStep } from '../shared/step';
import { switchApiTargetCore } from './core';

const lambda = new LambdaClient({});
const ssm = new SSMClient({});
const sagemaker = new SageMakerClient({});

/** Switch API Target: declares the switch in the live pointer, switches the proxy's ENDPOINT_NAME, records it. */
export const handler = rolloutStep('Switch API Target', (state) =>
  switchApiTargetCore(state, {
    lambda,
    ssm,
    sagemaker,
    prefix: projectPrefix(),
    now: () => new Date(),
    switchOptions: { sleep: (ms) => sleep(ms), now: Date.now },
  }),
);
