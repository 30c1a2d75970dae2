/**
 * When a service's health check runs and when it alarms, written once: the pipeline stack
 * (stacks/constructs/service-health-check.ts: EventBridge Scheduler + CloudWatch alarm) and the local
 * cloud (local/health-checks.ts: the same schedule, time-scaled, and the same alarm, evaluated by the
 * local CloudWatch) both read this file, so the two cannot drift.
 */

/** Schedule of every service's health check when none is given (EventBridge Scheduler rate expression). */
export const DEFAULT_HEALTH_CHECK_SCHEDULE = 'rate(5 minutes)';

/** Failed health checks in a row (one per schedule period) that raise a service's alarm, when not given. */
export const DEFAULT_ALARM_CONSECUTIVE_FAILURES = 2;

/** Metrics Record Health publishes per check, with one dimension `Service` (lambdas/health-record). */
export const HEALTH_METRIC_NAMES = {
  /** 1 when the check passed, 0 when it did not. */
  success: 'HealthCheckSuccess',
  /** Median latency of the check's requests through the public URL. */
  latency: 'HealthCheckLatency',
} as const;

/** Minutes between runs of a `rate(N minute|minutes|hour|hours|day|days)` expression. */
export function scheduleRateMinutes(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  const count = m?.[1] === undefined ? NaN : Number(m[1]);
  if (m === null || !Number.isInteger(count) || count < 1) {
    throw new Error(
      `Health check schedule "${expression}" is not a rate expression; use e.g. rate(5 minutes) (the alarm period follows it).`,
    );
  }
  const unit = m[2] ?? 'minutes';
  const minutes = unit.startsWith('minute') ? count : unit.startsWith('hour') ? count * 60 : count * 1440;
  if ((unit === 'minute' || unit === 'hour' || unit === 'day') !== (count === 1)) {
    throw new Error(
      `Health check schedule "${expression}": use the singular unit only with 1, e.g. rate(1 minute).`,
    );
  }
  return minutes;
}

/** Name of a service's health alarm, e.g. `hf-rollout-sentiment-unhealthy`. */
export function healthAlarmName(prefix: string, service: string): string {
  return `${prefix}-${service}-unhealthy`;
}

/** CloudWatch's comparison operators this project's alarms use. */
export type AlarmComparison =
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold';

/** CloudWatch's ways to treat periods without data. */
export type AlarmMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

/**
 * A metric alarm in CloudWatch's own terms (PutMetricAlarm's members, camel-cased), without actions:
 * the stack adds its topic, the local cloud its local topic.
 */
export interface HealthAlarmDefinition {
  readonly alarmName: string;
  readonly alarmDescription: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly statistic: 'Minimum';
  /** Seconds; the schedule's interval, so each period holds one check. */
  readonly periodSeconds: number;
  readonly comparisonOperator: AlarmComparison;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: AlarmMissingData;
}

/** What a service's health alarm depends on. */
export interface HealthAlarmOptions {
  readonly prefix: string;
  readonly service: string;
  /** Minutes between checks (`scheduleRateMinutes` of the schedule); also the alarm's period. */
  readonly intervalMinutes: number;
  /** Namespace of the health metrics (the catalog's POWERTOOLS_METRICS_NAMESPACE for health-record). */
  readonly metricNamespace: string;
  /** Failed checks in a row that raise the alarm. @default DEFAULT_ALARM_CONSECUTIVE_FAILURES */
  readonly consecutiveFailures?: number;
}

/**
 * A service's health alarm: HealthCheckSuccess Minimum < 1 in `consecutiveFailures` periods in a row,
 * period = the schedule's interval. Missing data (no check ran, or nothing is deployed yet) is not a
 * failure. Throws when the evaluation would span more than CloudWatch's one day.
 */
export function healthAlarmDefinition(options: HealthAlarmOptions): HealthAlarmDefinition {
  const consecutiveFailures = options.consecutiveFailures ?? DEFAULT_ALARM_CONSECUTIVE_FAILURES;
  if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 1) {
    throw new Error(
      `alarmConsecutiveFailures is ${consecutiveFailures}; give a whole number of at least 1 (default ${DEFAULT_ALARM_CONSECUTIVE_FAILURES}).`,
    );
  }
  if (options.intervalMinutes * consecutiveFailures > 24 * 60) {
    throw new Error(
      `The health alarm would span ${options.intervalMinutes} min × ${consecutiveFailures} checks, over CloudWatch's one day; check more often or lower the consecutive failures.`,
    );
  }
  return {
    alarmName: healthAlarmName(options.prefix, options.service),
    alarmDescription: `${options.service}: ${consecutiveFailures} health checks in a row failed through the public URL. See \`rollout health --service ${options.service}\`.`,
    namespace: options.metricNamespace,
    metricName: HEALTH_METRIC_NAMES.success,
    dimensions: [{ name: 'Service', value: options.service }],
    statistic: 'Minimum',
    periodSeconds: options.intervalMinutes * 60,
    comparisonOperator: 'LessThanThreshold',
    threshold: 1,
    evaluationPeriods: consecutiveFailures,
    datapointsToAlarm: consecutiveFailures,
    treatMissingData: 'notBreaching',
  };
}
