import { stepFunction } from '../lambdas/catalog';
import {
  DEFAULT_ALARM_CONSECUTIVE_FAILURES,
  DEFAULT_HEALTH_CHECK_SCHEDULE,
  healthAlarmDefinition,
  scheduleRateMinutes,
} from '../pipeline/health-schedule';
import { lockTableName, notificationTopicName, rolloutStateMachineName } from '../pipeline/names';
import type { Clock } from './clock';
import type { HealthCheckRun } from './planes';
import { alarmConfigFromDefinition, type MetricAlarmConfig } from './services/cloudwatch-alarms';

/**
 * The pipeline stack's per-service health schedule and alarm, run by the local cloud: every provisioned
 * service's health-check state machine (the same Express execution path as `runHealthCheck`) on the
 * stack's schedule, time-scaled, and its alarm (the stack's definition, from pipeline/health-schedule.ts)
 * evaluated by the local CloudWatch, which publishes state changes to the notification topic.
 */

/** How the local cloud runs health checks (`LocalCloudOptions.healthChecks`). */
export interface HealthCheckScheduleOptions {
  /** EventBridge Scheduler rate expression (AWS time). @default DEFAULT_HEALTH_CHECK_SCHEDULE ('rate(5 minutes)') */
  readonly schedule?: string;
  /** Failed checks in a row that raise a service's alarm. @default DEFAULT_ALARM_CONSECUTIVE_FAILURES (2) */
  readonly alarmConsecutiveFailures?: number;
}

/** What the schedule drives. */
export interface HealthCheckScheduleDeps {
  readonly clock: Clock;
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  /** Services to check (the provisioned ones), read at every tick. */
  readonly services: () => readonly string[];
  readonly runHealthCheck: (service: string) => Promise<HealthCheckRun>;
  readonly putMetricAlarm: (config: MetricAlarmConfig) => void;
  readonly evaluateAlarms: () => unknown;
}

/** One service's scheduled checks so far (for the inventory). */
export interface ScheduledChecks {
  readonly runs: number;
  /** Ticks skipped because the service's previous check was still running. */
  readonly skipped: number;
  readonly last: HealthCheckRun | null;
}

/**
 * The shortest real interval accepted: below it a check (several Lambda invocations) cannot finish in
 * its period, so every period would be a skipped or late check. Use a larger timeScale.
 */
export const MIN_REAL_INTERVAL_MS = 100;

/**
 * Share of a period after its start at which the check runs. Alarm periods are aligned to multiples of
 * the period (as CloudWatch aligns them), and a check's datapoint carries the time Record Health wrote
 * it; starting just after a boundary leaves most of the period for the execution, so each check's
 * datapoint lands in its own period (EventBridge starts rate schedules at creation time; at AWS's
 * minutes-long periods the seconds a check takes rarely matter, at a scaled 3 s they would).
 */
const TICK_OFFSET = 0.1;

