import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { SPEC_DEFAULTS } from '../../pipeline/spec/defaults';
import type { SmokeTest } from '../../pipeline/spec/schema';
import { validateSpec } from '../../pipeline/spec/validate';
import { errorMessage, isTransientAwsError } from './errors';
import type { HealthCheckSettings } from './health-types';
import type { LiveTarget } from './types';

/** The smoke tests and health settings of the spec that deployed a target, or why they are unknown. */
export interface DeployedSpec {
  readonly smokeTests: readonly SmokeTest[] | null;
  readonly settings: HealthCheckSettings;
  readonly notes: readonly string[];
}

/**
 * The spec of the execution that deployed `target`, from that execution's input (health checks and
 * rollbacks reuse its smoke tests). Execution history is kept 90 days and a spec may predate today's
 * schema, so when it cannot be read `smokeTests` is null and a note says why.
 */
export async function readDeployedSpec(sfn: SFNClient, target: LiveTarget): Promise<DeployedSpec> {
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
    return { smokeTests: spec.smokeTests, settings: spec.healthCheck, notes: [] };
  } catch (error) {
    return fallback(`its input is not a valid rollout spec: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
}
