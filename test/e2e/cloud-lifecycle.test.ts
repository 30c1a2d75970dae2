import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockOwner } from '../../local/data-dir-lock';
import { EXIT } from '../../pipeline/cli/exit-codes';
import { startCloud, type E2eCloud } from './support/cloud';
import { childEnv, exitOf, freePort, runCli } from './support/processes';
import { ROOT } from './support/specs';

/**
 * The local cloud's life through the CLI (`npx rollout up` / `down` / `console`): a data folder is owned
 * through an OS-level lock, never a pid, so a killed cloud that is still a zombie does not block a
 * restart and a stale cloud.json pointing at an unrelated live process neither makes `up` say "already
 * runs" nor makes `down` signal that process; `down` stops only the cloud it can prove is the one
 * recorded (admin token + instance id). Start-up failures name the file or port and the flag, exit 4
 * (cannot start) or 2 (bad arguments), and leave nothing locked or half-started.
 */

let root: string;
let cloud: E2eCloud;
let stopCloud: () => Promise<void>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-lifecycle-'));
  ({ cloud, stop: stopCloud } = await startCloud());
}, 60_000);

afterAll(async () => {
  await stopCloud();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh data folder. */
function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A `rollout up` process, once it says the cloud runs. */
interface UpProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  stdout(): string;
}

/** Starts `npx rollout up <args>` and resolves when it prints that the cloud runs. */
async function startUp(args: readonly string[]): Promise<UpProcess> {
  const child = spawn('npx', ['rollout', 'up', ...args], {
    cwd: ROOT,
    env: childEnv({ NO_COLOR: '1' }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = exitOf(child);
  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (stdout.includes('Local cloud running') || stdout.includes('already runs')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`rollout up exited ${code ?? '?'}: ${stdout}${stderr}`)));
  });
  return { child, exited, stdout: () => stdout };
}

