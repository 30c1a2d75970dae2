import { setTimeout as sleep } from 'node:timers/promises';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { RolloutState } from '../../lambdas/shared/types';
import { startCloud, type StartedCloud } from './support/cloud';
import { sagemakerNamesContaining } from './support/inventory';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * A rollout stopped from outside (StopExecution, as a person in the console does) runs no Catch, so
 * Roll Back never deletes what it had created and its lock is never released. The next rollout of the
 * service takes the lock over and, once live, retires what the stopped one left.
 */

/**
 * How long the stopped rollout's CreateEndpointConfig is held: the stop only has to land within it,
 * and the call completes after it (under the function's 30 s timeout).
 */
const HOLD_MS = 8000;

let started: StartedCloud | undefined;

afterAll(async () => {
  await started?.stop();
}, 60_000);

describe('a rollout stopped between Create Model and Create Endpoint', () => {
  it('leaves its model and endpoint config only until the next rollout of the service retires them', async () => {
    started = await startCloud();
    const { cloud } = started;
    const first = specVersion(1);
    const firstId = rolloutIdFor(first);
    await cloud.deploy(first, { rolloutId: firstId });

    // The stopped rollout: its CreateEndpointConfig is held (answered late), and the rollout is stopped
    // once the held call has reached SageMaker (the fault fired), whatever the machine's speed.
    const stopped = specVersion(2);
    const stoppedId = rolloutIdFor(stopped);
    await cloud.addFaults({
      id: 'hold-create-endpoint-config',
      operation: 'SageMaker.CreateEndpointConfig',
      match: { EndpointConfigName: stoppedId },
      outcome: { delayMs: HOLD_MS },
      count: 1,
    });
    const { executionArn } = await cloud.startRollout(stopped, { rolloutId: stoppedId });
    for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
      const { fired } = await cloud.faults();
      if (fired.some((f) => f.id === 'hold-create-endpoint-config')) break;
      if (Date.now() > deadline) throw new Error('the rollout never called CreateEndpointConfig');
    }
    await cloud.clients.sfn.send(
      new StopExecutionCommand({ executionArn, cause: 'stopped by the e2e test' }),
    );
    expect((await cloud.waitForEnd(executionArn)).status).toBe('ABORTED');
    // The delayed call still completes (SageMaker received it): the config appears after the stop.
    let left: string[] = [];
    for (
      const deadline = Date.now() + HOLD_MS + 10_000;
      left.length < 2 && Date.now() < deadline;
      await sleep(50)
    ) {
      left = await sagemakerNamesContaining(cloud.clients.sagemaker, stoppedId);
    }
    expect(left.sort()).toEqual([`endpoint config ${stoppedId}`, `model ${stoppedId}`]);

    // The next rollout takes over the stopped one's lock and retires what it left.
    const next = specVersion(3);
    const outcome = await cloud.runRollout(next, { rolloutId: rolloutIdFor(next) });
    expect({ status: outcome.status, error: outcome.error }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
    });
    const detail = await cloud.rollout(outcome.executionArn);
    const retire = detail.steps.find((s) => s.name === 'Retire Old Endpoints')?.output as
      RolloutState | undefined;
    const lock = (detail.steps.find((s) => s.name === 'Acquire Lock')?.output as RolloutState | undefined)
      ?.lock;
    expect(lock?.tookOverFrom).toBe(executionArn);
    expect(retire?.retired).toEqual(
      expect.arrayContaining([`endpoint config ${stoppedId} (abandoned)`, `model ${stoppedId} (abandoned)`]),
    );
    expect(await sagemakerNamesContaining(cloud.clients.sagemaker, stoppedId)).toEqual([]);
    // What the live and the previous deployment run is still there.
    expect((await sagemakerNamesContaining(cloud.clients.sagemaker, outcome.rolloutId)).length).toBe(3);
    expect((await sagemakerNamesContaining(cloud.clients.sagemaker, firstId)).length).toBe(3);
  }, 120_000);
});
