import type { RolloutSpec, SmokeTest } from '../../pipeline/spec/schema';
import type { EndpointStatus, LivePointer, Repair, ServiceRegistration, SmokeResult } from './types';

/**
 * The data the health-check state machine passes from step to step (Read Live Target → Probe Public
 * API → Record Health). Like the rollout state, each step returns its input with its part added.
 */

/** Input of the health-check state machine (one execution per service, on a schedule). */
export interface HealthCheckInput {
  readonly service: string;
}

/** A service's health history, kept as JSON in the SSM parameter `healthParameterName(prefix, service)`. */
export interface HealthRecord {
  /** Failed checks in a row of the endpoint in `lastEndpoint` (reset by a healthy check or a new endpoint). */
  readonly consecutiveFailures: number;
  /** ISO 8601; null before the first check. */
  readonly lastCheckAt: string | null;
  /** null before the first check (counts as healthy, so a first failure notifies). */
  readonly lastResult: 'healthy' | 'unhealthy' | null;
  readonly lastLatencyMs: number | null;
  /** Live endpoint at the last check; a different one starts a new failure streak. */
  readonly lastEndpoint: string | null;
  /**
   * Endpoint that answered the last check (the public API's endpoint header); null when no answer named
   * one. Differs from `lastEndpoint` when the API does not serve what the live pointer says.
   */
  readonly lastServedBy?: string | null;
  /** When an automatic rollback was started for the current failure streak (at most one per streak). */
  readonly rolledBackAt?: string;
  /** The last automatic rollback; kept across streaks (see AutoRollback). */
  readonly lastAutoRollback?: AutoRollback;
}

/**
 * An automatic rollback the health check started. It is written before StartExecution, so a retried
 * Record Health starts the same execution (same name and input: Step Functions returns the running
 * one) instead of a second; and no automatic rollback goes back to `fromEndpoint`, so an API that fails
 * for reasons no endpoint fixes does not flip between two deployments.
 */
export interface AutoRollback {
  readonly executionName: string;
  /** The execution input, exactly as sent. */
  readonly input: string;
  readonly fromEndpoint: string;
  readonly toEndpoint: string;
  readonly startedAt: string;
  /** null until StartExecution answered. */
  readonly executionArn: string | null;
}

/** Health checks of a service: the deployment's spec `healthCheck`, or the defaults. */
export type HealthCheckSettings = RolloutSpec['healthCheck'];

/** Read Live Target's output when the service has never been deployed (the ASL ends "Nothing Deployed"). */
export interface NothingLive {
  readonly service: string;
  readonly live: null;
}

/** Read Live Target's output: what is live and how to check it. */
export interface HealthState {
  readonly service: string;
  readonly registration: ServiceRegistration;
  readonly live: LivePointer;
  /** SageMaker status of the live endpoint ('Deleted' when SageMaker does not know it). */
  readonly endpointStatus: EndpointStatus;
  /**
   * The live deployment's smoke tests, from its execution's input; null when they could not be read
   * (history expired, spec unreadable): the probe then checks `GET /model` instead (see `notes`).
   */
  readonly smokeTests: readonly SmokeTest[] | null;
  readonly healthCheckSettings: HealthCheckSettings;
  /** The health parameter when the check started. */
  readonly health: HealthRecord;
  /** Things a person should know about this check (e.g. why the smoke tests were not used). */
  readonly notes: readonly string[];
  /** What Read Live Target's reconcile found (and, when no rollout ran, repaired) in the live records. */
  readonly repairs?: readonly Repair[];
}

/** What Probe Public API saw. */
export interface HealthProbe {
  readonly passed: boolean;
  readonly results: readonly SmokeResult[];
  /** Median latency of the probe's requests. */
  readonly latencyMs: number;
  /** Endpoint named by the first answer's header; null when none said. */
  readonly servedBy: string | null;
}

/** Probe Public API's output. */
export interface ProbedHealthState extends HealthState {
  readonly probe: HealthProbe;
}

/** A Task failure caught by the ASL (`$.failure`), as Step Functions writes it. */
export interface CaughtFailure {
  readonly Error: string;
  readonly Cause?: string;
}

/**
 * Record Health's input: a probed state, or whatever a failed step's input was with `failure` added
 * (so everything but `service` may be missing).
 */
export type HealthRecordInput = { readonly service: string; readonly failure?: CaughtFailure } & Partial<
  Omit<ProbedHealthState, 'service'>
>;

/** Record Health's output; the ASL's "Healthy?" reads `healthy`, and "Unhealthy" fails with `summary`. */
export type HealthOutcome = HealthRecordInput & {
  readonly healthy: boolean;
  readonly summary: string;
  readonly health: HealthRecord;
};

/** Health before the first check. */
export const INITIAL_HEALTH: HealthRecord = {
  consecutiveFailures: 0,
  lastCheckAt: null,
  lastResult: null,
  lastLatencyMs: null,
  lastEndpoint: null,
};
