import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { requireEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { asRolloutState, plainStep } from '../shared/step';
import { RELEASE_LOCK_STEP, releaseLock } from './core';

const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});

/**
 * Release Lock (and Release Lock After Failure): returns the Deployment record. plainStep, not
 * rolloutStep, because the output is the record (the ASL puts it at `$.record`), not the state.
 */
export const handler = plainStep(
  RELEASE_LOCK_STEP,
  (event) => asRolloutState(event, RELEASE_LOCK_STEP),
  (state) => {
    logger.appendKeys({ rolloutId: state.rolloutId, serviceName: state.service.service });
    return releaseLock(state, {
      dynamodb,
      sns,
      tableName: requireEnv('LOCK_TABLE_NAME'),
      topicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
      now: () => new Date(),
    });
  },
);
