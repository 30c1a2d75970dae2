import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ROLLOUT_STATE_MACHINE_ARN, type E2eCloud } from './cloud';
import { resourcesOf, type Resources } from './inventory';
import { childEnv, type CliRun } from './processes';
import { ROOT } from './specs';

/**
 * `npx rollout` as a running process a test can watch and interrupt (runCli in processes.ts runs one
 * to its end), and what the CLI's exit-code tests compare: the `--json` error object and the state of
 * the cloud before and after a command.
 */

/** A CLI process started by startCli. */
export interface RunningCli {
  /** Resolves with the first line (stdout or stderr) matching `pattern` (rejects if the process ends first). */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Sends a signal to the whole process group, as a terminal's Ctrl-C does. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Resolves when the process has ended and every process of its group has closed stdout and stderr
   * (after a Ctrl-C npm's own process ends at once, by the signal, while the CLI still writes).
   * `code` is what a shell reports: the exit code, or 128 + the signal's number.
   */
  ended(): Promise<CliRun>;
}

/** Starts `npx rollout <args>` in its own process group. */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningCli {
  const child = spawn('npx', ['rollout', ...args], {
    cwd: ROOT,
    env: childEnv({ NO_COLOR: '1', ...env }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('npx rollout: spawn failed');
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const line = `${stdout}\n${stderr}`.split('\n').find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    check();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    check();
  });
  const exited = new Promise<CliRun>((resolve) => {
    child.once('close', (code, signal) => {
      const number = signal === null ? undefined : constants.signals[signal];
      resolve({ code: code ?? (number === undefined ? null : 128 + number), signal, stdout, stderr });
    });
  });
  return {
    waitForLine: (pattern) =>
      Promise.race([
        new Promise<string>((resolve) => {
          waiters.push({ pattern, resolve });
          check();
        }),
        exited.then((run) => {
          throw new Error(
            `npx rollout ended (${run.code ?? run.signal ?? '?'}) before printing ${String(pattern)}:\n${run.stdout}\n${run.stderr}`,
          );
        }),
      ]),
    signal: (signal) => process.kill(-pid, signal),
    ended: () => exited,
  };
}

/** The `--json` error object a failed command printed on stdout. */
export interface JsonError {
  readonly name: string;
  readonly message: string;
  readonly exitCode: number;
  readonly [more: string]: unknown;
}

/** Parses stdout as `{"error": {...}}` (fails the test with the output otherwise). */
export function jsonErrorOf(run: CliRun): JsonError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not JSON:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  const error = (parsed as { error?: JsonError }).error;
  if (error === undefined) throw new Error(`no "error" in ${run.stdout}`);
  return error;
}

/** What a command could change: every resource, and the executions of the rollout state machine. */
export interface CloudState {
  readonly resources: Resources;
  readonly executions: readonly string[];
}

/** Reads the state a command must leave alone when it exits 2. */
export async function cloudState(cloud: E2eCloud): Promise<CloudState> {
  const listed = await cloud.clients.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: ROLLOUT_STATE_MACHINE_ARN, maxResults: 1000 }),
  );
  return {
    resources: resourcesOf(await cloud.inventory()),
    executions: (listed.executions ?? []).map((e) => `${e.name ?? '?'} ${e.status ?? '?'}`).sort(),
  };
}
