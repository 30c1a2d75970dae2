import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { awsErrorName, errorMessage } from '../shared/errors';
import { logger } from '../shared/logger';
import { toDeploymentRecord } from '../shared/record';
import type { DeploymentRecord, RolloutState } from '../shared/types';

/** What Release Lock needs besides the state. */
export interface ReleaseLockDeps {
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  /** DynamoDB table with one lock item per service (LOCK_TABLE_NAME). */
  readonly tableName: string;
  /** SNS topic for rollout notifications (NOTIFICATION_TOPIC_ARN). */
  readonly topicArn: string;
  readonly now: () => Date;
}

/** Step name, as in the ASL (the same function also runs as "Release Lock After Failure"). */
export const RELEASE_LOCK_STEP = 'Release Lock';

/** SNS subjects must be under 100 characters. */
const MAX_SUBJECT_LENGTH = 99;

/**
 * Releases the service's lock if this rollout still holds it, builds the Deployment record and
 * notifies. Nothing here fails the step: the rollout's outcome is already decided, a lock left
 * behind expires, and a lost notification must not turn a good rollout into a failed one.
 */
export async function releaseLock(state: RolloutState, deps: ReleaseLockDeps): Promise<DeploymentRecord> {
  const warnings: string[] = [];
  try {
    await deps.dynamodb.send(
      new DeleteItemCommand({
        TableName: deps.tableName,
        Key: marshall({ service: state.service.service }),
        // Only our own lock: after a takeover the item belongs to another rollout.
        ConditionExpression: '#holder = :me',
        ExpressionAttributeNames: { '#holder': 'holder' },
        ExpressionAttributeValues: { ':me': { S: state.executionArn } },
      }),
    );
  } catch (error) {
    if (awsErrorName(error) === 'ConditionalCheckFailedException') {
      logger.warn('Lock already released, or taken over by another rollout; left alone', {
        service: state.service.service,
      });
    } else {
      const warning =
        `The rollout lock of service "${state.service.service}" was not released (${awsErrorName(error)}: ` +
        `${errorMessage(error)}); it expires at ${state.lock?.expiresAt ?? 'its expiry time'}, or delete item ` +
        `"${state.service.service}" from table ${deps.tableName}.`;
      logger.warn(warning);
      warnings.push(warning);
    }
  }

  const built = toDeploymentRecord(state, deps.now().toISOString());
  const record: DeploymentRecord = { ...built, warnings: [...built.warnings, ...warnings] };
  try {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: notificationSubject(record),
        Message: `${recordSummary(record)}\n\n${JSON.stringify(record, null, 2)}`,
      }),
    );
  } catch (error) {
    const warning = `The rollout notification was not sent (${awsErrorName(error)}: ${errorMessage(error)}).`;
    logger.warn(warning);
    return { ...record, warnings: [...record.warnings, warning] };
  }
  return record;
}

/** "<service> rollout <id> SUCCEEDED|FAILED", cut to SNS's subject limit. */
export function notificationSubject(record: DeploymentRecord): string {
  const subject = `${record.service} rollout ${record.rolloutId} ${record.status}`;
  return subject.length <= MAX_SUBJECT_LENGTH
    ? subject
    : `${record.service} rollout ${record.rolloutId}`.slice(
        0,
        MAX_SUBJECT_LENGTH - record.status.length - 1,
      ) + ` ${record.status}`;
}

/** One paragraph saying what happened, the first thing a person reads in the notification. */
export function recordSummary(record: DeploymentRecord): string {
  if (record.status === 'FAILED') {
    return (
      record.failure?.summary ??
      `${record.failure?.step ?? 'A step'} failed (${record.failure?.error ?? 'unknown error'}); see the execution for details.`
    );
  }
  const model =
    record.model === null ? '' : ` (${record.model.id}@${record.model.revision}, ${record.model.task})`;
  const what =
    record.kind === 'rollback'
      ? `Service ${record.service} rolled back: the API now serves endpoint ${record.endpointName ?? '?'}${model}`
      : `Service ${record.service} deployed: the API now serves endpoint ${record.endpointName ?? '?'}${model}`;
  const previous = record.previousEndpoint === null ? '' : `; before: ${record.previousEndpoint}`;
  const retired = record.retired.length === 0 ? '' : ` Retired: ${record.retired.join(', ')}.`;
  const warnings = record.warnings.length === 0 ? '' : ` Warnings: ${record.warnings.join(' ')}`;
  return `${what}${previous}.${retired}${warnings}`;
}
