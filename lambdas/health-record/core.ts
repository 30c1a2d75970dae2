import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { errorMessage, InvalidStepInputError } from '../shared/errors';
import { failureMessage } from '../shared/failure';
import { readHealth, writeHealth } from '../shared/health-parameter';
import { HEALTH_METRIC_NAMES } from '../../pipeline/health-schedule';
import type { AutoRollback, HealthOutcome, HealthRecord, HealthRecordInput } from '../shared/health-types';
import { logger } from '../shared/logger';

/** The part of Powertools Metrics Record Health uses (a fake in tests). */
export interface HealthMetrics {
  addDimension(name: string, value: string): unknown;
  /** `resolution` as Powertools' MetricResolution: 1 (High) or 60 (Standard). */
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number, resolution: 1 | 60): unknown;
  publishStoredMetrics(): unknown;
}

/**
 * Health metrics are high resolution (EMF `StorageResolution: 1`, Powertools MetricResolution.High):
 * through EMF they cost what standard ones do, and they let a chart use periods under a minute, which a
 * time-scaled local cloud (a check every 3 s at 0.01) and short console windows need. The alarm keeps
 * its schedule-long period, so it is a standard-resolution alarm.
 */
const HIGH_RESOLUTION = 1;

/** What Record Health needs from outside. */
export interface HealthRecordDeps {
  readonly ssm: SSMClient;
  readonly sns: SNSClient;
  readonly sfn: SFNClient;
  readonly metrics: HealthMetrics;
  readonly prefix: string;
  readonly notificationTopicArn: string;
  readonly rolloutStateMachineArn: string;
  readonly now: () => Date;
  /** Execution name of an automatic rollback (pipeline/names.ts newRollbackId). */
  readonly newRollbackId: (service: string, now: Date) => string;
}

/** Metric names Record Health emits (namespace POWERTOOLS_METRICS_NAMESPACE, dimension Service). */
export const HEALTH_METRICS = HEALTH_METRIC_NAMES;

/** Checks Record Health's input: anything with a service (a failure may have cut the rest short). */
export function parseHealthRecordInput(event: unknown): HealthRecordInput {
  const service = (event as { service?: unknown } | null)?.service;
  if (typeof service !== 'string' || service === '') {
    throw new InvalidStepInputError(
      `Record Health expects the health check state with a service; got ${JSON.stringify(event)?.slice(0, 200)}`,
    );
  }
  return event as HealthRecordInput;
}

/**
 * Records one health check: metrics (EMF), the failure streak in the health parameter, a notification
 * when the result changes (not on every failure), and, when the spec opts in and the streak is long
 * enough, one automatic rollback per streak. A failure caught by the ASL (`failure`) counts as unhealthy.
 */
export async function healthRecordCore(
  input: HealthRecordInput,
  deps: HealthRecordDeps,
): Promise<HealthOutcome> {
  const service = input.service;
  const now = deps.now();
  const healthy = input.failure === undefined && input.probe?.passed === true;
  const latencyMs = input.probe?.latencyMs ?? null;
  publishMetrics(deps.metrics, service, healthy, latencyMs);

  const before = await readHealth(deps.ssm, deps.prefix, service);
  let health = nextHealth(before, {
    healthy,
    endpoint: input.live?.current.endpointName ?? null,
    servedBy: input.probe?.servedBy ?? null,
    latencyMs,
    at: now.toISOString(),
  });
  let summary = summarize(input, healthy, health);

  const wasHealthy = before.lastResult !== 'unhealthy';
  if (wasHealthy !== healthy) {
    await notify(deps, healthy ? `${service} is healthy again` : `${service} is unhealthy`, summary);
  }

  const decision = autoRollbackDecision(input, health, before);
  if (decision.kind === 'start') {
    health = {
      ...health,
      rolledBackAt: now.toISOString(),
      lastAutoRollback: newAutoRollback(input, health, deps, now),
    };
  } else if (decision.kind === 'refused') {
    summary += ` ${decision.why}`;
  }
  // Written before StartExecution: a retry or an overlapping check then sees the rollback as started.
  await writeHealth(deps.ssm, deps.prefix, service, health);

  const pending = health.rolledBackAt !== undefined ? health.lastAutoRollback : undefined;
  if (pending !== undefined && pending.executionArn === null) {
    const executionArn = await startRollback(deps, pending);
    health = { ...health, lastAutoRollback: { ...pending, executionArn } };
    await writeHealth(deps.ssm, deps.prefix, service, health);
    summary += ` Started automatic rollback ${pending.executionName} from ${pending.fromEndpoint} to ${pending.toEndpoint}.`;
    await notifyBestEffort(deps, `${service}: automatic rollback started`, summary);
  }
  return { ...input, healthy, summary, health };
}

