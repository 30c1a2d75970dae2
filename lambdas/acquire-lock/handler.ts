import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { projectPrefix, requireEnv } from '../shared/env';
import { rolloutStep } from '../shared/step';
import { acquireLock } from './core';

const dynamodb = new DynamoDBClient({});
const sfn = new SFNClient({});
const ssm = new SSMClient({});

/** Acquire Lock: one rollout per service; snapshots the live pointer and picks a rollback's target. */
export const handler = rolloutStep('Acquire Lock', (state) =>
  acquireLock(state, {
    dynamodb,
    sfn,
    ssm,
    tableName: requireEnv('LOCK_TABLE_NAME'),
    prefix: projectPrefix(),
    now: () => new Date(),
  }),
);
