import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand, type Parameter } from '@aws-sdk/client-ssm';
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import { executionArnOf, getRollout, listRollouts, type RolloutDetail, type RolloutPage } from '../history';
import { parseLivePointer } from '../../lambdas/shared/live-pointer';
import { parseHealth } from '../../lambdas/shared/health-parameter';
import type { HealthRecord } from '../../lambdas/shared/health-types';
import type { LiveTarget } from '../../lambdas/shared/types';
import type { Target } from '../target';

/**
 * What the console shows, read only through AWS APIs (Step Functions, SSM, CloudWatch), so it works
 * against the local cloud and a deployed stack alike.
 */

/** One service on the overview: what is live, since when, and its last health result. */
export interface ServiceOverview {
  readonly service: string;
  readonly publicUrl: string | null;
  readonly live: LiveTarget | null;
  readonly previous: readonly LiveTarget[];
  readonly health: HealthRecord | null;
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

/** Lists every service that has a registration, with its live pointer and health record. */
export async function listServices(target: Target): Promise<ServiceOverview[]> {
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
  const byService = new Map<string, Record<string, string>>();
  for (const p of params) {
    const match = new RegExp(`^/${target.prefix}/([^/]+)/(service|live|health)$`).exec(p.Name ?? '');
    if (match?.[1] === undefined || match[2] === undefined || p.Value === undefined) continue;
    const entry = byService.get(match[1]) ?? {};
    entry[match[2]] = p.Value;
    byService.set(match[1], entry);
  }
  return [...byService.entries()]
    .filter(([, e]) => e.service !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, e]) => {
      const pointer = e.live === undefined ? null : safe(() => parseLivePointer(e.live ?? '', service));
      return {
        service,
        publicUrl: safe(() => (JSON.parse(e.service ?? '{}') as { publicUrl?: string }).publicUrl ?? null),
        live: pointer?.current ?? null,
        previous: pointer?.previous ?? [],
        health: e.health === undefined ? null : safe(() => parseHealth(e.health ?? '', service)),
      };
    });
}

/** A page of rollouts. */
export function rolloutsPage(
  target: Target,
  query: { service?: string; status?: ExecutionStatus; nextToken?: string; pageSize?: number },
): Promise<RolloutPage> {
  return listRollouts(target.clients.sfn, target.rolloutStateMachineArn, query);
}

/** One rollout with its timeline. */
export function rolloutDetail(target: Target, rolloutId: string): Promise<RolloutDetail> {
  return getRollout(target.clients.sfn, executionArnOf(target.rolloutStateMachineArn, rolloutId));
}

/** CloudWatch periods allowed for high-resolution metrics, then whole minutes. */
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
          MetricStat: { Metric: metric('HealthCheckSuccess'), Period: periodSeconds, Stat: 'Average' },
        },
        {
          Id: 'latency',
          MetricStat: { Metric: metric('HealthCheckLatency'), Period: periodSeconds, Stat: 'Average' },
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
