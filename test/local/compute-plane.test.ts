import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { STEP_FUNCTIONS } from '../../lambdas/catalog';
import { proxyFunctionName, stepFunctionName } from '../../pipeline/names';
import {
  BEHAVIOUR_ENTRY,
  ROOT,
  eventually,
  fixtureMachine,
  machineArn,
  startCompute,
  type ComputeHarness,
} from './support/compute-harness';
import { createComputePlane } from '../../local/services/compute-plane';
import { Clock } from '../../local/clock';
import { FaultEngine } from '../../local/faults';
import { fakeDataPlane } from './support/compute-harness';

const PROXY = proxyFunctionName('hf-rollout', 'sentiment');

describe('compute plane with the catalog', () => {
  let h: ComputeHarness;

  beforeAll(async () => {
    h = await startCompute({ catalog: true });
  });

  afterAll(async () => {
    await h.stop();
  });

  it('registers every catalog function with its catalog environment and limits', async () => {
    const list = await h.lambda.send(new ListFunctionsCommand({}));
    const acquire = await h.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: stepFunctionName('hf-rollout', 'acquire-lock') }),
    );
    const release = await h.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: stepFunctionName('hf-rollout', 'release-lock') }),
    );

    expect(list.Functions?.map((f) => f.FunctionName).sort()).toEqual(
      STEP_FUNCTIONS.map((f) => stepFunctionName('hf-rollout', f.id)).sort(),
    );
    expect(acquire.Environment?.Variables).toMatchObject({
      PROJECT_PREFIX: 'hf-rollout',
      LOCK_TABLE_NAME: 'hf-rollout-locks',
    });
    expect(release.Environment?.Variables?.NOTIFICATION_TOPIC_ARN).toBe(
      'arn:aws:sns:us-east-1:000000000000:hf-rollout-notifications',
    );
    expect(acquire.Timeout).toBe(30);
    expect(acquire.MemorySize).toBe(256);
  });

  it('loads the rollout (Standard) and health-check (Express) machines with every placeholder filled', async () => {
    const list = await h.sfn.send(new ListStateMachinesCommand({}));
    const rollout = await h.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: machineArn('hf-rollout-rollout') }),
    );

    expect(list.stateMachines?.map((m) => [m.name, m.type])).toEqual([
      ['hf-rollout-health-check', 'EXPRESS'],
      ['hf-rollout-rollout', 'STANDARD'],
    ]);
    expect(rollout.definition).not.toContain('${');
    for (const spec of STEP_FUNCTIONS.filter((f) => f.stateMachine === 'rollout')) {
      expect(rollout.definition).toContain(
        `arn:aws:lambda:us-east-1:000000000000:function:${stepFunctionName('hf-rollout', spec.id)}`,
      );
    }
  });

  it('provisions a service: its proxy function with the catalog environment and its edge route, idempotently', async () => {
    const first = await h.plane.provisionService('sentiment');
    const config = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: PROXY }));
    const again = await h.plane.provisionService('sentiment');
    const after = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: PROXY }));

    expect(first.publicUrl).toBe(`${h.plane.edgeUrl}/sentiment`);
    expect(config.Environment?.Variables).toEqual({
      PROJECT_PREFIX: 'hf-rollout',
      SERVICE_NAME: 'sentiment',
      POWERTOOLS_SERVICE_NAME: 'hf-rollout-proxy',
      POWERTOOLS_METRICS_NAMESPACE: 'HfRollout',
      ORIGIN_VERIFY_SECRET: 'origin-secret-sentiment',
    });
    expect(config.Timeout).toBe(29);
    expect(config.MemorySize).toBe(1024);
    expect(again.apiKey).toBe(first.apiKey);
    expect(after.RevisionId).toBe(config.RevisionId);
    expect(h.plane.inventory().edgeRoutes).toEqual([
      expect.objectContaining({ service: 'sentiment', functionName: PROXY, distributionId: 'ESENTIMENT' }),
    ]);
  });

  it('runs the real proxy bundle behind the edge, which refuses calls that bypass CloudFront', async () => {
    const resources = await h.plane.provisionService('sentiment');
    const headers = { 'x-api-key': resources.apiKey, 'content-type': 'application/json' };

    const direct = await fetch(`${h.plane.edgeUrl}/_direct/sentiment/predict`, {
      method: 'POST',
      headers,
      body: '{"inputs":"hi"}',
    });
    const viaCdn = await fetch(`${h.plane.edgeUrl}/sentiment/predict`, {
      method: 'POST',
      headers,
      body: '{"inputs":"hi"}',
    });

    expect(direct.status).toBe(403);
    expect(await direct.json()).toMatchObject({ message: 'Call the API through its CloudFront URL.' });
    // No data plane behind this test: the proxy gets past the origin check and fails on the missing live pointer.
    expect(viaCdn.status).not.toBe(403);
    expect(viaCdn.headers.get('content-type')).toMatch(/json/);
  });
});

