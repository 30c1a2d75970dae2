/**
 * Environment of the health-record function, as lambdas/catalog.ts gives it. Imported before the
 * handler because Powertools Metrics reads its namespace when the module loads, as it does in Lambda.
 */
Object.assign(process.env, {
  PROJECT_PREFIX: 'hf-rollout',
  POWERTOOLS_METRICS_NAMESPACE: 'HfRollout',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:hf-rollout-notifications',
  ROLLOUT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:hf-rollout-rollout',
});
