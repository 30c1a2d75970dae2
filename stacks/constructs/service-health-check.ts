import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ScheduleExpression, Schedule, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Metric Record Health publishes per check: 1 healthy, 0 not (lambdas/health-record). */
export const HEALTH_METRIC_NAME = 'HealthCheckSuccess';

/** Properties of one service's scheduled health check and its alarm. */
export interface ServiceHealthCheckProps {
  readonly prefix: string;
  readonly service: string;
  /** The health-check (Express) state machine; started with `{"service": "<service>"}`. */
  readonly stateMachine: IStateMachine;
  /** Minutes between checks; also the alarm's period. */
  readonly intervalMinutes: number;
  /** Namespace of the health metric (the catalog's POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricNamespace: string;
  /** Failed checks in a row that raise the alarm. */
  readonly consecutiveFailures: number;
  /** Where the alarm (and its recovery) is announced. */
  readonly topic: ITopic;
}

/**
 * An EventBridge Scheduler schedule that starts the health check of one service, and an alarm on its
 * HealthCheckSuccess metric: Minimum < 1 in `consecutiveFailures` periods in a row. Missing data (no
 * check ran, or nothing is deployed yet) is not a failure.
 */
export class ServiceHealthCheck extends Construct {
  /** The schedule. */
  readonly schedule: Schedule;
  /** The alarm. */
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: ServiceHealthCheckProps) {
    super(scope, id);
    const period = Duration.minutes(props.intervalMinutes);
    if (props.intervalMinutes * props.consecutiveFailures > 24 * 60) {
      throw new Error(
        `The health alarm would span ${props.intervalMinutes} min × ${props.consecutiveFailures} checks, over CloudWatch's one day; check more often or lower the consecutive failures.`,
      );
    }
    this.schedule = new Schedule(this, 'Schedule', {
      scheduleName: `${props.prefix}-${props.service}-health`,
      description: `Health check of the ${props.service} service's live deployment`,
      schedule: ScheduleExpression.rate(period),
      target: new StepFunctionsStartExecution(props.stateMachine, {
        input: ScheduleTargetInput.fromObject({ service: props.service }),
        // The next check comes one interval later; retrying a stale check helps nobody.
        retryAttempts: 0,
      }),
    });
    this.alarm = new Alarm(this, 'Alarm', {
      alarmName: `${props.prefix}-${props.service}-unhealthy`,
      alarmDescription: `${props.service}: ${props.consecutiveFailures} health checks in a row failed through the public URL. See \`rollout health ${props.service}\`.`,
      metric: new Metric({
        namespace: props.metricNamespace,
        metricName: HEALTH_METRIC_NAME,
        dimensionsMap: { Service: props.service },
        statistic: 'Minimum',
        period,
      }),
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: props.consecutiveFailures,
      datapointsToAlarm: props.consecutiveFailures,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new SnsAction(props.topic));
    this.alarm.addOkAction(new SnsAction(props.topic));
  }
}
