import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { promote, readLivePointer, writeLivePointer } from '../../../lambdas/shared/live-pointer';
import type { LivePointer, LiveTarget } from '../../../lambdas/shared/types';
import { MAX_RESOURCE_NAME_LENGTH, liveParameterName, newRolloutId } from '../../../pipeline/names';
import { HF_TASKS } from '../../../pipeline/spec/schema';
import { startDataPlane, type DataPlaneHarness } from '../../local/data-plane-harness';

/**
 * The live pointer at its largest: every field at the longest the spec and the names allow, the most
 * kept deployments (keepPreviousEndpoints 5) and a pending one, written through the local SSM, which
 * refuses Standard values over 4 KB and Advanced ones over 8 KB as SSM does.
 */

const PREFIX = 'hf-rollout';
const SERVICE = 'abcdefghij-klmnopqrs'; // 20 characters, the spec's longest service name
const MODEL_ID = `${'o'.repeat(47)}/${'m'.repeat(48)}`; // 96 characters, the spec's longest model id
const REVISION = 'r'.repeat(64); // the spec's longest revision (a commit sha is 40)
const TASK = [...HF_TASKS].sort((a, b) => b.length - a.length)[0] ?? '';
const KEEP = 5;

/** A kept deployment with every field at its longest (a rollout id may use all 63 characters). */
function longestTarget(n: number): LiveTarget {
  const id = newRolloutId(SERVICE, MODEL_ID, new Date(Date.UTC(2026, 0, 1, 0, 0, n))).padEnd(
    MAX_RESOURCE_NAME_LENGTH,
    'f',
  );
  return {
    rolloutId: id,
    endpointName: id,
    endpointConfigName: id,
    modelName: id,
    modelId: MODEL_ID,
    modelRevision: REVISION,
    task: TASK,
    since: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    executionArn: `arn:aws-us-gov:states:ap-southeast-2:123456789012:execution:${PREFIX}-rollout:${id}`,
  };
}

let h: DataPlaneHarness;
let ssm: SSMClient;

beforeEach(async () => {
  h = await startDataPlane();
  ssm = new SSMClient(h.client);
});

afterEach(async () => {
  ssm.destroy();
  await h.stop();
});

describe('live pointer size', () => {
  it('writes the largest pointer (current + 5 kept + 1 pending) in a tier that holds it, and a small one after it', async () => {
    let pointer: LivePointer | null = null;
    for (let n = 1; n <= KEEP + 1; n++) pointer = promote(pointer, longestTarget(n), KEEP);
    const pendingTarget = longestTarget(KEEP + 2);
    const largest: LivePointer = {
      current: pointer?.current ?? longestTarget(0),
      previous: pointer?.previous ?? [],
      pending: {
        target: pendingTarget,
        rolloutId: pendingTarget.rolloutId,
        executionArn: pendingTarget.executionArn,
        kind: 'rollback',
        since: pendingTarget.since,
      },
    };
    const bytes = Buffer.byteLength(JSON.stringify(largest), 'utf8');

    await writeLivePointer(ssm, PREFIX, SERVICE, largest);
    const stored = await readLivePointer(ssm, PREFIX, SERVICE);
    const described = await ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Values: [liveParameterName(PREFIX, SERVICE)] }],
      }),
    );
    await writeLivePointer(ssm, PREFIX, SERVICE, promote(null, longestTarget(9), KEEP));

    expect(largest.previous).toHaveLength(KEEP);
    expect(bytes).toBeGreaterThan(4096); // Standard cannot hold it
    expect(bytes).toBeLessThanOrEqual(8192 - 2048); // Advanced holds it with 2 KB to spare
    expect(stored).toEqual(largest);
    expect(described.Parameters?.[0]?.Tier).toBe('Advanced');
    expect((await readLivePointer(ssm, PREFIX, SERVICE))?.previous).toEqual([]);
  });
});
