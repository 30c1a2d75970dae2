import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2eCloud } from './cloud';
import { ROOT } from './specs';

/**
 * Child processes of the end-to-end tests: the local cloud as its own process (`local/main.ts`) and
 * the `rollout` CLI. Each runs in its own process group (npx → tsx → node), so a test can kill the
 * whole of it at once, as `kill -9` of a crashed cloud would.
 */

/** Environment of child processes: this one's, without the SDK's Node 20 warning. */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
}

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** What `local/main.ts` is started with. */
export interface CloudProcessOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly edgePort: number;
  readonly timeScale: number;
  readonly services: readonly string[];
}

/** The local cloud running in its own process group. */
export interface CloudProcess {
  readonly cloud: E2eCloud;
  readonly pid: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL to the whole process group; resolves once the cloud's process has exited. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), SIGKILL after `graceMs`; closes the SDK clients. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `npx tsx local/main.ts ...` and waits for its ready line. */
export async function spawnCloud(options: CloudProcessOptions, timeoutMs = 90_000): Promise<CloudProcess> {
  const child = spawn(
    'npx',
    [
      'tsx',
      'local/main.ts',
      '--data-dir',
      options.dataDir,
      '--port',
      String(options.port),
      '--edge-port',
      String(options.edgePort),
      '--time-scale',
      String(options.timeScale),
      '--service',
      ...options.services,
    ],
    { cwd: ROOT, env: childEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('local cloud: spawn failed');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = exitOf(child);
  let ready: ReadyLine;
  try {
    ready = await readyLine(child, exited, timeoutMs);
  } catch (error) {
    killGroup(pid, 'SIGKILL');
    await exited;
    throw new Error(`local cloud did not start: ${(error as Error).message}\n${stderr}`);
  }
  // The admin token is in a 0600 file beside cloud.json, as the CLI reads it.
  const cloud = new E2eCloud(
    ready.endpoint,
    ready.edgeUrl,
    readFileSync(ready.adminTokenFile, 'utf8').trim(),
  );
  return {
    cloud,
    pid,
    stderr: () => stderr,
    kill: async () => {
      killGroup(pid, 'SIGKILL');
      await exited;
      cloud.destroy();
    },
    stop: async (graceMs = 15_000) => {
      cloud.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(pid, 'SIGTERM');
      const grace = new AbortController();
      const stopped = await Promise.race([
        exited.then(() => true),
        sleep(graceMs, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!stopped) {
        killGroup(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** What `local/main.ts` prints when it is ready (with a data folder). */
interface ReadyLine {
  readonly endpoint: string;
  readonly edgeUrl: string;
  readonly adminTokenFile: string;
}

/** Resolves when the process has exited (with its code, or the signal that ended it). */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function readyLine(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: string | null }>,
  timeoutMs: number,
): Promise<ReadyLine> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error('no stdout');
  let buffered = '';
  const ready = new Promise<ReadyLine>((resolve) => {
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as Partial<ReadyLine> & { ready?: boolean };
          if (
            parsed.ready === true &&
            typeof parsed.endpoint === 'string' &&
            typeof parsed.edgeUrl === 'string' &&
            typeof parsed.adminTokenFile === 'string'
          ) {
            resolve({
              endpoint: parsed.endpoint,
              edgeUrl: parsed.edgeUrl,
              adminTokenFile: parsed.adminTokenFile,
            });
          }
        } catch {
          // A partial line: wait for the rest.
        }
      }
    });
  });
  const timeout = new AbortController();
  try {
    return await Promise.race([
      ready,
      exited.then(({ code, signal }) => {
        throw new Error(`exited (${code ?? signal ?? '?'}) before it was ready`);
      }),
      sleep(timeoutMs, undefined, { signal: timeout.signal }).then(
        () => {
          throw new Error(`not ready after ${timeoutMs} ms`);
        },
        () => new Promise<never>(() => undefined),
      ),
    ]);
  } finally {
    timeout.abort();
  }
}

/** What a finished CLI run printed and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI to its end (killed after `timeoutMs`): as `npx rollout <args>` (the package's bin, what
 * the README tells users to type) or as `npm start` runs it (`tsx pipeline/cli/main.ts <args>`).
 */
export async function runCli(
  args: readonly string[],
  options: {
    readonly env?: Readonly<Record<string, string>>;
    readonly timeoutMs?: number;
    readonly via?: 'npx rollout' | 'npm start';
  } = {},
): Promise<CliRun> {
  const command =
    options.via === 'npm start' ? ['tsx', 'pipeline/cli/main.ts', ...args] : ['rollout', ...args];
  const child = spawn('npx', command, {
    cwd: ROOT,
    env: childEnv({ NO_COLOR: '1', ...options.env }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = exitOf(child);
  const timer = setTimeout(() => {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  }, options.timeoutMs ?? 120_000);
  try {
    const { code, signal } = await exited;
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
