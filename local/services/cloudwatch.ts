import { jsonService, type JsonOperation } from '../protocol/aws-json';
import { rpcV2CborService } from '../protocol/rpc-v2-cbor';
import { AwsError } from '../protocol/errors';
import type { LocalService, ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import {
  aggregate,
  isSupportedStat,
  parseEmf,
  seriesKey,
  sortDimensions,
  statistic,
  type Datapoint,
  type Dimension,
  type MetricSeries,
} from './cloudwatch-metrics';
import {
  actionsFor,
  alarmNotification,
  evaluateAlarm,
  evaluationRange,
  INITIAL_REASON,
  type AlarmStateValue,
  type MetricAlarmConfig,
  type PeriodValue,
  type StoredAlarm,
} from './cloudwatch-alarms';
import {
  objectList,
  optionalEpochSeconds,
  optionalList,
  optionalNumber,
  optionalObject,
  optionalString,
} from './input';
import { paginate } from './pagination';

/**
 * CloudWatch metrics (awsJson1_0 with awsQuery-compatible errors, `X-Amz-Target:
 * GraniteServiceVersion20100801.<Operation>`, as current SDKs speak it): PutMetricData, GetMetricData
 * (MetricStat queries), ListMetrics, metrics from Lambda logs in Embedded Metric Format, and metric
 * alarms (DescribeAlarms; alarms are made by the local cloud as the stack makes them, and evaluated
 * time-scaled by `evaluateAlarms`). Datapoints and alarms persist.
 */

/** How long datapoints are kept (CloudWatch keeps 1-minute data 15 days). */
const RETENTION_MS = 15 * 24 * 3600 * 1000;
/** Most datapoints kept per series, oldest dropped first (keeps the state file small). */
const MAX_POINTS_PER_SERIES = 20_000;

interface CloudWatchState {
  series: Record<string, MetricSeries>;
  /** EMF lines read per Lambda function. */
  emfLines: Record<string, number>;
  /** Metric alarms by name (absent in state files written before alarms existed). */
  alarms?: Record<string, StoredAlarm>;
}

/** An alarm that changed state in an evaluation, and the notification CloudWatch sends for it. */
export interface AlarmTransition {
  readonly alarmName: string;
  readonly oldState: AlarmStateValue;
  readonly newState: AlarmStateValue;
  /** ARNs of the actions the new state runs (SNS topics here). */
  readonly actions: readonly string[];
  readonly subject: string;
  readonly message: string;
}

/** DescribeAlarms returns at most this many alarms per page (and MaxRecords at most this). */
const MAX_ALARM_RECORDS = 100;

/** CloudWatch's query-protocol codes of the errors this emulator raises. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  InvalidParameterValueException: 'InvalidParameterValue',
  MissingRequiredParameterException: 'MissingParameter',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  InvalidNextToken: 'InvalidNextToken',
};

function invalidValue(value: unknown, parameter: string): AwsError {
  return new AwsError(
    'InvalidParameterValueException',
    `The value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${parameter} is invalid.`,
  );
}

function missing(parameter: string): AwsError {
  return new AwsError('MissingRequiredParameterException', `The parameter ${parameter} is required.`);
}

/** The emulated CloudWatch (metrics). */
export class CloudWatchEmulator {
  /** The awsJson service for the AWS API port (SDK v3). */
  readonly service: LocalService;
  /** The same operations on Smithy RPC v2 CBOR (the AWS CLI). */
  readonly cborService: LocalService;
  private readonly store: JsonStore<CloudWatchState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
  ) {
    this.store = new JsonStore<CloudWatchState>(file, () => ({ series: {}, emfLines: {}, alarms: {} }));
    const operations: Readonly<Record<string, JsonOperation>> = {
      PutMetricData: (i) => this.putMetricData(i),
      GetMetricData: (i) => this.getMetricData(i),
      ListMetrics: (i) => this.listMetrics(i),
      DescribeAlarms: (i) => this.describeAlarms(i),
    };
    this.service = jsonService({
      id: 'CloudWatch',
      targetPrefix: 'GraniteServiceVersion20100801',
      protocol: '1.0',
      ctx,
      queryErrorCodes: QUERY_CODES,
      operations,
    });
    // botocore (the AWS CLI) prefers Smithy RPC v2 CBOR for CloudWatch; both fronts run the same operations.
    this.cborService = rpcV2CborService({
      id: 'CloudWatch',
      serviceName: 'GraniteServiceVersion20100801',
      errorNamespace: 'com.amazonaws.cloudwatch',
      ctx,
      queryErrorCodes: QUERY_CODES,
      timestampMembers: [
        'Timestamps',
        'Timestamp',
        'StateUpdatedTimestamp',
        'StateTransitionedTimestamp',
        'AlarmConfigurationUpdatedTimestamp',
      ],
      operations,
    });
  }

  /** Feeds one log line of a Lambda function; EMF lines become datapoints. Returns how many. */
  ingestLog(functionName: string, line: string): number {
    const data = parseEmf(line, this.ctx.clock.now().getTime());
    if (data.length === 0) return 0;
    this.store.mutate((s) => {
      for (const d of data) {
        addPoint(s, d.namespace, d.metricName, d.dimensions, {
          t: d.timestamp,
          values: d.values,
          ...(d.unit === undefined ? {} : { unit: d.unit }),
        });
      }
      s.emfLines[functionName] = (s.emfLines[functionName] ?? 0) + 1;
    });
    return data.length;
  }

  /**
   * Values of one statistic of a metric per period, newest first (what GetMetricData answers and what an
   * alarm evaluator reads).
   */
  statistics(
    namespace: string,
    metricName: string,
    dimensions: readonly Dimension[],
    stat: string,
    periodSeconds: number,
    startMs: number,
    endMs: number,
    unit?: string,
  ): { timestamps: number[]; values: number[] } {
    const series = this.store.state.series[seriesKey(namespace, metricName, dimensions)];
    return aggregate(series?.points ?? [], stat, periodSeconds, startMs, endMs, unit);
  }

  /**
   * Creates a metric alarm, or updates its configuration keeping its state (as PutMetricAlarm does).
   * The local cloud calls it where the pipeline stack would create the alarm; unchanged, it writes nothing.
   */
  putMetricAlarm(config: MetricAlarmConfig): void {
    const before = this.alarms()[config.alarmName];
    if (before !== undefined && JSON.stringify(before.config) === JSON.stringify(config)) return;
    const now = this.ctx.clock.now().getTime();
    this.store.mutate((s) => {
      s.alarms = {
        ...(s.alarms ?? {}),
        [config.alarmName]: {
          config: { ...config, dimensions: sortDimensions(config.dimensions) },
          arn: `arn:aws:cloudwatch:${this.ctx.region}:${this.ctx.accountId}:alarm:${config.alarmName}`,
          configUpdatedAt: now,
          state: before?.state ?? { value: 'INSUFFICIENT_DATA', reason: INITIAL_REASON, updatedAt: now },
        },
      };
    });
  }

  /**
   * Evaluates every alarm now, as CloudWatch does each minute, with each alarm's period time-scaled by
   * the clock (rate(5 minutes) at 0.01 is a 3 s period). Returns the alarms that changed state with the
   * notification their actions get; publishing it is the caller's (the data plane's SNS).
   */
  evaluateAlarms(): AlarmTransition[] {
    const now = this.ctx.clock.now().getTime();
    const transitions: AlarmTransition[] = [];
    for (const alarm of Object.values(this.alarms())) {
      const { config } = alarm;
      const periodMs = Math.max(1, this.ctx.clock.scaledMs(config.periodSeconds));
      const { startMs, endMs } = evaluationRange(config, now, periodMs);
      const series =
        this.store.state.series[seriesKey(config.namespace, config.metricName, config.dimensions)];
      const evaluation = evaluateAlarm(
        config,
        periodValues(series?.points ?? [], config.statistic, periodMs, startMs, endMs),
        now,
        periodMs,
      );
      if (evaluation === null || evaluation.value === alarm.state.value) continue;
      const updated: StoredAlarm = { ...alarm, state: { ...evaluation, updatedAt: now } };
      this.store.mutate((s) => {
        s.alarms = { ...(s.alarms ?? {}), [config.alarmName]: updated };
      });
      transitions.push({
        alarmName: config.alarmName,
        oldState: alarm.state.value,
        newState: updated.state.value,
        actions: actionsFor(config, updated.state.value),
        ...alarmNotification(updated, alarm.state.value, this.ctx),
      });
    }
    return transitions;
  }

  private alarms(): Readonly<Record<string, StoredAlarm>> {
    return this.store.state.alarms ?? {};
  }

  private describeAlarms(input: Readonly<Record<string, unknown>>): unknown {
    const names = optionalList(input, 'AlarmNames');
    const prefix = optionalString(input, 'AlarmNamePrefix');
    if (names !== undefined && prefix !== undefined) {
      throw new AwsError(
        'InvalidParameterCombinationException',
        'AlarmNamePrefix and AlarmNames cannot be specified together.',
      );
    }
    const state = optionalString(input, 'StateValue');
    if (state !== undefined && !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state))
      throw invalidValue(state, 'StateValue');
    const actionPrefix = optionalString(input, 'ActionPrefix');
    const types = optionalList(input, 'AlarmTypes');
    const maxRecords = optionalNumber(input, 'MaxRecords') ?? 50;
    if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > MAX_ALARM_RECORDS)
      throw invalidValue(maxRecords, 'MaxRecords');
    const wantMetricAlarms = types === undefined || types.includes('MetricAlarm');
    const matching = Object.values(this.alarms())
      .filter(
        (a) =>
          wantMetricAlarms &&
          (names === undefined || names.includes(a.config.alarmName)) &&
          (prefix === undefined || a.config.alarmName.startsWith(prefix)) &&
          (state === undefined || a.state.value === state) &&
          (actionPrefix === undefined ||
            [...a.config.alarmActions, ...a.config.okActions, ...a.config.insufficientDataActions].some(
              (arn) => arn.startsWith(actionPrefix),
            )),
      )
      .sort((a, b) => (a.config.alarmName < b.config.alarmName ? -1 : 1));
    const page = paginate(
      matching,
      maxRecords,
      optionalString(input, 'NextToken'),
      JSON.stringify([names, prefix, state, actionPrefix, types]),
      () => new AwsError('InvalidNextToken', 'The service returned an invalid token.'),
    );
    return {
      MetricAlarms: page.items.map((a) => ({
        AlarmName: a.config.alarmName,
        AlarmArn: a.arn,
        AlarmDescription: a.config.alarmDescription,
        AlarmConfigurationUpdatedTimestamp: a.configUpdatedAt / 1000,
        ActionsEnabled: a.config.actionsEnabled,
        OKActions: a.config.okActions,
        AlarmActions: a.config.alarmActions,
        InsufficientDataActions: a.config.insufficientDataActions,
        StateValue: a.state.value,
        StateReason: a.state.reason,
        ...(a.state.reasonData === undefined ? {} : { StateReasonData: a.state.reasonData }),
        StateUpdatedTimestamp: a.state.updatedAt / 1000,
        StateTransitionedTimestamp: a.state.updatedAt / 1000,
        MetricName: a.config.metricName,
        Namespace: a.config.namespace,
        Statistic: a.config.statistic,
        Dimensions: a.config.dimensions,
        Period: a.config.periodSeconds,
        EvaluationPeriods: a.config.evaluationPeriods,
        DatapointsToAlarm: a.config.datapointsToAlarm,
        Threshold: a.config.threshold,
        ComparisonOperator: a.config.comparisonOperator,
        TreatMissingData: a.config.treatMissingData,
      })),
      CompositeAlarms: [],
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  private putMetricData(input: Readonly<Record<string, unknown>>): unknown {
    const namespace = optionalString(input, 'Namespace');
    if (namespace === undefined) throw missing('Namespace');
    if (namespace.startsWith('AWS/') || namespace === '' || namespace.length > 255)
      throw invalidValue(namespace, 'Namespace');
    const data = objectList(input, 'MetricData');
    if (data.length === 0) throw missing('MetricData');
    if (data.length > 1000) throw invalidValue(data.length, 'MetricData');
    const now = this.ctx.clock.now().getTime();
    const points = data.map((d, i) => {
      const at = `MetricData.member.${i + 1}`;
      const metricName = optionalString(d, 'MetricName');
      if (metricName === undefined) throw missing(`${at}.MetricName`);
      const dimensions = objectList(d, 'Dimensions').map((dim) => ({
        Name: optionalString(dim, 'Name') ?? '',
        Value: optionalString(dim, 'Value') ?? '',
      }));
      if (dimensions.length > 30) throw invalidValue(dimensions.length, `${at}.Dimensions`);
      const value = optionalNumber(d, 'Value');
      const values = (optionalList(d, 'Values') ?? []).filter((v): v is number => typeof v === 'number');
      const counts = (optionalList(d, 'Counts') ?? []).filter((v): v is number => typeof v === 'number');
      const statValues = optionalObject(d, 'StatisticValues');
      const given = [value !== undefined, values.length > 0, statValues !== undefined].filter(Boolean).length;
      if (given !== 1) {
        throw new AwsError(
          'InvalidParameterCombinationException',
          `The parameters ${at}.Value, ${at}.Values and ${at}.StatisticValues are mutually exclusive and you must specify one of them.`,
        );
      }
      if (counts.length > 0 && counts.length !== values.length) {
        throw new AwsError(
          'InvalidParameterValueException',
          `The parameters ${at}.Values and ${at}.Counts must be of the same size.`,
        );
      }
      const unit = optionalString(d, 'Unit');
      const point: Datapoint = {
        t: optionalEpochSeconds(d, 'Timestamp') ?? now,
        ...(value !== undefined ? { values: [value] } : {}),
        ...(values.length > 0 ? { values } : {}),
        ...(counts.length > 0 ? { counts } : {}),
        ...(statValues === undefined
          ? {}
          : {
              stats: {
                sampleCount: optionalNumber(statValues, 'SampleCount') ?? 0,
                sum: optionalNumber(statValues, 'Sum') ?? 0,
                min: optionalNumber(statValues, 'Minimum') ?? 0,
                max: optionalNumber(statValues, 'Maximum') ?? 0,
              },
            }),
        ...(unit === undefined ? {} : { unit }),
      };
      return { metricName, dimensions, point };
    });
    this.store.mutate((s) => {
      for (const p of points) addPoint(s, namespace, p.metricName, p.dimensions, p.point);
    });
    return {};
  }

  private getMetricData(input: Readonly<Record<string, unknown>>): unknown {
    const start = optionalEpochSeconds(input, 'StartTime');
    const end = optionalEpochSeconds(input, 'EndTime');
    if (start === undefined) throw missing('StartTime');
    if (end === undefined) throw missing('EndTime');
    if (start >= end) {
      throw new AwsError(
        'ValidationError',
        'The parameter StartTime must be less than the parameter EndTime.',
      );
    }
    const queries = objectList(input, 'MetricDataQueries');
    if (queries.length === 0) throw missing('MetricDataQueries');
    if (queries.length > 500) throw invalidValue(queries.length, 'MetricDataQueries');
    const ascending = optionalString(input, 'ScanBy') === 'TimestampAscending';
    const maxDatapoints = optionalNumber(input, 'MaxDatapoints') ?? 100_800;
    const ids = new Set<string>();
    const results = queries.flatMap((q, i) => {
      const at = `MetricDataQueries.member.${i + 1}`;
      const id = optionalString(q, 'Id');
      if (id === undefined) throw missing(`${at}.Id`);
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw invalidValue(id, `${at}.Id`);
      if (ids.has(id))
        throw new AwsError(
          'ValidationError',
          `The value ${id} for field MetricDataQueries.Id is not unique.`,
        );
      ids.add(id);
      if (optionalString(q, 'Expression') !== undefined) {
        throw new AwsError(
          'InvalidParameterValueException',
          `The local cloud does not evaluate metric math (${at}.Expression); use MetricStat queries (see local/SUPPORT.md).`,
        );
      }
      const stat = optionalObject(q, 'MetricStat');
      if (stat === undefined) throw missing(`${at}.MetricStat`);
      const metric = optionalObject(stat, 'Metric');
      const namespace = metric === undefined ? undefined : optionalString(metric, 'Namespace');
      const metricName = metric === undefined ? undefined : optionalString(metric, 'MetricName');
      if (metric === undefined || namespace === undefined || metricName === undefined) {
        throw missing(`${at}.MetricStat.Metric.${namespace === undefined ? 'Namespace' : 'MetricName'}`);
      }
      const period = optionalNumber(stat, 'Period');
      if (period === undefined) throw missing(`${at}.MetricStat.Period`);
      if (!(period > 0 && (period % 60 === 0 || [1, 5, 10, 20, 30].includes(period)))) {
        throw invalidValue(period, `${at}.MetricStat.Period`);
      }
      const statistic = optionalString(stat, 'Stat') ?? '';
      if (!isSupportedStat(statistic)) throw invalidValue(statistic, `${at}.MetricStat.Stat`);
      const dimensions = objectList(metric, 'Dimensions').map((d) => ({
        Name: optionalString(d, 'Name') ?? '',
        Value: optionalString(d, 'Value') ?? '',
      }));
      const { timestamps, values } = this.statistics(
        namespace,
        metricName,
        dimensions,
        statistic,
        period,
        start,
        end,
        optionalString(stat, 'Unit'),
      );
      if (ascending) {
        timestamps.reverse();
        values.reverse();
      }
      const partial = timestamps.length > maxDatapoints;
      if (q.ReturnData === false) return [];
      return [
        {
          Id: id,
          Label: optionalString(q, 'Label') ?? metricName,
          Timestamps: timestamps.slice(0, maxDatapoints).map((t) => t / 1000),
          Values: values.slice(0, maxDatapoints),
          StatusCode: partial ? 'PartialData' : 'Complete',
          Messages: [],
        },
      ];
    });
    return { MetricDataResults: results, Messages: [] };
  }

  private listMetrics(input: Readonly<Record<string, unknown>>): unknown {
    const namespace = optionalString(input, 'Namespace');
    const metricName = optionalString(input, 'MetricName');
    const filters = objectList(input, 'Dimensions').map((d) => ({
      name: optionalString(d, 'Name') ?? '',
      value: optionalString(d, 'Value'),
    }));
    const matching = Object.values(this.store.state.series)
      .filter(
        (s) =>
          (namespace === undefined || s.namespace === namespace) &&
          (metricName === undefined || s.metricName === metricName) &&
          filters.every((f) =>
            s.dimensions.some((d) => d.Name === f.name && (f.value === undefined || d.Value === f.value)),
          ),
      )
      .sort((a, b) =>
        seriesKey(a.namespace, a.metricName, a.dimensions).localeCompare(
          seriesKey(b.namespace, b.metricName, b.dimensions),
        ),
      );
    const page = paginate(
      matching,
      500,
      optionalString(input, 'NextToken'),
      JSON.stringify([namespace, metricName, filters]),
      () => new AwsError('InvalidNextToken', 'The service returned an invalid token.'),
    );
    return {
      Metrics: page.items.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: s.dimensions,
      })),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  /** How many metrics and datapoints exist, and EMF lines read per function. */
  inventory(): Record<string, unknown> {
    const series = Object.values(this.store.state.series);
    return {
      metrics: series.map((s) => ({
        namespace: s.namespace,
        metricName: s.metricName,
        dimensions: s.dimensions,
        datapoints: s.points.length,
      })),
      emfLines: { ...this.store.state.emfLines },
      alarms: Object.values(this.alarms()).map((a) => ({
        alarmName: a.config.alarmName,
        state: a.state.value,
        reason: a.state.reason,
        updatedAt: new Date(a.state.updatedAt).toISOString(),
      })),
    };
  }

  /** Empties the store. */
  reset(): void {
    this.store.reset();
  }
}