/** What this check means for the stored record (pure). */
export function nextHealth(
  before: HealthRecord,
  check: {
    healthy: boolean;
    endpoint: string | null;
    latencyMs: number | null;
    at: string;
    /** Endpoint that answered (the probe's header); omitted: unknown, the stored one is kept. */
    servedBy?: string | null;
  },
): HealthRecord {
  const endpointChanged =
    check.endpoint !== null && before.lastEndpoint !== null && check.endpoint !== before.lastEndpoint;
  // A healthy check, or a different live endpoint, ends the failure streak and its rollback marker.
  const { rolledBackAt: _ended, ...rest } = before;
  const base: HealthRecord = check.healthy || endpointChanged ? rest : before;
  return {
    ...base,
    consecutiveFailures: check.healthy ? 0 : endpointChanged ? 1 : before.consecutiveFailures + 1,
    lastCheckAt: check.at,
    lastResult: check.healthy ? 'healthy' : 'unhealthy',
    lastLatencyMs: check.latencyMs,
    lastEndpoint: check.endpoint ?? before.lastEndpoint,
    ...(check.servedBy === undefined ? {} : { lastServedBy: check.servedBy }),
  };
}

type Decision = { kind: 'none' } | { kind: 'start' } | { kind: 'refused'; why: string };

function autoRollbackDecision(
  input: HealthRecordInput,
  health: HealthRecord,
  before: HealthRecord,
): Decision {
  const settings = input.healthCheckSettings;
  const live = input.live;
  if (settings?.autoRollback !== true || live === undefined) return { kind: 'none' };
  if (health.consecutiveFailures < settings.failuresBeforeRollback) return { kind: 'none' };
  if (health.rolledBackAt !== undefined) return { kind: 'none' };
  const to = live.previous[0];
  if (to === undefined) {
    return {
      kind: 'refused',
      why: 'No automatic rollback: no earlier deployment is kept (rollout.keepPreviousEndpoints).',
    };
  }
  if (before.lastAutoRollback?.fromEndpoint === to.endpointName) {
    return {
      kind: 'refused',
      why: `No automatic rollback: it would return to ${to.endpointName}, which was rolled back from automatically at ${before.lastAutoRollback.startedAt}; a person must decide.`,
    };
  }
  return { kind: 'start' };
}

function newAutoRollback(
  input: HealthRecordInput,
  health: HealthRecord,
  deps: HealthRecordDeps,
  now: Date,
): AutoRollback {
  const live = input.live;
  const to = live?.previous[0];
  if (live === undefined || to === undefined)
    throw new InvalidStepInputError('Record Health: no rollback target');
  const reason =
    `${health.consecutiveFailures} consecutive failed health checks of endpoint ${live.current.endpointName} ` +
    `(rollout ${live.current.rolloutId}); automatic rollback (healthCheck.autoRollback).`;
  return {
    executionName: deps.newRollbackId(input.service, now),
    // fromRolloutId pins what is rolled back: a deployment that lands between this decision and the
    // rollback's Acquire Lock makes the rollback fail instead of undoing that newer deployment.
    input: JSON.stringify({
      kind: 'rollback',
      service: input.service,
      fromRolloutId: live.current.rolloutId,
      toRolloutId: to.rolloutId,
      reason,
      requestedBy: 'health-check',
    }),
    fromEndpoint: live.current.endpointName,
    toEndpoint: to.endpointName,
    startedAt: now.toISOString(),
    executionArn: null,
  };
}

