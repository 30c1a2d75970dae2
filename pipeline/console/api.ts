import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand, type Parameter } from '@aws-sdk/client-ssm';
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import {
  executionArnOf,
  getRollout,
  listRollouts,
  proxyLiveLookup,
  resolveServed,
  type RolloutDetail,
  type RolloutSummary,
} from '../history';
import { healthAlarmName, HEALTH_METRIC_NAMES } from '../health-schedule';
import { parseLivePointer } from '../../lambdas/shared/live-pointer';
import { parseHealth } from '../../lambdas/shared/health-parameter';
import type { HealthRecord } from '../../lambdas/shared/health-types';
import type { LiveTarget } from '../../lambdas/shared/types';
import type { Target } from '../target';

/**
 * What the console shows, read only through AWS APIs (Step Functions, SSM, CloudWatch), so it works
 * against the local cloud and a deployed stack alike.
 */

/** A service's health alarm, as CloudWatch describes it. */
export interface AlarmSummary {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
  readonly updatedAt: string | null;
}

/** One service on the overview: what is live, since when, its last health result and its alarm. */
export interface ServiceOverview {
  readonly service: string;
  readonly publicUrl: string | null;
  /**
   * The deployment the proxy really serves (its ENDPOINT_NAME, else the pointer's current: the same
   * resolveLive as every reconcile), not the raw pointer; null when nothing serves or no record knows it.
   */
  readonly live: LiveTarget | null;
  /** The endpoint the proxy calls (set even when no record describes it). */
  readonly servedEndpoint: string | null;
  /** Where the live pointer disagrees with what serves (repaired by the next rollout or health check). */
  readonly findings: readonly string[];
  readonly previous: readonly LiveTarget[];
  readonly health: HealthRecord | null;
  /** null when the service has no alarm (not deployed with one) or CloudWatch could not be read. */
  readonly alarm: AlarmSummary | null;
}

/** A history row: the summary without the Deployment record (the rollout's page has it). */
export type RolloutRow = Omit<RolloutSummary, 'record'> & {
  /** Smoke tests passed / run, from the record. */
  readonly smoke: { readonly passed: number; readonly total: number } | null;
};

/** A page of history rows, newest first. */
export interface RolloutRowsPage {
  readonly rollouts: readonly RolloutRow[];
  readonly nextToken?: string;
}

/** Health of a service over time (from the HealthCheckSuccess and HealthCheckLatency metrics). */
export interface HealthSeries {
  readonly service: string;
  readonly periodSeconds: number;
  /** Oldest first. success is the share of passed checks in the period (0..1). */
  readonly points: readonly {
    readonly t: string;
    readonly success: number | null;
    readonly latencyMs: number | null;
  }[];
}

