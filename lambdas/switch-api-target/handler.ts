import { setTimeout as sleep } from 'node:timers/promises';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix } from '../shared/env';
import { rolloutStep } from '../shared/step';
import { switchApiTargetCore } from './core';

const lambda = new LambdaClient({});
const ssm = new SSMClient({});

/** Switch API Target: writes the live pointer, then points the proxy's ENDPOINT_NAME at the target. */
export const handler = rolloutStep('Switch API Target', (state) =>
  switchApiTargetCore(state, {
    lambda,
    ssm,
    prefix: projectPrefix(),
    now: () => new Date(),
    switchOptions: { sleep: (ms) => sleep(ms), now: Date.now },
  }),
);
