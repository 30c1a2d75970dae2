import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_CLOUD_DEFAULTS } from '../../local/cloud';
import { EXIT } from '../../pipeline/cli/exit-codes';
import { startCloud, type E2eCloud } from './support/cloud';
import { resourcesOf } from './support/inventory';
import { runCli } from './support/processes';
import { exampleSpec, rolloutIdFor } from './support/specs';

/**
 * The `rollout` CLI as a process, as `npm start` runs it and as `npx rollout` (the package's bin) runs
 * it: `rollout deploy examples/sentiment.json` follows a full local rollout and exits 0 with its
 * summary; an invalid spec or command line exits 2 and a failed rollout exits 1
 * (pipeline/cli/exit-codes.ts); `history --json` prints the rollouts as JSON.
 */

const SERVICE = 'sentiment';

let dir: string;
let cloud: E2eCloud;
let stop: () => Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-cli-'));
  ({ cloud, stop } = await startCloud());
}, 60_000);

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

/** True when nothing listens on the port (the embedded local cloud of `npm start` needs 4580 and 4581). */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, LOCAL_CLOUD_DEFAULTS.host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]: unknown[]) => {
        throw error;
      }),
    ]);
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}

/** Lines of output, without trailing spaces. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd());
}

/** Non-empty lines the CLI wrote itself (npx may warn about the machine's npm configuration). */
function ownLines(text: string): string[] {
  return lines(text).filter((l) => l !== '' && !l.startsWith('npm warn'));
}

describe('rollout deploy (the CLI process)', () => {
  it('deploys examples/sentiment.json like `npm start` and exits 0 with the rollout summary', async () => {
    // `npm start` starts an embedded local cloud on the default ports; when something else holds
    // them (a `rollout up` of someone on this machine), the same command runs against our cloud.
    const embedded =
      (await isFree(LOCAL_CLOUD_DEFAULTS.port)) && (await isFree(LOCAL_CLOUD_DEFAULTS.edgePort));
    const target = embedded ? ['--data-dir', join(dir, 'local')] : ['--endpoint', cloud.endpoint];

    const run = await runCli(['deploy', 'examples/sentiment.json', ...target], {
      env: { ROLLOUT_REQUESTED_BY: 'e2e@cli' },
      via: 'npm start',
    });

    expect({ code: run.code, stderr: ownLines(run.stderr) }).toEqual({ code: EXIT.OK, stderr: [] });
    const out = lines(run.stdout);
    const rolloutId = /^Rollout (\S+) started by e2e@cli$/.exec(
      out.find((l) => l.startsWith('Rollout ')) ?? '',
    )?.[1];
    expect(rolloutId).toMatch(/^sentiment--distilbert-base-\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Target: local cloud at http:\/\/127\.0\.0\.1:\d+ /),
        'Spec examples/sentiment.json: service sentiment, model distilbert/distilbert-base-uncased-finetuned-sst-2-english@main (text-classification), ml.m5.xlarge × 1, 3 smoke tests',
        expect.stringMatching(/^ {2}✔ Validate Spec /),
        expect.stringMatching(/^ {2}✔ Endpoint InService .* after \d+ checks$/),
        expect.stringMatching(/^ {2}✔ Run Smoke Tests .* 3\/3 passed$/),
        expect.stringMatching(/^ {2}✔ Switch API Target /),
        expect.stringMatching(/^ {2}✔ Verify Public API /),
        expect.stringMatching(/^ {2}✔ Release Lock /),
        expect.stringMatching(new RegExp(`^✔ Rollout ${rolloutId ?? '?'} succeeded in `)),
        `  endpoint    ${rolloutId ?? '?'} (distilbert/distilbert-base-uncased-finetuned-sst-2-english@main)`,
        expect.stringMatching(/^ {2}call it {5}POST http:\/\/127\.0\.0\.1:\d+\/sentiment\/predict$/),
        expect.stringMatching(/^ {4}curl -s -H 'x-api-key: \S+' -H 'content-type: application\/json' -d /),
      ]),
    );
  }, 180_000);

  it('rejects an invalid spec with exit code 2, naming the field, before anything is started', async () => {
    const spec = exampleSpec();
    spec.smokeTests = [{ ...spec.smokeTests[0], expect: { status: 700 } }];
    const file = join(dir, 'invalid.json');
    writeFileSync(file, JSON.stringify(spec));
    const before = await cloud.inventory();

    const run = await runCli(['deploy', file, '--endpoint', cloud.endpoint]);

    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain(
      '$.smokeTests[0].expect.status: got 700; expected an HTTP status code (100-599)',
    );
    expect(run.stdout).toBe('');
    expect(await cloud.inventory()).toEqual(before);
  }, 60_000);

  it('fails with exit code 1 when the rollout fails, naming the step and the cause', async () => {
    const failureReason =
      'The primary container for production variant AllTraffic did not pass the ping health check.';
    await cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: `${SERVICE}-*` },
      outcome: { endpointStatus: 'Failed', failureReason },
    });

    const run = await runCli(['deploy', 'examples/sentiment.json', '--endpoint', cloud.endpoint]);
    await cloud.clearFaults();

    expect(run.code).toBe(EXIT.FAILED);
    const out = lines(run.stdout);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✘ Rollout \S+ failed at Check Endpoint \(EndpointFailedError\) after /),
        expect.stringContaining(failureReason),
      ]),
    );
    expect(run.stderr).toContain('failed at Check Endpoint');
    expect(resourcesOf(await cloud.inventory()).endpoints).toEqual([]);
  }, 120_000);
});

describe('npx rollout (the package bin)', () => {
  it('lists the rollouts with history --json: JSON on stdout, exit 0', async () => {
    const spec = exampleSpec();
    await cloud.deploy(spec, { rolloutId: rolloutIdFor(spec) });
    const ended = await cloud.history(SERVICE);

    const run = await runCli(['history', '--json', '--endpoint', cloud.endpoint]);

    expect(run.code).toBe(EXIT.OK);
    const listed = JSON.parse(run.stdout) as { rollouts: { rolloutId: string; status: string }[] };
    expect(listed.rollouts.map((r) => [r.rolloutId, r.status])).toEqual(
      ended.map((r) => [r.rolloutId, r.status]),
    );
    expect(listed.rollouts.length).toBeGreaterThan(0);
  }, 60_000);

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['history', '--limit', '0'], 'a whole number ≥ 1'],
    [['deploy'], "missing required argument 'spec'"],
  ])(
    'exits 2 for the command line %j, saying what is wrong',
    async (args, message) => {
      const run = await runCli(args);

      expect(run.code).toBe(EXIT.INVALID_INPUT);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    },
    60_000,
  );
});
