import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HEALTH_METRICS } from '../lambdas/health-record/core';
import { PROXY_FUNCTION, STEP_FUNCTIONS } from '../lambdas/catalog';
import { DEFAULT_PREFIX, stepFunctionName } from '../pipeline/names';
import { DEFAULT_HEALTH_CHECK_SCHEDULE, scheduleRateMinutes } from '../pipeline/health-schedule';
import { ROOT } from './build-artifacts';
import type { BenchContext } from './context';
import {
  expressBilling,
  expressWorkflowCost,
  lambdaCost,
  runsPerMonth,
  standardWorkflowCost,
  type LambdaUsage,
} from './cost-arithmetic';
import { PRICE_SOURCE, PRICES } from './prices';
import { ms, usd, type BenchmarkResult, type ResultTable } from './report';
import {
  rolloutData,
  type HealthCheckMeasurement,
  type InvocationReport,
  type RolloutMeasurement,
  type RolloutOverheadData,
} from './rollout-overhead';
import { median } from './stats';

/** Rollout target: orchestration under one cent (SageMaker instance time excluded). */
export const ROLLOUT_COST_TARGET_USD = 0.01;
/** Health-check target: a month at the default schedule under one dollar. */
export const HEALTH_MONTH_TARGET_USD = 1;

/**
 * Assumptions of the AWS estimate, written once and printed with the figures. Local calls take
 * milliseconds over loopback; on AWS each API call is a network round trip, the Lambda update Switch API
 * Target waits for takes seconds, and an execution environment may be new on every run.
 */
export const AWS_ESTIMATE = {
  /** Added to a function's duration for each AWS API call it made (counted by the local cloud). */
  apiCallMs: 100,
  /** Switch API Target waits for the proxy's update to be Successful: 3 AWS seconds in the emulator. */
  switchUpdateWaitMs: 3000,
  /** Express: bills at least this memory (what the local engine reports; Express rounds to 64 MB). */
  expressMemoryMb: 64,
  /** Express workflows end after 5 minutes. */
  expressMaxMs: 5 * 60 * 1000,
} as const;

const SWITCH_FUNCTION = stepFunctionName(DEFAULT_PREFIX, 'switch-api-target');
const CHECK_FUNCTION = stepFunctionName(DEFAULT_PREFIX, 'check-endpoint');

/** The health-check schedule a deployment gets by default: cdk.json's context, else pipeline/health-schedule.ts. */
function defaultSchedule(): { expression: string; source: string } {
  try {
    const cdk = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    const value = cdk.context?.healthCheckSchedule;
    if (typeof value === 'string' && value.trim() !== '')
      return { expression: value.trim(), source: 'cdk.json context' };
  } catch {
    // No cdk.json: the stacks' own default applies.
  }
  return {
    expression: DEFAULT_HEALTH_CHECK_SCHEDULE,
    source: 'pipeline/health-schedule.ts DEFAULT_HEALTH_CHECK_SCHEDULE',
  };
}

/** Catalog timeout of a function by its deployed name (the upper bound bills every invocation to it). */
function timeoutMsOf(functionName: string): number {
  if (functionName.endsWith('-proxy')) return PROXY_FUNCTION.timeoutSeconds * 1000;
  const spec = STEP_FUNCTIONS.find((f) => stepFunctionName(DEFAULT_PREFIX, f.id) === functionName);
  return (spec?.timeoutSeconds ?? 900) * 1000;
}

/** Cold-start (Init Duration) per function, the median of those seen; the median of all as fallback. */
function initByFunction(data: RolloutOverheadData): (functionName: string) => number {
  const all = [
    ...data.configs
      .flatMap((c) => [c.warmup, ...c.runs])
      .flatMap((r) => [...r.invocations, ...r.proxyInvocations]),
    ...data.health.runs.flatMap((r) => [...r.invocations, ...r.proxyInvocations]),
  ];
  const byName = new Map<string, number[]>();
  for (const i of all) {
    if (i.initMs !== null) byName.set(i.functionName, [...(byName.get(i.functionName) ?? []), i.initMs]);
  }
  const fallback = median([...byName.values()].flat());
  // Every service's proxy runs the same bundle: a cold start seen for one stands for the others.
  const proxyInits = [...byName].filter(([k]) => k.endsWith('-proxy')).flatMap(([, v]) => v);
  return (name) => {
    const own = byName.get(name);
    if (own !== undefined) return median(own);
    if (name.endsWith('-proxy') && proxyInits.length > 0) return median(proxyInits);
    return Number.isFinite(fallback) ? fallback : 0;
  };
}

