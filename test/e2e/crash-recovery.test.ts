import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { fullHistory } from '../../pipeline/history';
import type { RolloutState } from '../../lambdas/shared/types';
import { freePort, spawnCloud, type CloudProcess, type CloudProcessOptions } from './support/processes';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * Killing the local cloud (SIGKILL) in the middle of a rollout and starting it again on the same data
 * folder and ports: no history already recorded is lost, the interrupted rollout shows as failed with
 * that cause, and the next rollout of the service is not blocked by the lock it held.
 */

const SERVICE = 'sentiment';

let dataDir: string;
let options: CloudProcessOptions;
let running: CloudProcess | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-crash-'));
  // Free ports picked once, so the restarted cloud answers on the same URLs as the killed one.
  options = {
    dataDir,
    port: await freePort(),
    edgePort: await freePort(),
    timeScale: 0.01,
    services: [SERVICE],
  };
});

afterAll(async () => {
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** Events as compared across the restart (the SDK parses timestamps into Dates). */
function comparable(events: readonly HistoryEvent[]): unknown[] {
  return events.map((e) => JSON.parse(JSON.stringify(e)) as unknown);
}

describe('a local cloud killed in the middle of a rollout', () => {
  it('keeps recorded history, fails the interrupted rollout with that cause, and lets the next rollout take its lock over', async () => {
    // A first cloud: one rollout done, a second one waiting for an endpoint that takes (AWS) hours.
    const first = await spawnCloud(options);
    running = first;
    const done = specVersion(1);
    const doneOutcome = await first.cloud.runRollout(done, { rolloutId: rolloutIdFor(done) });
    expect(doneOutcome.status).toBe('SUCCEEDED');
    const doneBefore = await first.cloud.rollout(doneOutcome.executionArn);
    const doneEventsBefore = await fullHistory(first.cloud.clients.sfn, doneOutcome.executionArn);

    const slow = specVersion(2);
    const slowId = rolloutIdFor(slow);
    await first.cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: slowId },
      outcome: { creationSeconds: 36_000 },
    });
    const { executionArn: slowArn } = await first.cloud.startRollout(slow, { rolloutId: slowId });
    let slowEventsBefore: HistoryEvent[] = [];
    // After two polls, the endpoint checks answer late, so that the kill lands inside one (a visit
    // entered after the fault was declared is certain to be held by it).
    let checksWhenHeld: number | undefined;
    for (const deadline = Date.now() + 60_000; ;) {
      slowEventsBefore = await fullHistory(first.cloud.clients.sfn, slowArn);
      const polls = slowEventsBefore.filter(
        (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Check Endpoint',
      );
      const checks = slowEventsBefore.filter(
        (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Check Endpoint',
      ).length;
      if (checksWhenHeld === undefined && polls.length >= 2) {
        await first.cloud.addFaults({
          operation: 'SageMaker.DescribeEndpoint',
          match: { EndpointName: slowId },
          outcome: { delayMs: 30_000 },
        });
        checksWhenHeld = checks;
      }
      const last = slowEventsBefore[slowEventsBefore.length - 1];
      const inLambda = last?.type === 'LambdaFunctionScheduled' || last?.type === 'LambdaFunctionStarted';
      if (checksWhenHeld !== undefined && checks > checksWhenHeld && inLambda) break;
      if (Date.now() > deadline) throw new Error('the slow rollout never reached the endpoint wait loop');
      await sleep(100);
    }

    await first.kill();
    running = undefined;

    const second = await spawnCloud(options);
    running = second;
    const { cloud } = second;
    expect(cloud.endpoint).toBe(first.cloud.endpoint);
    expect((await cloud.registration(SERVICE)).publicUrl).toBe(`${cloud.edgeUrl}/${SERVICE}`);

    // The finished rollout and its history are intact.
    expect(comparable(await fullHistory(cloud.clients.sfn, doneOutcome.executionArn))).toEqual(
      comparable(doneEventsBefore),
    );
    const doneAfter = await cloud.rollout(doneOutcome.executionArn);
    expect(doneAfter.status).toBe('SUCCEEDED');
    expect(doneAfter.record).toEqual(doneBefore.record);

    // The interrupted one kept every event recorded before the kill and ends FAILED with the cause.
    const slowEventsAfter = await fullHistory(cloud.clients.sfn, slowArn);
    expect(comparable(slowEventsAfter.slice(0, slowEventsBefore.length))).toEqual(
      comparable(slowEventsBefore),
    );
    expect(slowEventsAfter[slowEventsAfter.length - 1]?.type).toBe('ExecutionFailed');
    const interrupted = await cloud.rollout(slowArn);
    expect(interrupted.status).toBe('FAILED');
    expect(interrupted.failure?.error).toBe('States.Runtime');
    expect(interrupted.failure?.message).toContain(
      'The local cloud stopped while this execution was running',
    );
    expect(interrupted.failure?.step).toBe('Check Endpoint');
    // The step the kill interrupted shows as such (not as succeeded), with the cause of the failure.
    const open = interrupted.steps[interrupted.steps.length - 1];
    expect(open).toMatchObject({
      name: 'Check Endpoint',
      status: 'failed',
      interrupted: true,
      error: 'States.Runtime',
    });
    expect(open?.cause).toContain('The local cloud stopped while this execution was running');
    expect(interrupted.steps.filter((s) => s.status !== 'succeeded').map((s) => s.name)).toEqual([
      'Check Endpoint',
    ]);
    const history = await cloud.history(SERVICE);
    expect(history.map((r) => [r.rolloutId, r.status])).toEqual([
      [slowId, 'FAILED'],
      [doneOutcome.rolloutId, 'SUCCEEDED'],
    ]);

    // The next rollout of the service is not blocked: it takes the dead rollout's lock over.
    const next = specVersion(3);
    const nextOutcome = await cloud.runRollout(next, { rolloutId: rolloutIdFor(next) });
    expect({ status: nextOutcome.status, error: nextOutcome.error }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
    });
    const nextDetail = await cloud.rollout(nextOutcome.executionArn);
    const lock = (nextDetail.steps.find((s) => s.name === 'Acquire Lock')?.output as RolloutState | undefined)
      ?.lock;
    expect(lock?.tookOverFrom).toBe(slowArn);
    const answer = await cloud.callApi(SERVICE, { inputs: 'I love this product' });
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({
      status: 200,
      servedBy: nextOutcome.rolloutId,
    });
  }, 240_000);
});
