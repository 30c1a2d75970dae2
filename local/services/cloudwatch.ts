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
  type Datapoint,
  type Dimension,
  type MetricSeries,
} from './cloudwatch-metrics';
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
 * (MetricStat queries), ListMetrics, and metrics from Lambda logs in Embedded Metric Format. Datapoints
 * persist; alarms are not emulated yet (the state keeps series by key so an evaluator can read them).
 */

/** How long datapoints are kept (CloudWatch keeps 1-minute data 15 days). */
const RETENTION_MS = 15 * 24 * 3600 * 1000;
/** Most datapoints kept per series, oldest dropped first (keeps the state file small). */
const MAX_POINTS_PER_SERIES = 20_000;

interface CloudWatchState {
  series: Record<string, MetricSeries>;
  /** EMF lines read per Lambda function. */
  emfLines: Record<string, number>;
}

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
    this.store = new JsonStore<CloudWatchState>(file, () => ({ series: {}, emfLines: {} }));
    const operations: Readonly<Record<string, JsonOperation>> = {
      PutMetricData: (i) => this.putMetricData(i),
      GetMetricData: (i) => this.getMetricData(i),
      ListMetrics: (i) => this.listMetrics(i),
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
      timestampMembers: ['Timestamps', 'Timestamp'],
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
    };
  }

  /** Empties the store. */
  reset(): void {
    this.store.reset();
  }
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
