import { EXIT } from '../../pipeline/cli/exit-codes';
import { ROLLOUT_STATE_MACHINE_ARN, startCloud, type E2eCloud } from './support/cloud';
import { cloudState } from './support/cli-process';
import { runCli } from './support/processes';
import { specVersion, rolloutIdFor } from './support/specs';

/**
 * The commands besides deploy, end to end through `npx rollout` against a local cloud: `plan`
 * (changes nothing), `health`, `rollback` (the API serves the previous deployment again), `status
 * --follow`, and a hint printed by `deploy --no-wait` run exactly as printed.
 */

const SERVICE = 'sentiment';

let cloud: E2eCloud;
let stop: () => Promise<void>;
let first: string;
let second: string;

beforeAll(async () => {
  ({ cloud, stop } = await startCloud());
  const v1 = specVersion(1);
  first = rolloutIdFor(v1);
  await cloud.deploy(v1, { rolloutId: first });
  const v2 = specVersion(2);
  second = rolloutIdFor(v2);
  await cloud.deploy(v2, { rolloutId: second });
}, 180_000);

afterAll(async () => {
  await stop();
});

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd());
}

describe('npx rollout plan / health / rollback / status --follow', () => {
  it('plans a rollout against what is live, changing nothing', async () => {
    const before = await cloudState(cloud);

    const run = await runCli(['plan', 'examples/sentiment.json', '--endpoint', cloud.endpoint, '--json']);

    expect(run.code).toBe(EXIT.OK);
    const plan = JSON.parse(run.stdout) as {
      liveNow: string;
      rolloutId: string;
      create: { model: { environment: Record<string, string> } };
    };
    expect(plan.liveNow).toBe(second);
    expect(plan.rolloutId).toMatch(/^sentiment--distilbert-base-\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(plan.create.model.environment).toEqual(
      expect.objectContaining({
        HF_MODEL_ID: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
        HF_TASK: 'text-classification',
      }),
    );
    expect(run.stderr).toContain('Plan for examples/sentiment.json (nothing is created):');
    expect(await cloudState(cloud)).toEqual(before);
  }, 60_000);

  it('runs the health check of the live deployment: exit 0', async () => {
    const run = await runCli(['health', '--service', SERVICE, '--endpoint', cloud.endpoint]);

    expect(run.code).toBe(EXIT.OK);
    expect(lines(run.stdout)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^✔ Service sentiment is healthy/)]),
    );
  }, 60_000);

  it('rolls back to the previous deployment: exit 0, and the API serves it again', async () => {
    expect(await cloud.proxyEndpointName(SERVICE)).toBe(second);

    const run = await runCli([
      'rollback',
      '--service',
      SERVICE,
      '--reason',
      'e2e rollback',
      '--endpoint',
      cloud.endpoint,
    ]);

    expect(run.code).toBe(EXIT.OK);
    const out = lines(run.stdout);
    expect(out).toEqual(
      expect.arrayContaining([
        `Rolling back sentiment: ${second} → ${first} (distilbert/distilbert-base-uncased-finetuned-sst-2-english)`,
        expect.stringMatching(/^✔ Rollback sentiment--rollback-\S+ succeeded in /),
      ]),
    );
    expect(await cloud.proxyEndpointName(SERVICE)).toBe(first);
    const answer = await cloud.request(SERVICE, {
      path: '/predict',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'I love this' }),
    });
    expect(answer.servedBy).toBe(first);
  }, 120_000);

  it('follows a running rollout with status --follow until it ends: exit 0', async () => {
    const spec = specVersion(3);
    const id = rolloutIdFor(spec);
    await cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: id },
      outcome: { creationSeconds: 3000 },
    });
    await cloud.startRollout(spec, { rolloutId: id });

    const run = await runCli(['status', id, '--follow', '--endpoint', cloud.endpoint]);
    await cloud.clearFaults();

    expect(run.code).toBe(EXIT.OK);
    const out = lines(run.stdout);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}✔ Validate Spec /),
        expect.stringMatching(/^ {2}✔ Release Lock /),
        expect.stringMatching(new RegExp(`^${id} +SUCCEEDED`)),
        // What the proxy serves is read at the end of the follow too, so the rollout shows as live.
        expect.stringMatching(/^ {2}outcome +live$/),
      ]),
    );
    expect(
      (await cloud.waitForEnd(`${ROLLOUT_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${id}`))
        .status,
    ).toBe('SUCCEEDED');
  }, 120_000);

  it('prints a follow hint with --no-wait that runs as printed, on the same cloud', async () => {
    const run = await runCli([
      'deploy',
      'examples/sentiment.json',
      '--no-wait',
      '--endpoint',
      cloud.endpoint,
    ]);
    expect(run.code).toBe(EXIT.OK);
    const hint = /Follow it with: npx rollout (.*)$/m.exec(run.stdout)?.[1];
    expect(hint).toMatch(
      new RegExp(`^status --endpoint ${cloud.endpoint.replace(/\./g, '\\.')} sentiment-\\S+ --follow$`),
    );

    const followed = await runCli((hint ?? '').split(' '));

    expect(followed.code).toBe(EXIT.OK);
    expect(followed.stdout).toMatch(/^ {2}✔ Release Lock /m);
  }, 120_000);
});