async function startRollback(deps: HealthRecordDeps, rollback: AutoRollback): Promise<string> {
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.rolloutStateMachineArn,
        name: rollback.executionName,
        input: rollback.input,
      }),
    );
    return out.executionArn ?? executionArnOf(deps.rolloutStateMachineArn, rollback.executionName);
  } catch (error) {
    // Same name, already finished (a retry after a quick rollback): it was started, which is what counts.
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      return executionArnOf(deps.rolloutStateMachineArn, rollback.executionName);
    }
    throw error;
  }
}

/** Execution ARN from its state machine's ARN and its name. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function publishMetrics(
  metrics: HealthMetrics,
  service: string,
  healthy: boolean,
  latencyMs: number | null,
): void {
  metrics.addDimension('Service', service);
  metrics.addMetric(HEALTH_METRICS.success, 'Count', healthy ? 1 : 0, HIGH_RESOLUTION);
  if (latencyMs !== null)
    metrics.addMetric(HEALTH_METRICS.latency, 'Milliseconds', latencyMs, HIGH_RESOLUTION);
  metrics.publishStoredMetrics();
}

async function notify(deps: HealthRecordDeps, subject: string, message: string): Promise<void> {
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.notificationTopicArn,
      // SNS subjects: at most 100 printable ASCII characters.
      Subject: `[${deps.prefix}] ${subject}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
      Message: message,
    }),
  );
}

async function notifyBestEffort(deps: HealthRecordDeps, subject: string, message: string): Promise<void> {
  try {
    await notify(deps, subject, message);
  } catch (error) {
    // The rollback execution notifies when it ends; failing this step now would only hide that it started.
    logger.warn('Could not notify that an automatic rollback started', { error: errorMessage(error) });
  }
}

/** One paragraph for the notification and the "Unhealthy" Fail state's cause. */
function summarize(input: HealthRecordInput, healthy: boolean, health: HealthRecord): string {
  const service = input.service;
  if (input.failure !== undefined) {
    const step = input.live === undefined ? 'Read Live Target' : 'Probe Public API';
    return (
      `Service ${service}: the health check could not run (${step} failed with ${input.failure.Error}: ` +
      `${failureMessage(input.failure.Error, input.failure.Cause)}); counted as failed (${health.consecutiveFailures} in a row).`
    );
  }
  const probe = input.probe;
  const url = input.registration?.publicUrl ?? 'the public URL';
  const notes = input.notes !== undefined && input.notes.length > 0 ? ` ${input.notes.join(' ')}` : '';
  if (probe === undefined) {
    return `Service ${service}: no probe result reached Record Health; counted as failed (${health.consecutiveFailures} in a row).${notes}`;
  }
  const passed = probe.results.filter((r) => r.passed).length;
  const servedBy = probe.servedBy === null ? '' : `, served by ${probe.servedBy}`;
  if (healthy) {
    return `Service ${service} is healthy: ${passed} of ${probe.results.length} checks passed through ${url} (median ${probe.latencyMs} ms${servedBy}).${notes}`;
  }
  const failed = probe.results
    .filter((r) => !r.passed)
    .map((r) => `"${r.name}": ${r.failures[0] ?? 'failed'}`)
    .join('; ');
  return (
    `Service ${service} is unhealthy (${health.consecutiveFailures} failed checks in a row): ` +
    `${probe.results.length - passed} of ${probe.results.length} checks failed through ${url}${servedBy}. ${failed}.${notes}`
  );
}
