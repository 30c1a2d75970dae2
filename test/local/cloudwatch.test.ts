import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { aggregate, parseEmf, statistic } from '../../local/services/cloudwatch-metrics';
import { startDataPlane, tempDir, type DataPlaneHarness } from './data-plane-harness';
import { awsCli } from './support/aws-cli';

let h: DataPlaneHarness;
let cw: CloudWatchClient;

beforeEach(async () => {
  h = await startDataPlane();
  cw = new CloudWatchClient(h.client);
});

afterEach(async () => {
  cw.destroy();
  await h.stop();
});

/** An EMF line as Powertools Metrics writes it. */
function emfLine(at: number, values: Record<string, number | number[]>, service = 'hf-rollout'): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        {
          Namespace: 'HfRollout',
          Dimensions: [['service']],
          Metrics: Object.keys(values).map((Name) => ({
            Name,
            Unit: Name === 'LatencyMs' ? 'Milliseconds' : 'Count',
          })),
        },
      ],
    },
    service,
    ...values,
  });
}

function query(metricName: string, stat: string, start: Date, end: Date, period = 60) {
  return new GetMetricDataCommand({
    StartTime: start,
    EndTime: end,
    MetricDataQueries: [
      {
        Id: 'q',
        MetricStat: {
          Metric: {
            Namespace: 'HfRollout',
            MetricName: metricName,
            Dimensions: [{ Name: 'service', Value: 'hf-rollout' }],
          },
          Period: period,
          Stat: stat,
        },
      },
    ],
  });
}

describe('CloudWatch metrics from Embedded Metric Format logs', () => {
  it('turns EMF lines of a function into datapoints GetMetricData aggregates, newest first', async () => {
    const minute = 60_000;
    // Aligned to 5 minutes, so the 300 s periods below hold both minutes' datapoints whatever the time.
    const base = Math.floor(Date.now() / (5 * minute)) * 5 * minute - 10 * minute;
    h.plane.ingestLog('hf-rollout-proxy', emfLine(base + 1000, { Invocations: 1, LatencyMs: 120 }));
    h.plane.ingestLog('hf-rollout-proxy', emfLine(base + 2000, { Invocations: 1, LatencyMs: [80, 400] }));
    h.plane.ingestLog('hf-rollout-proxy', emfLine(base + minute + 5, { Invocations: 1, LatencyMs: 50 }));
    h.plane.ingestLog('hf-rollout-proxy', 'START RequestId: 1 Version: $LATEST');
    h.plane.ingestLog('hf-rollout-proxy', '{"level":"INFO","message":"not a metric"}');

    const start = new Date(base - minute);
    const end = new Date(base + 5 * minute);
    const sum = await cw.send(query('Invocations', 'Sum', start, end));
    expect(sum.MetricDataResults).toEqual([
      {
        Id: 'q',
        Label: 'Invocations',
        Timestamps: [new Date(base + minute), new Date(base)],
        Values: [1, 2],
        StatusCode: 'Complete',
        Messages: [],
      },
    ]);
    const max = await cw.send(query('LatencyMs', 'Maximum', start, end));
    expect(max.MetricDataResults?.[0]?.Values).toEqual([50, 400]);
    const average = await cw.send(query('LatencyMs', 'Average', start, end, 300));
    expect(average.MetricDataResults?.[0]?.Values).toEqual([(120 + 80 + 400 + 50) / 4]);
    const p99 = await cw.send(query('LatencyMs', 'p99', start, end, 300));
    expect(p99.MetricDataResults?.[0]?.Values).toEqual([400]);
    const count = await cw.send(query('LatencyMs', 'SampleCount', start, end, 300));
    expect(count.MetricDataResults?.[0]?.Values).toEqual([4]);

    const inventory = h.plane.inventory() as { cloudwatch: { emfLines: Record<string, number> } };
    expect(inventory.cloudwatch.emfLines).toEqual({ 'hf-rollout-proxy': 3 });
  });

  it('reads EMF after a log prefix and skips dimension sets with missing values', () => {
    const line = `2024-01-01T00:00:00.000Z\tabc\tINFO\t${emfLine(1000, { Errors: 2 })}`;
    expect(parseEmf(line)).toEqual([
      {
        namespace: 'HfRollout',
        metricName: 'Errors',
        dimensions: [{ Name: 'service', Value: 'hf-rollout' }],
        unit: 'Count',
        timestamp: 1000,
        values: [2],
      },
    ]);
    const noDimensionValue = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['missing']], Metrics: [{ Name: 'M' }] }],
      },
      M: 1,
    });
    expect(parseEmf(noDimensionValue)).toEqual([]);
  });
});