/** Lists every service that has a registration, with its live pointer, health record and alarm. */
export async function listServices(target: Target): Promise<ServiceOverview[]> {
  const [params, alarms] = await Promise.all([parametersOf(target), alarmsOf(target)]);
  const byService = new Map<string, Record<string, string>>();
  const name = new RegExp(`^/${target.prefix}/([^/]+)/(service|live|health)$`);
  for (const p of params) {
    const match = name.exec(p.Name ?? '');
    if (match?.[1] === undefined || match[2] === undefined || p.Value === undefined) continue;
    const entry = byService.get(match[1]) ?? {};
    entry[match[2]] = p.Value;
    byService.set(match[1], entry);
  }
  const entries = [...byService.entries()]
    .filter(([, e]) => e.service !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  const served = await Promise.all(
    entries.map(([service]) => resolveServed(target.clients, target.prefix, service).catch(() => null)),
  );
  return entries.map(([service, e], i) => {
    const resolution = served[i] ?? null;
    // The proxy unreadable: the stored pointer is all there is to show.
    const pointer =
      resolution === null
        ? e.live === undefined
          ? null
          : safe(() => parseLivePointer(e.live ?? '', service))
        : resolution.pointer;
    const alarm = alarms?.get(healthAlarmName(target.prefix, service));
    return {
      service,
      publicUrl: safe(() => (JSON.parse(e.service ?? '{}') as { publicUrl?: string }).publicUrl ?? null),
      live: resolution === null ? (pointer?.current ?? null) : resolution.live,
      servedEndpoint:
        resolution === null ? (pointer?.current.endpointName ?? null) : resolution.servedEndpoint,
      findings: resolution === null ? [] : resolution.repairs.map((r) => `${r.finding}`),
      previous: pointer?.previous ?? [],
      health: e.health === undefined ? null : safe(() => parseHealth(e.health ?? '', service)),
      alarm:
        alarm === undefined
          ? null
          : {
              name: alarm.AlarmName ?? '',
              state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
              reason: alarm.StateReason ?? '',
              updatedAt: alarm.StateUpdatedTimestamp?.toISOString() ?? null,
            },
    };
  });
}

async function parametersOf(target: Target): Promise<Parameter[]> {
  const params: Parameter[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.clients.ssm.send(
      new GetParametersByPathCommand({
        Path: `/${target.prefix}/`,
        Recursive: true,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    params.push(...(page.Parameters ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return params;
}

/**
 * The project's alarms by name; null when CloudWatch cannot be read (e.g. a console user without
 * cloudwatch:DescribeAlarms): the overview then shows no alarm rather than failing.
 */
async function alarmsOf(target: Target): Promise<Map<string, MetricAlarm> | null> {
  const alarms = new Map<string, MetricAlarm>();
  try {
    let nextToken: string | undefined;
    do {
      const page = await target.clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: `${target.prefix}-`,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const a of page.MetricAlarms ?? []) if (a.AlarmName !== undefined) alarms.set(a.AlarmName, a);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } catch {
    return null;
  }
  return alarms;
}

/** A page of rollouts, as rows (no Deployment records: a page of them weighs hundreds of KB). */
export async function rolloutsPage(
  target: Target,
  query: { service?: string; status?: ExecutionStatus; nextToken?: string; pageSize?: number },
): Promise<RolloutRowsPage> {
  const page = await listRollouts(target.clients.sfn, target.rolloutStateMachineArn, {
    ...query,
    live: proxyLiveLookup(target.clients, target.prefix),
  });
  const rollouts = page.rollouts.map(({ record, ...row }): RolloutRow => ({
    ...row,
    smoke:
      record === null || record.smoke.length === 0
        ? null
        : { passed: record.smoke.filter((s) => s.passed).length, total: record.smoke.length },
  }));
  return page.nextToken === undefined ? { rollouts } : { rollouts, nextToken: page.nextToken };
}

/**
 * One rollout with its timeline. Each step's input and output (the whole rollout state, at every poll of
 * the endpoint) are left out: the page shows the execution's input and Deployment record instead, and a
 * long rollout's states would weigh megabytes at every refresh.
 */
export async function rolloutDetail(target: Target, rolloutId: string): Promise<RolloutDetail> {
  const detail = await getRollout(
    target.clients.sfn,
    executionArnOf(target.rolloutStateMachineArn, rolloutId),
    { live: proxyLiveLookup(target.clients, target.prefix) },
  );
  return { ...detail, steps: detail.steps.map((s) => ({ ...s, input: undefined, output: undefined })) };
}

/**
 * CloudWatch periods the chart may use: under a minute needs high-resolution metrics, which Record
 * Health publishes (a time-scaled local cloud checks every few seconds); then whole minutes.
 */
const PERIODS = [1, 5, 10, 30, 60, 300, 900, 3600];

/** Health over the last `minutes`, at about 120 points or fewer. */
export async function healthSeries(target: Target, service: string, minutes: number): Promise<HealthSeries> {
  const end = new Date();
  const start = new Date(end.getTime() - minutes * 60_000);
  const periodSeconds = PERIODS.find((p) => p >= (minutes * 60) / 120) ?? 3600;
  const metric = (name: string) => ({
    Namespace: 'HfRollout',
    MetricName: name,
    Dimensions: [{ Name: 'Service', Value: service }],
  });
  const out = await target.clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: start,
      EndTime: end,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'success',
          MetricStat: { Metric: metric(HEALTH_METRIC_NAMES.success), Period: periodSeconds, Stat: 'Average' },
        },
        {
          Id: 'latency',
          MetricStat: { Metric: metric(HEALTH_METRIC_NAMES.latency), Period: periodSeconds, Stat: 'Average' },
        },
      ],
    }),
  );
  const results = out.MetricDataResults ?? [];
  const success = seriesOf(results.find((r) => r.Id === 'success'));
  const latency = seriesOf(results.find((r) => r.Id === 'latency'));
  const times = [...new Set([...success.keys(), ...latency.keys()])].sort();
  return {
    service,
    periodSeconds,
    points: times.map((t) => ({ t, success: success.get(t) ?? null, latencyMs: latency.get(t) ?? null })),
  };
}

function seriesOf(result: MetricDataResult | undefined): Map<string, number> {
  const map = new Map<string, number>();
  (result?.Timestamps ?? []).forEach((ts, i) => {
    const v = result?.Values?.[i];
    if (v !== undefined) map.set(new Date(ts).toISOString(), v);
  });
  return map;
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}
