import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseCause } from '../../lambdas/shared/failure';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lockTableName, DEFAULT_PREFIX, stepFunctionName } from '../../pipeline/names';
import { REGION, startCloud, type E2eCloud } from './support/cloud';
import { resourcesNamedAfter, resourcesOf, sagemakerNamesContaining } from './support/inventory';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * One rollout per service at a time: ten rollouts of one service started at once; exactly one
 * proceeds, the nine others fail fast with RolloutInProgress and create nothing.
 */

const SERVICE = 'sentiment';
const ROLLOUTS = 10;
/** How long the rollout that proceeds is held in Create Model (real ms). */
const HOLD_MS = 20_000;

let cloud: E2eCloud;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ cloud, stop } = await startCloud());
  // Warm the step functions, so the race below is between rollouts, not between cold starts: one
  // rollout, then ten execution environments of each function the ten rollouts run at once.
  const warm = specVersion(0);
  await cloud.deploy(warm, { rolloutId: rolloutIdFor(warm) });
  await Promise.all(
    ['validate-spec', 'acquire-lock'].flatMap((id) =>
      Array.from({ length: ROLLOUTS }, () =>
        cloud.clients.lambda.send(
          new InvokeCommand({ FunctionName: stepFunctionName(DEFAULT_PREFIX, id), Payload: '{}' }),
        ),
      ),
    ),
  );
}, 120_000);

afterAll(async () => {
  await stop();
});

describe('ten rollouts of one service started at once', () => {
  it('lets exactly one proceed; the nine others fail fast with RolloutInProgress and create nothing', async () => {
    const rollouts = Array.from({ length: ROLLOUTS }, (_, i) => {
      const spec = specVersion(i + 1);
      return { spec, rolloutId: rolloutIdFor(spec) };
    });
    const ids = rollouts.map((r) => r.rolloutId);
    const before = resourcesOf(await cloud.inventory());
    // The one that proceeds is held in its first SageMaker call (only it gets that far), so "fail fast"
    // is an order of events: every other rollout has ended before the one that proceeds leaves Create
    // Model. The hold only bounds how long the nine may take (under create-model's 30 s timeout).
    await cloud.addFaults({
      operation: 'SageMaker.CreateModel',
      match: { ModelName: `${SERVICE}-*` },
      outcome: { delayMs: HOLD_MS },
      count: 1,
    });

    const started = await Promise.all(
      rollouts.map((r) => cloud.startRollout(r.spec, { rolloutId: r.rolloutId })),
    );
    const outcomes = await Promise.all(started.map((s) => cloud.waitForEnd(s.executionArn)));
    await cloud.clearFaults();

    const winners = outcomes.filter((o) => o.status === 'SUCCEEDED');
    const losers = outcomes.filter((o) => o.status !== 'SUCCEEDED');
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    if (winner === undefined) throw new Error('no winner');
    expect(losers).toHaveLength(ROLLOUTS - 1);
    for (const loser of losers) {
      expect({ status: loser.status, error: loser.error }).toEqual({
        status: 'FAILED',
        error: 'RolloutInProgress',
      });
      // The cause is Acquire Lock's message itself, out of the Lambda error envelope (no stack trace).
      const { errorType, message } = parseCause(loser.cause);
      expect(errorType).toBeNull();
      expect(loser.cause).not.toMatch(/"trace"|\n\s+at /);
      expect(message).toContain(`Another rollout of service "${SERVICE}" is running: ${winner.rolloutId}`);
      expect(message).toContain('This rollout created nothing');
    }

    // Fail fast: each of the nine ended before the one that proceeds had created its model.
    const winnerDetail = await cloud.rollout(winner.executionArn);
    const modelCreated = winnerDetail.steps.find((s) => s.name === 'Create Model')?.exitedAt ?? '';
    for (const loser of losers) {
      const detail = await cloud.rollout(loser.executionArn);
      expect(Date.parse(detail.finishedAt ?? '')).toBeLessThan(Date.parse(modelCreated));
      expect(detail.steps.filter((s) => s.type === 'Task').map((s) => s.name)).toEqual([
        'Validate Spec',
        'Acquire Lock',
      ]);
      expect(detail.failure).toMatchObject({ step: 'Acquire Lock', error: 'RolloutInProgress' });
      expect(await sagemakerNamesContaining(cloud.clients.sagemaker, loser.rolloutId)).toEqual([]);
    }
    const after = resourcesOf(await cloud.inventory());
    expect(losers.flatMap((l) => resourcesNamedAfter(after, l.rolloutId))).toEqual([]);
    expect(after.endpoints.map((e) => e.name).sort()).toEqual(
      [...before.endpoints.map((e) => e.name), winner.rolloutId].sort(),
    );
    expect((await cloud.livePointer(SERVICE))?.current.rolloutId).toBe(winner.rolloutId);
    const history = await cloud.history(SERVICE);
    expect(
      history
        .filter((r) => ids.includes(r.rolloutId))
        .map((r) => r.status)
        .sort(),
    ).toEqual([...Array.from({ length: ROLLOUTS - 1 }, () => 'FAILED'), 'SUCCEEDED']);
  }, 180_000);

  it('leaves the lock free once the rollout that held it has ended', async () => {
    const dynamodb = new DynamoDBClient({
      endpoint: cloud.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
    });
    try {
      const lock = await dynamodb.send(
        new GetItemCommand({ TableName: lockTableName(DEFAULT_PREFIX), Key: { service: { S: SERVICE } } }),
      );
      expect(lock.Item).toBeUndefined();
    } finally {
      dynamodb.destroy();
    }
    const next = specVersion(ROLLOUTS + 1);
    expect((await cloud.runRollout(next, { rolloutId: rolloutIdFor(next) })).status).toBe('SUCCEEDED');
  }, 120_000);
});
