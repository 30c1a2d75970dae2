import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ScheduleExpression, Schedule, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  healthAlarmDefinition,
  HEALTH_METRIC_NAMES,
  type AlarmComparison,
  type AlarmMissingData,
} from '../../pipeline/health-schedule';

/** Metric Record Health publishes per check: 1 healthy, 0 not (lambdas/health-record). */
export const HEALTH_METRIC_NAME = HEALTH_METRIC_NAMES.success;

const COMPARISONS: Readonly<Record<AlarmComparison, ComparisonOperator>> = {
  LessThanThreshold: ComparisonOperator.LESS_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
  GreaterThanThreshold: ComparisonOperator.GREATER_THAN_THRESHOLD,
  GreaterThanOrEqualToThreshold: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING_DATA: Readonly<Record<AlarmMissingData, TreatMissingData>> = {
  breaching: TreatMissingData.BREACHING,
  notBreaching: TreatMissingData.NOT_BREACHING,
  ignore: TreatMissingData.IGNORE,
  missing: TreatMissingData.MISSING,
};

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
    // One definition for the stack and the local cloud (pipeline/health-schedule.ts); it also refuses an
    // evaluation longer than CloudWatch's one day.
    const definition = healthAlarmDefinition({
      prefix: props.prefix,
      service: props.service,
      intervalMinutes: props.intervalMinutes,
      metricNamespace: props.metricNamespace,
      consecutiveFailures: props.consecutiveFailures,
    });
    const period = Duration.seconds(definition.periodSeconds);
    this.schedule = new Schedule(this, 'Schedule', {
      scheduleName: `${props.prefix}-${props.service}-health`,
      description: `Health check of the ${props.service} service's live deployment`,
      schedule: ScheduleExpression.rate(Duration.minutes(props.intervalMinutes)),
      target: new StepFunctionsStartExecution(props.stateMachine, {
        input: ScheduleTargetInput.fromObject({ service: props.service }),
        // The next check comes one interval later; retrying a stale check helps nobody.
        retryAttempts: 0,
      }),
    });
    this.alarm = new Alarm(this, 'Alarm', {
      alarmName: definition.alarmName,
      alarmDescription: definition.alarmDescription,
      metric: new Metric({
        namespace: definition.namespace,
        metricName: definition.metricName,
        dimensionsMap: Object.fromEntries(definition.dimensions.map((d) => [d.name, d.value])),
        statistic: definition.statistic,
        period,
      }),
      comparisonOperator: COMPARISONS[definition.comparisonOperator],
      threshold: definition.threshold,
      evaluationPeriods: definition.evaluationPeriods,
      datapointsToAlarm: definition.datapointsToAlarm,
      treatMissingData: MISSING_DATA[definition.treatMissingData],
    });
    this.alarm.addAlarmAction(new SnsAction(props.topic));
    this.alarm.addOkAction(new SnsAction(props.topic));
  }
}