/** The statistic of each period (of `periodMs`, aligned) in [startMs, endMs) that has data. */
function periodValues(
  points: readonly Datapoint[],
  stat: string,
  periodMs: number,
  startMs: number,
  endMs: number,
): PeriodValue[] {
  const buckets = new Map<number, Datapoint[]>();
  for (const p of points) {
    if (p.t < startMs || p.t >= endMs) continue;
    const t = Math.floor(p.t / periodMs) * periodMs;
    buckets.set(t, [...(buckets.get(t) ?? []), p]);
  }
  return [...buckets].flatMap(([t, inPeriod]) => {
    const value = statistic(inPeriod, stat);
    return value === undefined ? [] : [{ t, value, sampleCount: statistic(inPeriod, 'SampleCount') ?? 0 }];
  });
}

function addPoint(
  state: CloudWatchState,
  namespace: string,
  metricName: string,
  dimensions: readonly Dimension[],
  point: Datapoint,
): void {
  const key = seriesKey(namespace, metricName, dimensions);
  const before = state.series[key];
  const cutoff = point.t - RETENTION_MS;
  const kept = (before?.points ?? []).filter((p) => p.t >= cutoff);
  const last = kept[kept.length - 1];
  kept.push(point);
  // Points mostly arrive in time order; sort only when one does not.
  if (last !== undefined && last.t > point.t) kept.sort((a, b) => a.t - b.t);
  const points = kept.slice(-MAX_POINTS_PER_SERIES);
  state.series[key] = { namespace, metricName, dimensions: sortDimensions(dimensions), points };
}