/** Ends a `rollout up` left running by a failed assertion. */
function killUp(up: UpProcess | undefined): void {
  if (up?.child.pid !== undefined && up.child.exitCode === null) {
    try {
      process.kill(-up.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** A process that has exited and that nobody reaps (WNOWAIT waits without reaping): a zombie while its parent sleeps. */
async function zombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn(
    'python3',
    [
      '-c',
      'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nos.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)\nprint(pid, flush=True)\ntime.sleep(600)',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(parent.stdout ?? parent, 'data')) as [Buffer];
  const pid = Number(line.toString('utf8').trim());
  // The kernel says so: state Z.
  expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]).toBe('Z');
  return { pid, parent };
}

/** A server holding a loopback port. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

/** True when the port can be bound again (nothing half-started holds it). */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}

/** `up` arguments on free ports, without console or health schedule noise. */
async function upArgs(dataDir: string, extra: readonly string[] = []): Promise<string[]> {
  const [port, edgePort] = [await freePort(), await freePort()];
  return [
    '--data-dir',
    dataDir,
    '--port',
    String(port),
    '--edge-port',
    String(edgePort),
    '--no-console',
    ...extra,
  ];
}

describe('rollout up / down own a data folder by a lock, not a pid', () => {
  it('restarts on a folder whose last cloud was killed and is still a zombie', async () => {
    const dataDir = folder('zombie');
    const dead = await zombie();
    // What a cloud killed with SIGKILL leaves behind, naming its (zombie) pid.
    writeFileSync(join(dataDir, 'cloud.lock'), String(dead.pid));
    writeFileSync(
      join(dataDir, 'cloud.json'),
      JSON.stringify({ pid: dead.pid, instanceId: 'killed', endpoint: 'http://127.0.0.1:1', edgeUrl: 'x' }),
    );
    let up: UpProcess | undefined;
    try {
      up = await startUp(await upArgs(dataDir));
      expect(up.stdout()).toContain('✔ Local cloud running');
      expect(up.stdout()).not.toContain('already runs');

      const down = await runCli(['down', '--data-dir', dataDir]);

      expect(down.code).toBe(EXIT.OK);
      expect(down.stdout).toMatch(/✔ Stopped the local cloud \(pid \d+, instance [0-9a-f-]{36}\)/);
      expect(await up.exited).toEqual({ code: 0, signal: null });
      expect(await lockOwner(dataDir)).toBeUndefined();
    } finally {
      killUp(up);
      dead.parent.kill('SIGKILL');
    }
  }, 240_000);

  it('neither signals nor defers to an unrelated live process that a stale cloud.json names', async () => {
    const dataDir = folder('stale');
    const unrelated = spawn('sleep', ['600'], { stdio: 'ignore' });
    const unrelatedExit = exitOf(unrelated);
    writeFileSync(
      join(dataDir, 'cloud.json'),
      JSON.stringify({ pid: unrelated.pid, instanceId: 'old', endpoint: 'http://127.0.0.1:1', edgeUrl: 'x' }),
    );
    writeFileSync(join(dataDir, 'cloud.lock'), String(unrelated.pid));
    let up: UpProcess | undefined;
    try {
      const down = await runCli(['down', '--data-dir', dataDir]);
      expect(down.code).toBe(EXIT.OK);
      expect(down.stdout).toContain(`No local cloud runs on ${dataDir}.`);

      up = await startUp(await upArgs(dataDir));
      expect(up.stdout()).toContain('✔ Local cloud running');
      const stopped = await runCli(['down', '--data-dir', dataDir]);
      expect(stopped.code).toBe(EXIT.OK);
      expect(await up.exited).toEqual({ code: 0, signal: null });
    } finally {
      killUp(up);
      // Ours is the only signal it ever got: had `down` sent SIGTERM, it would have ended by SIGTERM.
      unrelated.kill('SIGKILL');
      expect(await unrelatedExit).toEqual({ code: null, signal: 'SIGKILL' });
    }
  }, 240_000);
});

describe('rollout up fails cleanly', () => {
  it('names a corrupt state file and the fix, exits 4, and leaves the folder unlocked', async () => {
    const dataDir = folder('corrupt');
    writeFileSync(join(dataDir, 'ssm.json'), 'garbage{{\n');

    const run = await runCli(['up', ...(await upArgs(dataDir))], { timeoutMs: 120_000 });

    expect(run.signal).toBeNull();
    expect(run.code).toBe(EXIT.TARGET);
    expect(run.stderr).toContain(`state file ${join(dataDir, 'ssm.json')} is corrupt`);
    expect(run.stderr).toContain('--reset');
    expect(run.stderr).toContain(`mv ${join(dataDir, 'ssm.json')}`);
    expect(await lockOwner(dataDir)).toBeUndefined();
    expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);

    // The suggested fix works.
    const up = await startUp(await upArgs(dataDir, ['--reset']));
    try {
      expect(up.stdout()).toContain('✔ Local cloud running');
      const token = join(dataDir, 'admin-token');
      expect(statSync(token).mode & 0o777).toBe(0o600);
      expect((await runCli(['down', '--data-dir', dataDir])).code).toBe(EXIT.OK);
      expect(await up.exited).toEqual({ code: 0, signal: null });
    } finally {
      killUp(up);
    }
  }, 240_000);

  it.each([
    ['AWS API', '--port'],
    ['edge', '--edge-port'],
    ['console', '--console-port'],
  ])(
    'names the %s port in use and its flag %s, exits 4, and leaves nothing started',
    async (role, flag) => {
      const dataDir = folder(`port-${flag}`);
      const held = await holdPort();
      const awsPort = await freePort();
      const ports: Record<string, string> = {
        '--port': String(awsPort),
        '--edge-port': String(await freePort()),
        '--console-port': String(await freePort()),
        [flag]: String(held.port),
      };
      try {
        const run = await runCli(
          [
            'up',
            '--data-dir',
            dataDir,
            ...Object.entries(ports).flat(),
            ...(flag === '--console-port' ? [] : ['--no-console']),
          ],
          { timeoutMs: 180_000 },
        );

        expect(run.signal).toBeNull();
        expect(run.code).toBe(EXIT.TARGET);
        expect(run.stderr).toContain(`The ${role} port ${held.port} is in use`);
        expect(run.stderr).toContain(`${flag} <n>`);
        expect(await lockOwner(dataDir)).toBeUndefined();
        // Nothing half-started: the AWS port is free again (or was never taken, when it is the one held).
        expect(flag === '--port' || (await isFree(awsPort))).toBe(true);
      } finally {
        held.server.close();
      }
    },
    240_000,
  );

  it('refuses --time-scale 0 as a bad argument (exit 2) before touching the folder', async () => {
    const dataDir = join(root, 'time-scale');

    const run = await runCli(['up', '--data-dir', dataDir, '--time-scale', '0']);

    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain('--time-scale must be a factor in (0, 1]');
    expect(existsSync(join(dataDir, 'cloud.lock'))).toBe(false);
    expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);
    expect(await lockOwner(root)).toBeUndefined();
  }, 120_000);

  it('rollout console names its port in use and --port, exit 4', async () => {
    const held = await holdPort();
    try {
      const run = await runCli(['console', '--endpoint', cloud.endpoint, '--port', String(held.port)]);

      expect(run.code).toBe(EXIT.TARGET);
      expect(run.stderr).toContain(`The console port ${held.port} is in use`);
      expect(run.stderr).toContain('--port <n>');
    } finally {
      held.server.close();
    }
  }, 120_000);
});
