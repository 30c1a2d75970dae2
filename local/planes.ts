import type { LocalService, ServiceContext } from './protocol/types';
import type { MetricAlarmConfig } from './services/cloudwatch-alarms';
import type { AlarmTransition } from './services/cloudwatch';

/**
 * The local cloud is built from two planes, each owning its services and state:
 * - the data plane (local/services/data-plane.ts): SageMaker, SageMaker Runtime + the emulated
 *   HuggingFace container, SSM, SNS, DynamoDB, Secrets Manager, CloudFront, CloudWatch;
 * - the compute plane (local/services/compute-plane.ts): Lambda (esbuild bundles in workers), Step
 *   Functions (aws-local-stepfunctions running the real ASL), the edge (CloudFront + API Gateway in
 *   front of each service's proxy) and the health-check schedule.
 * LocalCloud (cloud.ts) starts both and serves their services on one port.
 */

/** Where the planes keep state and how they reach the AWS API port. */
export interface PlaneOptions {
  readonly ctx: ServiceContext;
  /** Folder for persistent state; null keeps everything in memory. */
  readonly dataDir: string | null;
  /** Base URL of the AWS API port (e.g. http://127.0.0.1:4580), for SDK clients inside the cloud. */
  readonly endpoint: string;
  /** Repository root (ASL files, lambda entries). */
  readonly rootDir: string;
}

/** What a serving stack creates for a service, in the local cloud. */
export interface LocalServiceResources {
  readonly service: string;
  readonly distributionId: string;
  readonly apiKey: string;
  readonly apiKeySecretId: string;
  readonly sagemakerRoleArn: string;
  readonly publicUrl: string;
  /** Value the edge adds as `x-origin-verify` and the proxy requires (CloudFront's custom origin header). */
  readonly originVerifySecret: string;
}

/** The data plane's surface for the rest of the cloud. */
export interface DataPlane {
  readonly services: readonly LocalService[];
  /** Registers a CloudFront invalidation listener (the edge clears its cache). */
  onInvalidation(listener: (distributionId: string, paths: readonly string[]) => void): void;
  /** Feeds one stdout line of a Lambda function to CloudWatch (EMF metric lines become metrics). */
  ingestLog(functionName: string, line: string): void;
  /** Creates a service's data resources (API key secret, distribution, SSM registration). Idempotent. */
  provisionService(service: string, publicUrl: string, proxyFunctionName: string): LocalServiceResources;
  /** Services provisioned so far (persisted). */
  provisionedServices(): readonly LocalServiceResources[];
  /** Creates or updates a CloudWatch metric alarm (as the pipeline stack's health alarms). Idempotent. */
  putMetricAlarm(config: MetricAlarmConfig): void;
  /**
   * Evaluates every alarm now (time-scaled periods) and publishes each state change to the SNS topics
   * among its actions, as CloudWatch does. Returns the changes.
   */
  evaluateAlarms(): readonly AlarmTransition[];
  /** Everything that exists, by kind, for before/after comparisons in tests. */
  inventory(): Record<string, unknown>;
  reset(): void;
  close(): Promise<void>;
}

/** One health-check execution's outcome (an Express execution, so not in ListExecutions). */
export interface HealthCheckRun {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'RUNNING';
  readonly startDate: string;
  readonly stopDate?: string;
  /** The execution's output, parsed (SUCCEEDED only). */
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** The compute plane's surface. */
export interface ComputePlane {
  readonly services: readonly LocalService[];
  /** Base URL of the edge (CloudFront + API Gateway), e.g. http://127.0.0.1:4581. */
  readonly edgeUrl: string;
  /** Creates a service: its proxy function, data resources, and edge route. Idempotent. */
  provisionService(service: string): Promise<LocalServiceResources>;
  /** Runs the health-check (Express) state machine for a service now and returns its outcome. */
  runHealthCheck(service: string): Promise<HealthCheckRun>;
  inventory(): Record<string, unknown>;
  reset(): Promise<void>;
  close(): Promise<void>;
}
