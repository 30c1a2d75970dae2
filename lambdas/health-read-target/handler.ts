import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix, requireEnv } from '../shared/env';
import { plainStep } from '../shared/step';
import { healthReadTargetCore, parseHealthCheckInput } from './core';

const ssm = new SSMClient({});
const sagemaker = new SageMakerClient({});
const sfn = new SFNClient({});
const lambda = new LambdaClient({});
const dynamodb = new DynamoDBClient({});

/** Read Live Target: what the proxy really serves (records reconciled), and the smoke tests of that deployment. */
export const handler = plainStep('Read Live Target', parseHealthCheckInput, (input) =>
  healthReadTargetCore(input, {
    ssm,
    sagemaker,
    sfn,
    lambda,
    dynamodb,
    lockTableName: requireEnv('LOCK_TABLE_NAME'),
    prefix: projectPrefix(),
    switchOptions: { sleep: (ms) => sleep(ms), now: Date.now, timeoutMs: 15_000 },
  }),
);
