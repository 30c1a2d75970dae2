import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { Clock } from '../../local/clock';
import { FaultEngine } from '../../local/faults';
import type { DataPlane } from '../../local/planes';
import type { ServiceContext } from '../../local/protocol/types';
import { close, createAwsServer, listen } from '../../local/server';
import { createDataPlane } from '../../local/services/data-plane';

/** A data plane served on a loopback port, as LocalCloud serves it (without the compute plane). */
export interface DataPlaneHarness {
  readonly endpoint: string;
  readonly plane: DataPlane;
  readonly ctx: ServiceContext;
  readonly faults: FaultEngine;
  /** SDK client configuration pointing at this server (one attempt: tests see each answer as it is). */
  readonly client: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly maxAttempts: number;
  };
  stop(): Promise<void>;
}

/** Options of a test data plane. */
export interface HarnessOptions {
  /** Folder for state; null keeps it in memory. @default null */
  readonly dataDir?: string | null;
  /** @default 0.001 (240 AWS seconds of endpoint creation take 240 ms) */
  readonly timeScale?: number;
}

/** Starts a data plane behind createAwsServer on port 0. */
export async function startDataPlane(options: HarnessOptions = {}): Promise<DataPlaneHarness> {
  const faults = new FaultEngine();
  const ctx: ServiceContext = {
    region: 'us-east-1',
    accountId: '000000000000',
    clock: new Clock(options.timeScale ?? 0.001),
    faults,
  };
  // The server is made first (the plane needs its URL) and finds the plane's services once it exists.
  const holder: { plane?: DataPlane } = {};
  const server: Server = createAwsServer(() => holder.plane?.services ?? []);
  const port = await listen(server, 0, '127.0.0.1');
  const endpoint = `http://127.0.0.1:${port}`;
  const started = createDataPlane({
    ctx,
    dataDir: options.dataDir ?? null,
    endpoint,
    rootDir: join(__dirname, '..', '..'),
  });
  holder.plane = started;
  return {
    endpoint,
    plane: started,
    ctx,
    faults,
    client: {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    },
    stop: async () => {
      await started.close();
      await close(server);
    },
  };
}

/** A fresh temporary folder and a function that removes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'data-plane-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `read` every 10 ms until `done` holds for its value (or fails after `timeoutMs`). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`Condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
