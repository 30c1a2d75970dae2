import { ROLLOUT_STATE_MACHINE_ARN, startCloud, type E2eCloud, type RolloutOutcome } from './support/cloud';
import { awsCli } from '../local/support/aws-cli';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * The AWS CLI works against the local cloud: after a rollout, `aws --endpoint-url <url>` lists its
 * endpoint (SageMaker) and its execution (Step Functions), as it would on AWS.
 */

let cloud: E2eCloud;
let stop: () => Promise<void>;
let rollout: RolloutOutcome;

beforeAll(async () => {
  ({ cloud, stop } = await startCloud());
  const spec = specVersion(1);
  rollout = await cloud.deploy(spec, { rolloutId: rolloutIdFor(spec) });
}, 120_000);

afterAll(async () => {
  await stop();
});

/** The AWS CLI against this test's cloud. */
function aws(args: readonly string[]): Promise<unknown> {
  return awsCli(cloud.endpoint, args);
}

describe('the AWS CLI against the local cloud', () => {
  it('lists the endpoints a rollout created (aws sagemaker list-endpoints)', async () => {
    const listed = (await aws(['sagemaker', 'list-endpoints'])) as {
      Endpoints: { EndpointName: string; EndpointStatus: string; EndpointArn: string }[];
    };

    expect(listed.Endpoints).toEqual([
      expect.objectContaining({
        EndpointName: rollout.rolloutId,
        EndpointStatus: 'InService',
        EndpointArn: `arn:aws:sagemaker:us-east-1:000000000000:endpoint/${rollout.rolloutId}`,
      }),
    ]);
  }, 60_000);

  it('lists the rollout executions (aws stepfunctions list-executions)', async () => {
    const listed = (await aws([
      'stepfunctions',
      'list-executions',
      '--state-machine-arn',
      ROLLOUT_STATE_MACHINE_ARN,
    ])) as { executions: { executionArn: string; name: string; status: string }[] };

    expect(listed.executions).toEqual([
      expect.objectContaining({
        executionArn: rollout.executionArn,
        name: rollout.rolloutId,
        status: 'SUCCEEDED',
      }),
    ]);
  }, 60_000);
});