describe('compute plane persistence', () => {
  it('keeps the ENDPOINT_NAME a rollout set and the edge route across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'compute-restart-'));
    try {
      const first = await startCompute({ catalog: true, dataDir });
      await first.plane.provisionService('sentiment');
      const before = await first.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: PROXY }));
      await first.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: PROXY,
          RevisionId: before.RevisionId,
          Environment: { Variables: { ...before.Environment?.Variables, ENDPOINT_NAME: 'sentiment-live-1' } },
        }),
      );
      await first.stop();

      const second = await startCompute({ catalog: true, dataDir });
      try {
        const config = await eventually(async () => {
          const out = await second.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: PROXY }));
          return out.LastUpdateStatus === 'Successful' ? out : undefined;
        });

        expect(config.Environment?.Variables?.ENDPOINT_NAME).toBe('sentiment-live-1');
        expect(config.Environment?.Variables?.SERVICE_NAME).toBe('sentiment');
        expect(second.plane.inventory().edgeRoutes).toEqual([
          expect.objectContaining({ service: 'sentiment' }),
        ]);
        expect(second.data.provisioned.has('sentiment')).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('compute plane without the catalog', () => {
  it('fails at start when an ASL placeholder has no function', async () => {
    const data = fakeDataPlane();
    const ctx = {
      region: 'us-east-1',
      accountId: '000000000000',
      clock: new Clock(0.001),
      faults: new FaultEngine(),
    };

    await expect(
      createComputePlane({
        ctx,
        data,
        dataDir: null,
        endpoint: 'http://127.0.0.1:9',
        rootDir: ROOT,
        host: '127.0.0.1',
        edgePort: 0,
        catalog: false,
        extraStateMachines: [fixtureMachine('count-loop', 'count-loop')],
      }),
    ).rejects.toThrow(/\$\{BehaviourFunctionArn\}/);
  });

  it('registers a function whose bundle fails and answers its invocations with Runtime.ImportModuleError', async () => {
    const h = await startCompute({
      extraFunctions: [{ name: 'broken', entry: 'test/fixtures/functions/does-not-exist.ts' }],
    });
    try {
      const out = await h.lambda.send(
        new InvokeCommand({ FunctionName: 'broken', Payload: Buffer.from('{}') }),
      );

      expect(out.FunctionError).toBe('Unhandled');
      expect(JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString())).toMatchObject({
        errorType: 'Runtime.ImportModuleError',
        errorMessage: expect.stringContaining('does-not-exist.ts does not exist') as unknown,
      });
    } finally {
      await h.stop();
    }
  });

  it('empties executions, routes and configuration changes on reset, keeping the registered functions', async () => {
    const h = await startCompute({
      extraFunctions: [{ name: 'fx', entry: BEHAVIOUR_ENTRY, placeholder: 'BehaviourFunctionArn' }],
      extraStateMachines: [fixtureMachine('count-loop', 'count-loop')],
    });
    try {
      await h.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machineArn('count-loop'),
          input: '{"action":"count","count":3}',
        }),
      );
      await h.lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: 'fx', Description: 'changed' }),
      );
      h.plane.edge.addRoute({
        service: 's',
        functionName: 'fx',
        apiKey: null,
        originVerifySecret: null,
        distributionId: null,
      });

      await h.plane.reset();

      const inventory = h.plane.inventory();
      expect(inventory.executions).toEqual({});
      expect(inventory.edgeRoutes).toEqual([]);
      const config = await h.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'fx' }));
      expect(config.Description).toBe(`Fixture ${BEHAVIOUR_ENTRY}`);
    } finally {
      await h.stop();
    }
  });
});
