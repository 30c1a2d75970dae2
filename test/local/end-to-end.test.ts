import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { LocalCloud } from '../../local/cloud';
import { newRolloutId, proxyFunctionName, rolloutStateMachineName } from '../../pipeline/names';
import { HAPPY_PATH_TASKS } from '../e2e/support/specs';
import { eventually } from './support/compute-harness';

/**
 * The whole local cloud (data and compute planes) running the REAL rollout state machine with the
 * REAL step handlers bundled by esbuild, driven through SDK clients as the CLI drives it.
 */

const spec = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'sentiment.json'), 'utf8')) as {
  service: string;
  model: { id: string };
};

let cloud: LocalCloud;
let sfn: SFNClient;
let lambda: LambdaClient;

beforeAll(async () => {
  cloud = await LocalCloud.start({
    dataDir: null,
    port: 0,
    edgePort: 0,
    timeScale: 0.001,
    services: ['sentiment'],
  });
  const config = {
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  sfn = new SFNClient(config);
  lambda = new LambdaClient(config);
}, 60_000);

afterAll(async () => {
  sfn.destroy();
  lambda.destroy();
  await cloud.stop();
});

describe('a rollout in the local cloud', () => {
  let executionArn = '';
  let rolloutId = '';
  let outcome: DescribeExecutionCommandOutput;

  it('runs the real rollout state machine to SUCCEEDED', async () => {
    rolloutId = newRolloutId(spec.service, spec.model.id);

    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${rolloutStateMachineName('hf-rollout')}`,
        name: rolloutId,
        input: JSON.stringify({ spec, requestedBy: 'test' }),
      }),
    );
    executionArn = started.executionArn ?? '';
    outcome = await eventually(async () => {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING' ? undefined : out;
    }, 90_000);

    expect({ status: outcome.status, error: outcome.error, cause: outcome.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    const record = JSON.parse(outcome.output ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({
      rolloutId,
      status: 'SUCCEEDED',
      service: 'sentiment',
      endpointName: rolloutId,
    });
  }, 120_000);

  it('went through every step of the happy path, as history shows', async () => {
    const events =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];

    const tasks = events
      .filter((e) => e.type === 'TaskStateEntered')
      .map((e) => e.stateEnteredEventDetails?.name);
    expect([...new Set(tasks)]).toEqual(HAPPY_PATH_TASKS);
    expect(events.filter((e) => e.type === 'LambdaFunctionFailed')).toEqual([]);
  });

  it("switched the proxy's ENDPOINT_NAME, and the public URL answers from the new endpoint", async () => {
    const config = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: proxyFunctionName('hf-rollout', 'sentiment') }),
    );
    const { apiKey } = await cloud.compute.provisionService('sentiment');

    const res = await fetch(`${cloud.edgeUrl}/sentiment/predict`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'I love this product' }),
    });
    const direct = await fetch(`${cloud.edgeUrl}/_direct/sentiment/predict`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'I love this product' }),
    });

    expect(config.Environment?.Variables?.ENDPOINT_NAME).toBe(rolloutId);
    expect(res.status).toBe(200);
    expect([...res.headers.values()]).toContain(rolloutId);
    expect((await res.json()) as unknown).toEqual([expect.objectContaining({ label: 'POSITIVE' })]);
    expect(direct.status).toBe(403);
  });

  it('runs the health check (Express) against the live deployment', async () => {
    const run = await cloud.compute.runHealthCheck('sentiment');

    expect(run.status).toBe('SUCCEEDED');
    expect(run.executionArn).toMatch(/:express:hf-rollout-health-check:/);
  }, 60_000);
});
