import { Metrics } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { newRollbackId } from '../../pipeline/names';
import { projectPrefix, requireEnv } from '../shared/env';
import { plainStep } from '../shared/step';
import { healthRecordCore, parseHealthRecordInput } from './core';

const ssm = new SSMClient({});
const sns = new SNSClient({});
const sfn = new SFNClient({});
// Namespace from POWERTOOLS_METRICS_NAMESPACE. Powertools adds a `service` dimension (the pipeline's
// name) by default; it is dropped so each metric has exactly one dimension, Service=<service>, which is
// what the stack's alarms select on.
const metrics = new Metrics();
metrics.clearDefaultDimensions();

/** Record Health: metrics, failure streak, notifications and (opt-in) automatic rollback. */
export const handler = plainStep('Record Health', parseHealthRecordInput, (input) =>
  healthRecordCore(input, {
    ssm,
    sns,
    sfn,
    metrics,
    prefix: projectPrefix(),
    notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
    rolloutStateMachineArn: requireEnv('ROLLOUT_STATE_MACHINE_ARN'),
    now: () => new Date(),
    newRollbackId: (service, now) => newRollbackId(service, now),
  }),
);
