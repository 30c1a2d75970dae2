import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { readDeployedSpec } from '../shared/deployed-spec';
import { InvalidStepInputError } from '../shared/errors';
import { readHealth } from '../shared/health-parameter';
import type { HealthCheckInput, HealthState, NothingLive } from '../shared/health-types';
import { readLiveRecord } from '../shared/live-pointer';
import { reconcile, type LiveResolution } from '../shared/reconcile';
import { readRegistration } from '../shared/registration';
import { isNotFound } from '../shared/sagemaker-errors';
import type { SwitchTargetOptions } from '../shared/switch-target';
import type { EndpointStatus, LivePointer, LiveTarget } from '../shared/types';

/** What Read Live Target needs from outside. */
export interface HealthReadTargetDeps {
  readonly ssm: SSMClient;
  readonly sagemaker: SageMakerClient;
  readonly sfn: SFNClient;
  readonly lambda: LambdaClient;
  readonly dynamodb: DynamoDBClient;
  /** The rollout lock table (LOCK_TABLE_NAME): a held lock means a rollout may be mid-switch. */
  readonly lockTableName: string;
  readonly prefix: string;
  /** How to wait for a proxy update in progress before reading what it serves. */
  readonly switchOptions: SwitchTargetOptions;
}

/** Checks the health-check execution input: `{"service": "<name>"}`. */
export function parseHealthCheckInput(event: unknown): HealthCheckInput {
  const service = (event as { service?: unknown } | null)?.service;
  if (typeof service !== 'string' || service === '') {
    throw new InvalidStepInputError(
      `The health check expects {"service": "<name>"} (the schedule's input); got ${JSON.stringify(event)?.slice(0, 200)}`,
    );
  }
  return { service };
}

/**
 * Reads what a service serves now and how to check it: the registration, what the proxy really serves
 * (reconciled with the live pointer: lambdas/shared/reconcile.ts; null: nothing was ever deployed, so
 * nothing to check), the health record, the served endpoint's status, and the smoke tests and health
 * settings of the spec that deployed it (from its execution's input). The repaired pointer is written
 * only when no rollout of the service runs (none holds the lock, no pending switch's execution runs):
 * otherwise a switch may be under way, and the check only probes what the proxy serves.
 */
export async function healthReadTargetCore(
  input: HealthCheckInput,
  deps: HealthReadTargetDeps,
): Promise<HealthState | NothingLive> {
  const { service } = input;
  const registration = await readRegistration(deps.ssm, deps.prefix, service);
  const stored = await readLiveRecord(deps.ssm, deps.prefix, service);
  const quiet = !(await rolloutRunning(service, stored.pending?.executionArn ?? null, deps));
  const resolution = await reconcile({
    ssm: deps.ssm,
    lambda: deps.lambda,
    sagemaker: deps.sagemaker,
    prefix: deps.prefix,
    service,
    proxyFunctionName: registration.proxyFunctionName,
    repair: quiet,
    switchOptions: deps.switchOptions,
  });
  const live = servedPointer(resolution);
  if (live === null) return { service, live: null };
  const [health, endpointStatus, deployed] = await Promise.all([
    readHealth(deps.ssm, deps.prefix, service),
    describeEndpointStatus(deps.sagemaker, live.current.endpointName),
    readDeployedSpec(deps.sfn, live.current),
  ]);
  const repairNotes = resolution.repairs.map((r) => {
    const label = r.action.startsWith('none')
      ? 'Found'
      : quiet
        ? 'Repaired'
        : 'Found (a rollout is running, so not repaired)';
    return `${label}: ${r.finding}; ${r.action}.`;
  });
  return {
    service,
    registration,
    live,
    endpointStatus,
    smokeTests: deployed.smokeTests,
    healthCheckSettings: deployed.settings,
    health,
    notes: [
      ...repairNotes,
      ...deployed.notes,
      ...(endpointStatus === 'InService'
        ? []
        : [`Live endpoint ${live.current.endpointName} is ${endpointStatus}, not InService.`]),
    ],
    ...(resolution.repairs.length === 0 ? {} : { repairs: resolution.repairs }),
  };
}

/**
 * The pointer as the proxy serves it: the repaired one, or, when the proxy serves an endpoint no record
 * knows, a pointer naming that endpoint (so the probe expects what really answers).
 */
function servedPointer(resolution: LiveResolution): LivePointer | null {
  const served = resolution.servedEndpoint;
  if (served === null) return null;
  if (resolution.pointer !== null && resolution.pointer.current.endpointName === served) {
    return resolution.pointer;
  }
  const unknown: LiveTarget = {
    rolloutId: served,
    endpointName: served,
    endpointConfigName: served,
    modelName: served,
    modelId: 'unknown',
    modelRevision: 'unknown',
    task: 'unknown',
    since: new Date(0).toISOString(),
    executionArn: '',
  };
  return { current: unknown, previous: resolution.pointer === null ? [] : resolution.pointer.previous };
}

/** True when a rollout of the service runs: the lock's holder, or the execution of a pending switch. */
async function rolloutRunning(
  service: string,
  pendingExecution: string | null,
  deps: HealthReadTargetDeps,
): Promise<boolean> {
  const out = await deps.dynamodb.send(
    new GetItemCommand({ TableName: deps.lockTableName, Key: marshall({ service }), ConsistentRead: true }),
  );
  const holder = out.Item === undefined ? null : (unmarshall(out.Item) as { holder?: unknown }).holder;
  for (const arn of [typeof holder === 'string' ? holder : null, pendingExecution]) {
    if (arn === null || arn === '') continue;
    if (await isRunning(deps.sfn, arn)) return true;
  }
  return false;
}

async function isRunning(sfn: SFNClient, executionArn: string): Promise<boolean> {
  try {
    return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status === 'RUNNING';
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

async function describeEndpointStatus(
  sagemaker: SageMakerClient,
  endpointName: string,
): Promise<EndpointStatus> {
  try {
    const out = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return out.EndpointStatus ?? 'OutOfService';
  } catch (error) {
    if (isNotFound(error, 'endpoint')) return 'Deleted';
    throw error;
  }
}