/** A running schedule; `stop()` ends it. */
export class HealthCheckSchedule {
  /** Real milliseconds between checks (the scaled schedule interval, also the scaled alarm period). */
  readonly intervalMs: number;
  /** The schedule, in AWS terms. */
  readonly expression: string;
  private readonly alarms: (service: string) => MetricAlarmConfig;
  private readonly checks = new Map<string, { runs: number; skipped: number; last: HealthCheckRun | null }>();
  private readonly running = new Map<string, Promise<void>>();
  private checkTimer: NodeJS.Timeout | undefined;
  private evaluateTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: HealthCheckScheduleDeps,
    options: HealthCheckScheduleOptions = {},
  ) {
    this.expression = options.schedule ?? DEFAULT_HEALTH_CHECK_SCHEDULE;
    const intervalMinutes = scheduleRateMinutes(this.expression);
    this.intervalMs = deps.clock.scaledMs(intervalMinutes * 60);
    if (this.intervalMs < MIN_REAL_INTERVAL_MS) {
      throw new Error(
        `Health checks ${this.expression} at timeScale ${deps.clock.timeScale} would run every ${this.intervalMs} ms, ` +
          `under ${MIN_REAL_INTERVAL_MS} ms; use a larger timeScale or a slower schedule.`,
      );
    }
    const topicArn = `arn:aws:sns:${deps.region}:${deps.accountId}:${notificationTopicName(deps.prefix)}`;
    const metricNamespace = healthMetricNamespace(deps.prefix, deps.region, deps.accountId);
    const consecutiveFailures = options.alarmConsecutiveFailures ?? DEFAULT_ALARM_CONSECUTIVE_FAILURES;
    // Fail at start, not at the first tick, on an alarm the stack would refuse too.
    healthAlarmDefinition({
      prefix: deps.prefix,
      service: 'x',
      intervalMinutes,
      metricNamespace,
      consecutiveFailures,
    });
    this.alarms = (service) =>
      alarmConfigFromDefinition(
        healthAlarmDefinition({
          prefix: deps.prefix,
          service,
          intervalMinutes,
          metricNamespace,
          consecutiveFailures,
        }),
        topicArn,
      );
  }

  /** Starts checking: the first checks run at the next period boundary. */
  start(): this {
    this.ensureAlarms();
    this.scheduleNextCheck();
    // CloudWatch evaluates alarms every minute (periods of a minute or more): scaled, at least every period.
    const evaluateMs = Math.max(20, Math.min(this.intervalMs, this.deps.clock.scaledMs(60)));
    this.evaluateTimer = setInterval(() => this.evaluate(), evaluateMs);
    this.evaluateTimer.unref();
    return this;
  }

  /** Scheduled checks per service so far. */
  inventory(): Record<string, ScheduledChecks> {
    return Object.fromEntries([...this.checks].map(([service, c]) => [service, { ...c }]));
  }

  /** Stops the timers and waits for the checks in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.checkTimer);
    clearInterval(this.evaluateTimer);
    await Promise.allSettled([...this.running.values()]);
  }

  private scheduleNextCheck(): void {
    if (this.stopped) return;
    const now = Date.now();
    const offset = Math.round(this.intervalMs * TICK_OFFSET);
    let next = Math.floor(now / this.intervalMs) * this.intervalMs + offset;
    if (next <= now) next += this.intervalMs;
    this.checkTimer = setTimeout(() => {
      this.tick();
      this.scheduleNextCheck();
    }, next - now);
    this.checkTimer.unref();
  }

  private tick(): void {
    this.ensureAlarms();
    for (const service of this.deps.services()) {
      const entry = this.checks.get(service) ?? { runs: 0, skipped: 0, last: null };
      this.checks.set(service, entry);
      // On AWS the check's 240 s timeout is shorter than its 5 min interval, so checks never overlap;
      // a scaled check may outlast its scaled period (Lambda time is not scaled): skip rather than pile up.
      if (this.running.has(service)) {
        entry.skipped += 1;
        continue;
      }
      const run = this.deps
        .runHealthCheck(service)
        .then((outcome) => {
          entry.runs += 1;
          entry.last = outcome;
        })
        .catch((error: unknown) => {
          if (!this.stopped)
            console.error(
              `[local] scheduled health check of ${service} could not start: ${(error as Error).message}`,
            );
        })
        .finally(() => this.running.delete(service));
      this.running.set(service, run);
    }
  }

  private ensureAlarms(): void {
    for (const service of this.deps.services()) this.deps.putMetricAlarm(this.alarms(service));
  }

  private evaluate(): void {
    if (this.stopped) return;
    try {
      this.deps.evaluateAlarms();
    } catch (error) {
      console.error(`[local] alarm evaluation failed: ${(error as Error).message}`);
    }
  }
}

/** Namespace of the health metrics: the catalog's POWERTOOLS_METRICS_NAMESPACE for health-record. */
function healthMetricNamespace(prefix: string, region: string, accountId: string): string {
  const namespace = stepFunction('health-record').environment({
    prefix,
    lockTableName: lockTableName(prefix),
    notificationTopicArn: `arn:aws:sns:${region}:${accountId}:${notificationTopicName(prefix)}`,
    rolloutStateMachineArn: `arn:aws:states:${region}:${accountId}:stateMachine:${rolloutStateMachineName(prefix)}`,
  }).POWERTOOLS_METRICS_NAMESPACE;
  if (namespace === undefined) {
    throw new Error(
      'lambdas/catalog.ts gives health-record no POWERTOOLS_METRICS_NAMESPACE; the health alarm needs it.',
    );
  }
  return namespace;
}