/** A unit price as a plain decimal (no exponent), e.g. 0.0000002. */
function price(value: number): string {
  return value.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
}

function sumCalls(calls: Readonly<Record<string, number>>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

/** Lambda usage three ways: as measured here, as AWS would likely bill it, and every invocation at its timeout. */
interface UsageViews {
  readonly measured: LambdaUsage[];
  readonly estimate: LambdaUsage[];
  readonly upperBound: LambdaUsage[];
}

/**
 * The usage of some invocations. `extra` are invocations AWS would make and the local run did not (polls
 * the time scale saved), `apiCalls` the handlers' AWS API calls, spread evenly over the invocations.
 */
function usageViews(
  invocations: readonly InvocationReport[],
  apiCalls: number,
  initOf: (name: string) => number,
  extra: readonly InvocationReport[] = [],
): UsageViews {
  const all = [...invocations, ...extra];
  const perInvocationCallsMs = all.length === 0 ? 0 : (apiCalls * AWS_ESTIMATE.apiCallMs) / all.length;
  return {
    measured: invocations.map((i) => ({ memoryMb: i.memoryMb, billedMs: i.billedMs + (i.initMs ?? 0) })),
    estimate: all.map((i) => ({
      memoryMb: i.memoryMb,
      billedMs:
        initOf(i.functionName) +
        i.durationMs +
        perInvocationCallsMs +
        (i.functionName === SWITCH_FUNCTION ? AWS_ESTIMATE.switchUpdateWaitMs : 0),
    })),
    upperBound: all.map((i) => ({
      memoryMb: i.memoryMb,
      billedMs: initOf(i.functionName) + timeoutMsOf(i.functionName),
    })),
  };
}

/** One rollout's costs (the median run of a configuration). */
interface RolloutCost {
  readonly transitionsLocal: number;
  readonly transitionsAws: number;
  readonly invocationsAws: number;
  readonly standard: number;
  readonly lambda: { measured: number; estimate: number; upperBound: number; gbSecondsEstimate: number };
  readonly serving: { measured: number; estimate: number };
  readonly express: { durationMs: number; usd: number; possible: boolean };
  readonly totalStandard: { measured: number; estimate: number; upperBound: number };
  readonly apiCalls: number;
}

function servingCost(proxy: readonly LambdaUsage[], requests: number): number {
  return lambdaCost(proxy).usd + requests * (PRICES.apiGatewayRestRequest + PRICES.cloudFrontHttpsRequest);
}

function rolloutCost(
  data: RolloutOverheadData,
  config: RolloutOverheadData['configs'][number],
  initOf: (name: string) => number,
): RolloutCost {
  // The run whose wall time is the median (an actual run, not a mix of runs).
  const runs = [...config.runs].sort((a, b) => a.wallMs - b.wallMs);
  const run: RolloutMeasurement | undefined = runs[Math.floor((runs.length - 1) / 2)] ?? config.warmup;
  const missingPolls = Math.max(0, config.awsPolls - run.polls);
  const checkRuns = run.invocations.filter((i) => i.functionName === CHECK_FUNCTION);
  const check: InvocationReport = {
    functionName: CHECK_FUNCTION,
    memoryMb: checkRuns[0]?.memoryMb ?? 256,
    durationMs: median(checkRuns.map((i) => i.durationMs)),
    billedMs: Math.ceil(median(checkRuns.map((i) => i.durationMs))),
    initMs: null,
  };
  const extra = Array.from({ length: missingPolls }, () => check);
  const proxyCalls = run.proxyInvocations.length;
  const handlerCalls = sumCalls(run.apiCalls) - proxyCalls;
  const steps = usageViews(run.invocations, handlerCalls, initOf, extra);
  const proxy = usageViews(run.proxyInvocations, proxyCalls, initOf);
  const transitionsAws = run.transitions + 3 * missingPolls;
  const standard = standardWorkflowCost(transitionsAws);
  const lambda = {
    measured: lambdaCost(steps.measured).usd,
    estimate: lambdaCost(steps.estimate).usd,
    upperBound: lambdaCost(steps.upperBound).usd,
    gbSecondsEstimate: lambdaCost(steps.estimate).gbSeconds,
  };
  const serving = {
    measured: servingCost(proxy.measured, proxyCalls),
    estimate: servingCost(proxy.estimate, proxyCalls),
  };
  const expressMs =
    config.awsPolls * data.pollIntervalSeconds * 1000 +
    steps.estimate.reduce((sum, u) => sum + u.billedMs, 0);
  return {
    transitionsLocal: run.transitions,
    transitionsAws,
    invocationsAws: run.lambdaInvocations + missingPolls,
    standard,
    lambda,
    serving,
    express: {
      durationMs: expressMs,
      usd: expressWorkflowCost(expressMs, AWS_ESTIMATE.expressMemoryMb) + lambda.estimate + serving.estimate,
      possible: expressMs <= AWS_ESTIMATE.expressMaxMs,
    },
    totalStandard: {
      measured: standard + lambda.measured + serving.measured,
      estimate: standard + lambda.estimate + serving.estimate,
      upperBound: standard + lambda.upperBound + serving.estimate,
    },
    apiCalls: handlerCalls,
  };
}

/** One health check's costs, and a month of them. */
interface HealthCost {
  readonly runsPerMonth: number;
  readonly schedule: { expression: string; source: string; minutes: number };
  readonly perCheck: Record<string, { measured: number; estimate: number }>;
  readonly monthly: Record<string, { measured: number; estimate: number }>;
  readonly execution: { measured: number; estimate: number };
  readonly executionPerCheck: { measured: number; estimate: number };
  readonly standardAlternative: { measured: number; estimate: number };
  readonly standardAlternativePerCheck: { measured: number; estimate: number };
  readonly monitoringMonthly: number;
  readonly expressBilledMs: { measured: number; estimate: number };
}

function healthCost(data: RolloutOverheadData, initOf: (name: string) => number): HealthCost {
  const schedule = defaultSchedule();
  const minutes = scheduleRateMinutes(schedule.expression);
  const runs = runsPerMonth(minutes);
  const perRun = data.health.runs.map((r: HealthCheckMeasurement) => {
    const secrets = r.apiCalls['SecretsManager.GetSecretValue'] ?? 0;
    const proxyCalls = r.proxyInvocations.length;
    const steps = usageViews(r.invocations, sumCalls(r.apiCalls) - proxyCalls, initOf);
    const proxy = usageViews(r.proxyInvocations, proxyCalls, initOf);
    const awsMs = steps.estimate.reduce((sum, u) => sum + u.billedMs, 0);
    return {
      expressMeasured: expressWorkflowCost(r.billedDurationMs, r.billedMemoryMb),
      expressEstimate: expressWorkflowCost(awsMs, AWS_ESTIMATE.expressMemoryMb),
      expressBilledMs: r.billedDurationMs,
      expressEstimateMs: expressBilling(awsMs, AWS_ESTIMATE.expressMemoryMb).billedMs,
      lambdaMeasured: lambdaCost(steps.measured).usd,
      lambdaEstimate: lambdaCost(steps.estimate).usd,
      servingMeasured: servingCost(proxy.measured, proxyCalls),
      servingEstimate: servingCost(proxy.estimate, proxyCalls),
      secrets: secrets * PRICES.secretsManagerApiCall,
    };
  });
  const med = (pick: (r: (typeof perRun)[number]) => number): number => median(perRun.map(pick));
  const both = (measured: number, estimate: number): { measured: number; estimate: number } => ({
    measured,
    estimate,
  });
  const perCheck = {
    'Step Functions Express (request + duration)': both(
      med((r) => r.expressMeasured),
      med((r) => r.expressEstimate),
    ),
    'Lambda: the three health functions': both(
      med((r) => r.lambdaMeasured),
      med((r) => r.lambdaEstimate),
    ),
    'EventBridge Scheduler': both(PRICES.schedulerInvocation, PRICES.schedulerInvocation),
    'probe requests: proxy Lambda + API Gateway + CloudFront': both(
      med((r) => r.servingMeasured),
      med((r) => r.servingEstimate),
    ),
    'Secrets Manager GetSecretValue (API key)': both(
      med((r) => r.secrets),
      med((r) => r.secrets),
    ),
  };
  const monthly = Object.fromEntries(
    Object.entries(perCheck).map(([k, v]) => [k, both(v.measured * runs, v.estimate * runs)]),
  );
  const execution = Object.values(monthly).reduce(
    (acc, v) => both(acc.measured + v.measured, acc.estimate + v.estimate),
    both(0, 0),
  );
  const executionPerCheck = both(execution.measured / runs, execution.estimate / runs);
  const express = perCheck['Step Functions Express (request + duration)'];
  const standardPerCheck = standardWorkflowCost(data.health.transitions);
  // The same checks with the Express charges replaced by Standard's per-transition charge.
  const standardAlternativePerCheck = both(
    executionPerCheck.measured - express.measured + standardPerCheck,
    executionPerCheck.estimate - express.estimate + standardPerCheck,
  );
  const standardAlternative = both(
    standardAlternativePerCheck.measured * runs,
    standardAlternativePerCheck.estimate * runs,
  );
  const monitoringMonthly =
    Object.keys(HEALTH_METRICS).length * PRICES.cloudWatchMetricMonth + PRICES.cloudWatchAlarmMonth;
  return {
    runsPerMonth: runs,
    schedule: { ...schedule, minutes },
    perCheck,
    monthly,
    execution,
    executionPerCheck,
    standardAlternative,
    standardAlternativePerCheck,
    monitoringMonthly,
    expressBilledMs: both(
      med((r) => r.expressBilledMs),
      med((r) => r.expressEstimateMs),
    ),
  };
}

/**
 * Cost model: from the rollout benchmark's counted state transitions, Lambda invocations, durations and
 * API calls, what one rollout and a month of health checks cost on AWS, for Standard and Express
 * workflows, with the prices used. SageMaker instance time (the endpoint itself) is excluded.
 */
export function benchCostModel(ctx: BenchContext): Promise<BenchmarkResult> {
  const started = performance.now();
  const data = rolloutData(ctx.results.get('rollout-overhead'));
  const initOf = initByFunction(data);
  const reference = data.configs.find((c) => c.name === data.reference) ?? data.configs[0];
  if (reference === undefined) throw new Error('The rollout benchmark measured no configuration.');
  const one = rolloutCost(data, reference, initOf);
  const scaling = data.configs.map((c) => ({ config: c, cost: rolloutCost(data, c, initOf) }));
  const health = healthCost(data, initOf);

  const rolloutTable: ResultTable = {
    title: `Cost of one rollout (${reference.name}, endpoint InService after ${reference.creationSeconds} s, polled every ${data.pollIntervalSeconds} s), Standard workflow as deployed`,
    head: ['item', 'quantity (AWS)', 'measured here', 'AWS estimate', 'upper bound'],
    rows: [
      [
        'Step Functions Standard: state transitions',
        `${one.transitionsAws} (local ${one.transitionsLocal})`,
        usd(one.standard),
        usd(one.standard),
        usd(one.standard),
      ],
      [
        'Lambda: step functions (requests + GB-s, x86 price)',
        `${one.invocationsAws} invocations, ${one.lambda.gbSecondsEstimate.toFixed(2)} GB-s est.`,
        usd(one.lambda.measured),
        usd(one.lambda.estimate),
        usd(one.lambda.upperBound),
      ],
      [
        'Verify Public API requests: proxy Lambda + API Gateway + CloudFront',
        String(reference.runs[0]?.proxyInvocations.length ?? 0),
        usd(one.serving.measured),
        usd(one.serving.estimate),
        usd(one.serving.estimate),
      ],
      [
        'total orchestration (SageMaker instance time excluded)',
        '',
        usd(one.totalStandard.measured),
        usd(one.totalStandard.estimate),
        usd(one.totalStandard.upperBound),
      ],
      [
        'the same rollout as an Express workflow (request + duration + the same Lambda)',
        `${ms(one.express.durationMs)} at 64 MB`,
        '',
        `${usd(one.express.usd)}${one.express.possible ? '' : ' (not possible: over 5 min)'}`,
        '',
      ],
    ],
    notes: [
      'SageMaker instance time is excluded: the endpoint the rollout creates bills per instance-hour (e.g. ml.m5.xlarge) from Creating until deleted, whatever orchestrates it; so are SageMaker data processed, CloudWatch Logs and the free control-plane calls (SageMaker, SSM standard parameters, Lambda configuration).',
      `measured here = the local REPORT durations (+ Init Duration where a cold start happened) and counted transitions; quantities are projected to AWS's poll count (the time scale lets a Lambda's real time fill part of each scaled wait).`,
      `AWS estimate = every invocation a cold start (the median Init Duration measured here for its function) + its local duration + ${AWS_ESTIMATE.apiCallMs} ms per AWS API call the handlers made (${one.apiCalls} counted) + ${AWS_ESTIMATE.switchUpdateWaitMs / 1000} s for the proxy update Switch API Target waits for.`,
      'upper bound = the same, but every invocation runs until its timeout (lambdas/catalog.ts): no rollout can cost more in Lambda.',
      `Express: one request + ${ms(one.express.durationMs)} (the AWS waits, ${reference.awsPolls} polls x ${data.pollIntervalSeconds} s, plus the estimated Lambda time) at 64 MB. Express workflows end after 5 minutes, so a real rollout (endpoints take 5-20 minutes) cannot run as one: Standard is the only option, and the cheap one.`,
    ],
  };
  const scalingTable: ResultTable = {
    title: 'Cost of one rollout as it grows (AWS estimate; SageMaker instance time excluded)',
    head: [
      'configuration',
      'AWS polls',
      'transitions',
      'Lambda invocations',
      'Standard total',
      'of which transitions',
      'Express total',
    ],
    rows: scaling.map(({ config, cost }) => [
      config.name,
      String(config.awsPolls),
      String(cost.transitionsAws),
      String(cost.invocationsAws),
      usd(cost.totalStandard.estimate),
      usd(cost.standard),
      `${usd(cost.express.usd)}${cost.express.possible ? '' : ' (over 5 min)'}`,
    ]),
    notes: [
      'Each poll of a slow endpoint adds 3 transitions ($0.000075) and one Check Endpoint invocation; smoke tests add only Run Smoke Tests time.',
    ],
  };
  const monthRows = Object.entries(health.perCheck).map(([item, v]) => {
    const m = health.monthly[item] ?? { measured: Number.NaN, estimate: Number.NaN };
    return [item, usd(v.measured), usd(v.estimate), usd(m.measured), usd(m.estimate)];
  });
  const healthTable: ResultTable = {
    title: `A month of health checks per service: ${health.schedule.expression} (${health.schedule.source}) = ${Math.round(health.runsPerMonth)} checks in a 730-hour month, Express as deployed`,
    head: [
      'item',
      'per check, measured',
      'per check, AWS estimate',
      'month, measured',
      'month, AWS estimate',
    ],
    rows: [
      ...monthRows,
      [
        'health checks (Express, as deployed), total',
        usd(health.executionPerCheck.measured),
        usd(health.executionPerCheck.estimate),
        usd(health.execution.measured),
        usd(health.execution.estimate),
      ],
      [
        `the same checks as a Standard workflow (${data.health.transitions} transitions per check instead of Express)`,
        usd(health.standardAlternativePerCheck.measured),
        usd(health.standardAlternativePerCheck.estimate),
        usd(health.standardAlternative.measured),
        usd(health.standardAlternative.estimate),
      ],
      [
        `monitoring: ${Object.keys(HEALTH_METRICS).length} custom metrics + 1 alarm (fixed, per service)`,
        '',
        '',
        usd(health.monitoringMonthly),
        usd(health.monitoringMonthly),
      ],
      [
        'all in (Express + monitoring)',
        '',
        '',
        usd(health.execution.measured + health.monitoringMonthly),
        usd(health.execution.estimate + health.monitoringMonthly),
      ],
    ],
    notes: [
      `Express billed duration per check: ${ms(health.expressBilledMs.measured)} measured here (StartSyncExecution billingDetails), ${ms(health.expressBilledMs.estimate)} estimated on AWS; 64 MB.`,
      `AWS estimate as for rollouts: each function cold every time (checks ${health.schedule.minutes} min apart often find a warm one), + ${AWS_ESTIMATE.apiCallMs} ms per AWS API call counted.`,
      'Not included: CloudWatch Logs ingestion of the Express execution log and the Lambda logs ($0.50 per GB; a few KB per check), SageMaker instance time and data processed.',
    ],
  };
  const pricesTable: ResultTable = {
    title: `Prices used (${PRICE_SOURCE.region}, ${PRICE_SOURCE.asOf}; free tier ${PRICE_SOURCE.freeTier})`,
    head: ['price', 'USD'],
    rows: [
      [
        'Step Functions Standard, per state transition',
        `${price(PRICES.standardTransition)} ($0.025 per 1,000)`,
      ],
      ['Step Functions Express, per request', `${price(PRICES.expressRequest)} ($1.00 per million)`],
      [
        'Step Functions Express, per GB-second (64 MB / 100 ms steps, 100 ms minimum)',
        price(PRICES.expressGbSecond),
      ],
      ['Lambda, per request', `${price(PRICES.lambdaRequest)} ($0.20 per million)`],
      [
        `Lambda, per GB-second (x86; the stacks deploy arm64 at ${price(PRICES.lambdaGbSecondArm)})`,
        price(PRICES.lambdaGbSecondX86),
      ],
      ['EventBridge Scheduler, per invocation', `${price(PRICES.schedulerInvocation)} ($1.00 per million)`],
      ['API Gateway REST, per request', `${price(PRICES.apiGatewayRestRequest)} ($3.50 per million)`],
      ['CloudFront, per HTTPS request', `${price(PRICES.cloudFrontHttpsRequest)} ($0.0100 per 10,000)`],
      ['Secrets Manager, per API call', `${price(PRICES.secretsManagerApiCall)} ($0.05 per 10,000)`],
      [
        'CloudWatch custom metric / alarm, per month',
        `${price(PRICES.cloudWatchMetricMonth)} / ${price(PRICES.cloudWatchAlarmMonth)}`,
      ],
    ],
  };
  return Promise.resolve({
    name: 'cost-model',
    title: 'Cost model',
    durationMs: performance.now() - started,
    tables: [rolloutTable, scalingTable, healthTable, pricesTable],
    targets: [
      {
        target: 'rollout orchestration < $0.01 (SageMaker instance time excluded)',
        measured: `${usd(one.totalStandard.estimate)} AWS estimate (measured here ${usd(one.totalStandard.measured)}, upper bound ${usd(one.totalStandard.upperBound)})`,
        met: one.totalStandard.estimate < ROLLOUT_COST_TARGET_USD,
        ratioToLimit: one.totalStandard.estimate / ROLLOUT_COST_TARGET_USD,
      },
      {
        target: `health checks, a month at ${health.schedule.expression} (Express) < $1`,
        measured: `${usd(health.execution.estimate)} AWS estimate (measured here ${usd(health.execution.measured)}; with metrics and alarm ${usd(health.execution.estimate + health.monitoringMonthly)})`,
        met: health.execution.estimate < HEALTH_MONTH_TARGET_USD,
        ratioToLimit: health.execution.estimate / HEALTH_MONTH_TARGET_USD,
      },
    ],
    data: {
      prices: PRICES,
      priceSource: PRICE_SOURCE,
      assumptions: AWS_ESTIMATE,
      rollout: one,
      scaling: scaling.map(({ config, cost }) => ({ name: config.name, ...cost })),
      health,
    },
  });
}
