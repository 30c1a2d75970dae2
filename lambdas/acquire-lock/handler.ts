import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix, requireEnv } from '../shared/env';
import { rolloutStep } from '../shared/step';
import { acquireLock } from './core';

const dynamodb = new DynamoDBClient({});
const sfn = new SFNClient({});
const ssm = new SSMClient({});
const lambda = new LambdaClient({});
const sagemaker = new SageMakerClient({});

/**
 * Acquire Lock: one rollout per service; reconciles the live records with what the proxy serves,
 * snapshots the live pointer and picks a rollback's target.
 */
export const handler = rolloutStep('Acquire Lock', (state) =>
  acquireLock(state, {
    dynamodb,
    sfn,
    ssm,
    lambda,
    sagemaker,
    // The function has 30 s: a proxy update a crashed switch left InProgress settles in seconds.
    switchOptions: { sleep: (ms) => sleep(ms), now: Date.now, timeoutMs: 20_000 },
    tableName: requireEnv('LOCK_TABLE_NAME'),
    prefix: projectPrefix(),
    now: () => new Date(),
  }),
);
