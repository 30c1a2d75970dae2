import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { SPEC_DEFAULTS } from '../../pipeline/spec/defaults';
import { validateSpec } from '../../pipeline/spec/validate';
import { errorMessage, InvalidStepInputError, isTransientAwsError } from '../shared/errors';
import { readHealth } from '../shared/health-parameter';
import type { HealthCheckInput, HealthCheckSettings, HealthState, NothingLive } from '../shared/health-types';
import { readLivePointer } from '../shared/live-pointer';
import { readRegistration } from '../shared/registration';
import { isNotFound } from '../shared/sagemaker-errors';
import { smokeConcurrency } from '../shared/smoke';
import type { EndpointStatus, LiveTarget } from '../shared/types';
import type { SmokeTest } from '../../pipeline/spec/schema';

/** What Read Live Target needs from outside. */
export interface HealthReadTargetDeps {
  readonly ssm: SSMClient;
  readonly sagemaker: SageMakerClient;
  readonly sfn: SFNClient;
  readonly prefix: string;
}

/** Part of a serverless endpoint's MaxConcurrency a health probe may take: the rest stays for users. */
export const HEALTH_PROBE_SHARE = 0.5;

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
 * Reads what a service serves now and how to check it: the registration, the live pointer (null:
 * nothing was ever deployed, so nothing to check), the health record, the live endpoint's status, and
 * the smoke tests and health settings of the spec that deployed it (from its execution's input).
 */
export async function healthReadTargetCore(
  input: HealthCheckInput,
  deps: HealthReadTargetDeps,
): Promise<HealthState | NothingLive> {
  const { service } = input;
  const registration = await readRegistration(deps.ssm, deps.prefix, service);
  const live = await readLivePointer(deps.ssm, deps.prefix, service);
  if (live === null) return { service, live: null };
  const [health, endpointStatus, deployed] = await Promise.all([
    readHealth(deps.ssm, deps.prefix, service),
    describeEndpointStatus(deps.sagemaker, live.current.endpointName),
    readDeployedSpec(deps.sfn, live.current),
  ]);
  return {
    service,
    registration,
    live,
    endpointStatus,
    smokeTests: deployed.smokeTests,
    healthCheckSettings: deployed.settings,
    ...(deployed.probeConcurrency === undefined ? {} : { probeConcurrency: deployed.probeConcurrency }),
    health,
    notes:
      endpointStatus === 'InService'
        ? deployed.notes
        : [
            ...deployed.notes,
            `Live endpoint ${live.current.endpointName} is ${endpointStatus}, not InService.`,
          ],
  };
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

interface DeployedSpec {
  readonly smokeTests: readonly SmokeTest[] | null;
  readonly settings: HealthCheckSettings;
  readonly notes: readonly string[];
  /** Set for a serverless endpoint (see HealthState.probeConcurrency). */
  readonly probeConcurrency?: number;
}

/**
 * The spec of the execution that deployed `target`. Execution history is kept 90 days and a spec may
 * predate today's schema, so when it cannot be read the check falls back to `GET /model` and says so.
 */
async function readDeployedSpec(sfn: SFNClient, target: LiveTarget): Promise<DeployedSpec> {
  const fallback = (why: string): DeployedSpec => ({
    smokeTests: null,
    settings: { ...SPEC_DEFAULTS.healthCheck },
    notes: [
      `The smoke tests of rollout ${target.rolloutId} could not be read (${why}); checking GET /model instead, with default health-check settings.`,
    ],
  });
  let input: string | undefined;
  try {
    input = (await sfn.send(new DescribeExecutionCommand({ executionArn: target.executionArn }))).input;
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    return fallback(
      `DescribeExecution ${target.executionArn}: ${error instanceof Error ? error.name : 'Error'}: ${errorMessage(error)}`,
    );
  }
  if (input === undefined) return fallback('the execution has no input');
  try {
    const spec = validateSpec((JSON.parse(input) as { spec?: unknown }).spec);
    return {
      smokeTests: spec.smokeTests,
      settings: spec.healthCheck,
      notes: [],
      ...(spec.endpoint.type === 'serverless'
        ? { probeConcurrency: smokeConcurrency(spec.endpoint, HEALTH_PROBE_SHARE) }
        : {}),
    };
  } catch (error) {
    return fallback(`its input is not a valid rollout spec: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
}
