import type {
  AlarmComparison,
  AlarmMissingData,
  HealthAlarmDefinition,
} from '../../pipeline/health-schedule';
import type { Dimension } from './cloudwatch-metrics';

/**
 * CloudWatch metric alarms, pure: how an alarm's state follows from its metric's datapoints (AWS's
 * rules for "M out of N" evaluation and missing data), the reasons CloudWatch writes, and the JSON it
 * publishes to SNS on a state change. The emulator (cloudwatch.ts) stores alarms and runs this.
 */

/** An alarm's state value. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A metric alarm's configuration (PutMetricAlarm's members). */
export interface MetricAlarmConfig {
  readonly alarmName: string;
  readonly alarmDescription: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly statistic: 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
  /** AWS seconds (the local cloud evaluates it time-scaled). */
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: AlarmComparison;
  readonly treatMissingData: AlarmMissingData;
  readonly actionsEnabled: boolean;
  readonly okActions: readonly string[];
  readonly alarmActions: readonly string[];
  readonly insufficientDataActions: readonly string[];
}

/**
 * The alarm the serving stack defines from `definition` (pipeline/health-schedule.ts), as PutMetricAlarm
 * would store it: the stack's addAlarmAction and addOkAction both send to the notification topic.
 */
export function alarmConfigFromDefinition(
  definition: HealthAlarmDefinition,
  topicArn: string,
): MetricAlarmConfig {
  const { dimensions, ...rest } = definition;
  return {
    ...rest,
    dimensions: dimensions.map((x) => ({ Name: x.name, Value: x.value })),
    actionsEnabled: true,
    alarmActions: [topicArn],
    okActions: [topicArn],
    insufficientDataActions: [],
  };
}

/** An alarm's state, as DescribeAlarms shows it. */
export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  /** JSON, as CloudWatch writes it for threshold crossings. */
  readonly reasonData?: string;
  /** Epoch ms of the last state change. */
  readonly updatedAt: number;
}

/** A stored alarm. */
export interface StoredAlarm {
  readonly config: MetricAlarmConfig;
  readonly arn: string;
  /** Epoch ms of the last configuration change. */
  readonly configUpdatedAt: number;
  readonly state: AlarmState;
}

/** One period's statistic: the period's start (epoch ms), its value, and how many samples it had. */
export interface PeriodValue {
  readonly t: number;
  readonly value: number;
  readonly sampleCount: number;
}

/** What an evaluation decides: a state (with its reason), or `null` to keep the current one. */
export type Evaluation = Omit<AlarmState, 'updatedAt'> | null;

/** Reason of a new alarm, before its first evaluation (CloudWatch's wording). */
export const INITIAL_REASON = 'Unchecked: Initial alarm creation';

/**
 * Periods an evaluation looks at: the one in progress and the `evaluationPeriods` before it. CloudWatch
 * retrieves more periods than it evaluates (its "evaluation range") and evaluates the most recent real
 * datapoints in it, so a period whose check has not run yet, or that a late check skipped, does not
 * count as missing while enough real datapoints remain.
 */
export function evaluationRange(
  config: Pick<MetricAlarmConfig, 'evaluationPeriods'>,
  nowMs: number,
  periodMs: number,
): { startMs: number; endMs: number } {
  const current = Math.floor(nowMs / periodMs) * periodMs;
  return { startMs: current - config.evaluationPeriods * periodMs, endMs: current + periodMs };
}

/**
 * The state an alarm should be in, from its metric's values per period in the evaluation range (any
 * order). AWS's rules: with at least N real datapoints, the most recent N are evaluated and missing data
 * is not consulted; with fewer, missing ones are filled as `treatMissingData` says (`missing` and
 * `ignore` leave them out; with none at all, `missing` is INSUFFICIENT_DATA and `ignore` keeps the
 * state). ALARM when at least M (datapointsToAlarm) of the N are breaching, otherwise OK.
 */
export function evaluateAlarm(
  config: MetricAlarmConfig,
  values: readonly PeriodValue[],
  nowMs: number,
  periodMs: number,
): Evaluation {
  const n = config.evaluationPeriods;
  const m = config.datapointsToAlarm;
  const recent = [...values].sort((a, b) => b.t - a.t).slice(0, n);
  const missing = n - recent.length;
  const breaching = recent.filter((v) => breaches(config, v.value)).length;
  const range = evaluationRange(config, nowMs, periodMs);
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: awsTimestamp(nowMs),
    startDate: awsTimestamp(range.startMs),
    statistic: config.statistic,
    period: config.periodSeconds,
    recentDatapoints: recent.map((v) => v.value),
    threshold: config.threshold,
    evaluatedDatapoints: recent.map((v) => ({
      timestamp: awsTimestamp(v.t),
      sampleCount: v.sampleCount,
      value: v.value,
    })),
  });
  if (missing > 0 && recent.length === 0) {
    if (config.treatMissingData === 'ignore') return null;
    if (config.treatMissingData === 'missing') {
      return {
        value: 'INSUFFICIENT_DATA',
        reason: `Insufficient Data: ${n} datapoint${n === 1 ? ' was' : 's were'} unknown.`,
        reasonData,
      };
    }
  }
  const filledBreaching =
    missing > 0 && config.treatMissingData === 'breaching' ? breaching + missing : breaching;
  const value: AlarmStateValue = filledBreaching >= m ? 'ALARM' : 'OK';
  return { value, reason: thresholdReason(config, recent, missing, value), reasonData };
}

