import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { LocalCloud } from '../../../local/cloud';
import { newRolloutId, rolloutStateMachineName } from '../../../pipeline/names';
import { eventually } from '../../local/support/compute-harness';

/** Repository root. */
export const ROOT = join(__dirname, '..', '..', '..');

/** The rollout state machine of the local cloud. */
export const ROLLOUT_MACHINE = `arn:aws:states:us-east-1:000000000000:stateMachine:${rolloutStateMachineName('hf-rollout')}`;

/** The fields of examples/sentiment.json the tests read. */
export type SentimentSpec = Record<string, unknown> & {
  service: string;
  model: { id: string };
  smokeTests: readonly unknown[];
};

/** The rollout spec of examples/sentiment.json (a fresh copy), with `overrides` merged at the top level. */
export function sentimentSpec(overrides: Record<string, unknown> = {}): SentimentSpec {
  const spec = JSON.parse(readFileSync(join(ROOT, 'examples', 'sentiment.json'), 'utf8')) as Record<
    string,
    unknown
  > &
    SentimentSpec;
  return { ...spec, ...overrides };
}

/** SDK client configuration for a local cloud. */
export function clientConfig(cloud: LocalCloud): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/** Starts a rollout of `spec` as `rollout deploy` does (readable execution name); returns its id. */
export async function startRollout(
  sfn: SFNClient,
  spec: { service: string; model: { id: string } },
  requestedBy = 'console-test',
): Promise<{ rolloutId: string; executionArn: string }> {
  const rolloutId = newRolloutId(spec.service, spec.model.id);
  const out = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: ROLLOUT_MACHINE,
      name: rolloutId,
      input: JSON.stringify({ spec, requestedBy }),
    }),
  );
  return { rolloutId, executionArn: out.executionArn ?? '' };
}

/** Waits until an execution has ended and returns how. */
export function ended(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs = 90_000,
): Promise<DescribeExecutionCommandOutput> {
  return eventually(async () => {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? undefined : out;
  }, timeoutMs);
}

/** Runs a rollout to its end. */
export async function rollOut(
  sfn: SFNClient,
  spec: { service: string; model: { id: string } },
): Promise<{ rolloutId: string; outcome: DescribeExecutionCommandOutput }> {
  const { rolloutId, executionArn } = await startRollout(sfn, spec);
  return { rolloutId, outcome: await ended(sfn, executionArn) };
}

export { eventually };