describe('CloudWatch PutMetricData, GetMetricData and ListMetrics', () => {
  it('stores PutMetricData (also gzip-compressed large batches) and lists the metrics', async () => {
    const now = new Date();
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'HfRollout',
        MetricData: [
          {
            MetricName: 'Healthy',
            Value: 1,
            Unit: 'Count',
            Dimensions: [{ Name: 'service', Value: 'hf-rollout' }],
            Timestamp: now,
          },
        ],
      }),
    );
    // Large enough for the SDK to gzip it (request compression starts at 10 KB).
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Bulk',
        MetricData: Array.from({ length: 300 }, (_, i) => ({
          MetricName: `Metric${i}`,
          Value: i,
          Timestamp: now,
        })),
      }),
    );
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'HfRollout' }));
    expect(listed.Metrics).toEqual([
      {
        Namespace: 'HfRollout',
        MetricName: 'Healthy',
        Dimensions: [{ Name: 'service', Value: 'hf-rollout' }],
      },
    ]);
    const bulk = await cw.send(new ListMetricsCommand({ Namespace: 'Bulk' }));
    expect(bulk.Metrics).toHaveLength(300);
    const healthy = await cw.send(
      query('Healthy', 'Sum', new Date(now.getTime() - 120_000), new Date(now.getTime() + 60_000)),
    );
    expect(healthy.MetricDataResults?.[0]?.Values).toEqual([1]);
  });

  it('refuses an unsupported statistic and an AWS/ namespace as CloudWatch does', async () => {
    await expect(cw.send(query('X', 'Median', new Date(0), new Date()))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is invalid.',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      cw.send(
        new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'x', Value: 1 }] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  it('keeps datapoints across a restart on the same data folder', async () => {
    const tmp = tempDir();
    try {
      await h.stop();
      cw.destroy();
      h = await startDataPlane({ dataDir: tmp.dir });
      const at = Date.now() - 30_000;
      h.plane.ingestLog('fn', emfLine(at, { Invocations: 3 }));
      await h.stop();
      h = await startDataPlane({ dataDir: tmp.dir });
      cw = new CloudWatchClient(h.client);
      const out = await cw.send(query('Invocations', 'Sum', new Date(at - 120_000), new Date(at + 120_000)));
      expect(out.MetricDataResults?.[0]?.Values).toEqual([3]);
    } finally {
      tmp.remove();
    }
  });
});

describe('the AWS CLI against CloudWatch (Smithy RPC v2 CBOR)', () => {
  it('lists metrics and reads datapoints with `aws cloudwatch`', async () => {
    const minute = 60_000;
    const at = Math.floor(Date.now() / minute) * minute - 5 * minute;
    h.plane.ingestLog('fn', emfLine(at + 1000, { Invocations: 2 }));
    h.plane.ingestLog('fn', emfLine(at + 2000, { Invocations: 3 }));
    const aws = (...args: string[]): Promise<unknown> => awsCli(h.endpoint, args);
    await expect(aws('cloudwatch', 'list-metrics', '--namespace', 'HfRollout')).resolves.toEqual({
      Metrics: [
        {
          Namespace: 'HfRollout',
          MetricName: 'Invocations',
          Dimensions: [{ Name: 'service', Value: 'hf-rollout' }],
        },
      ],
    });
    const data = (await aws(
      'cloudwatch',
      'get-metric-data',
      '--start-time',
      new Date(at - minute).toISOString(),
      '--end-time',
      new Date(at + 2 * minute).toISOString(),
      '--metric-data-queries',
      JSON.stringify([
        {
          Id: 'q',
          MetricStat: {
            Metric: {
              Namespace: 'HfRollout',
              MetricName: 'Invocations',
              Dimensions: [{ Name: 'service', Value: 'hf-rollout' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ]),
    )) as {
      MetricDataResults: {
        Id: string;
        Values: number[];
        Timestamps: (number | string)[];
        StatusCode: string;
      }[];
    };
    expect(data.MetricDataResults).toEqual([
      expect.objectContaining({ Id: 'q', Values: [5], StatusCode: 'Complete' }),
    ]);
    // AWS CLI v1 prints timestamps as received (cli_timestamp_format "none"): epoch seconds here.
    const stamp = data.MetricDataResults[0]?.Timestamps[0];
    expect(typeof stamp === 'number' ? stamp * 1000 : new Date(stamp ?? '').getTime()).toBe(at);
  });
});

describe('CloudWatch statistics', () => {
  it('computes statistics over raw values with counts and over statistic sets', () => {
    const points = [
      { t: 0, values: [1, 3], counts: [2, 1] },
      { t: 1, stats: { sampleCount: 2, sum: 10, min: 4, max: 6 } },
    ];
    expect(statistic(points, 'SampleCount')).toBe(5);
    expect(statistic(points, 'Sum')).toBe(15);
    expect(statistic(points, 'Average')).toBe(3);
    expect(statistic(points, 'Minimum')).toBe(1);
    expect(statistic(points, 'Maximum')).toBe(6);
    expect(statistic(points, 'p50')).toBe(1);
    expect(statistic([], 'Sum')).toBeUndefined();
  });

  it('aggregates into aligned periods within [start, end)', () => {
    const points = [
      { t: 59_999, values: [1] },
      { t: 60_000, values: [2] },
      { t: 120_000, values: [4] },
    ];
    expect(aggregate(points, 'Sum', 60, 0, 120_000)).toEqual({ timestamps: [60_000, 0], values: [2, 1] });
  });
});