/** True when a value is on the alarming side of the threshold. */
export function breaches(
  config: Pick<MetricAlarmConfig, 'comparisonOperator' | 'threshold'>,
  value: number,
): boolean {
  switch (config.comparisonOperator) {
    case 'LessThanThreshold':
      return value < config.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= config.threshold;
    case 'GreaterThanThreshold':
      return value > config.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= config.threshold;
  }
}

const COMPARISON_WORDS: Readonly<Record<AlarmComparison, string>> = {
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
};

const MISSING_WORDS: Readonly<Record<AlarmMissingData, string>> = {
  breaching: 'Breaching',
  notBreaching: 'NonBreaching',
  ignore: 'Ignore',
  missing: 'Missing',
};

/** CloudWatch's "Threshold Crossed: …" reason. */
function thresholdReason(
  config: MetricAlarmConfig,
  recent: readonly PeriodValue[],
  missing: number,
  value: AlarmStateValue,
): string {
  const words = COMPARISON_WORDS[config.comparisonOperator];
  const threshold = javaDouble(config.threshold);
  const filled =
    missing > 0 && (config.treatMissingData === 'breaching' || config.treatMissingData === 'notBreaching')
      ? `${missing} missing datapoint${missing === 1 ? ' was' : 's were'} treated as [${MISSING_WORDS[config.treatMissingData]}]`
      : '';
  if (recent.length === 0) {
    return `Threshold Crossed: no datapoints were received for ${missing} period${missing === 1 ? '' : 's'}${filled === '' ? '' : ` and ${filled}`}.`;
  }
  const list = recent.map((v) => `${javaDouble(v.value)} (${reasonDate(v.t)})`).join(', ');
  const alarming = value === 'ALARM';
  const count = recent.filter((v) => breaches(config, v.value) === alarming).length;
  const verb = count === 1 ? 'was' : 'were';
  const needed = alarming
    ? config.datapointsToAlarm
    : config.evaluationPeriods - config.datapointsToAlarm + 1;
  const transition = alarming ? 'OK -> ALARM' : 'ALARM -> OK';
  return (
    `Threshold Crossed: ${count} out of the last ${recent.length} datapoint${recent.length === 1 ? '' : 's'} [${list}] ` +
    `${verb} ${alarming ? '' : 'not '}${words} the threshold (${threshold})` +
    `${filled === '' ? '' : ` and ${filled}`} (minimum ${needed} datapoint${needed === 1 ? '' : 's'} for ${transition} transition).`
  );
}

/** The actions a transition to `state` runs. */
export function actionsFor(config: MetricAlarmConfig, state: AlarmStateValue): readonly string[] {
  if (!config.actionsEnabled) return [];
  return state === 'ALARM'
    ? config.alarmActions
    : state === 'OK'
      ? config.okActions
      : config.insufficientDataActions;
}

/** Human names of regions, as CloudWatch writes them in notifications. */
const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
};

/** The SNS message (subject and JSON body) CloudWatch publishes when an alarm changes state. */
export function alarmNotification(
  alarm: StoredAlarm,
  oldState: AlarmStateValue,
  context: { readonly region: string; readonly accountId: string },
): { subject: string; message: string } {
  const { config, state } = alarm;
  const region = REGION_NAMES[context.region] ?? context.region;
  const message = {
    AlarmName: config.alarmName,
    AlarmDescription: config.alarmDescription,
    AWSAccountId: context.accountId,
    AlarmConfigurationUpdatedTimestamp: awsTimestamp(alarm.configUpdatedAt),
    NewStateValue: state.value,
    NewStateReason: state.reason,
    StateChangeTime: awsTimestamp(state.updatedAt),
    Region: region,
    AlarmArn: alarm.arn,
    OldStateValue: oldState,
    OKActions: config.okActions,
    AlarmActions: config.alarmActions,
    InsufficientDataActions: config.insufficientDataActions,
    Trigger: {
      MetricName: config.metricName,
      Namespace: config.namespace,
      StatisticType: 'Statistic',
      Statistic: config.statistic.toUpperCase(),
      Unit: null,
      Dimensions: config.dimensions.map((d) => ({ value: d.Value, name: d.Name })),
      Period: config.periodSeconds,
      EvaluationPeriods: config.evaluationPeriods,
      DatapointsToAlarm: config.datapointsToAlarm,
      ComparisonOperator: config.comparisonOperator,
      Threshold: config.threshold,
      // Sic: CloudWatch writes the setting as a padded "- TreatMissingData: <value>" line.
      TreatMissingData: `- TreatMissingData:                    ${config.treatMissingData}`,
      EvaluateLowSampleCountPercentile: '',
    },
  };
  // SNS subjects are at most 100 characters.
  const subject = `${state.value}: "${config.alarmName}" in ${region}`.slice(0, 100);
  return { subject, message: JSON.stringify(message) };
}

/** `2026-11-22T10:05:30.123+0000`, the timestamp format of CloudWatch's alarm JSON. */
export function awsTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `22/11/26 10:05:00`, the datapoint time format of CloudWatch's state reasons (UTC). */
function reasonDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(2, 4)} ${iso.slice(11, 19)}`;
}

/** A number as Java prints a double (CloudWatch's reasons do): `1.0`, `0.5`. */
function javaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
