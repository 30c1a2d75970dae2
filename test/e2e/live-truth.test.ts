import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
} from '@aws-sdk/client-sagemaker';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DeploymentRecord, RolloutState } from '../../lambdas/shared/types';
import { newRollbackId } from '../../pipeline/names';
import { ROLLOUT_STATE_MACHINE_ARN, startCloud, type E2eCloud, type StartedCloud } from './support/cloud';
import { freePort, spawnCloud, type CloudProcess, type CloudProcessOptions } from './support/processes';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * One truth about what is live (docs/live-state.md), end to end: the local cloud is killed (SIGKILL)
 * while a declared delay holds a rollout between two writes, then started again on the same data; what
 * the proxy serves, the live pointer, history and the next rollout must agree. And a rollback to an
 * endpoint deleted behind the pipeline's back fails having changed nothing (issue 9, items 1-3).
 */

const SERVICE = 'sentiment';
const REVIEW = { inputs: 'I love this product' };

/** Waits until a declared fault has fired (the process is then held inside that call). */
async function heldAt(cloud: E2eCloud, id: string, timeoutMs = 90_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const { faults } = await cloud.faults();
    if ((faults.find((f) => f.id === id)?.fired ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`fault ${id} never fired`);
    await sleep(100);
  }
}

/** Endpoints SageMaker has for the service. */
async function endpoints(cloud: E2eCloud): Promise<string[]> {
  const out = await cloud.clients.sagemaker.send(new ListEndpointsCommand({ NameContains: `${SERVICE}-` }));
  // A retired endpoint stays listed as Deleting for a moment.
  return (out.Endpoints ?? [])
    .filter((e) => e.EndpointStatus !== 'Deleting')
    .map((e) => e.EndpointName ?? '')
    .sort();
}

/** The record of an execution (its output, or the record its Fail state carried). */
async function recordOf(cloud: E2eCloud, executionArn: string): Promise<DeploymentRecord | null> {
  return (await cloud.rollout(executionArn)).record;
}

describe('a local cloud killed between two writes of a rollout', () => {
  let dataDir: string;
  let options: CloudProcessOptions;
  let running: CloudProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-live-truth-'));
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

  /** Kills the running cloud and starts it again on the same data folder and ports. */
  async function restart(): Promise<E2eCloud> {
    await running?.kill();
    running = await spawnCloud(options);
    return running.cloud;
  }

  it('keeps one truth through crashes inside Switch API Target and after it (items 2 and 3)', async () => {
    running = await spawnCloud(options);
    let cloud = running.cloud;
    const v1 = specVersion(1);
    const first = await cloud.deploy(v1, { rolloutId: rolloutIdFor(v1) });
    const x = first.rolloutId;

    // 1. Killed after the intent was written, before the proxy's update took effect (item 2).
    const v2 = specVersion(2);
    const n = rolloutIdFor(v2);
    await cloud.addFaults({
      id: 'hold-proxy-update',
      operation: 'Lambda.UpdateFunctionConfiguration',
      match: { FunctionName: '*sentiment-proxy' },
      outcome: { delayMs: 600_000 },
    });
    await cloud.startRollout(v2, { rolloutId: n });
    await heldAt(cloud, 'hold-proxy-update');
    cloud = await restart();

    // What serves is the old endpoint, and every record says so.
    expect(await cloud.proxyEndpointName(SERVICE)).toBe(x);
    const pointer = await cloud.livePointer(SERVICE);
    expect(pointer?.current.endpointName).toBe(x);
    expect(pointer?.pending?.target.endpointName).toBe(n);
    const answer = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({ status: 200, servedBy: x });
    let history = await cloud.history(SERVICE);
    expect(history.map((r) => [r.rolloutId, r.status, r.live, r.outcome])).toEqual([
      [n, 'FAILED', false, 'never served: interrupted during Switch API Target'],
      [x, 'SUCCEEDED', true, 'live'],
    ]);

    // The next rollout repairs the pointer, records the repair, keeps what was serving and retires N.
    const v3 = specVersion(3);
    const m = (await cloud.deploy(v3, { rolloutId: rolloutIdFor(v3) })).rolloutId;
    const repaired = await recordOf(cloud, (await cloud.history(SERVICE))[0]?.executionArn ?? '');
    expect(repaired?.repairs).toEqual([
      {
        rolloutId: n,
        finding: `rollout ${n} never went live: it was interrupted during Switch API Target before the API was switched; the API kept serving ${x}`,
        action: `dropped the pending switch to ${n} from the live pointer`,
      },
    ]);
    expect((await cloud.livePointer(SERVICE))?.previous.map((t) => t.endpointName)).toEqual([x]);
    expect(await endpoints(cloud)).toEqual([m, x].sort());

    // 2. Killed after the proxy was switched, before the pointer recorded it.
    const v4 = specVersion(4);
    const k = rolloutIdFor(v4);
    await cloud.addFaults({
      id: 'hold-commit',
      operation: 'SSM.PutParameter',
      match: { Name: `/hf-rollout/${SERVICE}/live` },
      skip: 1,
      outcome: { delayMs: 600_000 },
    });
    await cloud.startRollout(v4, { rolloutId: k });
    await heldAt(cloud, 'hold-commit');
    cloud = await restart();

    expect(await cloud.proxyEndpointName(SERVICE)).toBe(k);
    const afterSwitch = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: afterSwitch.status, servedBy: afterSwitch.servedBy }).toEqual({
      status: 200,
      servedBy: k,
    });
    history = await cloud.history(SERVICE);
    expect(history.slice(0, 2).map((r) => [r.rolloutId, r.status, r.live, r.outcome])).toEqual([
      [k, 'FAILED', true, 'live, interrupted after Switch API Target'],
      [m, 'SUCCEEDED', false, `went live, then replaced by ${k}`],
    ]);
    expect(history.filter((r) => r.live).map((r) => r.rolloutId)).toEqual([k]);

    // 3. Killed during Retire Old Endpoints (item 3): the rollout served all traffic and history says so.
    const v5 = specVersion(5);
    const j = rolloutIdFor(v5);
    await cloud.addFaults({
      id: 'hold-retire',
      operation: 'SageMaker.ListEndpoints',
      outcome: { delayMs: 600_000 },
    });
    await cloud.startRollout(v5, { rolloutId: j });
    await heldAt(cloud, 'hold-retire');
    cloud = await restart();

    const retiring = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: retiring.status, servedBy: retiring.servedBy }).toEqual({ status: 200, servedBy: j });
    expect((await cloud.livePointer(SERVICE))?.current.endpointName).toBe(j);
    history = await cloud.history(SERVICE);
    expect(history[0]).toMatchObject({
      rolloutId: j,
      status: 'FAILED',
      live: true,
      outcome: 'live, interrupted during Retire Old Endpoints',
    });
    // The rollout that replaced K's record repaired K's interrupted switch before retiring anything.
    const jState = (await cloud.rollout(history[0]?.executionArn ?? '')).steps.find(
      (s) => s.name === 'Acquire Lock',
    )?.output as RolloutState | undefined;
    expect(jState?.repairs?.map((r) => r.finding)).toEqual([
      `rollout ${k} went live; it was interrupted after Switch API Target`,
    ]);

    // The next rollout succeeds; afterwards exactly live + kept exist.
    const v6 = specVersion(6);
    const last = (await cloud.deploy(v6, { rolloutId: rolloutIdFor(v6) })).rolloutId;
    const final = await cloud.livePointer(SERVICE);
    expect([final?.current.endpointName, ...(final?.previous ?? []).map((t) => t.endpointName)]).toEqual([
      last,
      j,
    ]);
    expect(await endpoints(cloud)).toEqual([last, j].sort());
  }, 600_000);
});

