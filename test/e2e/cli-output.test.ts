import { startCloud, type E2eCloud } from './support/cloud';
import { runCli } from './support/processes';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * What `rollout status` and `rollout history` print for a failed rollout, through `npx rollout`: one
 * row per step (the endpoint wait's polls added up), each step once with --follow, the smoke table of
 * the failed smoke test, a history within 100 columns, and filters in any case that say when they
 * match nothing.
 */

const SERVICE = 'sentiment';

let cloud: E2eCloud;
let stop: () => Promise<void>;
let rolloutId: string;

beforeAll(async () => {
  ({ cloud, stop } = await startCloud());
  // A smoke test that expects the wrong label fails the rollout at Run Smoke Tests.
  const spec = specVersion(1, (s) => {
    const tests = s.smokeTests as { expect: { jsonPaths?: { path: string; equals?: unknown }[] } }[];
    const path = tests[1]?.expect.jsonPaths?.[0];
    if (path !== undefined) path.equals = 'POSITIVE';
  });
  rolloutId = rolloutIdFor(spec);
  // An endpoint that takes a few polls to come up, so that the wait has rows to add up.
  await cloud.addFaults({
    operation: 'SageMaker.EndpointLifecycle',
    match: { EndpointName: rolloutId },
    outcome: { creationSeconds: 3000 },
  });
  const outcome = await cloud.runRollout(spec, { rolloutId });
  if (outcome.status !== 'FAILED')
    throw new Error(`the rollout should fail its smoke test; it ${outcome.status}`);
}, 120_000);

afterAll(async () => {
  await stop();
});

/** Lines the CLI printed (npx may warn about the machine's npm configuration). */
function ownLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm warn'));
}

describe('rollout status and history (the CLI process)', () => {
  it('status prints one row per step and the failed smoke test, --verbose one row per poll', async () => {
    const plain = await runCli(['status', rolloutId, '--endpoint', cloud.endpoint]);
    const verbose = await runCli(['status', rolloutId, '--verbose', '--endpoint', cloud.endpoint]);

    expect({ plain: plain.code, verbose: verbose.code }).toEqual({ plain: 0, verbose: 0 });
    const rows = (text: string, step: string): string[] =>
      ownLines(text).filter((l) => new RegExp(`│ ${step} +│`).test(l));
    expect(rows(plain.stdout, 'Check Endpoint')).toHaveLength(1);
    expect(rows(plain.stdout, 'Run Smoke Tests')).toHaveLength(1);
    const polls = rows(verbose.stdout, 'Check Endpoint').length;
    expect(polls).toBeGreaterThan(1);
    expect(rows(plain.stdout, 'Check Endpoint')[0]).toContain(`│ ${polls} `);
    expect(plain.stdout).toContain('smoke tests (new endpoint):');
    expect(rows(plain.stdout, 'negative review')[0]).toContain('expected "POSITIVE", got "NEGATIVE"');
    expect(plain.stdout.split('got "NEGATIVE"')).toHaveLength(2);
  }, 120_000);

  it('status --follow prints each step once', async () => {
    const run = await runCli(['status', rolloutId, '--follow', '--endpoint', cloud.endpoint]);

    expect(run.code).toBe(0);
    const mentions = (step: string): number => ownLines(run.stdout).filter((l) => l.includes(step)).length;
    expect({ validate: mentions('Validate Spec'), rollBack: mentions('Roll Back') }).toEqual({
      validate: 1,
      rollBack: 1,
    });
  }, 120_000);

  it('history fits within 100 columns and takes --status in any case', async () => {
    const all = await runCli(['history', '--endpoint', cloud.endpoint]);
    const failed = await runCli(['history', '--status', 'FAILED', '--endpoint', cloud.endpoint]);
    const none = await runCli([
      'history',
      '--status',
      'Aborted',
      '--service',
      SERVICE,
      '--endpoint',
      cloud.endpoint,
    ]);

    expect([all.code, failed.code, none.code]).toEqual([0, 0, 0]);
    expect(ownLines(all.stdout).filter((l) => l.length > 100)).toEqual([]);
    expect(failed.stdout).toContain(`${rolloutId}  FAILED`);
    expect(ownLines(none.stdout).filter((l) => !l.startsWith('Target: '))).toEqual([
      `No ABORTED rollouts of service ${SERVICE}.`,
    ]);
  }, 120_000);
});
