import { createHash } from 'node:crypto';
import { realpathSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError } from './errors';

/**
 * One local cloud per data folder, held by an OS-level lock: a listening local socket whose address is
 * derived from the folder's real path. Only one process can listen on an address; the kernel releases it
 * the moment the owner's file descriptors close (exit, SIGKILL, even while the dead process is still a
 * zombie nobody reaped), so liveness never rests on a pid, which may be reused or belong to a zombie.
 * The owner answers every connection with who it is (pid, instance id, URLs): that is how other
 * processes find a running cloud and prove it is the one that wrote `cloud.json`.
 *
 * Linux uses the abstract socket namespace (no file, nothing stale to clean up); Windows a named pipe
 * (same properties); other systems (macOS) a socket file in the temp folder, taken over when nobody
 * accepts on it.
 */

/** What the owner of a data folder says about itself. */
export interface LockOwner {
  readonly pid: number;
  /** Random per run: tells this run from an earlier one with the same pid. */
  readonly instanceId: string;
  /** Set once the cloud listens. */
  readonly endpoint?: string;
  readonly edgeUrl?: string;
}

/** A held data-folder lock. */
export class DataDirLock {
  private constructor(private readonly server: Server) {}

  /**
   * Takes the lock on `dataDir` (which must exist) or throws DataDirInUseError naming the live owner.
   * `owner` is asked on each connection, so it can say more once the cloud listens.
   */
  static async acquire(dataDir: string, owner: () => LockOwner): Promise<DataDirLock> {
    const address = lockAddress(dataDir);
    for (let attempt = 0; ; attempt++) {
      const server = createServer((socket) => {
        socket.on('error', () => undefined);
        socket.end(`${JSON.stringify(owner())}\n`);
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(address, () => {
            server.off('error', reject);
            resolve();
          });
        });
        // The lock must not keep a process alive on its own: the cloud's ports do that.
        server.unref();
        return new DataDirLock(server);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        const probe = await probeAddress(address);
        if (probe.state === 'held') throw new DataDirInUseError(dataDir, probe.owner);
        // A socket file left by a dead owner (file-based addresses only): nobody accepts, take it over.
        if (attempt > 0 || !isFileAddress(address)) throw new DataDirInUseError(dataDir, undefined);
        rmSync(address, { force: true });
      }
    }
  }

  /** Releases the lock (another cloud may then take the folder). */
  async release(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Who holds the lock on `dataDir`, or undefined when nobody does (no cloud runs on it, whatever
 * `cloud.json` says). A holder too busy to answer within `timeoutMs` is still a holder (owner unknown).
 */
export async function lockOwner(
  dataDir: string,
  timeoutMs = 5_000,
): Promise<{ readonly owner: LockOwner | undefined } | undefined> {
  let address: string;
  try {
    address = lockAddress(dataDir);
  } catch {
    return undefined; // The folder does not exist: nobody can hold it.
  }
  const probe = await probeAddress(address, timeoutMs);
  return probe.state === 'held' ? { owner: probe.owner } : undefined;
}

function lockAddress(dataDir: string): string {
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 32);
  if (process.platform === 'linux') return `\0hf-sagemaker-rollout-local-${id}`;
  if (process.platform === 'win32') return `\\\\.\\pipe\\hf-sagemaker-rollout-local-${id}`;
  return join(tmpdir(), `hf-rollout-local-${id}.sock`);
}

function isFileAddress(address: string): boolean {
  return !address.startsWith('\0') && !address.startsWith('\\\\.\\pipe\\');
}

type Probe = { readonly state: 'free' } | { readonly state: 'held'; readonly owner: LockOwner | undefined };

async function probeAddress(address: string, timeoutMs = 5_000): Promise<Probe> {
  return new Promise<Probe>((resolve) => {
    let text = '';
    let connected = false;
    const socket = connect(address);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(connected ? { state: 'held', owner: undefined } : { state: 'free' });
    }, timeoutMs);
    socket.on('connect', () => {
      connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > 64 * 1024) socket.destroy();
    });
    socket.on('error', () => {
      clearTimeout(timer);
      // ECONNREFUSED/ENOENT: nobody listens. Reset after connecting: someone held it.
      resolve(connected ? { state: 'held', owner: parseOwner(text) } : { state: 'free' });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(connected ? { state: 'held', owner: parseOwner(text) } : { state: 'free' });
    });
  });
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(text.split('\n')[0] ?? '') as Partial<LockOwner>;
    return typeof parsed.pid === 'number' && typeof parsed.instanceId === 'string'
      ? (parsed as LockOwner)
      : undefined;
  } catch {
    return undefined;
  }
}
