import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../pipeline/cli/exit-codes';
import { startCloud, type E2eCloud } from './support/cloud';
import { cloudState, jsonErrorOf, startCli } from './support/cli-process';
import { freePort, runCli, spawnCloud } from './support/processes';
import { exampleSpec, rolloutIdFor } from './support/specs';

/**
 * Every error class of the README's exit-code table, driven end to end through `npx rollout`: the
 * exit code, the message on stderr, the `--json` error object on stdout and, for invalid input (2),
 * a cloud left exactly as it was (resources and executions). Then 1 (failed), 3 (blocked), 4
 * (unreachable, also when the cloud dies mid-rollout), 5 (unexpected) and 130 (Ctrl-C while
 * following: the rollout goes on).
 */

let dir: string;
let cloud: E2eCloud;
let stop: () => Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-exit-'));
  // 100x faster than AWS (not the usual 1000x): a 25 min endpoint creation (15 s here) stays well
  // inside the example's 60 min maxWaitMinutes and leaves a command time to start while it lasts.
  ({ cloud, stop } = await startCloud({ timeScale: 0.01 }));
  // A service with a live deployment, so that rollback and history have something to work on.
  const spec = exampleSpec();
  await cloud.deploy(spec, { rolloutId: rolloutIdFor(spec) });
}, 120_000);

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a spec file under the test folder and returns its path. */
function specFile(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('exit 2: invalid input changes nothing', () => {
  // Built lazily: the folder exists only once beforeAll has run.
  const cases: [string, () => string[], RegExp, string][] = [
    ['an unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/, 'UsageError'],
    [
      'history --limit 1e9',
      () => ['history', '--limit', '1e9'],
      /'--limit <n>' argument '1e9' is invalid\. a whole number ≥ 1 and ≤ 1000/,
      'UsageError',
    ],
    [
      'history --next-token garbage',
      () => ['history', '--next-token', 'garbage'],
      /--next-token is not a token printed by `rollout history`/,
      'NotFoundError',
    ],
    [
      'status of a mistyped rollout id',
      () => ['status', 'sentiment-distilbert-base-20990101-000000-abcd'],
      /There is no rollout sentiment-distilbert-base-20990101-000000-abcd \(ExecutionDoesNotExist\); list them with `npx rollout history --endpoint http:\/\/127\.0\.0\.1:\d+`/,
      'NotFoundError',
    ],
    [
      'status --follow of a mistyped rollout id',
      () => ['status', 'nope', '--follow'],
      /There is no rollout nope/,
      'NotFoundError',
    ],
    [
      'rollback of a service that does not exist',
      () => ['rollback', '--service', 'nope'],
      /There is no service nope \(services: sentiment\); nothing was changed\./,
      'UnknownServiceError',
    ],
    [
      'health of a mistyped service',
      () => ['health', '--service', 'typo'],
      /There is no service typo \(services: sentiment\); nothing was changed\./,
      'UnknownServiceError',
    ],
    [
      'deploy of an invalid spec',
      () => {
        const spec = exampleSpec();
        spec.smokeTests = [{ ...spec.smokeTests[0], expect: { status: 700 } }];
        return ['deploy', specFile('invalid.json', JSON.stringify(spec))];
      },
      /\$\.smokeTests\[0\]\.expect\.status: got 700; expected an HTTP status code \(100-599\)/,
      'SpecInvalidError',
    ],
    [
      'deploy of a spec that is not JSON',
      () => ['deploy', specFile('not-json.json', '{"service": ')],
      /not-json\.json is invalid \(1 problem\); nothing was created\./,
      'SpecInvalidError',
    ],
    [
      'deploy of a spec nested 20,000 levels deep',
      () => [
        'deploy',
        specFile('deep.json', `{"service": "x", "model": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`),
      ],
      /\$\.model\.a\.a\.a.*: got a value nested more than 64 levels deep/,
      'SpecInvalidError',
    ],
    [
      'deploy of a spec over 256 KiB',
      () => {
        const spec = exampleSpec();
        spec.description = 'x'.repeat(300_000);
        return ['deploy', specFile('huge.json', JSON.stringify(spec))];
      },
      /huge\.json: it is larger than 262144 bytes/,
      'SpecFileError',
    ],
    [
      'deploy of a missing spec file',
      () => ['deploy', join(dir, 'missing.json')],
      /Cannot read spec file .*missing\.json: no such file\./,
      'SpecFileError',
    ],
    [
      'deploy of a symlink to /dev/zero',
      () => {
        const link = join(dir, 'zero.json');
        rmSync(link, { force: true });
        symlinkSync('/dev/zero', link);
        return ['deploy', link];
      },
      /zero\.json: it is a character device, not a regular file/,
      'SpecFileError',
    ],
    [
      'deploy of a FIFO',
      () => {
        const fifo = join(dir, 'spec.fifo');
        rmSync(fifo, { force: true });
        execFileSync('mkfifo', [fifo]);
        return ['deploy', fifo];
      },
      /spec\.fifo: it is a FIFO \(named pipe\), not a regular file/,
      'SpecFileError',
    ],
    [
      'plan of a directory',
      () => {
        mkdirSync(join(dir, 'specs'), { recursive: true });
        return ['plan', join(dir, 'specs')];
      },
      /specs: it is a directory, not a regular file/,
      'SpecFileError',
    ],
  ];

  it.each(cases)(
    '%s: exit 2, the message, a JSON error object, and nothing changed',
    async (_what, args, message, name) => {
      const argv = args();
      const before = await cloudState(cloud);

      const run = await runCli([...argv, '--endpoint', cloud.endpoint, '--json']);

      expect(run.code).toBe(EXIT.INVALID_INPUT);
      expect(run.stderr).toMatch(message);
      const error = jsonErrorOf(run);
      expect(error).toEqual(expect.objectContaining({ name, exitCode: EXIT.INVALID_INPUT }));
      expect(error.message).toMatch(message);
      expect(await cloudState(cloud)).toEqual(before);
    },
    60_000,
  );

  it('rejects a missing --faults file before a cloud starts, naming the file', async () => {
    const dataDir = join(dir, 'never-created');

    const run = await runCli([
      'up',
      '--faults',
      join(dir, 'no-faults.json'),
      '--data-dir',
      dataDir,
      '--json',
    ]);

    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain(`cannot read ${join(dir, 'no-faults.json')}: no such file.`);
    expect(jsonErrorOf(run)).toEqual(
      expect.objectContaining({ name: 'UsageError', exitCode: EXIT.INVALID_INPUT }),
    );
    expect(() => execFileSync('test', ['-e', dataDir])).toThrow();
  }, 60_000);
});

describe('exit 1, 3, 4, 5 and 130', () => {
  it('exits 1 when the rollout fails, with the rollout inside the JSON error object', async () => {
    await cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: 'sentiment-*' },
      outcome: { endpointStatus: 'Failed', failureReason: 'ping health check failed (e2e)' },
      count: 1,
    });

    const run = await runCli(['deploy', 'examples/sentiment.json', '--endpoint', cloud.endpoint, '--json']);
    await cloud.clearFaults();

    expect(run.code).toBe(EXIT.FAILED);
    expect(run.stderr).toMatch(/^✘ Rollout \S+ failed at Check Endpoint \(EndpointFailedError\)/m);
    const error = jsonErrorOf(run);
    expect(error).toEqual(expect.objectContaining({ name: 'RolloutFailedError', exitCode: EXIT.FAILED }));
    expect(error.message).toMatch(/failed at Check Endpoint$/);
    expect(JSON.stringify(error.result)).toContain('ping health check failed (e2e)');
  }, 120_000);

  it('exits 3 when another rollout of the service holds the lock, creating nothing', async () => {
    const spec = exampleSpec();
    const holder = rolloutIdFor(spec);
    // The holder's endpoint stays Creating for 15 s, well past the blocked command.
    await cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: holder },
      outcome: { creationSeconds: 1500 },
    });
    const { executionArn } = await cloud.startRollout(spec, { rolloutId: holder });
    // Once its endpoint exists, the holder has the lock and keeps it while the endpoint is Creating.
    await waitUntil(async () => (await cloudState(cloud)).resources.endpoints.some((e) => e.name === holder));
    const endpointsBefore = (await cloudState(cloud)).resources.endpoints.map((e) => e.name);

    const run = await runCli(['deploy', 'examples/sentiment.json', '--endpoint', cloud.endpoint, '--json']);

    expect(run.code).toBe(EXIT.BLOCKED);
    expect(run.stderr).toContain('rollout: Another rollout of sentiment is in progress.');
    // The hint names the holder, and reaches this cloud when pasted (not the real AWS).
    expect(run.stderr).toContain(
      `Wait for it or stop it: aws --endpoint-url ${cloud.endpoint} --region us-east-1 stepfunctions stop-execution --execution-arn arn:aws:states:us-east-1:000000000000:execution:hf-rollout-rollout:${holder}.`,
    );
    expect(jsonErrorOf(run)).toEqual(
      expect.objectContaining({ name: 'RolloutBlockedError', exitCode: EXIT.BLOCKED }),
    );
    expect((await cloudState(cloud)).resources.endpoints.map((e) => e.name)).toEqual(endpointsBefore);
    expect((await cloud.waitForEnd(executionArn)).status).toBe('SUCCEEDED');
    await cloud.clearFaults();
  }, 180_000);

  it('exits 4 when nothing answers at --endpoint', async () => {
    const port = await freePort();

    const run = await runCli(['history', '--endpoint', `http://127.0.0.1:${port}`, '--json']);

    expect(run.code).toBe(EXIT.TARGET);
    expect(run.stderr).toContain(`No local cloud answers at http://127.0.0.1:${port} (ECONNREFUSED).`);
    expect(jsonErrorOf(run)).toEqual(expect.objectContaining({ name: 'TargetError', exitCode: EXIT.TARGET }));
  }, 60_000);

  it('exits 4, not 5, when the local cloud dies during a deploy', async () => {
    const [port, edgePort] = [await freePort(), await freePort()];
    const dying = await spawnCloud({
      dataDir: join(dir, 'dying-cloud'),
      port,
      edgePort,
      timeScale: 0.01,
      services: ['sentiment'],
    });
    try {
      // Creating for 60 s (at 100x): the cloud is killed while the CLI follows the rollout.
      await dying.cloud.addFaults({
        operation: 'SageMaker.EndpointLifecycle',
        match: { EndpointName: 'sentiment-*' },
        outcome: { creationSeconds: 6000 },
      });
      const cli = startCli(['deploy', 'examples/sentiment.json', '--endpoint', dying.cloud.endpoint]);
      await cli.waitForLine(/^Rollout \S+ started by /);

      await dying.kill();
      const run = await cli.ended();

      expect(run.code).toBe(EXIT.TARGET);
      expect(run.stderr).toContain(
        `rollout: The local cloud at ${dying.cloud.endpoint} stopped answering (ECONNREFUSED). Start one with \`npx rollout up\``,
      );
    } finally {
      await dying.kill();
    }
  }, 180_000);

  it('exits 5 on an unexpected answer, saying to run with --debug', async () => {
    // Something on a port that says it is a local cloud, then answers AWS calls with a web page.
    const server: Server = createServer((req, res) => {
      if (req.url === '/_local/health') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ edgeUrl: 'http://127.0.0.1:9' }));
        return;
      }
      res.setHeader('content-type', 'text/html');
      res.end('<html>not an AWS API</html>');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    try {
      const run = await runCli(['history', '--endpoint', url, '--json']);

      expect(run.code).toBe(EXIT.INTERNAL);
      expect(run.stderr).toContain('rollout: unexpected error: ');
      expect(run.stderr).toContain('Run it again with --debug for the stack trace, and report it.');
      expect(jsonErrorOf(run)).toEqual(expect.objectContaining({ exitCode: EXIT.INTERNAL }));
    } finally {
      server.close();
    }
  }, 60_000);

  it('exits 130 on Ctrl-C while following a deploy; the rollout goes on', async () => {
    await cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: 'sentiment-*' },
      outcome: { creationSeconds: 1500 },
      count: 1,
    });
    const cli = startCli(['deploy', 'examples/sentiment.json', '--endpoint', cloud.endpoint, '--json']);
    // With --json the progress goes to stderr.
    const started = await cli.waitForLine(/^Rollout \S+ started by /);
    const rolloutId = started.split(' ')[1] ?? '?';

    cli.signal('SIGINT');
    const run = await cli.ended();
    await cloud.clearFaults();

    // A terminal's Ctrl-C reaches npm too, which ends by the signal: the shell's status is 130 either way.
    expect(run.code).toBe(EXIT.INTERRUPTED);
    expect(run.stderr).toContain(
      `Stopped following. Rollout ${rolloutId} goes on; follow it again with: npx rollout status --endpoint ${cloud.endpoint} ${rolloutId} --follow`,
    );
    expect(jsonErrorOf(run)).toEqual(
      expect.objectContaining({ name: 'InterruptedError', exitCode: EXIT.INTERRUPTED }),
    );
    const ended = await cloud.waitForEnd(
      `arn:aws:states:us-east-1:000000000000:execution:hf-rollout-rollout:${rolloutId}`,
    );
    expect(ended.status).toBe('SUCCEEDED');
  }, 180_000);
});

/** Polls `check` every 100 ms until it holds (the test's own timeout bounds it). */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}