describe('a rollback to a kept endpoint deleted behind the pipeline (item 1)', () => {
  let started: StartedCloud;
  let cloud: E2eCloud;

  beforeAll(async () => {
    started = await startCloud();
    cloud = started.cloud;
  }, 60_000);

  afterAll(async () => {
    await started.stop();
  }, 60_000);

  /** Starts a rollback as `rollout rollback` does and waits for its end. */
  async function rollback(toRolloutId: string) {
    const rolloutId = newRollbackId(SERVICE);
    const out = await cloud.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: ROLLOUT_STATE_MACHINE_ARN,
        name: rolloutId,
        input: JSON.stringify({ kind: 'rollback', service: SERVICE, toRolloutId, requestedBy: 'e2e-test' }),
      }),
    );
    return cloud.waitForEnd(out.executionArn ?? '');
  }

  it('fails, says nothing changed, and the API keeps serving; a rollback to a live endpoint sends a real prediction', async () => {
    // Arrange: v1 kept, v2 live.
    const v1 = specVersion(1);
    const kept = (await cloud.deploy(v1, { rolloutId: rolloutIdFor(v1) })).rolloutId;
    const v2 = specVersion(2);
    const live = (await cloud.deploy(v2, { rolloutId: rolloutIdFor(v2) })).rolloutId;

    // A rollback to a kept endpoint that exists proves itself with the target's own smoke test.
    const back = await rollback(kept);
    expect(back.status).toBe('SUCCEEDED');
    const backRecord = back.output as DeploymentRecord;
    expect(backRecord.publicCheck).toMatchObject({ name: 'positive review', passed: true, servedBy: kept });
    // And forward again, so `kept` is the kept one once more.
    expect((await rollback(live)).status).toBe('SUCCEEDED');

    // Act: the kept endpoint is deleted by hand, then a rollback to it is asked for.
    await cloud.clients.sagemaker.send(new DeleteEndpointCommand({ EndpointName: kept }));
    for (const deadline = Date.now() + 30_000; ;) {
      const gone = await cloud.clients.sagemaker
        .send(new DescribeEndpointCommand({ EndpointName: kept }))
        .then(
          () => false,
          () => true,
        );
      if (gone) break;
      if (Date.now() > deadline) throw new Error(`endpoint ${kept} was never deleted`);
      await sleep(100);
    }
    const outcome = await rollback(kept);

    // Assert: failed, nothing changed, the API answers from what it served.
    expect(outcome.status).toBe('FAILED');
    expect(outcome.cause).toContain('no longer exists');
    expect(outcome.cause).toContain('Nothing was changed');
    const answer = await cloud.callApi(SERVICE, REVIEW);
    expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({ status: 200, servedBy: live });
    expect(await cloud.proxyEndpointName(SERVICE)).toBe(live);
    const pointer = await cloud.livePointer(SERVICE);
    expect(pointer?.current.endpointName).toBe(live);
    // The dead endpoint is no longer offered as a rollback target.
    expect(pointer?.previous).toEqual([]);
    const [row] = await cloud.history(SERVICE, 1);
    expect(row).toMatchObject({ kind: 'rollback', status: 'FAILED', live: false });
    expect(row?.outcome).toBe(`nothing changed: the API kept serving ${live}`);
  }, 240_000);
});
